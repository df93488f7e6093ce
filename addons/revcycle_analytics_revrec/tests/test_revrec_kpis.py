"""The deferred revenue balance, now registered by this bridge, on the ledger scene of revcycle_analytics: 900 billed
but not yet earned on 1 February 2024 on the account revcycle_revrec defers revenue to."""

from datetime import date

from odoo import Command
from odoo.addons.revcycle_analytics.tests.common import DATE_FROM, DATE_TO, RevcycleKpiCommon
from odoo.modules.module import get_manifest
from odoo.tests import tagged


@tagged("post_install", "-at_install", "revcycle")
class TestRevcycleRevrecKpis(RevcycleKpiCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # only the deferred account: revenue recognition itself stays off for this company
        cls.company.revcycle_deferred_revenue_account_id = cls.deferred_account

    def test_bridge_is_auto_installed_with_its_two_addons(self):
        manifest = get_manifest("revcycle_analytics_revrec")
        self.assertTrue(manifest["auto_install"])
        self.assertEqual(set(manifest["depends"]), {"revcycle_analytics", "revcycle_revrec"})
        states = self.env["ir.module.module"].search(
            [("name", "in", ("revcycle_analytics", "revcycle_revrec", "revcycle_analytics_revrec"))]
        ).mapped("state")
        self.assertEqual(states, ["installed"] * 3)
        self.assertIn("revrec", self.Kpi._revcycle_kpi_sources())

    def test_deferred_revenue(self):
        kpis = self._kpis()
        self.assertKpi(kpis, "deferred_revenue", 900.0, 0.0)
        only_ar = self.Kpi._revcycle_compute_kpis(date(2024, 1, 1), date(2024, 3, 31), self.company, {"receivables"})
        self.assertNotIn("deferred_revenue", only_ar["kpis"])

    def test_unknown_without_the_account(self):
        self.company.revcycle_deferred_revenue_account_id = False
        self.assertKpi(self._kpis(), "deferred_revenue", False, False)

    def test_card_and_drilldown_as_of_the_period_end(self):
        data = self.Kpi.get_dashboard_data(DATE_FROM, DATE_TO, self.company.ids)
        card = next(card for card in data["cards"] if card["key"] == "deferred_revenue")
        self.assertEqual((card["label"], card["unit"]), ("Deferred Revenue", "money"))
        items = self.env["account.move.line"].search(card["action"]["domain"])
        self.assertAlmostEqual(-sum(items.mapped("balance")), data["kpis"]["deferred_revenue"]["value"])
        self.assertAlmostEqual(-sum(items.mapped("balance")), 900.0)
        january = self.Kpi._revcycle_drilldown("deferred_revenue", (date(2024, 1, 1), date(2024, 1, 31)), self.company)
        self.assertFalse(self.env["account.move.line"].search(january["domain"]))  # booked on 1 February

    def test_deferred_revenue_across_companies_in_two_currencies(self):
        """A EUR company (1 EUR = 2 USD from 2024-01-01, 1 EUR = 2.5 USD from 2024-03-01) deferred 400 EUR on
        2024-02-15: 800 USD at the rate of that day (not 1,000 at today's). With the scene's 900: 1,700 USD (adding
        the currencies as they were gave 1,300)."""
        eur = self.setup_other_currency("EUR", rates=[("2024-01-01", 0.5), ("2024-03-01", 0.4)])
        other_data = self.setup_other_company(name="EUR revrec company", currency_id=eur.id)
        other = other_data["company"]
        Account = self.env["account.account"].with_company(other)
        deferred = Account.create({"code": "KPIDEFE", "name": "Deferred revenue", "account_type": "liability_current"})
        other.revcycle_deferred_revenue_account_id = deferred
        entry = self.env["account.move"].with_company(other).create(
            {
                "move_type": "entry",
                "date": "2024-02-15",
                "journal_id": other_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {"account_id": other_data["default_account_receivable"].id, "debit": 400, "name": "KPI"}
                    ),
                    Command.create({"account_id": deferred.id, "credit": 400, "name": "KPI"}),
                ],
            }
        )
        entry.action_post()
        kpis = self._kpis((self.company | other).ids)
        self.assertKpi(kpis, "deferred_revenue", 900.0 + 800.0, 0.0)
