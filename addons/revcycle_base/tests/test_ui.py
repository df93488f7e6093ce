"""The Revenue Cycle settings block (this addon's app in Settings), in a browser."""

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestRevcycleSettingsUi(HttpCase):
    def test_change_a_setting_in_the_revenue_cycle_block(self):
        """A user opens Revenue Cycle > Configuration > Settings, turns 'Post contract invoices' off and saves: the
        company keeps it off. The block holds the settings of the addons installed with this one; this addon has
        none of its own, so the contracts addon's setting stands for them (skipped when it is not installed)."""
        installed = self.env["ir.module.module"].search_count(
            [("name", "=", "revcycle_cpq"), ("state", "=", "installed")]
        )
        if not installed:
            self.skipTest("the settings block is empty without a sibling addon; revcycle_cpq gives it a setting")
        company = self.env.ref("base.main_company")
        company.revcycle_contract_auto_post = True
        self.start_tour("/odoo", "revcycle_settings_tour", login="admin")
        self.assertFalse(company.revcycle_contract_auto_post)
