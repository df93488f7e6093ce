"""get_cash_forecast and get_cash_backtest on a hand-built ledger (docs/domain.md, Cash forecast), today frozen on
2024-06-30; figures worked out by hand in the comments.

History of the customer P: three invoices of 1,000, each paid exactly 10 days after its due date:
    H1 2024-01-01 due 01-31 paid 02-10, H2 02-01 due 03-02 paid 03-12, H3 03-01 due 03-31 paid 04-10.

Forecast as of Friday 2024-05-31 (weeks 06-01..06-07, 06-08..06-14, 06-15..06-21, 06-22..06-28, ...):
    O1 2024-05-01 due 05-31, 2,000, 500 paid on 05-20 (before the date, 11 days before its due date): 1,500 open.
       P's history as of 05-31: 3 x 1,000 paid 10 days late, 500 paid 11 days early: by amount 6/7 at +10 and
       1/7 at -11 (the company's is the same: P is its only payer, so shrinkage changes nothing).
       O1 is due on the as-of date: given unpaid by then its delay is > 0: +10, 06-10 (week 2)
    O2 2024-05-15 due 06-14, 1,000, paid on 06-20 (after the date: unknown then): 1/7 on 06-03 (week 1),
       6/7 on 06-24 (week 4): 142.86 and 857.14
    R1 a credit note of 200 dated 05-25, unapplied: taken off P's oldest debit, O1: 1,300 in week 2
    O3 2024-06-05 (after the date): does not exist as of 05-31
"""

import gc
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from ..models import revcycle_cash_forecast as forecast_model
from .common import RevcycleForecastCommon

TODAY = "2024-06-30"
AS_OF = "2024-05-31"


@tagged("post_install", "-at_install", "revcycle")
class TestCashForecast(RevcycleForecastCommon):
    TODAY = TODAY

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_p = cls.env["res.partner"].create({"name": "Forecast P", "is_company": True})
        for day, due, paid in (("2024-01-01", "2024-01-31", "2024-02-10"), ("2024-02-01", "2024-03-02", "2024-03-12"),
                               ("2024-03-01", "2024-03-31", "2024-04-10")):
            cls._pay(cls._invoice(cls.partner_p, day, due, 1000), 1000, paid)
        cls.o1 = cls._invoice(cls.partner_p, "2024-05-01", "2024-05-31", 2000)
        cls._pay(cls.o1, 500, "2024-05-20")
        cls.o2 = cls._invoice(cls.partner_p, "2024-05-15", "2024-06-14", 1000)
        cls._pay(cls.o2, 1000, "2024-06-20")
        cls.r1 = cls.env["account.move"].create({
            "move_type": "out_refund", "partner_id": cls.partner_p.id, "invoice_date": "2024-05-25",
            "invoice_line_ids": [Command.create({"name": "Credit", "quantity": 1, "price_unit": 200,
                                                 "tax_ids": []})]})
        cls.r1.action_post()
        cls.o3 = cls._invoice(cls.partner_p, "2024-06-05", "2024-07-05", 3000)

    def _forecast(self, day=AS_OF, weeks=6, **kwargs):
        return super()._forecast(day, weeks, **kwargs)

    def assertWeeks(self, result, expected):
        self.assertEqual([week["expected"] for week in result["weeks"]], expected)

    def test_as_of_a_past_date_reads_only_what_was_known(self):
        result = self._forecast()
        # O1 1,500 - the 200 credit = 1,300 on 06-10 (week 2); O2 1/7 in week 1, 6/7 in week 4; O3 absent;
        # the 06-20 payment of O2 (6 days late) is not in the history (else O2's weeks would differ)
        self.assertWeeks(result, [142.86, 1300.0, 0.0, 857.14, 0.0, 0.0])
        self.assertEqual(result["beyond_horizon"], 0.0)
        self.assertEqual(result["weeks"][1]["date_from"], "2024-06-08")
        self.assertEqual(result["weeks"][1]["low"], 1300.0)  # certain: no band
        # week 4: 1,000 x B(6/7): sigma = 1000 x sqrt(6) / 7 = 349.927; 857.143 -/+ 1.2816 x 349.927 (448.467)
        self.assertEqual((result["weeks"][3]["low"], result["weeks"][3]["high"]), (408.68, 1305.61))
        week2 = result["weeks"][1]["items"]
        self.assertEqual([(item["res_id"], item["move_id"], item["amount"]) for item in week2],
                         [(self.o1.line_ids.filtered(lambda line: line.account_id.account_type
                                                     == "asset_receivable").id, self.o1.id, 1300.0)])
        # nothing was open half a year before to learn from: the score is P's late share, 6/7 paid beyond the
        # 5-day grace
        self.assertEqual(week2[0]["late_probability"], 0.8571)
        self.assertFalse(result["model"]["fitted"])
        self.assertEqual(week2[0]["reasons"][0]["key"], "past_lateness")
        # the due-date forecast puts O1 (due 05-31, overdue) in week 1 and O2 (06-14) in week 2
        self.assertEqual([week["due_date_forecast"] for week in result["weeks"]][:4], [1300.0, 1000.0, 0.0, 0.0])

    def test_today_sees_the_payments_and_the_new_invoice(self):
        # as of today: O1 still open 1,300 (due 05-31, 30 days overdue: no payment ever came later than 10 days,
        # so it is beyond the horizon), O2 paid, O3 3,000 due 07-05 + 10 = 07-15 (week 3: 07-15..07-21).
        # The history now also holds O2's payment 6 days late (1,000) and O1's 500 paid 11 days before its due
        # date: the delays are no longer all 10.
        result = self._forecast(TODAY)
        self.assertEqual(result["date"], TODAY)
        self.assertAlmostEqual(sum(week["expected"] for week in result["weeks"]) + result["beyond_horizon"], 4300.0)
        self.assertEqual(result["open_items"], 2)
        # O1 is 30 days past its due date, beyond the 5-day grace: late for certain, and it says why
        with freeze_time(TODAY):
            run = self.Kpi._revcycle_forecast_run(date(2024, 6, 30), 4, self.company)
        row = next(row for row in run["open"] if row["move_id"] == self.o1.id)
        self.assertEqual(self.Kpi._revcycle_late_score(row, run), (1.0, [("overdue", 30.0)]))

    def test_learned_part_is_cached_until_the_ledger_changes(self):
        """The delays and the late model learned as of a date are reused while the ledger's fingerprint stays the
        same, and learned again when a reconciliation is made or undone or an entry is created. (A test writes in
        its transaction, which never uses the cache: the check is patched to let this one.)"""
        as_of = date(2024, 5, 31)
        forecast_model._LEARNED_CACHE.clear()
        with patch.object(type(self.Kpi), "_revcycle_forecast_cache_usable", lambda _self, _transaction: True):
            first = self._forecast_run(as_of)
            second = self._forecast_run(as_of)
            self.assertEqual((first["learned_from_cache"], second["learned_from_cache"]), (False, True))
            self.assertIs(second["model"], first["model"])
            self.assertIs(second["distribution"], first["distribution"])
            self.assertEqual(self._forecast(), self._forecast())  # the same answer from the cache
            self._as_if_a_new_transaction()
            self._pay(self.o3, 100, "2024-05-30")  # a reconciliation known on 05-31: its history changes
            paid = self._forecast_run(as_of)
            self.assertFalse(paid["learned_from_cache"])
            self.assertTrue(self._forecast_run(as_of)["learned_from_cache"])
            self._as_if_a_new_transaction()
            (self.o3.line_ids.matched_credit_ids | self.o3.line_ids.matched_debit_ids).unlink()  # undone
            self.assertFalse(self._forecast_run(as_of)["learned_from_cache"])
            self._as_if_a_new_transaction()
            self._invoice(self.partner_p, "2024-05-02", "2024-06-01", 10)  # a new entry
            self.assertFalse(self._forecast_run(as_of)["learned_from_cache"])
        # without the patch, a transaction that wrote (this one) neither reads nor fills the cache
        forecast_model._LEARNED_CACHE.clear()
        self.assertFalse(self._forecast_run(as_of)["learned_from_cache"])
        self.assertFalse(forecast_model._LEARNED_CACHE)

    def test_partial_payment_and_credit_note_in_foreign_currency(self):
        # 1 USD = 0.5 EUR until 04-30, 0.4 from 05-01: a EUR 1,000 invoice of 05-10 is USD 2,500; EUR 400 paid
        # on 05-20 leaves EUR 600 = USD 1,500 open (the ledger's company-currency residual), due 05-30: 06-09
        eur = self.setup_other_currency("EUR", rates=[("2024-01-01", 0.5), ("2024-05-01", 0.4)])
        other = self.env["res.partner"].create({"name": "Forecast EUR"})
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": other.id, "invoice_date": "2024-05-10",
            "invoice_date_due": "2024-05-30", "currency_id": eur.id,
            "invoice_line_ids": [Command.create({"name": "S", "quantity": 1, "price_unit": 1000, "tax_ids": []})]})
        invoice.action_post()
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {"amount": 400, "currency_id": eur.id, "payment_date": "2024-05-20"})._create_payments()
        result = self._forecast()
        # the new customer has no history: the company's. Due 05-30, unpaid on 05-31: delay > 1 day: the 10 days,
        # 06-09, week 2. The EUR 400 (USD 1,000) paid 10 days early is history now: the company holds 3,000 at +10,
        # 500 at -11, 1,000 at -10 (5 payments); P (4 payments: 6/7 at +10, 1/7 at -11) is pooled 4/9 own,
        # 5/9 company: +10 4/9 x 6/7 + 5/9 x 2/3 = 426/567; early 141/567: O2 248.68 in week 1, 751.32 in week 4
        self.assertWeeks(result, [248.68, 2800.0, 0.0, 751.32, 0.0, 0.0])

    def test_companies_in_two_currencies(self):
        # an EUR company's open EUR 1,000 is USD 2,500 at the as-of date's rate (0.4): due 06-01 + 10 = 06-11
        eur = self.setup_other_currency("EUR", rates=[("2024-01-01", 0.5), ("2024-05-01", 0.4)])
        other = self.setup_other_company(name="EUR company", currency_id=eur.id)["company"]
        self._invoice(self.partner_p, "2024-05-02", "2024-06-01", 1000, company=other)
        result = self._forecast(company_ids=(self.company | other).ids)
        self.assertEqual(result["currency"], self.company.currency_id.name)
        self.assertWeeks(result, [142.86, 3800.0, 0.0, 857.14, 0.0, 0.0])
        # the EUR company alone has no payment history: forecast on the due date (06-01, week 1), in EUR
        alone = self._forecast(company_ids=other.ids)
        self.assertEqual(alone["currency"], "EUR")
        self.assertWeeks(alone, [1000.0, 0.0, 0.0, 0.0, 0.0, 0.0])

    def test_scenario_customers_pay_a_week_later(self):
        result = self._forecast(scenario={"delay_days": 7})
        # a week later: O1 06-10 -> 06-17 (week 3); O2 06-03 -> 06-10 (week 2), 06-24 -> 07-01 (week 5)
        scenario = result["scenario"]
        self.assertEqual([week["expected"] for week in scenario["weeks"]], [0.0, 142.86, 1300.0, 0.0, 857.14, 0.0])
        self.assertEqual([week["difference"] for week in scenario["weeks"]],
                         [-142.86, -1157.14, 1300.0, -857.14, 857.14, 0.0])
        self.assertWeeks(result, [142.86, 1300.0, 0.0, 857.14, 0.0, 0.0])  # the forecast itself is unchanged

    def test_bad_input_is_refused_and_access_is_checked(self):
        for args, message in [
            (("2024-13-01",), "is not a date"),
            (("2024-07-01",), "after today"),
            ((AS_OF, 0), "weeks is a whole number"),
            ((AS_OF, "13"), "weeks is a whole number"),
            ((AS_OF, 13, None, {"delay": 3}), "scenario is a dict"),
            ((AS_OF, 13, None, {"delay_days": "3"}), "scenario delay_days"),
            ((AS_OF, 13, None, [1]), "scenario is a dict"),
        ]:
            with freeze_time(TODAY), self.assertRaisesRegex(ValidationError, message, msg=args):
                self.Kpi.get_cash_forecast(*args)
        with freeze_time(TODAY), self.assertRaisesRegex(UserError, "Unknown company 999999"):
            self.Kpi.get_cash_forecast(AS_OF, 13, [999999])
        salesman = new_test_user(self.env, "rc_fc_salesman", groups="sales_team.group_sale_salesman",
                                 company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        with freeze_time(TODAY), self.assertRaisesRegex(AccessError, "may not see the revenue-cycle KPIs"):
            self.Kpi.with_user(salesman).get_cash_forecast(AS_OF)

    def test_cyclic_collector_off_during_a_forecast_only(self):
        """The forecast computes its answer with Python's cyclic garbage collector off (its full collections cost
        about 0.4 s at 500k lines, for no garbage) and switches it on again after, also when it fails; a nested or
        concurrent forecast leaves it off until the last one ends; a collector someone else switched off stays
        off."""
        seen = []
        answer = forecast_model.RevcycleKpi._revcycle_forecast_answer

        def recording_answer(kpi, run, scenario):
            seen.append(gc.isenabled())
            return answer(kpi, run, scenario)

        self.assertTrue(gc.isenabled())
        with patch.object(forecast_model.RevcycleKpi, "_revcycle_forecast_answer", recording_answer):
            self._forecast()
        self.assertEqual(seen, [False])
        self.assertTrue(gc.isenabled())
        failing_run = patch.object(forecast_model.RevcycleKpi, "_revcycle_forecast_run", side_effect=MemoryError)
        with freeze_time(TODAY), failing_run, self.assertRaises(MemoryError):
            self.Kpi.get_cash_forecast(AS_OF)
        self.assertTrue(gc.isenabled(), "on again after a forecast that failed")
        with self.assertRaises(ZeroDivisionError), forecast_model.cyclic_collector_suspended():
            with forecast_model.cyclic_collector_suspended():
                self.assertFalse(gc.isenabled())
            self.assertFalse(gc.isenabled(), "the outer forecast is still running")
            _fail = 1 / 0
        self.assertTrue(gc.isenabled(), "on again after a failure")
        gc.disable()
        try:
            with forecast_model.cyclic_collector_suspended():
                self.assertFalse(gc.isenabled())
            self.assertFalse(gc.isenabled(), "switched off by someone else: left off")
        finally:
            gc.enable()
        # overlapping forecasts never keep it off longer than COLLECTOR_MAX_OFF_SECONDS (here: any time is too long)
        with patch.object(forecast_model, "COLLECTOR_MAX_OFF_SECONDS", -1):
            with forecast_model.cyclic_collector_suspended():
                with forecast_model.cyclic_collector_suspended():
                    self.assertFalse(gc.isenabled())
                self.assertTrue(gc.isenabled(), "off too long: on again while the outer forecast runs")
            self.assertTrue(gc.isenabled())

    def test_backtest_compares_with_receipts_and_the_due_date_forecast(self):
        with freeze_time(TODAY):
            result = self.Kpi.get_cash_backtest(TODAY, 4, 2, self.company.ids)
        # origins: 06-30 - 4 weeks = 06-02 and 28 days before, 05-05.
        # As of 05-05 (weeks from 05-06, 05-13, 05-20, 05-27): only O1 exists, 2,000 open (its 500 came on 05-20),
        #   learned: 05-31 + 10 = 06-10, beyond 4 weeks: [0, 0, 0, 0]; due date 05-31: week 4 [0, 0, 0, 2000];
        #   received: 500 on 05-20, week 3 [0, 0, 500, 0].
        # As of 06-02 (weeks from 06-03, 06-10, 06-17, 06-24): O1 1,300 (after the credit note) and O2 1,000,
        #   learned: O1 06-10 week 2, O2 1/7 on 06-03 (week 1) and 6/7 on 06-24 (week 4):
        #   [142.86, 1300, 0, 857.14]; due date: O1 overdue week 1, O2 06-14 week 2: [1300, 1000, 0, 0];
        #   received: O2 on 06-20, week 3 [0, 0, 1000, 0].
        # WAPE learned: (500 + 142.86 + 1300 + 1000 + 857.14) / 1500 = 253.3 %;
        # due date: (500 + 2000 + 1300 + 1000 + 1000) / 1500 = 386.7 %; improvement 1 - 253.33 / 386.67 = 34.5 %
        self.assertEqual(result["origins"], ["2024-05-05", "2024-06-02"])
        self.assertEqual([week["actual"] for week in result["weeks"]], [0.0, 0.0, 1500.0, 0.0])
        self.assertEqual(result["wape"], 253.3)
        self.assertEqual(result["wape_due_date"], 386.7)
        self.assertEqual(result["improvement"], 34.5)
        # week 3 alone: learned |1500 - 0| / 1500 = 100 %, due date the same
        self.assertEqual(result["weeks"][2]["wape"], 100.0)

    def test_never_reads_the_future(self):
        """Whatever is added after the as-of date (payments, invoices, credit notes), the forecast as of that date
        is the same."""
        before = self._forecast()
        late_refund = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": self.partner_p.id, "invoice_date": "2024-06-03",
            "invoice_line_ids": [Command.create({"name": "C", "quantity": 1, "price_unit": 300, "tax_ids": []})]})
        late_refund.action_post()
        self._pay(self.o1, 1300, "2024-06-25")
        self._pay(self._invoice(self.partner_p, "2024-06-01", "2024-06-01", 500), 500, "2024-06-02")
        after = self._forecast()
        for key in ("weeks", "beyond_horizon", "open_items", "total_expected"):
            self.assertEqual(before[key], after[key], key)
        self.assertEqual(date.fromisoformat(after["date"]), date(2024, 5, 31))
