"""Issue 16 item 7: contract modifications (ASC 606-10-25-10..13, IFRS 15.18-21), each recorded on the contract.

A year of plan (1,200, SSP 1,200, ratable by month from 1 January 2026) is modified on 1 April 2026, after January to
March are recognised (300)."""
from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.tests import tagged

from .common import RevrecCommon


@tagged("post_install", "-at_install", "revcycle")
class TestModifications(RevrecCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls._revrec_product("Plan", "ratable_monthly", 1200.0)
        cls.training = cls._revrec_product("Training", "delivery", 300.0)
        # an implementation project: one obligation satisfied over the year whose months are not distinct goods
        cls.implementation = cls._revrec_product("Implementation", "ratable_monthly", 1200.0)
        cls.implementation.revcycle_distinct_periods = False

    def _first_quarter(self, product):
        order = self._confirmed_order([(product, 1200.0)])
        contract = order.revcycle_revenue_contract_ids
        with freeze_time("2026-04-01"):
            self.env["revcycle.revenue.contract"].recognize_until("2026-03-31")
        self.assertEqual(contract.recognized_amount, 300.0)
        return order, contract

    def _planned(self, obligation):
        return obligation.line_ids.filtered(lambda line: line.state == "planned").sorted("date").mapped("amount")

    def test_distinct_goods_at_ssp_are_a_separate_contract(self):
        """Training (distinct) added at 300, its SSP: a separate contract of 300 (25-12); the plan's contract keeps
        its price, allocation and schedule (1,200, 9 x 100 still planned)."""
        order, contract = self._first_quarter(self.plan)
        with freeze_time("2026-04-01"):
            order.write({"order_line": [Command.create({"product_id": self.training.id, "price_unit": 300.0,
                                                        "tax_id": [Command.clear()]})]})
        self.assertEqual((contract.transaction_price, contract.obligation_ids.allocated_amount), (1200.0, 1200.0))
        self.assertEqual(self._planned(contract.obligation_ids), [100.0] * 9)
        separate = order.revcycle_revenue_contract_ids - contract
        self.assertEqual((separate.transaction_price, separate.modification_of_id, separate.date),
                         (300.0, contract, date(2026, 4, 1)))
        self.assertEqual(separate.obligation_ids.mapped(lambda ob: (ob.product_id, ob.allocated_amount)),
                         [(self.training, 300.0)])
        modification = contract.modification_ids
        self.assertEqual((modification.kind, modification.date, modification.price_before, modification.price_after,
                          modification.new_contract_id), ("separate", date(2026, 4, 1), 1200.0, 1200.0, separate))
        # The training's invoice goes to the separate contract; a later change of the plan leaves it alone.
        invoice = self._invoice(order, "2026-04-02", lines=[(order.order_line[1], 300.0)])
        self.assertEqual(invoice.invoice_line_ids.revcycle_contract_id, separate)
        with freeze_time("2026-04-02"):
            order.order_line[0].price_unit = 1500.0
        self.assertEqual((contract.transaction_price, separate.transaction_price), (1500.0, 300.0))

    def test_remaining_distinct_goods_are_reallocated_prospectively(self):
        """The plan's price raised to 1,500: its months are distinct (a series), so the change is prospective
        (25-13(a)): 1,500 less the 300 recognised = 1,200 over April-December, 133.33 a month and the 3 cents
        left to the first three months (split exactly); nothing is caught up."""
        order, contract = self._first_quarter(self.plan)
        with freeze_time("2026-04-01"):
            order.order_line.price_unit = 1500.0
        obligation = contract.obligation_ids
        self.assertEqual((contract.transaction_price, obligation.allocated_amount), (1500.0, 1500.0))
        self.assertEqual(self._planned(obligation), [133.34] * 3 + [133.33] * 6)
        self.assertEqual(contract.recognized_amount, 300.0)
        modification = contract.modification_ids
        self.assertEqual((modification.kind, modification.price_before, modification.price_after,
                          modification.catch_up_amount), ("prospective", 1200.0, 1500.0, 0.0))
        self.assertIn("Plan: $\u00a01,200.00", modification.allocation_before)
        self.assertIn("Plan: $\u00a01,500.00", modification.allocation_after)

    def test_distinct_goods_below_ssp_are_reallocated_prospectively(self):
        """Training added at 240, below its SSP of 300: not a separate contract but a prospective modification.
        The new price 1,440 less the 300 recognised = 1,140 goes to the work still to do by relative SSP: the
        plan's unperformed 9/12 of its SSP (900) and the training's 300: 1,140 x 900 / 1,200 = 855 and 285. The
        plan ends allocated 300 + 855 = 1,155, the training 285: 1,440 in all."""
        order, contract = self._first_quarter(self.plan)
        with freeze_time("2026-04-01"):
            order.write({"order_line": [Command.create({"product_id": self.training.id, "price_unit": 240.0,
                                                        "tax_id": [Command.clear()]})]})
        self.assertEqual(len(order.revcycle_revenue_contract_ids), 1)
        self.assertEqual(contract.transaction_price, 1440.0)
        self.assertEqual(contract.obligation_ids.mapped(lambda ob: (ob.product_id, ob.allocated_amount)),
                         [(self.plan, 1155.0), (self.training, 285.0)])
        self.assertEqual(self._planned(self._obligation(contract, self.plan)), [95.0] * 9)
        self.assertEqual(contract.modification_ids.kind, "prospective")

    def test_non_distinct_obligation_catches_up_cumulatively(self):
        """The implementation's price raised to 1,500: its months are not distinct, so it keeps its measure of
        progress (3 of 12 months, 25 %) and catches up (25-13(b)): 25 % of 1,500 = 375 should be recognised, 300
        is, 75 is recognised on the day of the modification; the 1,125 left is 125 a month April-December."""
        order, contract = self._first_quarter(self.implementation)
        with freeze_time("2026-04-01"):
            order.order_line.price_unit = 1500.0
        self.env.invalidate_all()  # the recognised amount is computed, not stored
        obligation = contract.obligation_ids
        self.assertEqual((contract.transaction_price, obligation.allocated_amount), (1500.0, 1500.0))
        self.assertEqual(self._planned(obligation), [125.0] * 9)
        self.assertEqual(contract.recognized_amount, 375.0)
        self.assertBalances("2026-04-01", {self.income: -375.0, self.asset: 375.0})
        modification = contract.modification_ids
        self.assertEqual((modification.kind, modification.price_before, modification.price_after,
                          modification.catch_up_amount), ("catch_up", 1200.0, 1500.0, 75.0))
        # And to the end: 1,500 recognised, nothing left planned.
        with freeze_time("2027-01-02"):
            self.env["revcycle.revenue.contract"].recognize_until("2026-12-31")
        self.env.invalidate_all()
        self.assertEqual((contract.recognized_amount, contract.deferred_amount), (1500.0, 0.0))
