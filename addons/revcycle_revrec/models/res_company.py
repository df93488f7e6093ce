from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    revcycle_deferred_revenue_account_id = fields.Many2one(
        "account.account", string="Deferred Revenue Account", check_company=True,
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        help="Contract liability: revenue billed but not yet earned.")
    revcycle_contract_asset_account_id = fields.Many2one(
        "account.account", string="Contract Asset Account", check_company=True,
        domain="[('account_type', 'in', ('asset_current', 'asset_receivable', 'asset_non_current'))]",
        help="Revenue earned but not yet billed.")
    revcycle_recognition_journal_id = fields.Many2one(
        "account.journal", string="Recognition Journal", check_company=True,
        domain="[('type', '=', 'general')]",
        help="Journal of the monthly revenue recognition entries.")
