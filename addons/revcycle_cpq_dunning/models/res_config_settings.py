from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    revcycle_exposure_include_contract = fields.Boolean(
        related="company_id.revcycle_exposure_include_contract", readonly=False)
    revcycle_exposure_contract_months = fields.Integer(
        related="company_id.revcycle_exposure_contract_months", readonly=False)
