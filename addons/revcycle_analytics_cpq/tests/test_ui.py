from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestContractDashboardUi(HttpCase):
    def test_mrr_waterfall_in_the_browser(self):
        """Headless Chromium: the dashboard draws the MRR movement waterfall this bridge adds."""
        self.start_tour("/odoo/revenue-cycle", "revcycle_analytics_cpq_waterfall_tour", login="admin")
