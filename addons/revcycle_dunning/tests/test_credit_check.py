from datetime import timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RevcycleCreditCommon


@tagged("post_install", "-at_install", "revcycle")
class TestCreditCheck(RevcycleCreditCommon):
    def _assert_refused(self, order, *patterns):
        messages_before = len(order.message_ids)
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            order.action_confirm()
        for pattern in patterns:
            self.assertIn(pattern, str(caught.exception))
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")
        self.assertEqual(len(order.message_ids), messages_before)
        return str(caught.exception)

    def test_confirm_over_limit_is_refused_with_partner_exposure_and_limit(self):
        self._invoice(700.0)
        order = self._order(quantity=4, user=self.salesman)
        message = self._assert_refused(order.with_user(self.salesman), "Credit Customer Ltd", "700.00", "1,000.00",
                                       "1,100.00", order.name)
        self.assertIn("credit limit", message)
        # within the limit it goes through, for the same salesperson
        small = self._order(quantity=3, user=self.salesman)
        small.with_user(self.salesman).action_confirm()
        self.assertEqual(small.state, "sale")

    def test_check_credit_public_method(self):
        self._invoice(700.0)
        result = self.customer.with_user(self.collector).revcycle_check_credit(300.0)
        self.assertEqual({key: result[key] for key in ("allowed", "exposure", "limit", "reason")},
                         {"allowed": True, "exposure": 700.0, "limit": 1000.0, "reason": ""})
        # a salesperson learns the answer, not the customer's figures (issue 15)
        result = self.customer.with_user(self.salesman).revcycle_check_credit(300.0)
        self.assertEqual(result, {"allowed": True, "reason_code": False, "reason": "",
                                  "partner": self.customer.display_name})
        result = self.contact.revcycle_check_credit(300.01)
        self.assertFalse(result["allowed"])
        self.assertEqual(result["reason_code"], "limit")
        self.assertIn("Credit Customer Ltd", result["reason"])
        with self.assertRaisesRegex(UserError, "must be a finite number"):
            self.customer.revcycle_check_credit("a lot")

    def test_no_limit_and_check_switched_off(self):
        self.customer.credit_limit = 0.0
        self._order(quantity=100).action_confirm()
        self.customer.credit_limit = 1000.0
        self.company.revcycle_credit_check_on_confirm = False
        order = self._order(quantity=100)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_overdue_invoice_blocks_beyond_the_days_allowed(self):
        self.company.revcycle_credit_overdue_days = 30
        invoice = self._invoice(50.0, days_ago=31)
        self.assertEqual(invoice.invoice_date_due, self.today - timedelta(days=31))
        order = self._order(quantity=1)
        self._assert_refused(order, "overdue by 31 days", "Credit Customer Ltd")
        self.company.revcycle_credit_overdue_days = 31
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_override_by_credit_manager_only(self):
        order = self._order(quantity=20)
        self._assert_refused(order, "2,000.00")
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            order.with_user(self.salesman).action_revcycle_credit_override("Big customer")
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            order.with_user(self.credit_manager).action_revcycle_credit_override("   ")
        self.assertFalse(self.env["revcycle.credit.override"].search([("sale_order_id", "=", order.id)]))

        order.with_user(self.credit_manager).action_revcycle_credit_override("Paid by bank guarantee")
        override = self.env["revcycle.credit.override"].search([("sale_order_id", "=", order.id)])
        self.assertRecordValues(override, [{
            "partner_id": self.customer.id, "amount": 2000.0, "user_id": self.credit_manager.id,
            "exposure_at_approval": 0.0, "limit_at_approval": 1000.0, "reason": "Paid by bank guarantee"}])
        self.assertIn("Paid by bank guarantee", self.customer.message_ids[0].body)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.state, "sale")

    def test_override_does_not_cover_a_grown_order(self):
        order = self._order(quantity=20)
        order.with_user(self.credit_manager).action_revcycle_credit_override("One-off project")
        order.order_line.product_uom_qty = 25
        self._assert_refused(order, "2,500.00")

    def test_temporary_limit(self):
        self._invoice(900.0)
        Override = self.env["revcycle.credit.override"].with_user(self.credit_manager)
        with self.assertRaisesRegex(ValidationError, "needs an end date"), self.env.cr.savepoint():
            Override.create({"override_type": "limit", "partner_id": self.customer.id, "credit_limit": 5000.0,
                             "reason": "Seasonal peak"})
        with self.assertRaisesRegex(ValidationError, "in the past"), self.env.cr.savepoint():
            Override.create({"override_type": "limit", "partner_id": self.customer.id, "credit_limit": 5000.0,
                             "date_end": self.today - timedelta(days=1), "reason": "Seasonal peak"})
        with self.assertRaises(AccessError), self.env.cr.savepoint(), mute_logger("odoo.addons.base.models.ir_model"):
            Override.with_user(self.salesman).create({
                "override_type": "limit", "partner_id": self.customer.id, "credit_limit": 5000.0,
                "date_end": self.today + timedelta(days=30), "reason": "Seasonal peak"})
        self.assertFalse(self.env["revcycle.credit.override"].search([("partner_id", "=", self.customer.id)]))

        order = self._order(quantity=5)
        self._assert_refused(order, "1,400.00")
        Override.create({"override_type": "limit", "partner_id": self.contact.id, "credit_limit": 5000.0,
                         "date_end": self.today + timedelta(days=30), "reason": "Seasonal peak"})
        self.assertEqual(self._profile().credit_limit, 5000.0)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertIn("Seasonal peak", self.customer.message_ids[0].body)

    def test_negative_limit_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"), self.env.cr.savepoint():
            self.customer.credit_limit = -5.0
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.credit_limit, 1000.0)

    def test_hold_set_by_hand_and_lifted(self):
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.customer.with_user(self.salesman).action_revcycle_credit_hold("Disputed invoices")
        with self.assertRaisesRegex(ValidationError, "reason is required"), self.env.cr.savepoint():
            self.customer.with_user(self.credit_manager).action_revcycle_credit_hold("")
        self.env["revcycle.credit.hold.wizard"].with_user(self.credit_manager).with_context(
            active_model="res.partner", active_ids=self.customer.ids,
        ).create({"reason": "Disputed invoices"}).action_apply()
        self.assertTrue(self.contact.revcycle_credit_hold)
        self.assertIn(self.customer, self.env["res.partner"].search([("revcycle_credit_hold", "=", True)]))
        self.assertIn("Disputed invoices", self.customer.message_ids[0].body)
        order = self._order(quantity=1)
        self._assert_refused(order, "on credit hold", "Disputed invoices")

        # the salesperson sees the hold but cannot lift it, not even through the field
        self.assertTrue(self.customer.with_user(self.salesman).revcycle_credit_hold)
        with self.assertRaises(AccessError), self.env.cr.savepoint(), mute_logger("odoo.addons.base.models.ir_model"):
            self.customer.with_user(self.salesman).revcycle_credit_hold = False
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.customer.with_user(self.salesman).action_revcycle_credit_release("Paid")
        self.env["revcycle.credit.hold.wizard"].with_user(self.credit_manager).with_context(
            active_model="res.partner", active_ids=self.contact.ids,
        ).create({"action": "release", "reason": "Dispute settled"}).action_apply()
        self.assertFalse(self.customer.revcycle_credit_hold)
        self.assertIn("Dispute settled", self.customer.message_ids[0].body)
        self.assertNotIn(self.customer, self.env["res.partner"].search([("revcycle_credit_hold", "=", True)]))
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_dunning_hold_lifted_when_the_overdue_amount_is_paid(self):
        self.company.revcycle_credit_overdue_days = 0
        invoice = self._invoice(300.0, days_ago=40)
        self._commit_events()
        profile = self._profile()
        self.assertEqual(profile.overdue_amount, 300.0)
        profile.sudo()._revcycle_set_hold(
            "Dunning level: call and credit hold", source="dunning", release_on_payment=True)
        self._pay(invoice, 100.0)
        self._commit_events()
        self.assertTrue(profile.hold, "still 200 overdue")
        self._pay(invoice, 200.0)
        self._commit_events()
        self.assertFalse(profile.hold)
        self.assertIn("overdue amount is paid", self.customer.message_ids[0].body)

    def test_manual_hold_stays_after_payment(self):
        invoice = self._invoice(300.0, days_ago=40)
        self.customer.with_user(self.credit_manager).action_revcycle_credit_hold("Bankruptcy rumours")
        self._pay(invoice, 300.0)
        self._commit_events()
        self.assertTrue(self._profile().hold)

    def test_invoice_posting_check(self):
        self.company.revcycle_credit_check_on_invoice = True
        self._invoice(900.0)
        draft = self._invoice(200.0, post=False)
        with self.assertRaisesRegex(UserError, "cannot be posted"), self.env.cr.savepoint():
            draft.action_post()
        draft.invalidate_recordset()
        self.assertEqual(draft.state, "draft")
        self.company.revcycle_credit_check_on_invoice = False
        draft.action_post()
        self.assertEqual(draft.state, "posted")

    def test_views_load_for_each_role(self):
        for user in (self.salesman, self.collector, self.credit_manager):
            for model, view_types in (
                ("res.partner", ["form", "list", "search"]),
                ("sale.order", ["form"]),
                ("revcycle.credit.profile", ["list", "form", "search"]),
                ("revcycle.credit.override", ["list", "form", "search"]),
            ):
                if not self.env[model].with_user(user).has_access("read"):
                    continue
                with self.subTest(user=user.login, model=model):
                    views = self.env[model].with_user(user).get_views([(False, view) for view in view_types])
                    self.assertEqual(set(views["views"]), set(view_types))
        form = self.env["res.partner"].with_user(self.salesman).get_views([(False, "form")])["views"]["form"]
        self.assertIn("revcycle_credit_hold", form["arch"])
        self.assertNotIn("revcycle_credit_exposure", form["arch"], "the exposure is for billing and credit staff")

    def test_decision_measures_again_what_the_stored_figures_may_miss(self):
        self._invoice(700.0)
        self._commit_events()
        profile = self._profile()
        self.assertEqual(profile.exposure, 700.0)
        # a stored profile of today that no document of this transaction touched is decided on as it is
        self.env.cr.execute("UPDATE revcycle_credit_profile SET exposure = 950.0 WHERE id = %s", [profile.id])
        profile.invalidate_recordset()
        self.assertEqual(self.customer.revcycle_check_credit(100.0)["exposure"], 950.0)
        # refreshed before today: time may have moved invoices into overdue, so it is measured again
        self.env.cr.execute("UPDATE revcycle_credit_profile SET refresh_date = refresh_date - interval '1 day' "
                            "WHERE id = %s", [profile.id])
        profile.invalidate_recordset()
        self.assertEqual(self.customer.revcycle_check_credit(100.0)["exposure"], 700.0)
        # a document of this transaction marks the customer: measured again before the decision
        self.env.cr.execute("UPDATE revcycle_credit_profile SET exposure = 950.0 WHERE id = %s", [profile.id])
        profile.invalidate_recordset()
        self._invoice(200.0)
        result = self.customer.revcycle_check_credit(200.0)
        self.assertEqual((result["exposure"], result["allowed"]), (900.0, False))
