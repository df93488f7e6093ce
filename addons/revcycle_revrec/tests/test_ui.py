from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestRevrecJourneyUi(HttpCase):
    def test_revenue_contract_and_waterfall_in_the_browser(self):
        """Headless Chromium, as an accountant: the apps menu, the demo's revenue contract with its allocation by
        relative SSP and its schedule, then the revenue waterfall (the tour checks the allocated figures)."""
        contract = self.env["revcycle.revenue.contract"].search([("transaction_price", "=", 90000.0)], limit=1)
        self.assertEqual(
            contract.obligation_ids.sorted("allocated_amount").mapped("allocated_amount"),
            [18000.0, 27000.0, 45000.0],
            "the demo's worked example must be there for the tour to walk it",
        )
        self.start_tour("/odoo", "revcycle_revrec_journey_tour", login="admin")
