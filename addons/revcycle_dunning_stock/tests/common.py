from odoo import Command
from odoo.addons.revcycle_dunning.tests.common import RevcycleCreditCommon
from odoo.tests import new_test_user


class RevcycleDeliveryCreditCommon(RevcycleCreditCommon):
    """The credit fixture of revcycle_dunning plus a storable product in stock and a warehouse user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.revcycle_credit_check_on_delivery = True
        cls.goods = cls._create_product(
            name="Crate", lst_price=100.0, taxes_id=[Command.clear()], invoice_policy="order", is_storable=True
        )
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.env["stock.quant"]._update_available_quantity(cls.goods, cls.warehouse.lot_stock_id, 1000.0)
        cls.storekeeper = new_test_user(
            cls.env, "rc_storekeeper", groups="stock.group_stock_user", company_ids=[Command.set(cls.env.companies.ids)]
        )

    def _confirmed_delivery(self, quantity=1.0, price=100.0, override_reason=None):
        """A confirmed order of ``quantity`` crates and its delivery, with the quantities set, ready to validate."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.contact.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.goods.id,
                            "product_uom_qty": quantity,
                            "price_unit": price,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        if override_reason:
            order.with_user(self.credit_manager).action_revcycle_credit_override(override_reason)
        order.action_confirm()
        picking = order.picking_ids
        self.assertEqual(picking.picking_type_code, "outgoing")
        picking.action_assign()
        picking.move_ids.quantity = quantity
        return order, picking
