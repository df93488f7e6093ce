from odoo import api, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._revcycle_mark_credit_dirty()
        return lines

    def write(self, vals):
        result = super().write(vals)
        self._revcycle_mark_credit_dirty()
        return result

    def unlink(self):
        self._revcycle_mark_credit_dirty()
        return super().unlink()

    def _revcycle_mark_credit_dirty(self):
        self.order_id.filtered(lambda order: order.state == "sale")._revcycle_mark_credit_dirty()
