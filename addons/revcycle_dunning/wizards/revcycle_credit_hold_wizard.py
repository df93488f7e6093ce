from odoo import api, fields, models


class RevcycleCreditHoldWizard(models.TransientModel):
    """Put customers on credit hold or lift it from the web client, with the reason the chatter keeps.

    API callers use res.partner.action_revcycle_credit_hold / action_revcycle_credit_release directly.
    """

    _name = "revcycle.credit.hold.wizard"
    _description = "Set or Lift a Credit Hold"

    action = fields.Selection(
        selection=[("hold", "Put on Credit Hold"), ("release", "Lift Credit Hold")], required=True, default="hold")
    partner_ids = fields.Many2many("res.partner", string="Customers", default=lambda self: self._default_partners())
    reason = fields.Char(required=True)
    release_on_payment = fields.Boolean(
        string="Lift When Paid", help="Lift the hold automatically once nothing is overdue any more.")

    @api.model
    def _default_partners(self):
        if self.env.context.get("active_model") != "res.partner":
            return self.env["res.partner"]
        return self.env["res.partner"].browse(self.env.context.get("active_ids", [])).commercial_partner_id

    def action_apply(self):
        self.ensure_one()
        if self.action == "hold":
            self.partner_ids.action_revcycle_credit_hold(self.reason, release_on_payment=self.release_on_payment)
        else:
            self.partner_ids.action_revcycle_credit_release(self.reason)
        return {"type": "ir.actions.act_window_close"}
