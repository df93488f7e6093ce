"""The dunning recovery rate, now registered by this bridge, on the ledger scene of revcycle_analytics plus two
dunning notices; and a foreign-currency invoice, whose recovery is counted in company currency on both sides."""

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
        cls.level = level
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

    def _notice(self, invoice, notice_date, open_amount):
        return (
            self.env["revcycle.dunning.notice"]
            .sudo()
            .create(
                {
                    "partner_id": invoice.partner_id.id,
                    "company_id": self.company.id,
                    "level_id": self.level.id,
                    "channel": "email",
                    "date": notice_date,
                    "state": "sent",
                    "amount_overdue": open_amount,
                    "line_ids": [
                        Command.create(
                            {"invoice_id": invoice.id, "level_id": self.level.id, "amount_residual": open_amount}
                        )
                    ],
                }
            )
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
        # the figure comes back from the drill-down: each invoice dunned once at its largest open amount (3,000 and
        # 2,000), recovered what was paid since (3,000 and 500): 3,500 / 5,000 = 70 %
        dunned = recovered = 0.0
        for invoice in notices.line_ids.invoice_id:
            lines = notices.line_ids.filtered(lambda line, i=invoice: line.invoice_id == i)
            amount = max(lines.mapped("amount_residual"))
            dunned += amount
            recovered += max(0.0, min(amount, amount - invoice.amount_residual_signed))
        self.assertEqual((dunned, recovered), (5000.0, 3500.0))
        self.assertAlmostEqual(recovered / dunned * 100, data["kpis"]["dunning_recovery_rate"]["value"])

    def test_foreign_currency_invoice_counts_in_company_currency(self):
        """A EUR invoice of 2,000 (1,000 in the company's USD at 2 EUR per USD) dunned in June at its 1,000 USD open
        amount, then half paid (1,000 EUR = 500 USD): half of it recovered, not nothing."""
        eur = self.setup_other_currency("EUR")
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "currency_id": eur.id,
                "invoice_date": "2024-05-10",
                "invoice_date_due": "2024-05-31",
                "invoice_payment_term_id": False,
                "invoice_line_ids": [
                    Command.create({"name": "Service", "quantity": 1, "price_unit": 2000, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        self.assertAlmostEqual(invoice.amount_total_signed, 1000.0)
        self._notice(invoice, "2024-06-05", 1000)
        self._pay(invoice, 1000, "2024-06-20")
        kpis = self.Kpi.get_kpis("2024-06-01", "2024-06-30", self.company.ids)
        self.assertKpi(kpis, "dunning_recovery_rate", 50.0, False)

    def test_recovery_rate_across_companies_in_two_currencies(self):
        """A EUR company (1 EUR = 2 USD from 2024-01-01) dunned a 1,000 EUR invoice on 2024-03-10, 500 EUR paid
        since: 2,000 USD dunned, 1,000 USD recovered. With the scene's 5,000 dunned and 3,500 recovered:
        (3,500 + 1,000) / (5,000 + 2,000) = 64.3 % (adding the currencies as they were gave 4,000 / 6,000)."""
        eur = self.setup_other_currency("EUR", rates=[("2024-01-01", 0.5)])
        other = self.setup_other_company(name="EUR dunning company", currency_id=eur.id)["company"]
        invoice = self._invoice(self.customer, "2024-02-01", "2024-03-02", 1000, company=other)
        self._pay(invoice, 500, "2024-03-20")
        policy = self.env["revcycle.dunning.policy"].sudo().create({"name": "EUR policy", "company_id": other.id})
        level = (
            self.env["revcycle.dunning.level"]
            .sudo()
            .create({"policy_id": policy.id, "name": "Reminder", "days": 1, "channel": "email"})
        )
        self.env["revcycle.dunning.notice"].sudo().create(
            {
                "partner_id": self.customer.id,
                "company_id": other.id,
                "level_id": level.id,
                "channel": "email",
                "date": "2024-03-10",
                "state": "sent",
                "amount_overdue": 1000,
                "line_ids": [Command.create({"invoice_id": invoice.id, "level_id": level.id, "amount_residual": 1000})],
            }
        )
        kpis = self._kpis((self.company | other).ids)
        self.assertKpi(kpis, "dunning_recovery_rate", 4500 / 7000 * 100, False)
