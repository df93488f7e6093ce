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
