"""Delivery obligations delivered in parts: two partial pickings (the second a backorder) and a return."""

from freezegun import freeze_time
from odoo import Command
from odoo.tests import Form, tagged

from .common import RevrecCommon


@tagged("post_install", "-at_install", "revcycle")
class TestPartialDelivery(RevrecCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.goods = cls.env["product.product"].create(
            {
                "name": "Appliance",
                "type": "consu",
                "is_storable": False,
                "invoice_policy": "order",
                "revcycle_recognition": "delivery",
                "revcycle_ssp": 400.0,
                "taxes_id": [],
                "property_account_income_id": cls.income.id,
            }
        )
        cls.setup_fee = cls._revrec_product("Setup", "invoice", 600.0)

    def _order(self):
        """3 appliances at 400 + setup 300 = 1,500; SSP 1,200 + 600: the appliances get 1,000, 333.33... a unit."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner_a.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "price_unit": price,
                            "tax_id": [Command.clear()],
                        }
                    )
                    for product, qty, price in ((self.goods, 3.0, 400.0), (self.setup_fee, 1.0, 300.0))
                ],
            }
        )
        with freeze_time("2026-01-01"):
            order.action_confirm()
        return order

    def _validate(self, picking, quantity, on):
        picking.move_ids.quantity = quantity
        picking.move_ids.picked = True
        with freeze_time(on):
            result = picking.button_validate()
            if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
                Form(self.env["stock.backorder.confirmation"].with_context(**result["context"])).save().process()
        return picking

    def _return(self, picking, quantity, on):
        wizard = Form(
            self.env["stock.return.picking"].with_context(
                active_ids=picking.ids, active_id=picking.id, active_model="stock.picking"
            )
        ).save()
        wizard.product_return_moves.quantity = quantity
        returned = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        return self._validate(returned, quantity, on)

    def test_two_partial_deliveries_and_a_return(self):
        order = self._order()
        contract = order.revcycle_revenue_contract_ids
        goods = self._obligation(contract, self.goods)
        self.assertEqual(
            (goods.allocated_amount, self._obligation(contract, self.setup_fee).allocated_amount), (1000.0, 500.0)
        )
        self._invoice(order, "2026-01-05")
        # Billed 1,500 into deferred revenue; the setup (at invoice) is earned at once.
        self.assertBalances(
            "2026-01-05", {self.receivable: 1500.0, self.deferred: -1000.0, self.asset: 0.0, self.income: -500.0}
        )

        first = self._validate(order.picking_ids, 1.0, "2026-01-10")
        backorder = order.picking_ids - first
        self.assertEqual(len(backorder), 1, "the undelivered 2 units wait in a backorder")
        # 1 of 3 delivered: a third of 1,000, rounded half-up.
        self.assertBalances(
            "2026-01-10", {self.receivable: 1500.0, self.deferred: -666.67, self.asset: 0.0, self.income: -833.33}
        )
        self.assertEqual(goods.delivered_quantity, 1.0)
        self.assertEqual(goods.deferred_amount, 666.67)

        self._validate(backorder, 2.0, "2026-01-20")
        # The last units release exactly the rest: 666.67, not 2 x 333.33.
        self.assertBalances(
            "2026-01-20", {self.receivable: 1500.0, self.deferred: 0.0, self.asset: 0.0, self.income: -1500.0}
        )
        self.assertEqual((goods.recognized_amount, goods.deferred_amount), (1000.0, 0.0))

        self._return(backorder, 1.0, "2026-02-05")
        # One unit comes back: its share is no longer earned; billed beyond earned is a liability again.
        self.assertBalances(
            "2026-02-05", {self.receivable: 1500.0, self.deferred: -333.33, self.asset: 0.0, self.income: -1166.67}
        )
        self.assertEqual(
            (goods.delivered_quantity, goods.recognized_amount, goods.deferred_amount), (2.0, 666.67, 333.33)
        )
        releases = goods.line_ids.filtered(lambda line: line.kind == "delivery").sorted("date")
        self.assertEqual(
            [(str(line.date), line.amount, line.state) for line in releases],
            [("2026-01-10", 333.33, "posted"), ("2026-01-20", 666.67, "posted"), ("2026-02-05", -333.33, "posted")],
        )
        # Each picking's entry, account by account, in the recognition journal.
        return_entry = releases[-1].move_id
        self.assertEqual((return_entry.journal_id, str(return_entry.date)), (self.journal, "2026-02-05"))
        self.assertEqual(
            sorted((line.account_id.id, line.balance) for line in return_entry.line_ids),
            sorted([(self.income.id, 333.33), (self.deferred.id, -333.33)]),
        )
        first_entry = releases[0].move_id
        self.assertEqual(
            sorted((line.account_id.id, line.balance) for line in first_entry.line_ids),
            sorted([(self.income.id, -333.33), (self.deferred.id, 333.33)]),
        )
        # Nothing is due at month-end: the returned unit waits for a new delivery.
        summary = self.env["revcycle.revenue.contract"].recognize_until("2026-02-28")
        self.assertEqual(summary["lines"], 0)
        waiting = goods.line_ids.filtered(lambda line: line.state == "planned")
        self.assertEqual((waiting.amount, waiting.ready), (333.33, False))

    def test_partial_delivery_before_invoice_builds_a_contract_asset(self):
        order = self._order()
        self._validate(order.picking_ids, 2.0, "2026-01-10")
        # Earned 666.67 with nothing billed: a contract asset, no deferred revenue.
        self.assertBalances(
            "2026-01-10", {self.receivable: 0.0, self.deferred: 0.0, self.asset: 666.67, self.income: -666.67}
        )
        self._invoice(order, "2026-01-15")
        # The invoice lands on the asset: netted, 1,500 billed less 666.67 earned less 500 setup = 333.33 owed.
        self.assertBalances(
            "2026-01-15", {self.receivable: 1500.0, self.deferred: -333.33, self.asset: 0.0, self.income: -1166.67}
        )

    def _goods_order(self, quantity=10.0, price=100.0):
        order = self.env["sale.order"].create({
            "partner_id": self.partner_a.id,
            "order_line": [Command.create({"product_id": self.goods.id, "product_uom_qty": quantity,
                                           "price_unit": price, "tax_id": [Command.clear()]})],
        })
        with freeze_time("2026-01-01"):
            order.action_confirm()
        return order

    def _credit_units(self, order, quantity, on):
        sale_line = order.order_line
        refund = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": order.partner_id.id, "invoice_date": on,
            "invoice_line_ids": [Command.create({
                "product_id": sale_line.product_id.id, "quantity": quantity, "price_unit": sale_line.price_unit,
                "tax_ids": [Command.clear()], "sale_line_ids": [Command.set(sale_line.ids)]})],
        })
        refund.action_post()
        return refund

    def test_return_and_its_credit_note_are_one_event(self):
        """Issue 16 item 3: 10 units at 100 delivered, 2 returned and credited. The return gives back 2/10 of
        1,000 (-200, 800 earned); the credit note lowers the price to 800 and takes the 2 credited units out of
        the basis: 8 delivered of 8 -> 800 earned, nothing more to reverse. Revenue 800 = billed 1,000 - 200,
        not 640 (the credit reversing a second fifth of what was left)."""
        order = self._goods_order()
        contract = order.revcycle_revenue_contract_ids
        self._invoice(order, "2026-01-05")
        picking = self._validate(order.picking_ids, 10.0, "2026-01-10")
        self._return(picking, 2.0, "2026-01-20")
        self.assertBalances("2026-01-20", {self.income: -800.0, self.deferred: -200.0})
        self._credit_units(order, 2.0, "2026-01-25")
        goods = contract.obligation_ids
        self.assertEqual((contract.transaction_price, goods.allocated_amount), (800.0, 800.0))
        self.assertEqual((goods.recognized_amount, goods.deferred_amount), (800.0, 0.0))
        self.assertBalances("2026-01-25", {self.income: -800.0, self.deferred: 0.0, self.asset: 0.0,
                                           self.receivable: 800.0})

    def test_credit_note_before_the_return_is_the_same_event(self):
        """The other order: the credit note first (price 800; nothing returned yet, so 10 of 10 delivered earn
        800: -200 now), then the return (8 delivered of 10 - 2 credited = 8: still 800). Revenue 800."""
        order = self._goods_order()
        contract = order.revcycle_revenue_contract_ids
        self._invoice(order, "2026-01-05")
        picking = self._validate(order.picking_ids, 10.0, "2026-01-10")
        self._credit_units(order, 2.0, "2026-01-15")
        self.assertBalances("2026-01-15", {self.income: -800.0, self.deferred: 0.0})
        self._return(picking, 2.0, "2026-01-20")
        self.assertEqual(contract.obligation_ids.recognized_amount, 800.0)
        self.assertBalances("2026-01-20", {self.income: -800.0, self.deferred: 0.0, self.asset: 0.0})
