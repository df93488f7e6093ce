from odoo import fields, models
from odoo.tools import float_compare


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        self._revcycle_release_delivered()
        return result

    def _revcycle_release_delivered(self):
        """Delivery obligations whose order line is fully delivered are earned on the picking's date."""
        sale_lines = self.filtered(lambda p: p.picking_type_code == "outgoing").move_ids.sale_line_id
        if not sale_lines:
            return
        # sudo: the warehouse user validates the delivery; the revenue it earns is posted on their behalf.
        obligations = self.env["revcycle.performance.obligation"].sudo().search(
            [("sale_line_id", "in", sale_lines.ids), ("recognition", "=", "delivery"),
             ("contract_id.state", "=", "active")])
        delivered = obligations.filtered(lambda ob: float_compare(
            ob.sale_line_id.qty_delivered, ob.sale_line_id.product_uom_qty,
            precision_rounding=ob.sale_line_id.product_uom.rounding) >= 0)
        for picking in self:
            on_date = fields.Date.context_today(self, picking.date_done)
            mine = delivered.filtered(lambda ob, p=picking: ob.sale_line_id in p.move_ids.sale_line_id)
            lines = mine._revcycle_satisfy(on_date)
            for contract in lines.contract_id:
                contract._revcycle_post_lines(lines.filtered(lambda line, c=contract: line.contract_id == c), on_date)
            delivered -= mine
