"""Issue 16: a revenue contract that ends is checked and closed; 'Recognise up to…' for one contract.

A year of support for 1,200 (ratable by month from 1 January 2026, 100 a month)."""
from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import RevrecCommon


@tagged("post_install", "-at_install", "revcycle")
class TestClosing(RevrecCommon):
    def _support(self):
        order = self._confirmed_order([(self.support, 1200.0)])
        return order, order.revcycle_revenue_contract_ids

    def _recognise_year(self):
        with freeze_time("2027-01-15"):
            self.env["revcycle.revenue.contract"].recognize_until("2026-12-31")

    def test_billed_and_recognised_contract_closes(self):
        """Billed 1,200 up front, 12 x 100 recognised by 31 December: recognised = net consideration (1,200),
        deferred revenue 1,200 - 1,200 = 0, no contract asset: closed by the run that posts December."""
        order, contract = self._support()
        self._invoice(order, "2026-01-01")
        with freeze_time("2026-12-15"):
            self.env["revcycle.revenue.contract"].recognize_until("2026-11-30")
        self.assertEqual((contract.state, contract.close_note), ("active", False), "December is still to come")
        self._recognise_year()
        self.env.invalidate_all()
        self.assertEqual((contract.state, contract.recognized_amount, contract.contract_liability,
                          contract.contract_asset), ("closed", 1200.0, 0.0, 0.0))
        self.assertIn("Closed", contract.message_ids[0].body)

    def test_unbilled_contract_stays_open_until_invoiced(self):
        """Nothing billed: after December 1,200 is recognised against a contract asset of 1,200, so the contract
        stays open and says why; the invoice of 5 January 2027 nets the asset (deferred -1,200 + asset 1,200 both
        to 0) and closes it. A credit note of 200 afterwards opens it again: the price falls to 1,000, the 200
        already recognised comes back at once (all of it was satisfied), 1,000 billed = 1,000 recognised, and it
        closes again."""
        order, contract = self._support()
        self._recognise_year()
        self.assertEqual((contract.state, contract.contract_asset), ("active", 1200.0))
        self.assertIn("contract asset of $\u00a01,200.00", contract.close_note)
        self.assertIn("invoice it", contract.close_note)
        with freeze_time("2027-01-05"):
            self._invoice(order, "2027-01-05")
        self.env.invalidate_all()  # the position and the recognised amount are computed, not stored
        self.assertEqual((contract.state, contract.contract_asset, contract.contract_liability), ("closed", 0.0, 0.0))
        with freeze_time("2027-01-20"):
            self._invoice(order, "2027-01-20", lines=[(order.order_line, 200.0)], move_type="out_refund")
        self.env.invalidate_all()
        self.assertEqual((contract.transaction_price, contract.recognized_amount), (1000.0, 1000.0))
        self.assertEqual((contract.state, contract.contract_asset, contract.contract_liability), ("closed", 0.0, 0.0))
        self.assertTrue(contract.message_ids.filtered(lambda m: "Opened again" in (m.body or "")))
        self.assertBalances("2027-01-20", {self.income: -1000.0, self.receivable: 1000.0, self.deferred: 0.0,
                                           self.asset: 0.0})

    def test_recognise_one_contract_up_to_a_date(self):
        """'Recognise up to 31 March' on one contract posts its January-March (3 x 100 = 300) and nothing of the
        other contract; the wizard does the same for April; bad input and a reader are refused, nothing posted."""
        _order, contract = self._support()
        _other_order, other = self._support()
        summary = contract.recognize_contract_until("2026-03-31")
        self.assertEqual((summary["contracts"], summary["lines"], summary["amount"]), (1, 3, 300.0))
        self.env.invalidate_all()
        self.assertEqual((contract.recognized_amount, other.recognized_amount), (300.0, 0.0))
        action = contract.action_revcycle_open_recognize_wizard()
        wizard = self.env[action["res_model"]].with_context(**action["context"]).create({"date": "2026-04-30"})
        wizard.action_recognize()
        self.env.invalidate_all()
        self.assertEqual((contract.recognized_amount, other.recognized_amount), (400.0, 0.0))
        with self.assertRaisesRegex(UserError, "after today"):
            contract.recognize_contract_until("2999-01-31")
        reader = new_test_user(self.env, "rc_revrec_close_reader", groups="revcycle_revrec.group_revcycle_revrec_user",
                               company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"):
            contract.with_user(reader).recognize_contract_until("2026-05-31")
        self.env.invalidate_all()
        self.assertEqual(contract.recognized_amount, 400.0)
