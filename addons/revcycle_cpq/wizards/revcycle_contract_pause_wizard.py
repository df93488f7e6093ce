from odoo import fields, models


class RevcycleContractPauseWizard(models.TransientModel):
    """The web client's form for action_pause; API callers call revcycle.contract.action_pause directly."""

    _name = "revcycle.contract.pause.wizard"
    _description = "Pause a Contract"

    contract_id = fields.Many2one(
        "revcycle.contract",
        required=True,
        ondelete="cascade",
        default=lambda self: self.env.context.get("active_id")
        if self.env.context.get("active_model") == "revcycle.contract"
        else False,
    )
    date_from = fields.Date(string="Pause From", required=True, help="The first day of a billing period.")
    date_to = fields.Date(string="Pause To", required=True, help="The last day of a billing period.")
    pause_extends_term = fields.Boolean(related="contract_id.pause_extends_term")

    def action_pause(self):
        self.ensure_one()
        self.contract_id.action_pause(self.date_from, self.date_to)
        return {"type": "ir.actions.act_window_close"}
