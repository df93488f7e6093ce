from odoo import fields, models


class RevcycleRejectQuoteWizard(models.TransientModel):
    """The web client's way to give a rejection reason; API callers call sale.order.action_revcycle_reject(reason)."""

    _name = "revcycle.reject.quote.wizard"
    _description = "Reject a Quotation's Discount"

    order_id = fields.Many2one(
        "sale.order",
        required=True,
        ondelete="cascade",
        default=lambda self: self.env.context.get("active_id")
        if self.env.context.get("active_model") == "sale.order"
        else False,
    )
    reason = fields.Text(required=True)

    def action_reject(self):
        self.ensure_one()
        self.order_id.action_revcycle_reject(self.reason)
        return {"type": "ir.actions.act_window_close"}
