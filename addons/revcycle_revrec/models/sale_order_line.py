from odoo import api, models

REVCYCLE_PRICE_FIELDS = {"price_unit", "product_uom_qty", "discount", "product_id", "tax_id"}


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id.filtered(lambda order: order.state == "sale")._revcycle_reallocate_contracts()
        return lines

    def write(self, vals):
        result = super().write(vals)
        if REVCYCLE_PRICE_FIELDS.intersection(vals):
            self.order_id.filtered(lambda order: order.state == "sale")._revcycle_reallocate_contracts()
        return result
