from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    revcycle_deferred_revenue_account_id = fields.Many2one(
        related="company_id.revcycle_deferred_revenue_account_id", readonly=False)
    revcycle_contract_asset_account_id = fields.Many2one(
        related="company_id.revcycle_contract_asset_account_id", readonly=False)
    revcycle_recognition_journal_id = fields.Many2one(
        related="company_id.revcycle_recognition_journal_id", readonly=False)
    revcycle_income_line_mode = fields.Selection(related="company_id.revcycle_income_line_mode", readonly=False)
    revcycle_revrec_setup_missing = fields.Boolean(
        string="Recognition Setup Missing", compute="_compute_revcycle_revrec_setup_missing",
        help="The company lacks a recognition setting: its orders get no revenue contract.")

    def _compute_revcycle_revrec_setup_missing(self):
        for settings in self:
            settings.revcycle_revrec_setup_missing = not settings.company_id._revcycle_revrec_enabled()

    def action_revcycle_revrec_setup_accounts(self):
        """Create (or reuse) the deferred revenue and contract asset accounts and the recognition journal of the
        company, as the demo data does, and switch recognition on."""
        self.company_id._revcycle_revrec_setup_accounts()
        return {"type": "ir.actions.client", "tag": "reload"}
