"""Issue 18: the collector's actions on a customer's collections page (log a call, record a promise, propose a plan,
pause dunning, send the next notice now), each a public method with plain data behind a small wizard."""
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .dunning_common import RevcycleDunningCommon


@tagged("post_install", "-at_install", "revcycle")
class TestCollectionsWorkbench(RevcycleDunningCommon):
    def _wizard(self, action, **vals):
        return self.env["revcycle.collections.wizard"].with_user(self.collector).create(
            {"partner_id": self.customer.id, "action": action, **vals})

    def test_log_a_call(self):
        result = self.customer.with_user(self.collector).revcycle_log_call("no_answer", "Tried the main line twice")
        message = self.env["mail.message"].browse(result["message_id"])
        self.assertIn("No answer", message.body)
        self.assertIn("Tried the main line twice", message.body)
        self.assertEqual(message.model, "res.partner")
        with self.assertRaisesRegex(UserError, "outcome"):
            self.customer.revcycle_log_call("shouted")
        with self.assertRaises(AccessError):
            self.customer.with_user(self.salesman).revcycle_log_call("no_answer")
        self._wizard("call", call_outcome="promise").action_confirm()
        self.assertIn("Promised to pay", self.customer.message_ids[:1].body)

    def test_pause_dunning_until_a_date(self):
        invoice = self._invoice(500.0, days_ago=10)  # 10 days overdue: the First level (day 7) is due
        until = self.today + timedelta(days=5)
        result = self.customer.with_user(self.collector).revcycle_pause_dunning(str(until), "Waiting for the PO")
        self.assertEqual(result, {"paused_until": fields.Date.to_string(until)})
        self.assertEqual(self.customer.revcycle_dunning_pause_reason, "Waiting for the PO")
        self.assertEqual(self.Run.run_for_date(self.today)["notices"], 0, "paused: no notice")
        # the pause is the action's: a plain write is refused, as are a past date and no reason
        with self.assertRaisesRegex(AccessError, "Pause Dunning"):
            self.customer.with_user(self.collector).write({"revcycle_dunning_paused_until": False})
        with self.assertRaisesRegex(UserError, "today or later"):
            self.customer.revcycle_pause_dunning("2020-01-01", "late")
        with self.assertRaisesRegex(UserError, "reason"):
            self.customer.revcycle_pause_dunning(str(until), "  ")
        with self.assertRaisesRegex(ValidationError, "until"):
            self.customer.revcycle_pause_dunning("soon", "x")
        # lifted: the run duns the invoice again
        self.customer.with_user(self.collector).revcycle_pause_dunning(False, None)
        self.assertEqual(self.Run.run_for_date(self.today)["notices"], 1)
        self.assertEqual(self._notices().line_ids.invoice_id, invoice)

    def test_pause_from_the_wizard(self):
        until = self.today + timedelta(days=3)
        self._wizard("pause", pause_until=until, pause_reason="Holiday").action_confirm()
        self.assertEqual(self.customer.revcycle_dunning_paused_until, until)

    def test_send_the_next_notice_now(self):
        self._invoice(800.0, days_ago=8)  # First level due since day 7
        result = self.customer.with_user(self.collector).revcycle_send_next_notice()
        notice = self.Notice.browse(result["notice_ids"])
        self.assertEqual((notice.level_id, notice.state, notice.amount_overdue), (self.first, "sent", 800.0))
        # nothing more is due today: said so, nothing sent twice
        with self.assertRaisesRegex(UserError, "no notice due today"):
            self.customer.revcycle_send_next_notice()
        self.assertEqual(len(self._notices()), 1)

    def test_promise_and_plan_from_the_wizards(self):
        self._invoice(600.0, days_ago=20)
        action = self._wizard("promise", promise_date=self.today + timedelta(days=7),
                              promise_amount=600.0).action_confirm()
        promise = self.env["revcycle.payment.plan"].browse(action["res_id"])
        self.assertEqual((promise.kind, promise.state, promise.amount_covered), ("promise", "accepted", 600.0))
        promise.action_cancel()
        action = self._wizard("plan", plan_count=2, plan_first_date=self.today + timedelta(days=7),
                              plan_months=1).action_confirm()
        plan = self.env["revcycle.payment.plan"].browse(action["res_id"])
        # 600 in 2: 300 and 300, a draft for the collector to check and propose
        self.assertEqual((plan.state, plan.line_ids.mapped("amount")), ("draft", [300.0, 300.0]))
        self.assertEqual(self.customer.revcycle_payment_plan_ids, promise | plan)
