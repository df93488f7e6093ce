"""Issue 15, critical: the quote gates (configuration rules, discount approval) hold on every path to 'sent' and
'sale', and the approval decision is written by the approval actions only."""

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

DECISION_VALUES = {
    "revcycle_approval_decision": "approved",
    "revcycle_approved_max_discount": 60.0,
    "revcycle_approved_margin": -100.0,
    "revcycle_approved_amount": 1e9,
}


@tagged("post_install", "-at_install", "revcycle")
class TestQuoteGatesSecurity(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("revcycle_cpq.revcycle_approval_rule_discount_demo").active = False
        cls.partner = cls.env["res.partner"].create({"name": "Gate Customer"})
        cls.chair = cls.env["product.product"].create(
            {"name": "Gate Chair", "list_price": 100.0, "standard_price": 40.0}
        )
        cls.desk = cls.env["product.product"].create({"name": "Gate Desk", "list_price": 500.0})
        cls.env["revcycle.config.rule"].create(
            {
                "product_tmpl_id": cls.desk.product_tmpl_id.id,
                "rule_type": "requires",
                "target_product_ids": [Command.set(cls.chair.ids)],
                "message": "A gate desk is sold with a gate chair.",
            }
        )
        cls.env["revcycle.approval.rule"].create({"name": "Over 10 %", "check_discount": True, "max_discount": 10.0})
        cls.salesman = new_test_user(cls.env, "rc_gate_salesman", groups="sales_team.group_sale_salesman")
        cls.manager = new_test_user(cls.env, "rc_gate_manager", groups="revcycle_cpq.group_revcycle_cpq_manager")
        cls.other_manager = new_test_user(
            cls.env, "rc_gate_manager_2", groups="revcycle_cpq.group_revcycle_cpq_manager"
        )

    def _quote(self, user, discount=60.0, product=None):
        return (
            self.env["sale.order"]
            .with_user(user)
            .create(
                {
                    "partner_id": self.partner.id,
                    "order_line": [
                        Command.create(
                            {"product_id": (product or self.chair).id, "product_uom_qty": 1, "discount": discount}
                        )
                    ],
                }
            )
        )

    # -- decision fields ---------------------------------------------------------------------------------------------
    def test_salesperson_cannot_write_the_decision_fields(self):
        # Reproduction: a salesperson writes revcycle_approval_decision='approved' and the revcycle_approved_* fields
        # (read-only only in the view), with "Decided By" naming a manager, then confirms a 60 % discount.
        order = self._quote(self.salesman)
        self.assertEqual(order.revcycle_approval_state, "to_request")  # needs approval; nobody asked yet (issue 20)
        attempts = [
            DECISION_VALUES,
            {"revcycle_approved_by_id": self.manager.id},
            {"revcycle_approval_state": "approved"},
            {"revcycle_approval_requested": True},
            {"revcycle_salesperson_ids": [Command.clear()]},
        ]
        for values in attempts:
            with (
                self.subTest(fields=sorted(values)),
                self.assertRaisesRegex(AccessError, "can only be set by the approval actions"),
                self.env.cr.savepoint(),
            ):
                order.write(values)
        with self.assertRaisesRegex(AccessError, "Decided By"), self.env.cr.savepoint():
            order.write({"revcycle_approved_by_id": self.manager.id})
        self.assertRecordValues(
            order,
            [
                {
                    "revcycle_approval_decision": False,
                    "revcycle_approved_by_id": False,
                    "revcycle_approval_state": "to_request",
                }
            ],
        )
        with self.assertRaisesRegex(UserError, "needs a discount approval"), self.env.cr.savepoint():
            order.action_confirm()
        self.assertEqual(order.state, "draft")

    def test_decision_fields_refused_at_creation_even_as_superuser(self):
        # Reproduction: the decision fields given straight to create().
        for env in (self.env(user=self.salesman), self.env):
            with (
                self.subTest(user=env.user.login),
                self.assertRaisesRegex(AccessError, "can only be set by the approval actions"),
                self.env.cr.savepoint(),
            ):
                env["sale.order"].create(
                    {
                        "partner_id": self.partner.id,
                        "revcycle_approved_by_id": self.manager.id,
                        **DECISION_VALUES,
                        "order_line": [Command.create({"product_id": self.chair.id, "discount": 60.0})],
                    }
                )
        self.assertFalse(self.env["sale.order"].search([("partner_id", "=", self.partner.id)]))

    def test_the_context_cannot_unlock_the_decision_fields(self):
        # Reproduction: an XML-RPC caller sends the context key the approval actions use.
        order = self._quote(self.salesman)
        for flag in (True, 1, "1", "revcycle"):
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                order.with_context(revcycle_decision_write=flag).write(DECISION_VALUES)
        self.assertFalse(order.revcycle_approval_decision)

    # -- every path to 'sale' and 'sent' -----------------------------------------------------------------------------
    def test_write_state_sale_is_gated_like_action_confirm(self):
        # Reproduction: write({'state': 'sale'}) confirms a quotation pending approval.
        order = self._quote(self.salesman)
        for state in ("sale", "sent"):
            with (
                self.subTest(state=state),
                self.assertRaisesRegex(UserError, "needs a discount approval"),
                self.env.cr.savepoint(),
            ):
                order.write({"state": state})
            self.assertEqual(order.state, "draft")
        # a cancelled quotation does not jump the gate either
        order._action_cancel()
        with self.assertRaisesRegex(UserError, "needs a discount approval"), self.env.cr.savepoint():
            order.write({"state": "sale"})
        self.assertEqual(order.state, "cancel")

    def test_write_state_sale_checks_configuration_rules(self):
        # Reproduction: write({'state': 'sale'}) confirms a quotation that breaks its configuration rules.
        order = self._quote(self.salesman, discount=0.0, product=self.desk)
        with self.assertRaisesRegex(ValidationError, "sold with a gate chair"), self.env.cr.savepoint():
            order.write({"state": "sale"})
        self.assertEqual(order.state, "draft")

    def test_lines_changed_in_the_confirming_write_are_gated(self):
        # Reproduction: an approved 5 % quotation confirmed by one write that also raises the discount to 60 %.
        order = self._quote(self.salesman, discount=5.0)
        self.assertEqual(order.revcycle_approval_state, "not_required")
        with self.assertRaisesRegex(UserError, "needs a discount approval"), self.env.cr.savepoint():
            order.write({"state": "sale", "order_line": [Command.update(order.order_line.id, {"discount": 60.0})]})
        order.invalidate_recordset()
        self.assertEqual((order.state, order.order_line.discount), ("draft", 5.0))

    def test_create_straight_as_confirmed_is_gated(self):
        # Reproduction: create({'state': 'sale', ...}) with a 60 % discount.
        for state in ("sale", "sent"):
            with (
                self.subTest(state=state),
                self.assertRaisesRegex(UserError, "needs a discount approval"),
                self.env.cr.savepoint(),
            ):
                self.env["sale.order"].with_user(self.salesman).create(
                    {
                        "partner_id": self.partner.id,
                        "state": state,
                        "order_line": [Command.create({"product_id": self.chair.id, "discount": 60.0})],
                    }
                )
        self.assertFalse(self.env["sale.order"].search([("partner_id", "=", self.partner.id)]))
        # within the rules it is created in the state asked for
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": self.partner.id,
                    "state": "sale",
                    "order_line": [Command.create({"product_id": self.chair.id, "discount": 5.0})],
                }
            )
        )
        self.assertEqual(order.state, "sale")

    # -- self-approval -----------------------------------------------------------------------------------------------
    def test_manager_cannot_approve_a_quote_they_sold_before(self):
        # Reproduction: a manager reassigns user_id, approves, and reassigns back: self-approval.
        order = self._quote(self.salesman)
        order.with_user(self.manager).write({"user_id": self.manager.id})
        order.with_user(self.manager).write({"user_id": self.salesman.id})
        with self.assertRaisesRegex(UserError, "You were the salesperson"), self.env.cr.savepoint():
            order.with_user(self.manager).action_revcycle_approve()
        with self.assertRaisesRegex(UserError, "You were the salesperson"), self.env.cr.savepoint():
            order.with_user(self.manager).action_revcycle_reject("not my own")
        self.assertEqual(order.revcycle_approval_state, "to_request")  # nothing decided, nobody asked
        self.assertIn(self.manager, order.revcycle_salesperson_ids)
        self.assertNotIn(self.manager, order._revcycle_approvers())
        order.with_user(self.other_manager).action_revcycle_approve()
        self.assertEqual(
            (order.revcycle_approval_state, order.revcycle_approved_by_id), ("approved", self.other_manager)
        )

    def test_manager_cannot_approve_a_quote_they_created(self):
        # Reproduction: a manager creates the quotation for a salesperson and approves it.
        order = self._quote(self.manager)
        order.user_id = self.salesman
        self.env.cr.execute("DELETE FROM revcycle_sale_order_salesperson_rel WHERE order_id = %s", [order.id])
        order.invalidate_recordset()
        with self.assertRaisesRegex(UserError, "You created"), self.env.cr.savepoint():
            order.with_user(self.manager).action_revcycle_approve()
        self.assertEqual(order.revcycle_approval_state, "to_request")

    def test_history_follows_revisions(self):
        # Reproduction: a manager hands the quotation to a salesperson, revises it, and approves the revision.
        order = self._quote(self.manager)
        order.with_user(self.manager).write({"user_id": self.salesman.id})
        revision = self.env["sale.order"].browse(
            order.with_user(self.salesman).action_revcycle_new_revision()["res_id"]
        )
        self.assertEqual(revision.revcycle_approval_state, "to_request")
        with self.assertRaisesRegex(UserError, "You were the salesperson"), self.env.cr.savepoint():
            revision.with_user(self.manager).action_revcycle_approve()
        revision.with_user(self.other_manager).action_revcycle_approve()
        self.assertEqual(revision.revcycle_approval_state, "approved")

    def test_approval_rule_must_check_something_even_with_empty_flags(self):
        # Reproduction: an approval rule with no criterion at all (the flags left NULL) passed the CHECK.
        Rule = self.env["revcycle.approval.rule"]
        for values in ({}, {"check_discount": False, "check_margin": False, "check_amount": False}):
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(IntegrityError, "revcycle_approval_rule_checks_something"),
                mute_logger("odoo.sql_db"),
                self.env.cr.savepoint(),
            ):
                Rule.create({"name": "Nothing", **values})
                Rule.flush_model()
