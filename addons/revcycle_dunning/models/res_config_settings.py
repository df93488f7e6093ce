from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    revcycle_credit_check_on_confirm = fields.Boolean(
        related="company_id.revcycle_credit_check_on_confirm", readonly=False)
    revcycle_credit_overdue_days = fields.Integer(
        related="company_id.revcycle_credit_overdue_days", readonly=False)
    revcycle_dunning_policy_id = fields.Many2one(
        related="company_id.revcycle_dunning_policy_id", readonly=False)
