from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        self._revcycle_release_delivered()
        return result

    def _revcycle_release_delivered(self):
        """Delivery obligations earn the delivered share of their order line on the picking's date: a partial
        delivery its part, a backorder the next part, the last unit exactly the rest; a return (a receipt whose
        moves update the order's delivered quantity) gives its share back."""
        moves = self.move_ids.filtered(lambda move: move.state == "done" and move.sale_line_id)
        if not moves:
            return
        # sudo: the warehouse user validates the delivery; the revenue it earns is posted on their behalf.
        obligations = self.env["revcycle.performance.obligation"].sudo().search(
            [("sale_line_id", "in", moves.sale_line_id.ids), ("recognition", "=", "delivery"),
             ("contract_id.state", "=", "active")])
        for picking in self.sorted(lambda p: (p.date_done, p.id)):
            on_date = fields.Date.context_today(self, picking.date_done)
            mine = obligations.filtered(lambda ob, p=picking: ob.sale_line_id in p.move_ids.sale_line_id)
            lines = mine._revcycle_release_delivered_share(on_date)
            for contract in lines.contract_id:
                contract._revcycle_post_lines(lines.filtered(lambda line, c=contract: line.contract_id == c), on_date)
            obligations -= mine
