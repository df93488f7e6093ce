from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    revcycle_deferred_revenue_account_id = fields.Many2one(
        related="company_id.revcycle_deferred_revenue_account_id", readonly=False)
    revcycle_contract_asset_account_id = fields.Many2one(
        related="company_id.revcycle_contract_asset_account_id", readonly=False)
    revcycle_recognition_journal_id = fields.Many2one(
        related="company_id.revcycle_recognition_journal_id", readonly=False)
