from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestRevenueCycleUi(HttpCase):
    def test_menus_and_settings_in_the_browser(self):
        """Headless Chromium: the shared app menu, the settings blocks of the four addons (of analytics alone when
        the others are not installed), a list via the menus."""
        siblings = self.env["ir.module.module"].search_count(
            [("name", "in", ("revcycle_cpq", "revcycle_dunning", "revcycle_revrec")), ("state", "=", "installed")]
        )
        tour = "revcycle_menus_settings_tour" if siblings == 3 else "revcycle_analytics_settings_tour"
        self.start_tour("/odoo", tour, login="admin")

    def test_dashboard_in_the_browser(self):
        """Headless Chromium: the dashboard's cards, a period change and a drill-down into the records behind."""
        company = self.env.ref("base.main_company")
        partner = self.env["res.partner"].create({"name": "Tour Dashboard Customer"})
        invoice = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": "2019-01-15",
                    "invoice_date_due": "2019-02-14",
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [
                        Command.create({"name": "Service", "quantity": 1, "price_unit": 1000, "tax_ids": []})
                    ],
                }
            )
        )
        invoice.action_post()
        self.start_tour("/odoo", "revcycle_dashboard_tour", login="admin")

    def test_kpi_export_xlsx_over_http(self):
        self.authenticate("admin", "admin")
        response = self.url_open("/revcycle_analytics/kpis.xlsx?date_from=2024-01-01&date_to=2024-12-31")
        self.assertEqual(response.status_code, 200)
        self.assertIn("spreadsheetml", response.headers["Content-Type"])
        self.assertEqual(response.content[:2], b"PK")
        refused = self.url_open("/revcycle_analytics/kpis.xlsx?date_from=2024-12-31&date_to=2024-01-01")
        self.assertEqual(refused.status_code, 400)
