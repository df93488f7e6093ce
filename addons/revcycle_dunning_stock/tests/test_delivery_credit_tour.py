"""The main journey of revcycle_dunning_stock in the backend, in a browser: a delivery refused because its customer
is over their credit limit, the limit raised by the credit manager, the delivery validated."""

from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestDeliveryCreditTour(HttpCase):
    def test_delivery_refused_then_validated_after_the_limit_is_raised(self):
        """A new customer with a 1,000.00 limit orders 8 crates at 100.00 (untaxed): 800.00 of exposure, within the
        limit, so the order confirms. Then a 300.00 invoice is posted: 800 + 300 = 1,100.00 > 1,000.00. Validating
        the delivery is refused with both figures; the credit manager raises the limit to 1,100.00 (exactly at the
        limit is allowed) and the delivery validates. Checked afterwards: the delivery is done, its 8 crates left
        the stock, and the limit the browser wrote is 1,100.00."""
        company = self.env.ref("base.main_company")
        company.write({"revcycle_credit_check_on_delivery": True, "revcycle_credit_check_on_confirm": True})
        self.env.ref("base.user_admin").groups_id |= self.env.ref("revcycle_dunning.group_revcycle_dunning_manager")
        customer = self.env["res.partner"].with_company(company).create(
            {"name": "Tour Delivery Customer", "is_company": True, "credit_limit": 1000.0})
        goods = self.env["product.product"].create({
            "name": "Tour crate", "type": "consu", "is_storable": True, "list_price": 100.0,
            "invoice_policy": "order", "taxes_id": [Command.clear()]})
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        self.env["stock.quant"]._update_available_quantity(goods, warehouse.lot_stock_id, 20.0)
        order = self.env["sale.order"].with_company(company).create({
            "partner_id": customer.id,
            "order_line": [Command.create({"product_id": goods.id, "product_uom_qty": 8, "price_unit": 100.0,
                                           "tax_id": [Command.clear()]})],
        })
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        self.assertEqual(picking.state, "assigned")
        invoice = self.env["account.move"].with_company(company).create({
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_line_ids": [Command.create({"name": "Earlier service", "quantity": 1, "price_unit": 300.0,
                                                 "tax_ids": [Command.clear()]})],
        })
        invoice.action_post()

        self.start_tour(f"/odoo/action-stock.action_picking_tree_all/{picking.id}", "revcycle_delivery_credit_tour",
                        login="admin")

        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.quantity, 8.0)
        self.assertEqual(self.env["stock.quant"]._get_available_quantity(goods, warehouse.lot_stock_id), 12.0)
        self.assertEqual(customer.with_company(company).credit_limit, 1100.0)
