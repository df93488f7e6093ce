"""The dunning side of the cash forecast: promises and card retries re-time the open items, the card success rate
is read by decline history, and the customers' dunning and card history are features of the late score. A fresh
company without any payment history: every item is otherwise expected on its due date. Today is 2024-06-30 (weeks
07-01..07-07, 07-08..07-14, 07-15..07-21, ...)."""

from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.addons.revcycle_analytics.tests.common import RevcycleForecastCommon
from odoo.tests import tagged

TODAY = "2024-06-30"


@tagged("post_install", "-at_install", "revcycle")
class TestCashForecastDunning(RevcycleForecastCommon):
    TODAY = TODAY

    @classmethod
    def get_default_groups(cls):  # a collector too: plans and promises are theirs to make
        return super().get_default_groups() | cls.env.ref("revcycle_dunning.group_revcycle_dunning_user")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Forecast Dunning", "is_company": True})

    def _attempt(self, invoice, sequence, state, day):
        return self.env["revcycle.payment.attempt"].sudo().create({  # the scene: attempts as the card cron made them
            "invoice_id": invoice.id, "sequence": sequence, "partner_id": invoice.partner_id.id,
            "company_id": self.company.id, "currency_id": invoice.currency_id.id, "amount": invoice.amount_total,
            "date": day, "state": state})

    def test_promise_to_pay_retimes_the_invoice(self):
        """1,000 due 07-10 (week 2) promised for 07-20 (week 3): 0.8 on the promise, 0.2 on the due date."""
        invoice = self._invoice(self.customer, "2024-06-10", "2024-07-10", 1000)
        invoice.revcycle_promise_date = "2024-07-20"
        result = self._forecast()
        self.assertEqual([week["expected"] for week in result["weeks"]], [0.0, 200.0, 800.0, 0.0])
        self.assertEqual(result["weeks"][2]["items"][0]["source"], "promise")
        self.assertEqual(result["weeks"][2]["items"][0]["date"], "2024-07-20")
        # as of a past date the promise (which keeps no history) is not used: the due date alone
        with freeze_time(TODAY):
            past = self.Kpi.get_cash_forecast("2024-06-29", 4, self.company.ids)
        self.assertEqual([week["expected"] for week in past["weeks"]], [0.0, 1000.0, 0.0, 0.0])

    def test_payment_plan_instalments_replace_the_due_date(self):
        """An invoice of 1,000 due 07-10 (alone: 1,000 in week 2) in an accepted plan of three instalments, 333.33
        on 07-05 (day 5: week 1), 333.33 on 08-05 (day 36: week 6) and 333.34 on 09-05 (day 67: week 10). No
        payment history: each instalment is expected on its date, and the invoice's own item is gone: 1,000 in all,
        never 2,000."""
        invoice = self._invoice(self.customer, "2024-06-10", "2024-07-10", 1000)
        with freeze_time(TODAY):
            alone = self._forecast(weeks=13)
            plan = self.env["revcycle.payment.plan"].create({
                "partner_id": self.customer.id, "invoice_ids": [Command.set(invoice.ids)],
                "line_ids": [Command.create({"date": day, "amount": amount}) for day, amount in (
                    ("2024-07-05", 333.33), ("2024-08-05", 333.33), ("2024-09-05", 333.34))]})
            plan.action_propose()
            plan.action_accept()
        self.assertEqual(self._expected(alone), [0.0, 1000.0] + [0.0] * 11)
        result = self._forecast(weeks=13)
        expected = [0.0] * 13
        expected[0], expected[5], expected[9] = 333.33, 333.33, 333.34
        self.assertEqual(self._expected(result), expected)
        self.assertEqual((result["total_expected"], result["beyond_horizon"], result["open_items"]), (1000.0, 0.0, 3))
        self.assertEqual(result["sources"], ["payment_plan"])
        item = result["weeks"][5]["items"][0]
        self.assertEqual((item["model"], item["res_id"], item["source"], item["due"], item["amount"]),
                         ("revcycle.payment.plan", plan.id, "payment_plan", "2024-08-05", 333.33))
        # as of a past date the plan (its state keeps no history) is not used: the invoice on its own due date
        self.assertEqual(self._expected(self._forecast("2024-06-29", weeks=4)), [0.0, 1000.0, 0.0, 0.0])
        # 400 paid on the invoice: the first instalment (333.33) is paid and 66.67 of the second: 266.66 and
        # 333.34 are left, 600 in all, what the invoice still owes. The 400 paid 20 days before the due date is
        # the company's only payment history: every instalment is now expected 20 days before its date, given
        # not paid by today: 08-05 - 20 = 07-16 (day 16: week 3), 09-05 - 20 = 08-16 (day 47: week 7)
        self._pay(invoice, 400, "2024-06-20")
        result = self._forecast(weeks=13)
        expected = [0.0] * 13
        expected[2], expected[6] = 266.66, 333.34
        self.assertEqual(self._expected(result), expected)
        self.assertEqual(result["total_expected"], 600.0)
        # cancelled, the plan no longer counts: the invoice's 600 on its own due date 07-10 - 20 days = 06-20,
        # passed: beyond the horizon (nothing in the history was paid later than that)
        with freeze_time(TODAY):
            plan.action_cancel()
        result = self._forecast(weeks=4)
        self.assertEqual((self._expected(result), result["beyond_horizon"]), ([0.0] * 4, 600.0))

    def test_promise_covers_part_the_rest_stays_on_the_invoices(self):
        """A: 600 due 07-10 (week 2), B: 400 due 07-24 (day 24: week 4). The customer promises 400 on 07-17 (day
        17: week 3) over both: 400 in week 3, taken off the oldest invoice first as a payment would be: A keeps
        200 in week 2, B its 400 in week 4. 1,000 in all."""
        invoice_a = self._invoice(self.customer, "2024-06-10", "2024-07-10", 600)
        invoice_b = self._invoice(self.customer, "2024-06-24", "2024-07-24", 400)
        with freeze_time(TODAY):
            promise = self.env["revcycle.payment.plan"].revcycle_record_promise(
                self.customer.id, "2024-07-17", 400, invoice_ids=(invoice_a | invoice_b).ids)
        result = self._forecast()
        self.assertEqual(self._expected(result), [0.0, 200.0, 400.0, 400.0])
        self.assertEqual(result["sources"], ["promise", "receivable"])
        self.assertEqual(result["weeks"][2]["items"][0]["res_id"], promise["plan_id"])
        self.assertEqual([item["move_id"] for item in result["weeks"][1]["items"]], [invoice_a.id])

    def test_card_retry_at_the_success_rate_after_as_many_failures(self):
        """Tries so far: X failed then succeeded, Y failed twice, B failed once. After no failure 0 of 3 tries
        succeeded; after one failure 1 of 2 (X's second, Y's second): 50 %. B (500, due 06-20, one failure) is
        retried on 07-03: 250 in week 1; the rest would come on its due date, past: beyond the horizon."""
        x = self._invoice(self.customer, "2024-05-01", "2024-05-01", 100)
        y = self._invoice(self.customer, "2024-05-01", "2024-05-01", 100)
        b = self._invoice(self.customer, "2024-06-01", "2024-06-20", 500)
        self._attempt(x, 1, "failed", "2024-05-02 10:00:00")
        self._attempt(x, 2, "succeeded", "2024-05-05 10:00:00")
        self._attempt(y, 1, "failed", "2024-05-02 10:00:00")
        self._attempt(y, 2, "failed", "2024-05-06 10:00:00")
        self._attempt(b, 1, "failed", "2024-06-21 10:00:00")
        self.env.cr.execute(  # the retry plan as the card cron leaves it (its fields are written by the cron only)
            "UPDATE account_move SET revcycle_autocollect_state = 'retrying', "
            "revcycle_autocollect_next = '2024-07-03 09:00:00' WHERE id = %s", [b.id])
        b.invalidate_recordset()
        with freeze_time(TODAY):
            run = self.Kpi._revcycle_forecast_run(date(2024, 6, 30), 4, self.company)
        self.assertEqual(self.Kpi._revcycle_card_success_rates(run), {0: 0.0, 1: 0.5})
        # X and Y are 100 each, due 05-01, still open (no payment recorded): past due, beyond the horizon too
        weeks = self._forecast()["weeks"]
        self.assertEqual([week["expected"] for week in weeks], [250.0, 0.0, 0.0, 0.0])
        self.assertEqual(weeks[0]["items"][0]["source"], "card")
        # the customer's 4 failed tries and, as of today, no promise broken; no notice
        self.assertEqual(run["features"][self.customer.id], {"failed_charges": 4.0})
        # as of 05-04, only the two failures of 05-02 had happened
        with freeze_time(TODAY):
            before = self.Kpi._revcycle_forecast_run(date(2024, 5, 4), 4, self.company)
        self.assertEqual(before["features"][self.customer.id], {"failed_charges": 2.0})
        self.assertEqual(self.Kpi._revcycle_card_success_rates(before), {0: 0.0})

    def test_card_retry_retimes_only_the_instalments_it_charges(self):
        """Issue 18: B is 1,000 in instalments, 300 due 06-20 and 700 due 07-30 (day 30: week 5), its 300 declined
        once and retried on 07-03 (week 1). Tries so far: X failed then succeeded, Y failed twice, B failed once:
        after one failure 1 of 2 tries succeeded, 50 %. The retry charges the 300 alone (the 700 is not due by
        then): 300 x 50 % = 150 in week 1, the other 150 on its passed due date (beyond the horizon); the 700 stays
        on its own date in week 5, not pulled forward to the retry."""
        x = self._invoice(self.customer, "2024-05-01", "2024-05-01", 100)
        y = self._invoice(self.customer, "2024-05-01", "2024-05-01", 100)
        terms = self.env["account.payment.term"].create({"name": "30/70", "line_ids": [
            Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 0}),
            Command.create({"value": "percent", "value_amount": 70.0, "nb_days": 40})]})
        b = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id, "invoice_date": "2024-06-20",
            "invoice_payment_term_id": terms.id,
            "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 1000,
                                                 "tax_ids": []})]})
        b.action_post()
        self._attempt(x, 1, "failed", "2024-05-02 10:00:00")
        self._attempt(x, 2, "succeeded", "2024-05-05 10:00:00")
        self._attempt(y, 1, "failed", "2024-05-02 10:00:00")
        self._attempt(y, 2, "failed", "2024-05-06 10:00:00")
        self._attempt(b, 1, "failed", "2024-06-21 10:00:00")
        self.env.cr.execute(  # the retry plan as the card cron leaves it (its fields are written by the cron only)
            "UPDATE account_move SET revcycle_autocollect_state = 'retrying', "
            "revcycle_autocollect_next = '2024-07-03 09:00:00' WHERE id = %s", [b.id])
        b.invalidate_recordset()
        self.assertEqual(self._expected(self._forecast(weeks=6)), [150.0, 0.0, 0.0, 0.0, 700.0, 0.0])

    def test_broken_promise_and_notices_are_features(self):
        invoice = self._invoice(self.customer, "2024-05-01", "2024-05-31", 300)
        invoice.revcycle_promise_date = "2024-06-15"  # passed, the invoice still open: broken
        policy = self.env["revcycle.dunning.policy"].sudo().create({"name": "FC", "company_id": self.company.id})
        level = self.env["revcycle.dunning.level"].sudo().create(
            {"policy_id": policy.id, "name": "Reminder", "days": 1, "channel": "email"})
        self.env["revcycle.dunning.notice"].sudo().create({
            "partner_id": self.customer.id, "company_id": self.company.id, "level_id": level.id, "channel": "email",
            "date": "2024-06-05", "state": "sent", "amount_overdue": 300,
            "line_ids": [Command.create({"invoice_id": invoice.id, "level_id": level.id, "amount_residual": 300})]})
        with freeze_time(TODAY):
            run = self.Kpi._revcycle_forecast_run(date(2024, 6, 30), 4, self.company)
            past = self.Kpi._revcycle_forecast_run(date(2024, 6, 4), 4, self.company)
        self.assertEqual(run["features"][self.customer.id], {"dunning": 1.0, "broken_promises": 1.0})
        self.assertNotIn(self.customer.id, past["features"])  # the notice came on 06-05; promises: today only

    def test_expected_loss_orders_the_workbench(self):
        """Today 06-30, no payment history (every customer's past lateness 0): an invoice 40 days past its due date
        is late for certain: 1,000 x 1 x (1 + 40/30) = 2,333.33; one due in 10 days scores 0 (nothing says it will
        be late): 0. A second customer 10 days overdue on 300: 300 x 1 x (1 + 10/30) = 400. The cron ranks the
        first customer first; run again it changes nothing."""
        other = self.env["res.partner"].create({"name": "Forecast Other", "is_company": True})
        self._invoice(self.customer, "2024-04-21", "2024-05-21", 1000)
        self._invoice(self.customer, "2024-06-10", "2024-07-10", 500)
        self._invoice(other, "2024-05-20", "2024-06-20", 300)
        Profile = self.env["revcycle.credit.profile"].sudo()  # as the cron runs
        profiles = Profile._revcycle_ensure([(self.customer.id, self.company.id), (other.id, self.company.id)])
        with freeze_time(TODAY):
            Profile._cron_refresh_expected_loss()
        self.assertEqual(profiles.mapped("revcycle_expected_loss"), [2333.33, 400.0])
        self.assertEqual(profiles.mapped("revcycle_expected_loss_date"), [date(2024, 6, 30)] * 2)
        with freeze_time(TODAY):
            Profile._cron_refresh_expected_loss()
        self.assertEqual(profiles.mapped("revcycle_expected_loss"), [2333.33, 400.0])
        workbench = self.env.ref("revcycle_dunning.revcycle_collections_action")
        arch = Profile.get_view(workbench.view_id.id)["arch"]
        self.assertIn('default_order="revcycle_expected_loss desc', arch)
        ranked = Profile.search([("id", "in", profiles.ids)], order="revcycle_expected_loss desc")
        self.assertEqual(ranked.partner_id, self.customer | other)
