"""What a salesperson meets before the wall: a banner on the quotation with the amounts, a request for approval that
reaches the credit managers, the override button only where it is needed, and nothing of it shown to the customer."""

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

from .common import RevcycleCreditCommon


@tagged("post_install", "-at_install", "revcycle")
class TestCreditSalesSide(RevcycleCreditCommon, HttpCase):
    def test_banner_request_approve_confirm(self):
        # limit 1,000; 700 already invoiced; a 500 quotation would make 1,200 > 1,000
        self._invoice(700.0)
        self._commit_events()
        blocked = self._order(quantity=5, user=self.salesman).with_user(self.env.user)
        fine = self._order(quantity=2, user=self.salesman)  # 700 + 200 = 900: within the limit
        self.assertTrue(blocked.revcycle_credit_blocked)
        for amount in ("700.00", "500.00", "1,200.00", "1,000.00"):
            self.assertIn(amount, blocked.revcycle_credit_warning)
        self.assertFalse(fine.revcycle_credit_blocked)
        self.assertFalse(fine.revcycle_credit_warning)
        with self.assertRaisesRegex(UserError, "needs no credit approval"):
            fine.with_user(self.salesman).action_revcycle_request_credit_approval()
        # the mark is the request button's: a plain write (the XML-RPC way round) is refused
        with self.assertRaisesRegex(UserError, "cannot be written directly"):
            blocked.with_user(self.salesman).write({"revcycle_credit_approval_requested": True})

        self.start_tour(f"/odoo/sales/{blocked.id}", "revcycle_credit_request_tour", login=self.salesman.login)
        self.assertTrue(blocked.revcycle_credit_approval_requested)
        activity = blocked.activity_ids.filtered(lambda a: a.user_id == self.credit_manager)
        self.assertEqual(len(activity), 1, "the credit manager has the request in their activities")
        self.assertIn("1,200.00", activity.note)

        self.start_tour(f"/odoo/sales/{blocked.id}", "revcycle_credit_approve_tour", login=self.credit_manager.login)
        self.assertTrue(blocked.revcycle_credit_override_ids)
        self.assertFalse(blocked.revcycle_credit_approval_requested)
        self.assertFalse(blocked.activity_ids.filtered(lambda a: a.user_id == self.credit_manager))
        self.assertFalse(blocked.revcycle_credit_blocked)

        self.start_tour(f"/odoo/sales/{blocked.id}", "revcycle_credit_confirm_tour", login=self.salesman.login)
        self.assertEqual(blocked.state, "sale")

    def test_hold_banner_and_customer_portal(self):
        self.customer.action_revcycle_credit_hold("cheque bounced")
        quotation = self._order(quantity=1)
        self.assertTrue(quotation.revcycle_credit_blocked)
        self.assertIn("cheque bounced", quotation.revcycle_credit_warning)
        # the customer's own page of the quotation says nothing of their credit position
        quotation.action_quotation_sent()
        page = self.url_open(quotation.get_portal_url()).text
        self.assertIn(quotation.name, page)
        self.assertNotIn("cheque bounced", page)
        self.assertNotIn("credit hold", page.lower())

    def test_salesperson_sees_the_credit_holds_in_the_app(self):
        # a salesperson without any credit group still gets the Revenue Cycle app, with who is on credit hold
        visible = self.env["ir.ui.menu"].with_user(self.salesman)._visible_menu_ids()
        for xmlid in ("revcycle_base.revcycle_menu_root", "revcycle_dunning.revcycle_credit_menu",
                      "revcycle_dunning.revcycle_customer_credit_hold_menu"):
            self.assertIn(self.env.ref(xmlid).id, visible, xmlid)
        self.assertNotIn(self.env.ref("revcycle_dunning.revcycle_credit_profile_menu").id, visible)
        self.customer.action_revcycle_credit_hold("cheque bounced")
        action = self.env.ref("revcycle_dunning.revcycle_customer_credit_hold_action")
        on_hold = self.env["res.partner"].with_user(self.salesman).search(safe_eval(action.domain))
        self.assertIn(self.customer, on_hold)
        self.assertEqual(self.customer.with_user(self.salesman).revcycle_credit_hold_reason, "cheque bounced")

    def test_request_mark_refused_at_create_too(self):
        # the mark is the request action's: creating a quotation with it set (the XML-RPC way round) is refused
        with self.assertRaisesRegex(UserError, "cannot be written directly"):
            self.env["sale.order"].with_user(self.salesman).create({
                "partner_id": self.customer.id, "revcycle_credit_approval_requested": True})
