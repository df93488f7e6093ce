"""Issue 15: a contract's state and signature change through its actions only; line discounts stay within 0-100."""

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import ContractCase


@tagged("post_install", "-at_install", "revcycle")
class TestContractSecurity(ContractCase):
    """The 310-a-month service, customer and salesperson of ContractCase (tests/common.py)."""

    def _vals(self, **values):
        return {
            "partner_id": self.customer.id,
            "company_id": self.company_data["company"].id,
            "currency_id": self.company_data["currency"].id,
            "date_start": date(2026, 1, 1),
            "date_end": date(2026, 12, 31),
            "line_ids": [
                Command.create({"product_id": self.service.id, "name": "Support", "quantity": 1, "price_unit": 310.0})
            ],
            **values,
        }

    def test_pause_dates_refused_naming_the_pause_actions(self):
        contract = self.env["revcycle.contract"].with_user(self.salesman).create(self._vals())
        with self.assertRaisesRegex(AccessError, "Pause, Cancel Pause, Resume"), self.env.cr.savepoint():
            contract.write({"pause_from": date(2026, 5, 1), "pause_to": date(2026, 5, 31)})
        self.assertFalse(contract.pause_from)

    def test_unsigned_contract_cannot_be_activated_by_a_write(self):
        # Reproduction: writing state='active' on an unsigned draft contract bills it.
        contract = self.env["revcycle.contract"].with_user(self.salesman).create(self._vals())
        for values in (
            {"state": "active"},
            {"state": "signed"},
            {"signed_date": date(2026, 1, 1), "signed_by": "Nobody"},
        ):
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(AccessError, "change through its actions"),
                self.env.cr.savepoint(),
            ):
                contract.write(values)
        self.assertRecordValues(contract, [{"state": "draft", "signed_date": False, "next_invoice_date": False}])
        with self.assertRaisesRegex(AccessError, "change through its actions"), self.env.cr.savepoint():
            self.env["revcycle.contract"].with_user(self.salesman).create(self._vals(state="active"))
        # the context key of the actions does not unlock it from outside
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            contract.with_context(revcycle_lifecycle_write=True).write({"state": "active"})
        # the actions still do it, signature first
        contract.action_sign()
        contract.action_activate()
        # the signer is the customer's contact, not the user recording the signature (issue 17)
        self.assertEqual((contract.state, contract.signed_by), ("active", contract.partner_id.display_name))

    def test_line_discount_is_a_percentage(self):
        # Reproduction: contract line discounts of 150 % and -50 %.
        contract = self.env["revcycle.contract"].create(self._vals())
        for discount in (150.0, -50.0):
            with (
                self.subTest(discount=discount),
                self.assertRaisesRegex(IntegrityError, "revcycle_contract_line_discount_range"),
                mute_logger("odoo.sql_db"),
                self.env.cr.savepoint(),
            ):
                contract.line_ids.write({"discount": discount})
                contract.line_ids.flush_recordset()
        contract.line_ids.invalidate_recordset()
        self.assertEqual(contract.line_ids.discount, 0.0)
        contract.line_ids.discount = 100.0
        self.assertEqual(contract.recurring_total, 0.0)

    def test_salespeople_see_their_own_contracts_only(self):
        # Reproduction: salespeople read and edited every contract of their company (no own-documents rule).
        other = new_test_user(
            self.env,
            "rc_guard_other_salesman",
            groups="revcycle_cpq.group_revcycle_cpq_user",
            company_id=self.company_data["company"].id,
        )
        mine = self.env["revcycle.contract"].with_user(self.salesman).create(self._vals())
        theirs = self.env["revcycle.contract"].with_user(other).create(self._vals())
        Contract = self.env["revcycle.contract"].with_user(self.salesman)
        self.assertEqual(Contract.search([("id", "in", (mine | theirs).ids)]), mine)
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            theirs.with_user(self.salesman).read(["name"])
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            theirs.with_user(self.salesman).write({"notice_days": 1})
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            theirs.line_ids.with_user(self.salesman).write({"price_unit": 1.0})
        # a manager (who sees every sales document) sees both
        manager = new_test_user(
            self.env,
            "rc_guard_cpq_manager",
            groups="revcycle_cpq.group_revcycle_cpq_manager",
            company_id=self.company_data["company"].id,
        )
        self.assertEqual(
            self.env["revcycle.contract"].with_user(manager).search([("id", "in", (mine | theirs).ids)]), mine | theirs
        )
