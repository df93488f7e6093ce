from freezegun import freeze_time
from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import format_amount, format_date, mute_logger
from psycopg2 import IntegrityError

from .dunning_common import RevcycleDunningCommon


@tagged("post_install", "-at_install", "revcycle")
class TestDunningRun(RevcycleDunningCommon):
    def test_full_escalation_over_simulated_days(self):
        invoice = self._due_invoice(1000.0, self.base_date)
        expected = [
            # days from due, level sent that day (or None)
            (-4, None), (-3, self.friendly), (0, None), (6, None), (7, self.first), (20, None),
            (21, self.letter), (35, self.call), (59, None), (60, self.agency), (61, None), (90, None),
        ]
        for days, level in expected:
            day = self._day(days)
            with self.subTest(day=day), freeze_time(day):
                before = self._notices()
                self.Run._cron_run_dunning()
                new = self._notices() - before
                self.assertEqual(new.level_id, level or self.env["revcycle.dunning.level"])
                if level:
                    self.assertEqual(new.date, day)
                    # the run queues its notices and wakes the sending job, which sends them through their channel
                    self.assertEqual(new.state, "draft")
                    self.assertTrue(self.env["ir.cron.trigger"].search(
                        [("cron_id", "=", self.env.ref("revcycle_dunning.ir_cron_dunning_send").id)]))
                    self.assertEqual(self.Notice._cron_send_notices(), 1)
                    # letters wait in the print queue, calls for their activity to be done
                    self.assertEqual(new.state, {"letter": "to_print", "phone": "to_call"}.get(new.channel, "sent"))
                    self._deliver()
                    self.assertEqual(new.state, "sent")
                    self.assertEqual(new.invoice_ids, invoice)
        self.assertEqual(invoice.revcycle_dunning_level_id, self.agency)
        self.assertEqual(invoice.revcycle_dunning_line_ids.level_id, self.policy.level_ids)

        friendly, first, letter, call, agency = self._notices()
        # email: the notice's email is queued for the customer, logged on the notice, and carries the invoice's
        # portal payment link
        mail = self.env["mail.mail"].search([("model", "=", friendly._name), ("res_id", "=", friendly.id)])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn(mail.state, ("outgoing", "sent"))
        self.assertIn(mail.mail_message_id, friendly.message_ids)
        self.assertIn(friendly.line_ids.payment_url, mail.body_html)
        self.assertIn("1,000.00", mail.body_html)  # the total, in the invoice table the template shows
        template = self.env.ref("revcycle_dunning.mail_template_dunning_notice")
        self.assertFalse(template._has_unsafe_expression_template_qweb(template.body_html, self.Notice._name),
                         "the shipped template reads fields only, so a run's emails render without evaluating code")
        self.assertIn("First", first.message_ids.mapped("subject")[0])
        self.assertIn("/pay/", friendly.line_ids.payment_url)
        # letter: the printed letter attached (tests render reports as HTML), and the fee invoiced with its tax
        letters = letter.message_ids.attachment_ids.filtered(lambda att: att.name.startswith("Dunning letter"))
        self.assertEqual(len(letters), 1)
        self.assertIn(invoice.name.encode(), letters.raw)
        self.assertEqual(letter.fee_amount, 25.0)  # 15 fixed + 1 % of 1,000
        fee_invoice = letter.fee_invoice_id
        self.assertEqual(fee_invoice.state, "posted")
        self.assertTrue(fee_invoice.revcycle_dunning_fee)
        self.assertEqual(fee_invoice.invoice_line_ids.product_id, self.fee_product)
        self.assertEqual(fee_invoice.invoice_line_ids.tax_ids, self.fee_tax)
        self.assertEqual(fee_invoice.amount_untaxed, 25.0)
        self.assertGreater(fee_invoice.amount_tax, 0.0)
        # phone: a call activity for the collector, and the level's credit hold
        # the call activity, done: the phone notice was sent then
        self.assertIn(self.env.ref("mail.mail_activity_data_call"), call.message_ids.mail_activity_type_id)
        self.assertTrue(call.credit_hold)
        profile = self._profile()
        self.assertTrue(profile.hold)
        self.assertEqual(profile.hold_source, "dunning")
        self.assertTrue(self.customer.revcycle_credit_hold)
        # agency: flagged with a to-do
        self.assertTrue(agency.agency_handoff)
        self.assertTrue(agency.activity_ids)
        # workbench columns
        self.assertEqual(profile.dunning_level_id, self.agency)
        self.assertEqual(profile.dunning_last_date, self._day(60))
        self.assertFalse(profile.dunning_next_level_id)

    def test_one_notice_per_customer(self):
        # issue 18: one notice per customer and run, each item at its own level; items first seen past due start
        # at the first level after the due date, whatever their age (no jump to the letter level and its fee)
        other = self._customer("Other Customer", email="other@example.com")
        a1 = self._due_invoice(100.0, self._day(-10))
        a2 = self._due_invoice(200.0, self._day(-8))
        a3 = self._due_invoice(300.0, self._day(-25))
        b1 = self._due_invoice(400.0, self._day(-9), partner=other)
        summary = self.Run.run_for_date(self.base_date)
        self.assertEqual(summary["notices"], 2)
        self.assertEqual(summary["invoices"], 4)
        self.assertEqual(summary["customers"], 2)
        self.assertEqual(summary["fees"], 0.0)  # the first level charges nothing
        notice = self._notices()
        self.assertEqual((notice.level_id, notice.invoice_ids), (self.first, a1 | a2 | a3))
        self.assertEqual(notice.line_ids.level_id, self.first)
        self.assertEqual(notice.amount_overdue, 600.0)  # 100 + 200 + 300
        self.assertEqual(self._notices(other).invoice_ids, b1)
        self.assertEqual(self._notices(other).level_id, self.first)

    def test_pauses_exclusions_and_paid_invoices(self):
        disputed = self._due_invoice(100.0, self._day(-10))
        disputed.revcycle_dunning_dispute = True
        promised = self._due_invoice(110.0, self._day(-10))
        promised.revcycle_promise_date = self._day(5)
        paid = self._due_invoice(120.0, self._day(-10))
        self._pay(paid, 120.0)
        normal = self._due_invoice(130.0, self._day(-10))
        excluded = self._customer("Excluded", revcycle_dunning_excluded=True)
        self._due_invoice(140.0, self._day(-10), partner=excluded)
        promising = self._customer("Promising", revcycle_promise_date=self._day(0))
        self._due_invoice(150.0, self._day(-10), partner=promising)

        self.Run.run_for_date(self.base_date)
        self.assertEqual(self._notices().invoice_ids, normal)
        self.assertFalse(self._notices(excluded) | self._notices(promising))
        # the promise is kept up to its day; the day after, dunning resumes
        self.Run.run_for_date(self._day(1))
        self.assertEqual(self._notices(promising).level_id, self.first)
        self.Run.run_for_date(self._day(6))
        self.assertIn(promised, self._notices().invoice_ids)
        self.assertNotIn(disputed, self._notices().invoice_ids)
        self.assertNotIn(paid, self._notices().invoice_ids)

    def test_partial_payment_keeps_dunning_the_rest(self):
        invoice = self._due_invoice(500.0, self._day(-10))
        self._pay(invoice, 450.0)
        self.Run.run_for_date(self.base_date)
        notice = self._notices()
        self.assertEqual(notice.amount_overdue, 50.0)
        # the agency level needs 100 open: the 50 left never gets there
        self.Run.run_for_date(self._day(90))
        self.assertNotIn(self.agency, self._notices().level_id)

    def test_a_notice_that_cannot_be_sent_does_not_stop_the_others(self):
        # a template someone broke (a field that does not exist) on the level of one customer's own policy
        broken = self.env.ref("revcycle_dunning.mail_template_dunning_notice").copy({
            "subject": "{{ object.no_such_field }}"})
        strict = self.env["revcycle.dunning.policy"].create({"name": "Broken template", "level_ids": [
            Command.create({"sequence": 10, "name": "Broken", "days": 5, "channel": "email",
                            "mail_template_id": broken.id})]})
        other = self._customer("Other Customer", email="other@example.com", revcycle_dunning_policy_id=strict.id)
        self._due_invoice(100.0, self._day(-10))
        self._due_invoice(200.0, self._day(-10), partner=other)
        self.Run.run_for_date(self.base_date)
        with mute_logger("odoo.addons.revcycle_dunning.models.revcycle_dunning_notice",
                         "odoo.addons.mail.models.mail_render_mixin"):
            self.assertEqual(self.Notice._cron_send_notices(), 2)
        self.assertEqual(self._notices().state, "sent")
        failed = self._notices(other)
        self.assertEqual(failed.state, "error")
        self.assertTrue(failed.send_error)
        self.assertFalse(self.env["mail.mail"].search([("model", "=", failed._name), ("res_id", "=", failed.id)]))
        self.assertEqual(self.Notice._cron_send_notices(), 0, "a notice not sent waits for a collector")
        broken.subject = "Reminder"
        failed.action_send_now()
        self.assertEqual(failed.state, "sent")

    def test_customer_policy_overrides_company_default(self):
        gentle = self.env["revcycle.dunning.policy"].create({"name": "Gentle", "level_ids": [
            Command.create({"sequence": 10, "name": "Gentle nudge", "days": 30, "channel": "phone"})]})
        self.customer.revcycle_dunning_policy_id = gentle
        self._due_invoice(100.0, self._day(-10))
        self.Run.run_for_date(self.base_date)
        self.assertFalse(self._notices())
        self.Run.run_for_date(self._day(20))
        self.assertEqual(self._notices().level_id, gentle.level_ids)

    def test_double_run_sends_nothing_twice(self):
        self._due_invoice(100.0, self._day(-10))
        self._due_invoice(200.0, self._day(-30))
        first = self.Run.run_for_date(self.base_date)
        self.assertEqual(self.Notice._cron_send_notices(), 1)
        messages = self.env["mail.message"].search_count([("model", "=", "revcycle.dunning.notice")])
        self.assertEqual(messages, 1)  # one email listing both invoices
        fee_invoices = self.env["account.move"].search_count([("revcycle_dunning_fee", "=", True)])
        second = self.Run.run_for_date(self.base_date)
        self.assertEqual(self.Notice._cron_send_notices(), 0)
        self.assertEqual((first["notices"], first["invoices"]), (1, 2))
        self.assertEqual((second["notices"], second["invoices"], second["fees"]), (0, 0, 0.0))
        self.assertEqual(self.env["mail.message"].search_count([("model", "=", "revcycle.dunning.notice")]),
                         messages)
        self.assertEqual(self.env["account.move"].search_count([("revcycle_dunning_fee", "=", True)]),
                         fee_invoices)

    def test_database_refuses_a_level_twice(self):
        invoice = self._due_invoice(100.0, self._day(-10))
        self.Run.run_for_date(self.base_date)
        notice = self._notices()
        # notice lines are the run's record, created by no user (issue 15): the database's own refusal is tested
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env["revcycle.dunning.notice.line"].sudo().create({
                "notice_id": notice.id, "invoice_id": invoice.id, "level_id": self.first.id,
                "move_line_id": notice.line_ids.move_line_id.id})
        self.assertEqual(len(notice.line_ids), 1)

    def test_fee_on_next_invoice(self):
        self.company.revcycle_dunning_fee_mode = "next_invoice"
        self.policy.initial_level_id = self.letter  # this policy starts late customers at the letter
        self._due_invoice(1000.0, self._day(-25))
        self.Run.run_for_date(self.base_date)
        self._deliver()
        notice = self._notices()
        self.assertEqual((notice.fee_amount, notice.fee_state), (25.0, "pending"))
        self.assertFalse(notice.fee_invoice_id)
        next_invoice = self._due_invoice(50.0, self.base_date)
        self.assertEqual(notice.fee_state, "invoiced")
        self.assertEqual(notice.fee_invoice_id, next_invoice)
        fee_line = next_invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.fee_product)
        self.assertEqual(fee_line.price_subtotal, 25.0)
        self.assertEqual(fee_line.tax_ids, self.fee_tax)

    def test_interest_per_annum(self):
        self.letter.write({"fee_fixed": 0.0, "fee_percent": 0.0, "interest_rate": 10.0})
        self.policy.initial_level_id = self.letter
        self._due_invoice(3650.0, self._day(-25))
        self.Run.run_for_date(self.base_date)
        self._deliver()
        notice = self._notices()
        self.assertEqual(notice.fee_interest, 25.0)  # 3,650 x 10 % x 25 / 365
        self.assertEqual(notice.fee_invoice_id.amount_untaxed, 25.0)

    def test_dunning_feeds_the_credit_score(self):
        self._due_invoice(100.0, self._day(-10))
        self.Run.run_for_date(self.base_date)
        profile = self._profile()
        counts = profile._revcycle_dunning_counts(self._day(-365))
        self.assertEqual(counts, {(self.customer.id, self.company.id): 1})

    def test_roles(self):
        self._due_invoice(100.0, self._day(-10))
        with self.assertRaises(AccessError):
            self.Run.with_user(self.salesman).run_for_date(self.base_date)
        self.assertFalse(self._notices())
        summary = self.Run.with_user(self.collector).run_for_date(self.base_date)
        self.assertEqual(summary["notices"], 1)
        with self.assertRaises(AccessError):
            self._notices().with_user(self.salesman).action_send_now()
        self._notices().with_user(self.collector).action_send_now()
        self.assertEqual(self._notices().with_user(self.collector).state, "sent")
        with self.assertRaisesRegex(UserError, "sent or cancelled already"):
            self._notices().with_user(self.collector).action_send_now()

    def test_manual_run_for_a_date(self):
        self._due_invoice(100.0, self._day(-10))
        run = self.Run.create({"date": self.base_date})
        run.action_run()
        self.assertEqual((run.state, run.notice_count, run.notice_ids.level_id), ("done", 1, self.first))

    def test_bad_date_refused(self):
        with self.assertRaisesRegex(UserError, "run date"), self.env.cr.savepoint():
            self.Run.run_for_date("not a date")
        self.assertFalse(self.Run.search([]).filtered(lambda run: run.date and run.state == "running"))

    # The sending job renders a batch of emails at once (one template render per language, the amounts and dates
    # formatted with the language looked up once): every email must still say its own customer's figures, in its
    # own customer's language, with its own payment links.

    def _french(self):
        # the language switched on without loading its translations: only its number and date formats are read
        self.env.ref("base.lang_fr").active = True

    def test_formatters_write_what_odoo_writes(self):
        self._french()
        notice = self.Notice
        usd = self.env.ref("base.USD")  # symbol before the amount
        eur = self.env.ref("base.EUR")  # symbol after it
        jpy = self.env.ref("base.JPY")  # no decimals
        amounts = (0.0, 0.004, 5.5, -5.5, 1234567.891, 1000.0)
        dates = (fields.Date.from_string("2025-03-03"), fields.Date.from_string("2025-12-31"))
        for lang in ("en_US", "fr_FR"):
            env = self.env(context=dict(self.env.context, lang=lang))
            amount_text = notice.with_env(env)._revcycle_amount_formatter()
            date_text = notice.with_env(env)._revcycle_date_formatter()
            for currency in (usd, eur, jpy):
                for amount in amounts:
                    with self.subTest(lang=lang, currency=currency.name, amount=amount):
                        self.assertEqual(amount_text(amount, currency), format_amount(env, amount, currency))
            for day in dates:
                self.assertEqual(date_text(day), format_date(env, day))
        # by hand, so that a change of Odoo's formatting is seen here too: grouping, 2 decimals, symbol, language
        en = notice.with_context(lang="en_US")._revcycle_amount_formatter()
        fr = notice.with_context(lang="fr_FR")._revcycle_amount_formatter()
        self.assertEqual(en(1234567.891, usd), "$\N{NO-BREAK SPACE}1,234,567.89")
        self.assertEqual(fr(1234567.891, eur), "1\N{NO-BREAK SPACE}234\N{NO-BREAK SPACE}567,89\N{NO-BREAK SPACE}€")

    def test_each_email_of_a_batch_is_its_own_customers(self):
        self._french()
        english = self._customer("English Customer", email="en@example.com", lang="en_US")
        french = self._customer("Client Français", email="fr@example.com", lang="fr_FR")
        # each customer's amounts: 1,234.50 + 100.00 for the English one (1,334.50), 2,500.25 for the French one;
        # all due 10 days before the run: the "First" level (7 days), one notice each
        en_invoices = self._due_invoice(1234.5, self._day(-10), english) | self._due_invoice(
            100.0, self._day(-10), english)
        fr_invoice = self._due_invoice(2500.25, self._day(-10), french)
        self.Run.run_for_date(self.base_date)
        en_notice, fr_notice = self._notices(english), self._notices(french)
        # both emails rendered in one sending batch
        self.assertEqual(self.Notice._cron_send_notices(), 2)
        Mail = self.env["mail.mail"]
        en_mail = Mail.search([("model", "=", self.Notice._name), ("res_id", "=", en_notice.id)])
        fr_mail = Mail.search([("model", "=", self.Notice._name), ("res_id", "=", fr_notice.id)])
        self.assertEqual((en_mail.recipient_ids, fr_mail.recipient_ids), (english, french))
        # the English email: its two invoices at 1,234.50 and 100.00, total 1,334.50, in English; its own links
        self.assertIn("$\N{NO-BREAK SPACE}1,234.50", en_mail.body_html)
        self.assertIn("$\N{NO-BREAK SPACE}1,334.50", en_mail.body_html)
        self.assertIn("Dear English Customer", en_mail.body_html)
        for invoice in en_invoices:
            self.assertIn(invoice.name, en_mail.body_html)
            self.assertIn(invoice.revcycle_pay_token, en_mail.body_html)
            self.assertNotIn(invoice.name, fr_mail.body_html)
        # the French email: 2 500,25 with French grouping and decimal comma, its own link, nothing of the other's
        self.assertIn("$\N{NO-BREAK SPACE}2\N{NO-BREAK SPACE}500,25", fr_mail.body_html)
        self.assertIn(fr_invoice.name, fr_mail.body_html)
        self.assertIn(fr_invoice.revcycle_pay_token, fr_mail.body_html)
        self.assertNotIn("1,334.50", fr_mail.body_html)
        self.assertNotIn("2,500.25", en_mail.body_html)
        self.assertEqual(fr_notice.line_ids.date_due, self._day(-10))
        self.assertIn(format_date(self.env(context={"lang": "fr_FR"}), self._day(-10)), fr_mail.body_html)
