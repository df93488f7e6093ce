from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    revcycle_credit_check_on_delivery = fields.Boolean(
        related="company_id.revcycle_credit_check_on_delivery", readonly=False
    )
