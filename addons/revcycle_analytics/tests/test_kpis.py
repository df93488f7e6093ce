"""revcycle.kpi.get_kpis: the ledger KPIs of revcycle_analytics on the scene of common.py, against values worked out
by hand there. The bridges' KPIs are tested in the bridges."""

import io
import zipfile
from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..controllers.main import RevcycleAnalyticsController
from .common import DATE_FROM, DATE_TO, LEDGER_KEYS, RevcycleKpiCommon


@tagged("post_install", "-at_install", "revcycle")
class TestRevcycleKpis(RevcycleKpiCommon):
    # -- tests -----------------------------------------------------------------------------------------------------
    def test_receivable_kpis_against_hand_computed_values(self):
        kpis = self._kpis()
        self.assertEqual(
            (kpis["date_from"], kpis["date_to"], kpis["previous_date_from"], kpis["previous_date_to"]),
            ("2024-01-01", "2024-03-31", "2023-10-01", "2023-12-31"),
        )
        self.assertKpi(kpis, "ar_total", 2500, 1000)
        self.assertKpi(kpis, "credit_sales", 6000, 1000)
        self.assertKpi(kpis, "dso_simple", 2500 / 6000 * 91, 1000 / 1000 * 92)
        self.assertKpi(kpis, "best_possible_dso", 1000 / 6000 * 91, 1000 / 1000 * 92)
        self.assertKpi(kpis, "add", 1500 / 6000 * 91, 0)
        # countback: March (31 days) absorbs 1,000 of I3; February's 2,000 covers the last 1,500: 1,500 / 2,000 x 29
        self.assertKpi(kpis, "dso_countback", 31 + 1500 / 2000 * 29, 31)
        # CEI: (1,000 + 6,000/3 - 2,500) / (1,000 + 6,000/3 - 1,000) = 500 / 2,000
        self.assertKpi(kpis, "cei", 25.0, 100.0)
        aging = kpis["kpis"]["ar_aging"]
        self.assertEqual(
            [b["bucket"] for b in aging["value"]], ["Not due", "1-30", "31-60", "61-90", "Over 90", "Unapplied"]
        )
        self.assertEqual([b["amount"] for b in aging["value"]], [1000.0, 1500.0, 0.0, 0.0, 0.0, 0.0])
        # as of 2023-12-31, I0 was still open though it is reconciled today
        self.assertEqual([b["amount"] for b in aging["previous"]], [1000.0, 0.0, 0.0, 0.0, 0.0, 0.0])

    def test_sales_kpis(self):
        kpis = self._kpis()
        self.assertKpi(kpis, "win_rate", 200 / 3, False)
        self.assertKpi(kpis, "quote_to_close_days", 8.0, False)
        self.assertKpi(kpis, "average_deal_size", 2000.0, False)

    def test_kpi_of_a_missing_source_is_absent_not_zero(self):
        start, end = date(2024, 1, 1), date(2024, 3, 31)
        only_ar = self.Kpi._revcycle_compute_kpis(start, end, self.company, {"receivables"})
        self.assertEqual(only_ar["sources"], ["receivables"])
        self.assertIn("dso_simple", only_ar["kpis"])
        for key in ("win_rate", "quote_to_close_days", "average_deal_size"):
            self.assertNotIn(key, only_ar["kpis"])
        # revcycle_analytics alone: the ledger's sources and KPIs, whatever bridges this database has
        alone = self.Kpi._revcycle_compute_kpis(start, end, self.company, {"receivables", "sales"})
        self.assertEqual(set(alone["kpis"]), LEDGER_KEYS)

    def test_multi_company_filtering_and_negative_ar_after_overpayment(self):
        other = self.setup_other_company()["company"]
        invoice = self._invoice(self.customer, "2024-02-01", "2024-03-01", 700, company=other)
        self._pay(invoice, 1000, "2024-02-10")  # 300 overpaid: the customer's AR goes negative
        alone = self._kpis(other.ids)
        self.assertKpi(alone, "ar_total", -300, 0)
        self.assertKpi(alone, "dso_simple", -300 / 700 * 91, False)
        both = self._kpis((self.company | other).ids)
        self.assertKpi(both, "ar_total", 2200, 1000)
        self.assertEqual(sorted(both["company_ids"]), sorted((self.company | other).ids))
        self.assertKpi(self._kpis(), "ar_total", 2500, 1000)

    def test_access_needs_accounting_and_analytics_rights(self):
        salesman = new_test_user(
            self.env,
            "rc_kpi_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with self.assertRaisesRegex(AccessError, "may not see the revenue-cycle KPIs"):
            self._kpis(user=salesman)
        analyst = new_test_user(
            self.env,
            "rc_kpi_analyst",
            groups="revcycle_analytics.group_revcycle_analytics_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertKpi(self._kpis(user=analyst), "ar_total", 2500, 1000)
        # a company the analyst does not belong to is refused, not silently read
        with self.assertRaisesRegex(UserError, "Unknown company"):
            self._kpis(self.env.ref("base.main_company").ids, user=analyst)

    def test_bad_input_is_refused(self):
        with self.assertRaisesRegex(UserError, "before it starts"):
            self.Kpi.get_kpis("2024-03-31", "2024-01-01")
        with self.assertRaisesRegex(UserError, "is not a date"):
            self.Kpi.get_kpis("2024-13-45", "2024-03-31")
        with self.assertRaisesRegex(UserError, "Unknown company 999999"):
            self.Kpi.get_kpis(DATE_FROM, DATE_TO, [999999])

    def test_dashboard_data_in_one_call(self):
        data = self.Kpi.get_dashboard_data(DATE_FROM, DATE_TO, self.company.ids)
        self.assertEqual(len(data["dso_trend"]), 12)
        self.assertEqual(data["dso_trend"][-1]["month"], "2024-03-01")
        # March alone: AR 2,500 / sales 1,000 x 31 days
        self.assertAlmostEqual(data["dso_trend"][-1]["dso"], 77.5, places=1)
        cards = {card["key"]: card for card in data["cards"]}
        declared = {d.key for d in self.Kpi._revcycle_kpi_registry() if d.card}
        self.assertEqual(set(cards), set(data["kpis"]) & declared)
        self.assertNotIn("ar_aging", cards)  # a structured KPI: a chart, not a card
        action = cards["win_rate"]["action"]
        self.assertEqual(action["res_model"], "sale.order")
        self.assertEqual(self.env["sale.order"].search_count(action["domain"]), 3)
        self.assertEqual(self.env["account.move"].search_count(cards["credit_sales"]["action"]["domain"]), 3)

    def test_ar_drilldown_lists_what_was_open_on_the_period_end(self):
        """The AR card is computed as of the period end; its drill-down lists the items open on that same date
        (I2 part-paid, I3 paid only in April), not what is open today (I2 alone), and their open amounts on that
        date add up to the card's figure."""
        data = self.Kpi.get_dashboard_data(DATE_FROM, DATE_TO, self.company.ids)
        ar_total = data["kpis"]["ar_total"]["value"]
        for key in ("ar_total", "dso_simple", "cei"):
            card = next(card for card in data["cards"] if card["key"] == key)
            items = self.env["account.move.line"].search(card["action"]["domain"])
            self.assertEqual(items.move_id, self.invoices["I2"] | self.invoices["I3"], key)
        as_of = date(2024, 3, 31)
        open_then = sum(
            item.amount_residual
            + sum(p.amount for p in item.matched_credit_ids if p.max_date > as_of)
            - sum(p.amount for p in item.matched_debit_ids if p.max_date > as_of)
            for item in items
        )
        self.assertAlmostEqual(open_then, ar_total)
        self.assertAlmostEqual(ar_total, 2500.0)
        # as of the previous period's end, only I0 was open (it is reconciled today)
        previous = self.Kpi._revcycle_drilldown("ar_total", (date(2023, 10, 1), date(2023, 12, 31)), self.company)
        self.assertEqual(self.env["account.move.line"].search(previous["domain"]).move_id, self.invoices["I0"])

    def test_xlsx_export_workbook(self):
        content = RevcycleAnalyticsController()._revcycle_workbook(self.env, self._kpis())
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            strings = workbook.read("xl/sharedStrings.xml").decode()
        for label in ("DSO (countback)", "Win Rate", "AR aging", "Not due", "2024-01-01"):
            self.assertIn(label, strings)

    def test_report_models_for_pivot_and_graph(self):
        aging = self.env["revcycle.ar.aging.report"].search([("company_id", "=", self.company.id)])
        self.assertEqual(aging.move_id, self.invoices["I2"])  # the only item open today
        self.assertAlmostEqual(aging.amount_residual, 1500.0)
        self.assertEqual(aging.bucket_id, self.env.ref("revcycle_analytics.revcycle_aging_bucket_over_90"))
