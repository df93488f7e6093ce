"""The dunning recovery rate, now registered by this bridge, on the ledger scene of revcycle_analytics plus two
dunning notices."""

from datetime import date

from odoo import Command
from odoo.addons.revcycle_analytics.tests.common import DATE_FROM, DATE_TO, RevcycleKpiCommon
from odoo.modules.module import get_manifest
from odoo.tests import tagged


@tagged("post_install", "-at_install", "revcycle")
class TestRevcycleDunningKpis(RevcycleKpiCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._dunning_notices()

    @classmethod
    def _dunning_notices(cls):
        """Dunned in the period: I1 at 3,000 (since paid) and I2 at 2,000 (500 paid since): 3,500 / 5,000 = 70 %."""
        policy = cls.env["revcycle.dunning.policy"].sudo().create({"name": "KPI policy", "company_id": cls.company.id})
        level = (
            cls.env["revcycle.dunning.level"]
            .sudo()
            .create({"policy_id": policy.id, "name": "Reminder", "days": 1, "channel": "email"})
        )
        for invoice, notice_date, open_amount in (
            (cls.invoices["I1"], "2024-02-12", 3000),
            (cls.invoices["I2"], "2024-03-05", 2000),
        ):
            cls.env["revcycle.dunning.notice"].sudo().create(
                {
                    "partner_id": cls.customer.id,
                    "company_id": cls.company.id,
                    "level_id": level.id,
                    "channel": "email",
                    "date": notice_date,
                    "state": "sent",
                    "amount_overdue": open_amount,
                    "line_ids": [
                        Command.create({"invoice_id": invoice.id, "level_id": level.id, "amount_residual": open_amount})
                    ],
                }
            )

    def test_bridge_is_auto_installed_with_its_two_addons(self):
        manifest = get_manifest("revcycle_analytics_dunning")
        self.assertTrue(manifest["auto_install"])
        self.assertEqual(set(manifest["depends"]), {"revcycle_analytics", "revcycle_dunning"})
        states = self.env["ir.module.module"].search(
            [("name", "in", ("revcycle_analytics", "revcycle_dunning", "revcycle_analytics_dunning"))]
        ).mapped("state")
        self.assertEqual(states, ["installed"] * 3)
        self.assertIn("dunning", self.Kpi._revcycle_kpi_sources())

    def test_recovery_rate(self):
        kpis = self._kpis()
        self.assertKpi(kpis, "dunning_recovery_rate", 70.0, False)
        only_ar = self.Kpi._revcycle_compute_kpis(date(2024, 1, 1), date(2024, 3, 31), self.company, {"receivables"})
        self.assertNotIn("dunning_recovery_rate", only_ar["kpis"])

    def test_card_and_drilldown(self):
        data = self.Kpi.get_dashboard_data(DATE_FROM, DATE_TO, self.company.ids)
        card = next(card for card in data["cards"] if card["key"] == "dunning_recovery_rate")
        self.assertEqual((card["label"], card["unit"], card["higher_is_better"]), ("Dunning Recovery", "percent", True))
        notices = self.env["revcycle.dunning.notice"].sudo().search(card["action"]["domain"])
        self.assertEqual(notices.line_ids.invoice_id, self.invoices["I1"] | self.invoices["I2"])
