"""The contract KPIs, now registered by this bridge, on the ledger scene of revcycle_analytics plus contracts:
MRR and its movements, churn, retention, ARPA, CLTV, their cards and drill-down, their export rows and the MRR
movements report."""

import io
import zipfile
from datetime import date

from odoo import Command
from odoo.addons.revcycle_analytics.controllers.main import RevcycleAnalyticsController
from odoo.addons.revcycle_analytics.tests.common import DATE_FROM, DATE_TO, RevcycleKpiCommon
from odoo.addons.revcycle_analytics_cpq.hooks import move_report_xmlids
from odoo.modules.module import get_manifest
from odoo.tests import tagged

CONTRACT_KEYS = {"mrr", "arr", "mrr_movements", "customer_churn_rate", "grr", "nrr", "arpa", "cltv", "renewal_rate"}


@tagged("post_install", "-at_install", "revcycle")
class TestRevcycleContractKpis(RevcycleKpiCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._contracts()

    @classmethod
    def _contracts(cls):
        """MRR at 2023-12-31: A 100, B 100 (yearly 1,200), C 200 (quarterly 600) = 400.
        At 2024-03-31: A 150 (expansion 50), B churned (100), C 100 (contraction 100), D 80 (new), E 70 (reactivated).
        """
        product = cls.env["product.product"].create({"name": "Subscription", "type": "service", "list_price": 1})
        partners = {
            name: cls.env["res.partner"].create({"name": f"Subscriber {name}"})
            for name in ("A", "B", "C", "D", "E", "F")
        }
        specs = [
            ("A", "month", 100, "2023-06-01", False, "active"),
            ("A", "month", 50, "2024-02-01", False, "active"),
            ("B", "year", 1200, "2023-01-01", "2024-02-29", "expired"),
            ("C", "quarter", 600, "2023-07-01", "2024-01-31", "terminated"),
            ("C", "quarter", 300, "2024-02-01", False, "active"),
            ("D", "month", 80, "2024-03-01", False, "active"),
            ("E", "month", 60, "2023-01-01", "2023-06-30", "expired"),
            ("E", "month", 70, "2024-01-15", False, "active"),
            ("F", "month", 999, "2023-01-01", False, "suspended"),  # bills nothing: no MRR
            ("F", "month", 999, "2023-01-01", False, "draft"),
        ]
        # the scene is set as the superuser: the sibling addons' own groups are not what is tested here
        cls.env["revcycle.contract"].sudo().create(
            [
                {
                    "partner_id": partners[partner].id,
                    "company_id": cls.company.id,
                    "currency_id": cls.company.currency_id.id,
                    "billing_period": period,
                    "date_start": start,
                    "date_end": end,
                    "state": state,
                    "line_ids": [
                        Command.create({"product_id": product.id, "name": "Subscription", "price_unit": price})
                    ],
                }
                for partner, period, price, start, end, state in specs
            ]
        )

    def test_bridge_is_auto_installed_with_its_two_addons(self):
        manifest = get_manifest("revcycle_analytics_cpq")
        self.assertTrue(manifest["auto_install"])
        self.assertEqual(set(manifest["depends"]), {"revcycle_analytics", "revcycle_cpq"})
        states = self.env["ir.module.module"].search(
            [("name", "in", ("revcycle_analytics", "revcycle_cpq", "revcycle_analytics_cpq"))]
        ).mapped("state")
        self.assertEqual(states, ["installed"] * 3)
        self.assertIn("contracts", self.Kpi._revcycle_kpi_sources())
        self.assertLessEqual(CONTRACT_KEYS, set(self._kpis()["kpis"]))

    def test_mrr_movements_retention_and_cltv(self):
        kpis = self._kpis()
        movements = kpis["kpis"]["mrr_movements"]["value"]
        self.assertEqual(
            {
                key: movements[key]
                for key in ("start", "new", "expansion", "reactivation", "contraction", "churn", "end")
            },
            {
                "start": 400.0,
                "new": 80.0,
                "expansion": 50.0,
                "reactivation": 70.0,
                "contraction": 100.0,
                "churn": 100.0,
                "end": 400.0,
            },
        )
        self.assertEqual((movements["customers_start"], movements["customers_lost"]), (3, 1))
        self.assertKpi(kpis, "mrr", 400, 400)
        self.assertKpi(kpis, "arr", 4800, 4800)
        self.assertKpi(kpis, "customer_churn_rate", 100 / 3, 0)
        self.assertKpi(kpis, "grr", 50.0, 100.0)
        self.assertKpi(kpis, "nrr", 62.5, 100.0)
        self.assertKpi(kpis, "arpa", 100.0, 400 / 3)
        # CLTV = ARPA 100 x margin 0.8 / monthly churn (1/3 over 3 months = 1/9); no churn before: unbounded
        self.assertKpi(kpis, "cltv", 720.0, False)

    def test_renewal_rate(self):
        """Terms ended in the period: B's (29 February, not renewed) and C's first (31 January); none in the previous
        period. Once C's second contract is recorded as renewing the first, one of the two was renewed."""
        self.assertKpi(self._kpis(), "renewal_rate", 0.0, False)
        subscriber_c = self.env["revcycle.contract"].sudo().search(
            [("company_id", "=", self.company.id), ("partner_id.name", "=", "Subscriber C")], order="date_start"
        )
        subscriber_c[1].previous_contract_id = subscriber_c[0]
        self.assertKpi(self._kpis(), "renewal_rate", 50.0, False)
        subscriber_c[1].state = "draft"  # a renewal not signed yet renews nothing
        self.assertKpi(self._kpis(), "renewal_rate", 0.0, False)
        data = self.Kpi.get_dashboard_data(DATE_FROM, DATE_TO, self.company.ids)
        card = next(card for card in data["cards"] if card["key"] == "renewal_rate")
        self.assertEqual((card["label"], card["unit"], card["higher_is_better"]), ("Renewal Rate", "percent", True))
        ended = self.env["revcycle.contract"].sudo().search(card["action"]["domain"])
        self.assertEqual(sorted(ended.partner_id.mapped("name")), ["Subscriber B", "Subscriber C"])

    def test_contract_kpis_need_their_sources(self):
        start, end = date(2024, 1, 1), date(2024, 3, 31)
        only_ar = self.Kpi._revcycle_compute_kpis(start, end, self.company, {"receivables"})
        self.assertFalse(CONTRACT_KEYS & set(only_ar["kpis"]))
        contracts_only = self.Kpi._revcycle_compute_kpis(start, end, self.company, {"contracts", "sales"})
        self.assertIn("mrr", contracts_only["kpis"])
        self.assertNotIn("cltv", contracts_only["kpis"])  # CLTV needs the ledger's gross margin
        self.assertNotIn("ar_total", contracts_only["kpis"])

    def test_cards_drilldown_and_export(self):
        data = self.Kpi.get_dashboard_data(DATE_FROM, DATE_TO, self.company.ids)
        cards = {card["key"]: card for card in data["cards"]}
        self.assertEqual(
            list(cards)[:8], ["mrr", "arr", "nrr", "grr", "customer_churn_rate", "arpa", "cltv", "renewal_rate"]
        )
        self.assertNotIn("mrr_movements", cards)  # the waterfall chart, not a card
        Contract = self.env["revcycle.contract"].sudo()
        # MRR at 2024-03-31: A (two lines), C's second contract, D, E
        billing = Contract.search(cards["mrr"]["action"]["domain"])
        self.assertEqual(len(billing), 5)
        self.assertEqual(sorted(set(billing.partner_id.mapped("name"))), ["Subscriber A", "Subscriber C",
                                                                         "Subscriber D", "Subscriber E"])
        # customers lost in the period: B (its term ended 29 February). C's first contract ended on 31 January but C
        # signed another one: a contraction, not a lost customer, so it is not behind the churn figure (the old
        # drill-down listed every contract that ended, two customers behind a churn of one)
        churned = Contract.search(cards["customer_churn_rate"]["action"]["domain"])
        self.assertEqual(churned.partner_id.mapped("name"), ["Subscriber B"])
        self.assertEqual(data["kpis"]["mrr_movements"]["value"]["customers_lost"], 1)
        ended = Contract.search(cards["renewal_rate"]["action"]["domain"])
        self.assertEqual(sorted(ended.partner_id.mapped("name")), ["Subscriber B", "Subscriber C"])
        content = RevcycleAnalyticsController()._revcycle_workbook(self.env, self._kpis())
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            strings = workbook.read("xl/sharedStrings.xml").decode()
        for label in ("MRR", "MRR movements", "MRR at start", "Reactivation", "MRR at end"):
            self.assertIn(label, strings)

    def test_report_xmlids_of_an_older_analytics_are_handed_over(self):
        """A database where revcycle_analytics defined the MRR movements report: its rows become this bridge's before
        its data loads (pre-init hook), so the bridge updates them instead of creating a second action."""
        view = self.env.ref("revcycle_analytics_cpq.revcycle_mrr_movement_report_view_list")
        legacy = self.env["ir.model.data"].create(
            {"module": "revcycle_analytics", "name": "revcycle_mrr_movement_report_view_legacy",
             "model": "ir.ui.view", "res_id": view.id}
        )
        other = self.env["ir.model.data"].create(
            {"module": "revcycle_analytics", "name": "revcycle_other_legacy", "model": "ir.ui.view", "res_id": view.id}
        )
        self.env.flush_all()
        self.assertEqual(move_report_xmlids(self.env.cr), 1)
        self.env["ir.model.data"].invalidate_model()
        self.assertEqual((legacy.module, other.module), ("revcycle_analytics_cpq", "revcycle_analytics"))
        self.assertEqual(move_report_xmlids(self.env.cr), 0)  # the ids this bridge has are left alone

    def test_mrr_movement_report(self):
        movements = self.env["revcycle.mrr.movement.report"].read_group(
            [("company_id", "=", self.company.id), ("date", ">=", "2024-01-01"), ("date", "<=", "2024-03-01")],
            ["amount:sum"],
            ["movement"],
        )
        self.assertEqual(
            {group["movement"]: group["amount"] for group in movements},
            {"new": 80.0, "expansion": 50.0, "reactivation": 70.0, "contraction": -100.0, "churn": -100.0, "flat": 0.0},
        )
        churned = self.env["revcycle.mrr.movement.report"].search(
            [("company_id", "=", self.company.id), ("movement", "=", "churn")]
        )
        self.assertEqual(churned.partner_id.mapped("name"), ["Subscriber B", "Subscriber E"])  # E in July 2023
        churned = churned.filtered(lambda row: row.date.year == 2024)
        self.assertEqual(churned.date, date(2024, 3, 1))  # B's last day was 29 February
