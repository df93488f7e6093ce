from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    revcycle_credit_check_on_confirm = fields.Boolean(
        related="company_id.revcycle_credit_check_on_confirm", readonly=False)
    revcycle_credit_check_on_invoice = fields.Boolean(
        related="company_id.revcycle_credit_check_on_invoice", readonly=False)
    revcycle_credit_overdue_days = fields.Integer(
        related="company_id.revcycle_credit_overdue_days", readonly=False)
    revcycle_dunning_policy_id = fields.Many2one(
        related="company_id.revcycle_dunning_policy_id", readonly=False)
    revcycle_exposure_include_receivable = fields.Boolean(
        related="company_id.revcycle_exposure_include_receivable", readonly=False)
    revcycle_exposure_include_invoice = fields.Boolean(
        related="company_id.revcycle_exposure_include_invoice", readonly=False)
    revcycle_exposure_include_order = fields.Boolean(
        related="company_id.revcycle_exposure_include_order", readonly=False)
    revcycle_exposure_include_draft = fields.Boolean(
        related="company_id.revcycle_exposure_include_draft", readonly=False)
    revcycle_score_weight_lateness = fields.Integer(
        related="company_id.revcycle_score_weight_lateness", readonly=False)
    revcycle_score_weight_on_time = fields.Integer(
        related="company_id.revcycle_score_weight_on_time", readonly=False)
    revcycle_score_weight_overdue = fields.Integer(
        related="company_id.revcycle_score_weight_overdue", readonly=False)
    revcycle_score_weight_utilisation = fields.Integer(
        related="company_id.revcycle_score_weight_utilisation", readonly=False)
    revcycle_score_weight_age = fields.Integer(
        related="company_id.revcycle_score_weight_age", readonly=False)
    revcycle_score_weight_dunning = fields.Integer(
        related="company_id.revcycle_score_weight_dunning", readonly=False)
    revcycle_dunning_fee_mode = fields.Selection(related="company_id.revcycle_dunning_fee_mode", readonly=False)
    revcycle_dunning_fee_product_id = fields.Many2one(
        related="company_id.revcycle_dunning_fee_product_id", readonly=False)
    revcycle_dunning_fee_account_id = fields.Many2one(
        related="company_id.revcycle_dunning_fee_account_id", readonly=False)
    revcycle_dunning_collector_id = fields.Many2one(related="company_id.revcycle_dunning_collector_id", readonly=False)
    revcycle_autocollect = fields.Boolean(related="company_id.revcycle_autocollect", readonly=False)
    revcycle_retry_card_cap = fields.Integer(related="company_id.revcycle_retry_card_cap", readonly=False)
    revcycle_dunning_wait_for_card = fields.Boolean(
        related="company_id.revcycle_dunning_wait_for_card", readonly=False)
    revcycle_new_customer_policy = fields.Selection(related="company_id.revcycle_new_customer_policy", readonly=False)
    revcycle_new_customer_limit = fields.Monetary(related="company_id.revcycle_new_customer_limit", readonly=False)
    revcycle_new_customer_payment_term_id = fields.Many2one(
        related="company_id.revcycle_new_customer_payment_term_id", readonly=False)
    revcycle_retry_max_tries = fields.Integer(related="company_id.revcycle_retry_max_tries", readonly=False)
    revcycle_retry_window_days = fields.Integer(related="company_id.revcycle_retry_window_days", readonly=False)
    revcycle_stripe_provider_ready = fields.Boolean(
        string="Stripe Provider Ready", compute="_compute_revcycle_stripe_provider_ready")
    revcycle_stripe_api_base = fields.Char(
        string="Stripe API Address", config_parameter="revcycle_dunning.stripe_api_base",
        help="Leave empty for Stripe itself; tests point it at a local fake Stripe server.")

    @api.depends("company_id")
    def _compute_revcycle_stripe_provider_ready(self):
        """Saved cards can be charged only through an enabled (or test-mode) Stripe provider of the company: the
        settings warn when card collection is on without one."""
        for settings in self:
            settings.revcycle_stripe_provider_ready = bool(self.env["payment.provider"].sudo().search_count(
                [("code", "=", "stripe"), ("state", "in", ("enabled", "test")),
                 ("company_id", "=", settings.company_id.id)], limit=1))  # sudo: settings are for administrators
