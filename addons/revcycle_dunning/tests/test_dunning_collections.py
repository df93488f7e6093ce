"""Issue 18: collections that behave like a good collector. Each reproduced finding is a test with its figure."""
from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from .dunning_common import RevcycleDunningCommon


@tagged("post_install", "-at_install", "revcycle")
class TestDunningCollections(RevcycleDunningCommon):
    def _run_and_send(self, day):
        summary = self.Run.run_for_date(day)
        self._deliver()
        return summary

    def test_first_seen_far_overdue_climbs_one_level_at_a_time(self):
        # found (reproduced): a first run with an invoice 65 days overdue jumped to the agency, skipped the hold
        # level (day 35) and sent an agency notice, a first reminder and a pre-due reminder at once.
        # Now: day 0 the first level (day 7 of the ladder); then each level the ladder's gap after the one before:
        # letter 21 - 7 = 14 days later, call (hold) 35 - 21 = 14 days after that, agency 60 - 35 = 25 after that.
        self._due_invoice(1000.0, self._day(-65))
        sent = []
        for offset in range(0, 56):
            before = self._notices()
            summary = self._run_and_send(self._day(offset))
            new = self._notices() - before
            self.assertLessEqual(summary["notices"], 1, "one notice per customer per run")
            if new:
                sent.append((offset, new.level_id))
                self.assertEqual(new.state, "sent")
        self.assertEqual(sent, [(0, self.first), (14, self.letter), (28, self.call), (53, self.agency)])
        call = self._notices().filtered(lambda notice: notice.level_id == self.call)
        self.assertTrue(call.credit_hold)
        self.assertTrue(self._profile().hold)
        self.assertNotIn(self.friendly, self._notices().level_id, "no pre-due reminder for an overdue invoice")

    def test_one_notice_lists_each_item_at_its_own_level(self):
        overdue = self._due_invoice(400.0, self._day(-10))
        not_due = self._due_invoice(250.0, self._day(2))
        other = self._customer("Overdue Only", email="overdue@example.com")
        self._due_invoice(300.0, self._day(-10), partner=other)
        summary = self.Run.run_for_date(self.base_date)
        self.assertEqual(summary["notices"], 2)
        notice = self._notices()
        self.assertEqual(notice.level_id, self.first)  # the most severe of its items
        levels = {line.invoice_id: line.level_id for line in notice.line_ids}
        self.assertEqual(levels, {overdue: self.first, not_due: self.friendly})
        self.assertEqual(notice.amount_overdue, 650.0)  # 400 + 250
        self.assertEqual(self._notices(other).line_ids.level_id, self.first)

    def test_interest_from_the_last_day_charged(self):
        # found (reproduced): 10,000 at 10 %/yr with levels at day 10 and 40 charged 136.99 (each level counted
        # from the due date); owed 10,000 x 10 % x 40 / 365 = 109.59: 27.40 at day 10, 82.19 at day 40
        interest = self.env["revcycle.dunning.policy"].create({"name": "Interest", "level_ids": [
            Command.create({"sequence": 10, "name": "Interest 1", "days": 10, "channel": "email",
                            "interest_rate": 10.0}),
            Command.create({"sequence": 20, "name": "Interest 2", "days": 40, "channel": "email",
                            "interest_rate": 10.0})]})
        self.customer.revcycle_dunning_policy_id = interest
        self._due_invoice(10000.0, self.base_date)
        self._run_and_send(self._day(10))
        self._run_and_send(self._day(40))
        notices = self._notices()
        self.assertEqual(notices.mapped("fee_interest"), [27.40, 82.19])
        self.assertAlmostEqual(sum(notices.mapped("fee_interest")), 109.59, places=2)
        self.assertEqual(notices.line_ids.mapped("interest_date"), [self._day(10), self._day(40)])

    def test_each_instalment_by_its_own_due_date(self):
        # found (reproduced): 30 % due now, 70 % in 60 days was dunned from the last instalment's date
        terms = self.env["account.payment.term"].create({"name": "30/70", "line_ids": [
            Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 0}),
            Command.create({"value": "percent", "value_amount": 70.0, "nb_days": 60})]})
        invoice = self.init_invoice("out_invoice", partner=self.customer, invoice_date=self._day(-10),
                                    amounts=[1000.0], taxes=[])
        invoice.invoice_payment_term_id = terms
        invoice.action_post()
        self.Run.run_for_date(self.base_date)
        notice = self._notices()
        # the 300 instalment due 10 days ago gets the first level; the 700 one (due in 50 days) nothing yet
        self.assertEqual(notice.line_ids.mapped("amount_residual"), [300.0])
        self.assertEqual(notice.line_ids.date_due, self._day(-10))
        self.assertEqual(notice.line_ids.level_id, self.first)
        self.assertEqual(notice.amount_overdue, 300.0)

    def test_unapplied_credits_are_netted(self):
        # found (reproduced): a customer with open credits larger than its invoices was dunned on the gross amount
        self._due_invoice(1000.0, self._day(-10))
        self.init_invoice("out_refund", partner=self.customer, invoice_date=self._day(-5), amounts=[1070.0],
                          taxes=[], post=True)
        partly = self._customer("Partly Credited", email="partly@example.com")
        self._due_invoice(1000.0, self._day(-10), partner=partly)
        self.init_invoice("out_refund", partner=partly, invoice_date=self._day(-5), amounts=[400.0], taxes=[],
                          post=True)
        self.Run.run_for_date(self.base_date)
        self.assertFalse(self._notices(), "a customer with a net credit is not dunned")
        notice = self._notices(partly)
        self.assertEqual((notice.amount_overdue, notice.amount_credit_applied), (600.0, 400.0))  # 1,000 - 400
        self.Notice._cron_send_notices()
        mail = self.env["mail.mail"].search([("model", "=", notice._name), ("res_id", "=", notice.id)])
        self.assertIn("400.00", mail.body_html)

    def test_fees_never_bear_fees_and_keep_the_invoice_currency(self):
        # found (reproduced): a fee put on the next invoice was then subject to percentage fees (a fee on a fee)
        self.company.revcycle_dunning_fee_mode = "next_invoice"
        self.policy.initial_level_id = self.letter
        self.fee_product.taxes_id = False
        self._due_invoice(1000.0, self._day(-25))
        self._run_and_send(self.base_date)
        first = self._notices()
        self.assertEqual((first.fee_amount, first.fee_state), (25.0, "pending"))  # 15 + 1 % of 1,000
        carrier = self._due_invoice(50.0, self.base_date)
        self.assertEqual(carrier.amount_total, 75.0)  # 50 + the 25 fee
        self._run_and_send(self._day(25))
        second = self._notices() - first
        # the 1,000 invoice goes on to the call level (14 days after the letter), the carrier starts at the letter:
        # fixed 15 (the highest fixed fee of the levels) + 1 % of 50 (75 less the 25 fee) = 15.50, not 15.75
        self.assertEqual(second.level_id, self.call)
        self.assertEqual(second.fee_percent_amount, 0.50)
        self.assertEqual(second.fee_amount, 15.50)

    def test_fee_on_an_invoice_in_another_currency_is_converted(self):
        # found (reproduced): 15 USD added to a EUR invoice became 15 EUR. The company currency is worth 2 of the
        # other: a 25.00 fee is 50.00 on the other currency's invoice
        other_currency = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self.company.revcycle_dunning_fee_mode = "next_invoice"
        self.policy.initial_level_id = self.letter
        self.fee_product.taxes_id = False
        self._due_invoice(1000.0, self._day(-25))
        self._run_and_send(self.base_date)
        carrier = self.init_invoice("out_invoice", partner=self.customer, invoice_date=self.base_date,
                                    amounts=[100.0], taxes=[], currency=other_currency, post=True)
        fee_line = carrier.invoice_line_ids.filtered(lambda line: line.product_id == self.fee_product)
        self.assertEqual((fee_line.price_subtotal, carrier.currency_id), (50.0, other_currency))

    def test_fee_income_account_setting(self):
        account = self.env["account.account"].create({
            "name": "Late fee income", "code": "758000", "account_type": "income_other"})
        self.company.revcycle_dunning_fee_account_id = account
        self.policy.initial_level_id = self.letter
        self._due_invoice(1000.0, self._day(-25))
        self._run_and_send(self.base_date)
        fee_invoice = self._notices().fee_invoice_id
        self.assertEqual(fee_invoice.invoice_line_ids.account_id, account)


    def test_fees_only_when_the_notice_is_sent(self):
        # found (reproduced): fees were posted when notices were made, letters and calls marked sent at once
        self.policy.initial_level_id = self.letter
        self._due_invoice(1000.0, self._day(-25))
        self.Run.run_for_date(self.base_date)
        letter = self._notices()
        self.assertEqual((letter.state, letter.fee_amount, letter.fee_state), ("draft", 0.0, "none"))
        self.Notice._cron_send_notices()
        self.assertEqual((letter.state, letter.fee_amount), ("to_print", 0.0))
        self.assertFalse(self.env["account.move"].search([("revcycle_dunning_fee", "=", True)]))
        letter.action_mark_printed()
        # printed: sent, and its fee of 15 + 1 % of 1,000 = 25 charged now
        self.assertEqual((letter.state, letter.fee_amount, letter.fee_state), ("sent", 25.0, "invoiced"))
        self.assertEqual(letter.run_id.fee_total, 25.0)
        with self.assertRaisesRegex(UserError, "print queue"):
            letter.action_mark_printed()
        # the call: to make until its activity is done, then sent
        self._run_and_send(self._day(14))
        call = self._notices() - letter
        self.assertEqual(call.level_id, self.call)
        self.assertEqual(call.state, "sent")

    def test_call_is_sent_when_its_activity_is_done(self):
        self.policy.initial_level_id = self.call
        self._due_invoice(1000.0, self._day(-40))
        self.Run.run_for_date(self.base_date)
        self.Notice._cron_send_notices()
        call = self._notices()
        self.assertEqual(call.state, "to_call")
        call.activity_ids.action_feedback(feedback="Promised to pay next week")
        self.assertEqual(call.state, "sent")

    def test_notice_without_email_is_not_sent(self):
        # found (reproduced): a notice for a customer without an email was marked sent and its fee posted
        self.customer.email = False
        self.first.fee_fixed = 10.0
        self._due_invoice(1000.0, self._day(-10))
        self.Run.run_for_date(self.base_date)
        self.Notice._cron_send_notices()
        notice = self._notices()
        self.assertEqual((notice.state, notice.fee_amount, notice.fee_state), ("error", 0.0, "none"))
        self.assertIn("no email address", notice.send_error)
        self.assertEqual(notice.activity_ids.user_id, notice.user_id)  # the collector's next action
        self.assertFalse(self.env["account.move"].search([("revcycle_dunning_fee", "=", True)]))
        # the collector adds the address and sends it: now the fee is earned
        self.customer.email = "ap@credit-customer.example.com"
        notice.action_send_now()
        self.assertEqual((notice.state, notice.fee_amount, notice.send_error), ("sent", 10.0, False))


    def test_dunning_waits_for_scheduled_card_retries(self):
        # found (reproduced): notices and fees went out while card retries were still scheduled
        invoice = self._due_invoice(1000.0, self._day(-10))
        invoice.sudo().write({"revcycle_autocollect_state": "retrying"})  # what a soft decline leaves
        self.Run.run_for_date(self.base_date)
        self.assertFalse(self._notices(), "dunning waits for the card retries")
        self.company.revcycle_dunning_wait_for_card = False
        self.Run.run_for_date(self.base_date)
        self.assertEqual(self._notices().invoice_ids, invoice)


    def test_workbench_row_opens_the_customer(self):
        # found (reproduced): the workbench row was a read-only record with no invoices, chatter or actions
        invoice = self._due_invoice(1000.0, self._day(-10))
        self.Run.run_for_date(self.base_date)
        profile = self._profile()
        action = profile.with_user(self.collector).action_open_collections()
        self.assertEqual((action["res_model"], action["res_id"]), ("res.partner", self.customer.id))
        partner = self.customer.with_user(self.collector)
        self.assertEqual(partner.revcycle_dunning_notice_ids, self._notices())
        self.assertEqual(partner.revcycle_open_invoice_ids, invoice)
        with self.assertRaises(AccessError):
            profile.with_user(self.salesman).action_open_collections()


@tagged("post_install", "-at_install", "revcycle")
class TestLateFeeProductDefaults(TransactionCase):
    def test_portal_does_not_title_a_posted_invoice_proforma(self):
        # found (reproduced): the invoice page a reminder links to was titled "PROFORMA" (no PDF generated yet)
        # its own posted invoice (it skipped itself on a database without one: a test that could not fail there)
        partner = self.env["res.partner"].create({"name": "Proforma Check Customer"})
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": "2025-01-15",
            "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 100, "tax_ids": []})],
        })
        invoice.action_post()
        html, _type = self.env["ir.actions.report"].with_context(proforma_invoice=True)._render_qweb_html(
            "account.account_invoices", invoice.ids)
        self.assertNotIn(b"PROFORMA", html)
        self.assertIn(b"Invoice", html)

    def test_late_fee_product_is_untaxed(self):
        # found (reproduced): the late-fee product carried the default sales tax (25.00 invoiced as 28.75)
        product = self.env.ref("revcycle_dunning.product_product_late_fee")
        self.assertFalse(product.taxes_id)
