from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    revcycle_default_tier_mode = fields.Selection(related="company_id.revcycle_default_tier_mode", readonly=False)
    revcycle_quote_show_tier_slices = fields.Boolean(
        related="company_id.revcycle_quote_show_tier_slices", readonly=False
    )
    revcycle_contract_proration_behavior = fields.Selection(
        related="company_id.revcycle_contract_proration_behavior", readonly=False
    )
    revcycle_contract_billing_mode = fields.Selection(
        related="company_id.revcycle_contract_billing_mode", readonly=False
    )
    revcycle_contract_reminder_days = fields.Integer(
        related="company_id.revcycle_contract_reminder_days", readonly=False
    )
    revcycle_contract_credit_unused = fields.Boolean(
        related="company_id.revcycle_contract_credit_unused", readonly=False
    )
    revcycle_contract_auto_post = fields.Boolean(related="company_id.revcycle_contract_auto_post", readonly=False)
