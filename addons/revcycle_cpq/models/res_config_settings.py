from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    revcycle_default_tier_mode = fields.Selection(related="company_id.revcycle_default_tier_mode", readonly=False)
