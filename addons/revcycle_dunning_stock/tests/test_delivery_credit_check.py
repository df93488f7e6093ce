from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RevcycleDeliveryCreditCommon


@tagged("post_install", "-at_install", "revcycle")
class TestDeliveryCreditCheck(RevcycleDeliveryCreditCommon):
    def _assert_refused(self, picking, *patterns):
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            picking.with_user(self.storekeeper).button_validate()
        for pattern in patterns:
            self.assertIn(pattern, str(caught.exception))
        picking.invalidate_recordset()
        self.assertNotEqual(picking.state, "done")
        self.assertFalse(picking.move_ids.filtered(lambda move: move.state == "done"))
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(self.goods, self.warehouse.lot_stock_id),
            1000.0 - sum(picking.move_ids.mapped("quantity")),
        )
        return str(caught.exception)

    def _assert_validated(self, picking):
        picking.with_user(self.storekeeper).button_validate()
        self.assertEqual(picking.state, "done")

    def test_over_limit_refused_with_partner_exposure_limit_and_reason(self):
        _order, picking = self._confirmed_delivery(quantity=8)
        # the order counts in the exposure from its confirmation: 800 of 1,000 leaves the customer in good standing
        self._invoice(300.0)
        message = self._assert_refused(picking, picking.name, "Credit Customer Ltd", "1,100.00", "1,000.00")
        self.assertIn("credit limit", message)
        # the same message as at order confirmation: a second order says the same about the customer
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            self._order(quantity=1).action_confirm()
        for pattern in ("Credit Customer Ltd", "1,100.00", "1,000.00", "credit limit"):
            self.assertIn(pattern, str(caught.exception))

        self.company.revcycle_credit_check_on_delivery = False
        self._assert_validated(picking)

    def test_within_limit_delivers(self):
        _order, picking = self._confirmed_delivery(quantity=10)
        # exposure equal to the limit is not over it
        self.assertEqual(self.customer.revcycle_check_credit()["exposure"], 1000.0)
        self._assert_validated(picking)

    def test_hold_refused_until_lifted(self):
        _order, picking = self._confirmed_delivery(quantity=1)
        self.customer.with_user(self.credit_manager).action_revcycle_credit_hold("Cheque bounced")
        self._assert_refused(picking, "on credit hold", "Cheque bounced", "Credit Customer Ltd", "100.00", "1,000.00")
        self.customer.with_user(self.credit_manager).action_revcycle_credit_release("Cheque cleared")
        self._assert_validated(picking)

    def test_overdue_beyond_days_allowed_refused(self):
        _order, picking = self._confirmed_delivery(quantity=1)
        self.company.revcycle_credit_overdue_days = 30
        self._invoice(50.0, days_ago=31)
        self._assert_refused(picking, "overdue by 31 days", "Credit Customer Ltd", "150.00", "1,000.00")
        self.company.revcycle_credit_overdue_days = 31
        self._assert_validated(picking)

    def test_order_override_covers_its_deliveries(self):
        _order, picking = self._confirmed_delivery(quantity=15, override_reason="Paid by bank guarantee")
        self.customer.with_user(self.credit_manager).action_revcycle_credit_hold("Dispute pending")
        self._assert_validated(picking)

    def test_receipts_and_other_customers_are_not_checked(self):
        self.customer.with_user(self.credit_manager).action_revcycle_credit_hold("Cheque bounced")
        receipt_type = self.warehouse.in_type_id
        receipt = self.env["stock.picking"].create(
            {
                "picking_type_id": receipt_type.id,
                "partner_id": self.customer.id,
                "location_id": receipt_type.default_location_src_id.id,
                "location_dest_id": receipt_type.default_location_dest_id.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": "Returned crates",
                            "product_id": self.goods.id,
                            "product_uom_qty": 2.0,
                            "product_uom": self.goods.uom_id.id,
                            "location_id": receipt_type.default_location_src_id.id,
                            "location_dest_id": receipt_type.default_location_dest_id.id,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        receipt.move_ids.quantity = 2.0
        self._assert_validated(receipt)

        other = self.env["res.partner"].create({"name": "Good Payer Inc", "is_company": True})
        other.credit_limit = 100.0
        order = self.env["sale.order"].create(
            {
                "partner_id": other.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.goods.id,
                            "product_uom_qty": 1.0,
                            "price_unit": 100.0,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        order.picking_ids.move_ids.quantity = 1.0
        self._assert_validated(order.picking_ids)

    def test_setting_shown_in_revenue_cycle_block(self):
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.revcycle_credit_check_on_delivery)
        settings.revcycle_credit_check_on_delivery = False
        settings.execute()
        self.assertFalse(self.company.revcycle_credit_check_on_delivery)
        arch = settings.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="revcycle_credit_check_on_delivery"', arch)
        self.assertIn("Check credit at delivery validation", arch)
