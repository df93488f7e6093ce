"""Issue 18: payment plans and promises to pay. While accepted, the covered invoices are not dunned nor charged;
a missed instalment or a broken promise resumes dunning one level at a time, with a note to the collector.

The ladder is the test one (friendly -3, first 7, letter 21 with 15 + 1 %, call 35 with the hold, agency 60);
day 0 is 2025-03-03 and every invoice is on immediate terms (due on its date)."""
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .dunning_common import RevcycleDunningCommon


@tagged("post_install", "-at_install", "revcycle")
class TestPaymentPlans(RevcycleDunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fee_product.taxes_id = False
        cls.Plan = cls.env["revcycle.payment.plan"]

    def _plan(self, invoices, instalments, kind="plan", accept=True):
        plan = self.Plan.create({
            "kind": kind, "partner_id": self.customer.id, "currency_id": invoices.currency_id.id,
            "invoice_ids": [Command.set(invoices.ids)],
            "line_ids": [Command.create({"date": self._day(day), "amount": amount}) for day, amount in instalments]})
        plan.action_propose()
        if accept:
            plan.action_accept()
        return plan

    def _pay_on(self, invoice, amount, day):
        return self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"amount": amount, "payment_date": self._day(day)})._create_payments()

    def _run_days(self, days, payments=None):
        """Daily runs over ``days``; ``payments`` {day: (invoice, amount)} are received that day before the run.
        Returns [(day, level, amount dunned, fee, hold)] of the notices made."""
        made = []
        for day in days:
            if payments and day in payments:
                self._pay_on(*payments[day], day)
            before = self._notices()
            self.Run.run_for_date(self._day(day))
            self._deliver()
            for notice in self._notices() - before:
                made.append((day, notice.level_id.name, notice.amount_overdue, notice.fee_amount,
                             notice.credit_hold))
        return made

    # ------------------------------------------------------------------
    # Dunning follows the plan
    # ------------------------------------------------------------------

    def test_plan_with_a_missed_instalment_over_daily_runs(self):
        invoice = self._due_invoice(1000.0, self._day(0))
        made = self._run_days(range(0, 9))
        self.assertEqual(made, [(7, "First", 1000.0, 0.0, False)])
        # day 8: the customer agrees to 400 on day 14, 300 on day 44, 300 on day 74 (400 + 300 + 300 = 1,000)
        plan = self._plan(invoice, [(14, 400.0), (44, 300.0), (74, 300.0)])
        self.assertEqual((plan.state, plan.amount_covered), ("accepted", 1000.0))
        # days 9-44: the letter was due on day 21 (day 7 + 14) but the plan holds it; 400 paid on day 14 on time
        made = self._run_days(range(9, 45), payments={14: (invoice, 400.0)})
        self.assertEqual(made, [], "no notice while the plan is kept")
        self.assertEqual(plan.state, "accepted")
        self.assertEqual(plan.amount_paid, 400.0)
        # day 45: the 300 of day 44 was not paid (400 paid of 700 due): broken, noted, and the letter goes out for
        # what is open, 1,000 - 400 = 600, with its fee 15 + 1 % of 600 = 21.00; the call 14 days later (day 59)
        made = self._run_days(range(45, 60))
        self.assertEqual(plan.state, "broken")
        self.assertEqual(plan.broken_date, self._day(45))
        self.assertEqual(made, [(45, "Letter", 600.0, 21.0, False), (59, "Call", 600.0, 0.0, True)])
        note = self.customer.message_ids.filtered(lambda message: "broken" in (message.body or ""))
        self.assertEqual(len(note), 1, "one note on the customer, not one per run")
        self.assertIn("400.00", note.body)
        self.assertIn("700.00", note.body)
        self.assertTrue(plan.activity_ids, "a to-do for the collector")

    def test_plan_paid_as_agreed_is_done_and_never_dunned(self):
        invoice = self._due_invoice(900.0, self._day(0))
        plan = self._plan(invoice, [(10, 450.0), (40, 450.0)])
        made = self._run_days(range(0, 42), payments={10: (invoice, 450.0), 38: (invoice, 450.0)})
        self.assertEqual(made, [])
        self.assertEqual(plan.state, "done")
        self.assertEqual(invoice.payment_state in ("paid", "in_payment"), True)

    def test_broken_promise_escalates_with_a_note(self):
        invoice = self._due_invoice(500.0, self._day(0))
        self.assertEqual(self._run_days(range(0, 8)), [(7, "First", 500.0, 0.0, False)])
        promise = self._plan(invoice, [(20, 500.0)], kind="promise")
        # day 21: the letter has been due since day 21 and the promise of day 20 was not kept: the letter goes out
        # on day 21 for 500, fee 15 + 1 % of 500 = 20.00
        made = self._run_days(range(8, 22))
        self.assertEqual(promise.state, "broken")
        self.assertEqual(made, [(21, "Letter", 500.0, 20.0, False)])
        self.assertTrue(self.customer.message_ids.filtered(lambda message: "Promise to Pay broken" in message.body))

    def test_partial_promise_kept_then_the_rest_is_dunned(self):
        # a promise of 200 of the 500 owed, kept on day 15: done, no broken note; the 300 left is dunned again:
        # the letter on day 21 for 300, fee 15 + 1 % of 300 = 18.00
        invoice = self._due_invoice(500.0, self._day(0))
        self._run_days(range(0, 8))
        promise = self._plan(invoice, [(20, 200.0)], kind="promise")
        made = self._run_days(range(8, 22), payments={15: (invoice, 200.0)})
        self.assertEqual(promise.state, "done")
        self.assertEqual(made, [(21, "Letter", 300.0, 18.0, False)])
        self.assertFalse(self.customer.message_ids.filtered(lambda message: "broken" in (message.body or "")))

    def test_plan_of_a_credited_invoice_in_foreign_currency(self):
        # 1,000.00 EUR less a 250.00 EUR credit note: 750.00 EUR covered, 3 monthly instalments of 250.00 EUR;
        # 100.00 EUR in 3 would be 33.34 + 33.33 + 33.33 (the engine's table); the plan is in EUR, never mixed
        eur = self.setup_other_currency("EUR")
        invoice = self.init_invoice("out_invoice", partner=self.customer, invoice_date=self._day(0),
                                    amounts=[1000.0], taxes=[], post=True, currency=eur)
        refund = self.init_invoice("out_refund", partner=self.customer, invoice_date=self._day(0),
                                   amounts=[250.0], taxes=[], post=True, currency=eur)
        (invoice | refund).line_ids.filtered(lambda line: line.account_type == "asset_receivable").reconcile()
        result = self.Plan.revcycle_make_plan(self.customer.id, 3, "2025-04-01", invoice_ids=invoice.ids)
        self.assertEqual(result["amount"], 750.0)
        self.assertEqual(result["instalments"], [("2025-04-01", 250.0), ("2025-05-01", 250.0),
                                                 ("2025-06-01", 250.0)])
        plan = self.Plan.browse(result["plan_id"])
        self.assertEqual((plan.state, plan.currency_id, plan.amount_covered), ("proposed", eur, 750.0))
        # an invoice in the company currency cannot join it
        usd_invoice = self._due_invoice(100.0, self._day(0))
        with self.assertRaisesRegex(ValidationError, "Invoices Covered"):
            self.Plan.create({"partner_id": self.customer.id, "currency_id": eur.id,
                              "invoice_ids": [Command.set((invoice | usd_invoice).ids)]})

    def test_plan_of_instalments_by_invoice_line(self):
        # 1,000 in 30/70 instalments (300 now, 700 in 60 days) and 100.00 split in 3: covered 1,100 → the split
        # 366.67 + 366.67 + 366.66 (110,000 cents = 3 x 36,666 + 2: the two spare cents go first)
        terms = self.env["account.payment.term"].create({"name": "30/70", "line_ids": [
            Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 0}),
            Command.create({"value": "percent", "value_amount": 70.0, "nb_days": 60})]})
        split = self.init_invoice("out_invoice", partner=self.customer, invoice_date=self._day(0),
                                  amounts=[1000.0], taxes=[])
        split.invoice_payment_term_id = terms
        split.action_post()
        other = self._due_invoice(100.0, self._day(0))
        result = self.Plan.revcycle_make_plan(self.customer.id, 3, "2025-04-01", invoice_ids=(split | other).ids)
        self.assertEqual([amount for _date, amount in result["instalments"]], [366.67, 366.67, 366.66])

    # ------------------------------------------------------------------
    # Gates
    # ------------------------------------------------------------------

    def test_state_and_proposed_terms_are_written_by_actions_only(self):
        invoice = self._due_invoice(300.0, self._day(0))
        Plan = self.Plan.with_user(self.collector)
        with self.assertRaisesRegex(AccessError, "State"):
            Plan.create({"partner_id": self.customer.id, "state": "accepted",
                         "invoice_ids": [Command.set(invoice.ids)]})
        plan = Plan.create({"partner_id": self.customer.id, "invoice_ids": [Command.set(invoice.ids)],
                            "line_ids": [Command.create({"date": self._day(10), "amount": 299.99})]})
        # 299.99 is one cent short of the 300.00 covered
        with self.assertRaisesRegex(ValidationError, "Instalments: .*299.99.*300.0"):
            plan.action_propose()
        plan.line_ids.amount = 300.0
        plan.action_propose()
        for vals in ({"state": "accepted"}, {"amount_covered": 1.0}, {"accepted_by": "me"}):
            with self.assertRaises(AccessError):
                plan.write(vals)
        with self.assertRaisesRegex(UserError, "no longer a draft"):
            plan.line_ids.amount = 1.0
        with self.assertRaisesRegex(UserError, "no longer a draft"):
            plan.write({"note": "changed"})
        with self.assertRaisesRegex(UserError, "Only draft or cancelled"):
            plan.with_user(self.credit_manager).unlink()
        self.assertEqual(plan.state, "proposed")
        # the same invoice cannot be in two open plans
        second = Plan.create({"partner_id": self.customer.id, "invoice_ids": [Command.set(invoice.ids)],
                              "line_ids": [Command.create({"date": self._day(10), "amount": 300.0})]})
        with self.assertRaisesRegex(UserError, "already covered"):
            second.action_propose()
        plan.action_cancel()
        second.action_propose()
        # a salesperson makes no plans
        with self.assertRaises(AccessError):
            self.Plan.with_user(self.salesman).create({"partner_id": self.customer.id})

    def test_plans_of_another_company_are_not_seen(self):
        invoice = self._due_invoice(300.0, self._day(0))
        plan = self._plan(invoice, [(10, 300.0)], accept=False)
        other = self.setup_other_company()["company"]
        outsider = new_test_user(self.env, "rc_other_collector", groups="revcycle_dunning.group_revcycle_dunning_user",
                                 company_id=other.id, company_ids=[Command.set(other.ids)])
        self.assertFalse(self.Plan.with_user(outsider).search([("id", "=", plan.id)]))

    def test_checking_plans_twice_changes_nothing(self):
        invoice = self._due_invoice(400.0, self._day(0))
        plan = self._plan(invoice, [(5, 400.0)])
        self.Plan._revcycle_check_plans(self._day(6), self.company)
        self.Plan._revcycle_check_plans(self._day(6), self.company)
        self.assertEqual(plan.state, "broken")
        self.assertEqual(len(plan.message_ids.filtered(lambda message: "broken" in (message.body or ""))), 1)
        self.assertEqual(len(plan.activity_ids), 1)

    def test_plan_of_overdue_items_takes_an_invoice_whose_first_instalment_is_overdue(self):
        # found: the default invoices of a plan or promise were those whose invoice_date_due had passed, Odoo's
        # LAST instalment's date; a 30/70 invoice of 1,000.00 whose 300.00 was 10 days overdue was left out ("no
        # overdue invoice"). It is in now, for its whole 1,000.00 residual: once covered it is neither dunned nor
        # charged, so the plan covers the 700.00 not yet due too: 2 instalments of 500.00
        terms = self.env["account.payment.term"].create({"name": "30/70", "line_ids": [
            Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 0}),
            Command.create({"value": "percent", "value_amount": 70.0, "nb_days": 60})]})
        invoice = self._invoice(1000.0, days_ago=10, post=False)
        invoice.invoice_payment_term_id = terms
        invoice.action_post()
        self._invoice(200.0, days_ago=-5)  # not due yet: not planned
        result = self.Plan.with_user(self.collector).revcycle_make_plan(self.customer.id, 2, str(self.today))
        plan = self.Plan.browse(result["plan_id"])
        self.assertEqual(plan.invoice_ids, invoice)
        self.assertEqual((result["amount"], [amount for _day, amount in result["instalments"]]),
                         (1000.0, [500.0, 500.0]))

    def test_promise_from_plain_data(self):
        invoice = self._invoice(250.0, days_ago=10)
        result = self.Plan.with_user(self.collector).revcycle_record_promise(
            self.customer.id, str(self.today), 250.0)
        promise = self.Plan.browse(result["plan_id"])
        self.assertEqual((promise.kind, promise.state, promise.invoice_ids), ("promise", "accepted", invoice))
        with self.assertRaisesRegex(ValidationError, "amount"):
            self.Plan.revcycle_record_promise(self.customer.id, str(self.today), -5)
        with self.assertRaisesRegex(ValidationError, "today or later"):
            self.Plan.revcycle_record_promise(self.customer.id, "2020-01-01", 5.0)
