"""Issue 15: the credit gate holds on every path to a confirmed order; collections users cannot make up money on
notices (fees, payment links, the record of what was sent); runs refuse dates after today."""
from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .dunning_common import RevcycleDunningCommon


@tagged("post_install", "-at_install", "revcycle")
class TestCreditGateSecurity(RevcycleDunningCommon):
    def _hold(self):
        self.env["revcycle.credit.hold.wizard"].with_user(self.credit_manager).with_context(
            active_model="res.partner", active_ids=self.customer.ids,
        ).create({"reason": "Disputed invoices"}).action_apply()

    def test_write_state_sale_is_refused_on_credit_hold(self):
        # Reproduction: write({'state': 'sale'}) confirms a quotation of a customer on credit hold.
        self._hold()
        order = self._order(quantity=1, user=self.salesman).with_user(self.salesman)
        with self.assertRaisesRegex(UserError, "on credit hold"), self.env.cr.savepoint():
            order.write({"state": "sale"})
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")

    def test_write_state_sale_is_refused_over_the_limit(self):
        # Reproduction: the same write over the credit limit, and with the lines raised in the same write.
        order = self._order(quantity=20, user=self.salesman).with_user(self.salesman)
        with self.assertRaisesRegex(UserError, "credit limit"), self.env.cr.savepoint():
            order.write({"state": "sale"})
        small = self._order(quantity=1, user=self.salesman).with_user(self.salesman)
        with self.assertRaisesRegex(UserError, "credit limit"), self.env.cr.savepoint():
            small.write({"state": "sale", "order_line": [Command.update(small.order_line.id, {"product_uom_qty": 20})]})
        small.invalidate_recordset()
        self.assertEqual((order.state, small.state, small.order_line.product_uom_qty), ("draft", "draft", 1.0))

    def test_create_confirmed_is_refused_on_credit_hold(self):
        # Reproduction: create({'state': 'sale', ...}) for a customer on credit hold.
        self._hold()
        with self.assertRaisesRegex(UserError, "on credit hold"), self.env.cr.savepoint():
            self.env["sale.order"].with_user(self.salesman).create({
                "partner_id": self.customer.id, "state": "sale",
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 1,
                                               "tax_id": [Command.clear()]})]})
        self.assertFalse(self.env["sale.order"].search([("partner_id", "=", self.customer.id)]))


@tagged("post_install", "-at_install", "revcycle")
class TestNoticeSecurity(RevcycleDunningCommon):
    def _letter_notice(self):
        """A letter printed, so its late fee is on the next invoice (the 'Letter' level: 15 + 1 % of 1,000)."""
        self.company.revcycle_dunning_fee_mode = "next_invoice"
        self.policy.initial_level_id = self.letter
        self._due_invoice(1000.0, self._day(-25))
        self.Run.with_user(self.collector).run_for_date(self.base_date)
        notice = self._notices().filtered(lambda n: n.level_id == self.letter)
        notice.with_user(self.collector).action_send_now()
        notice.with_user(self.collector).action_mark_printed()
        self.assertEqual((notice.fee_amount, notice.fee_state), (25.0, "pending"))
        return notice

    def test_collector_cannot_make_up_a_notice_or_its_fee(self):
        # Reproduction: a collections user creates a notice with a 5,000 'late fee' on the next invoice.
        with self.assertRaisesRegex(AccessError, "made by dunning runs"), self.env.cr.savepoint():
            self.Notice.with_user(self.collector).create({
                "partner_id": self.customer.id, "company_id": self.company.id, "level_id": self.letter.id,
                "channel": "letter", "date": self.base_date, "fee_amount": 5000.0, "fee_state": "pending"})
        self.assertFalse(self._notices())
        notice = self._letter_notice().with_user(self.collector)
        for values in ({"fee_amount": 5000.0}, {"fee_state": "none"}, {"state": "sent"}, {"amount_overdue": 1.0},
                       {"line_ids": [Command.clear()]}):
            with self.subTest(values=values), self.assertRaisesRegex(AccessError, "not by hand"), \
                    self.env.cr.savepoint():
                notice.write(values)
        with self.assertRaisesRegex(AccessError, "Late Fee"), self.env.cr.savepoint():
            notice.write({"fee_amount": 5000.0})
        notice.invalidate_recordset()
        self.assertEqual((notice.fee_amount, notice.fee_state, notice.state), (25.0, "pending", "sent"))
        # the collector is the one thing a collections user changes by hand
        notice.write({"user_id": self.credit_manager.id})
        self.assertEqual(notice.user_id, self.credit_manager)
        # the fee that reaches the next invoice is the level's 25, not a made-up amount
        invoice = self._due_invoice(50.0, self.base_date)
        self.assertEqual(invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.fee_product).price_unit,
                         25.0)

    def test_collector_cannot_rewrite_or_delete_notice_lines(self):
        # Reproduction: payment_url rewritten on a sent notice's line, and its lines unlinked so that the next run
        # charges the fee again.
        notice = self._letter_notice()
        line = notice.line_ids.filtered(lambda line: line.level_id == self.letter).with_user(self.collector)
        url = line.payment_url
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"), \
                self.env.cr.savepoint():
            line.write({"payment_url": "https://evil.example.com/pay"})
        for user in (self.collector, self.credit_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError), \
                    mute_logger("odoo.addons.base.models.ir_model"), self.env.cr.savepoint():
                notice.line_ids.with_user(user).unlink()
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"), \
                self.env.cr.savepoint():
            self.env["revcycle.dunning.notice.line"].with_user(self.collector).create({
                "notice_id": notice.id, "invoice_id": line.invoice_id.id, "level_id": self.call.id})
        line.invalidate_recordset()
        self.assertEqual(line.payment_url, url)
        fees_before = self.env["revcycle.dunning.notice"].search_count([("fee_amount", ">", 0)])
        summary = self.Run.with_user(self.collector).run_for_date(self.base_date)
        self.assertEqual((summary["notices"], summary["fees"]), (0, 0.0))
        self.assertEqual(self.env["revcycle.dunning.notice"].search_count([("fee_amount", ">", 0)]), fees_before)

    def test_cancel_is_still_the_collectors_way_to_take_a_notice_back(self):
        notice = self._letter_notice().with_user(self.collector)
        notice.action_cancel()
        self.assertEqual((notice.state, notice.fee_state, notice.fee_amount), ("cancel", "none", 0.0))
        self.assertFalse(notice.line_ids)


@tagged("post_install", "-at_install", "revcycle")
class TestRunDateSecurity(RevcycleDunningCommon):
    def test_run_in_the_future_is_refused_and_writes_nothing(self):
        # Reproduction: run_for_date('9999-12-31') dunned every customer and posted a fee invoice dated 9999-12-31.
        self._due_invoice(1000.0, self._day(-60))
        moves_before = self.env["account.move"].search_count([])
        tomorrow = fields.Date.add(fields.Date.context_today(self.Run), days=1)
        for date in ("9999-12-31", tomorrow):
            with self.subTest(date=date), self.assertRaisesRegex(ValidationError, "after today"), \
                    self.env.cr.savepoint():
                self.Run.with_user(self.collector).run_for_date(date)
        for date in (None, False, ""):
            with self.subTest(date=date), self.assertRaisesRegex(UserError, "Give the run date"), \
                    self.env.cr.savepoint():
                self.Run.with_user(self.collector).run_for_date(date)
        # nor through a run made by hand, created or moved to the future
        # (year 9999 is refused by the shared date check first: out of range)
        with self.assertRaisesRegex(ValidationError, "after today|out of range"), self.env.cr.savepoint():
            self.Run.with_user(self.collector).create({"date": "9999-12-31"})
        run = self.Run.with_user(self.collector).create({"date": self.base_date})
        with self.assertRaisesRegex(ValidationError, "after today|out of range"), self.env.cr.savepoint():
            run.write({"date": "9999-12-31"})
        tomorrow = fields.Date.add(fields.Date.context_today(self.Run), days=1)
        with self.assertRaisesRegex(ValidationError, "after today"), self.env.cr.savepoint():
            run.write({"date": tomorrow})
        self.assertFalse(self.Run.search([("date", ">", fields.Date.context_today(self.Run))]))
        self.assertFalse(self._notices())
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
        # today itself is a run date
        summary = self.Run.with_user(self.collector).run_for_date(fields.Date.context_today(self.Run))
        self.assertEqual(summary["notices"], 1)

    def test_run_record_is_the_runs_own(self):
        # Reproduction: a collections user rewrote a run's figures and state, and moved a done run to another date.
        self._due_invoice(1000.0, self._day(-60))
        run = self.Run.with_user(self.collector).create({"date": self.base_date})
        for values in ({"state": "done"}, {"fee_total": 0.0}, {"notice_count": 0}, {"is_cron": True}):
            with self.subTest(values=values), self.assertRaisesRegex(AccessError, "written by the run itself"), \
                    self.env.cr.savepoint():
                run.write(values)
        with self.assertRaisesRegex(AccessError, "written by the run itself"), self.env.cr.savepoint():
            self.Run.with_user(self.collector).create({"date": self.base_date, "state": "done"})
        run.action_run()
        self.assertEqual((run.state, run.notice_count), ("done", 1))
        with self.assertRaisesRegex(UserError, "ran already"), self.env.cr.savepoint():
            run.write({"date": self._day(-1)})
        self.assertEqual(run.date, self.base_date)
