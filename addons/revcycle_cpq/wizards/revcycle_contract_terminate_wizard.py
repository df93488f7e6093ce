from odoo import fields, models


class RevcycleContractTerminateWizard(models.TransientModel):
    """The web client's form for action_terminate; API callers call revcycle.contract.action_terminate directly."""

    _name = "revcycle.contract.terminate.wizard"
    _description = "Terminate a Contract"

    contract_id = fields.Many2one(
        "revcycle.contract",
        required=True,
        ondelete="cascade",
        default=lambda self: self.env.context.get("active_id")
        if self.env.context.get("active_model") == "revcycle.contract"
        else False,
    )
    termination_date = fields.Date(required=True, default=fields.Date.context_today)
    override_notice = fields.Boolean(string="Override the Notice Period")
    reason = fields.Text()

    def action_terminate(self):
        self.ensure_one()
        self.contract_id.action_terminate(self.termination_date, self.reason, self.override_notice)
        return {"type": "ir.actions.act_window_close"}
