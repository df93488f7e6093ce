from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..engine import credit as credit_engine
from ..engine import retries as retry_engine

SCORE_WEIGHT_FIELDS = {
    "lateness": "revcycle_score_weight_lateness",
    "on_time": "revcycle_score_weight_on_time",
    "overdue": "revcycle_score_weight_overdue",
    "utilisation": "revcycle_score_weight_utilisation",
    "age": "revcycle_score_weight_age",
    "dunning": "revcycle_score_weight_dunning",
}


class ResCompany(models.Model):
    _inherit = "res.company"

    revcycle_credit_check_on_confirm = fields.Boolean(
        string="Credit Check at Order Confirmation", default=True,
        help="Refuse to confirm a sale order when the customer is over their credit limit or on credit hold.")
    revcycle_credit_check_on_invoice = fields.Boolean(
        string="Credit Check at Invoice Posting",
        help="Also refuse to post a customer invoice when the customer is over their credit limit, on credit hold "
        "or overdue.")
    revcycle_credit_overdue_days = fields.Integer(
        string="Block After Days Overdue", default=30,
        help="Also refuse confirmation when the customer has an invoice overdue by more than this many days "
        "(0 disables this check).")
    revcycle_dunning_policy_id = fields.Many2one(
        "revcycle.dunning.policy", string="Default Dunning Policy",
        domain="[('company_id', 'in', (id, False))]",
        help="Policy for customers that have none of their own.")
    revcycle_dunning_fee_mode = fields.Selection(
        selection=[("invoice", "Separate Fee Invoice"), ("next_invoice", "Line on the Next Invoice")],
        string="Late Fees", default="invoice", required=True,
        help="Post each notice's late fee as an invoice of its own, or add it to the customer's next invoice.")
    revcycle_dunning_fee_product_id = fields.Many2one(
        "product.product", string="Late Fee Product", domain="[('type', '=', 'service')]",
        default=lambda self: self.env.ref("revcycle_dunning.product_product_late_fee", raise_if_not_found=False),
        help="Its income account and taxes are used on late fees; empty uses the Late Fee product of this addon.")
    revcycle_dunning_fee_account_id = fields.Many2one(
        "account.account", string="Late Fee Income Account",
        domain="[('account_type', 'in', ('income', 'income_other')), ('company_ids', 'in', id)]",
        help="Late fees post to this account, apart from product sales; empty uses the fee product's income "
        "account.")
    revcycle_dunning_collector_id = fields.Many2one(
        "res.users", string="Default Collector",
        help="Gets phone calls and agency handoffs of customers without a salesperson.")
    revcycle_new_customer_policy = fields.Selection(
        selection=[("none", "Same as Everyone"), ("limit", "Default Credit Limit"), ("prepayment", "Prepayment")],
        string="New Customers", default="none", required=True,
        help="Customers without payment history yet (unrated): no special rule, a default credit limit until they "
        "have one of their own, or orders paid in advance.")
    revcycle_new_customer_limit = fields.Monetary(
        string="New Customer Credit Limit", currency_field="currency_id",
        help="The credit limit of unrated customers without a limit of their own, with the 'Default Credit Limit' "
        "policy.")
    revcycle_new_customer_payment_term_id = fields.Many2one(
        "account.payment.term", string="New Customer Payment Terms",
        help="Suggested on the credit profile of unrated customers.")
    revcycle_autocollect = fields.Boolean(
        string="Charge Saved Cards When Due", default=True,
        help="Charge the saved Stripe payment method of a customer when an invoice falls due, and retry declines.")
    revcycle_retry_max_tries = fields.Integer(
        string="Card Tries", default=8, help="Tries of a soft-declined charge, the first one included.")
    revcycle_retry_window_days = fields.Integer(
        string="Retry Window (Days)", default=14, help="The retries are spread evenly over this many days.")
    revcycle_retry_card_cap = fields.Integer(
        string="Tries per Card in 30 Days", default=10,
        help="At most this many charges of one saved card in any 30 days, over all its invoices: card networks "
        "penalise merchants that retry a card too often. 0: no cap.")
    revcycle_dunning_wait_for_card = fields.Boolean(
        string="Dunning Waits for Card Retries", default=True,
        help="While a declined card charge of an invoice is still to be retried, the invoice gets no dunning "
        "notice: the customer is not reminded of what is being collected.")
    revcycle_exposure_include_receivable = fields.Boolean(
        string="Exposure: Open Receivables", default=True,
        help="Count receivable balances that are not customer invoices: unallocated payments, opening balances, "
        "manual entries.")
    revcycle_exposure_include_invoice = fields.Boolean(
        string="Exposure: Unpaid Invoices", default=True,
        help="Count what is still open on posted customer invoices and credit notes.")
    revcycle_exposure_include_order = fields.Boolean(
        string="Exposure: Orders Not Invoiced", default=True,
        help="Count the part of confirmed sale orders that is not invoiced yet (taxes included).")
    revcycle_exposure_include_draft = fields.Boolean(
        string="Exposure: Draft Invoices", default=True,
        help="Count draft customer invoices and credit notes.")
    revcycle_score_weight_lateness = fields.Integer(string="Weight: Days Late", default=25)
    revcycle_score_weight_on_time = fields.Integer(string="Weight: Paid on Time", default=20)
    revcycle_score_weight_overdue = fields.Integer(string="Weight: Overdue Now", default=30)
    revcycle_score_weight_utilisation = fields.Integer(string="Weight: Limit Used", default=10)
    revcycle_score_weight_age = fields.Integer(string="Weight: Account Age", default=10)
    revcycle_score_weight_dunning = fields.Integer(string="Weight: Dunning History", default=5)

    @api.constrains(*SCORE_WEIGHT_FIELDS.values())
    def _check_revcycle_score_weights(self):
        for company in self:
            try:
                company._revcycle_score_weights().validate()
            except credit_engine.CreditScoreError as error:
                raise ValidationError(self.env._(
                    "Company %(company)s: %(reason)s", company=company.name, reason=str(error))) from error

    @api.constrains("revcycle_credit_overdue_days")
    def _check_revcycle_credit_overdue_days(self):
        for company in self:
            if company.revcycle_credit_overdue_days < 0:
                raise ValidationError(self.env._(
                    "Company %(company)s: the days overdue that block new orders cannot be negative; "
                    "use 0 to switch this check off.", company=company.name))

    @api.constrains("revcycle_retry_max_tries", "revcycle_retry_window_days", "revcycle_retry_card_cap")
    def _check_revcycle_retry_schedule(self):
        for company in self:
            if company.revcycle_retry_card_cap < 0:
                raise ValidationError(self.env._(
                    "Company %(company)s, card retries: the tries per card in 30 days cannot be negative; use 0 for "
                    "no cap.", company=company.name))
            try:
                company._revcycle_retry_settings().validate()
            except ValueError as error:
                raise ValidationError(self.env._(
                    "Company %(company)s, card retries: %(reason)s", company=company.name,
                    reason=str(error))) from error

    def write(self, vals):
        result = super().write(vals)
        if {"revcycle_new_customer_policy", "revcycle_new_customer_limit"} & set(vals):
            # the limit of unrated customers follows the policy: their stored figures are measured again at the
            # next decision (a NULL refresh date makes them stale) rather than all of them rewritten now
            self.env["revcycle.credit.profile"].flush_model()
            self.env.execute_query(SQL(
                """UPDATE revcycle_credit_profile SET refresh_date = NULL
                    WHERE company_id = ANY(%s) AND (risk_class IS NULL OR risk_class = %s)""",
                self.ids, credit_engine.UNRATED))
            self.env["revcycle.credit.profile"].invalidate_model(["refresh_date"])
        return result

    def _revcycle_retry_settings(self):
        self.ensure_one()
        return retry_engine.RetrySettings(max_tries=self.revcycle_retry_max_tries,
                                          window_days=self.revcycle_retry_window_days)

    def _revcycle_fee_product(self):
        self.ensure_one()
        product = self.revcycle_dunning_fee_product_id or self.env.ref(
            "revcycle_dunning.product_product_late_fee", raise_if_not_found=False)
        if not product:
            raise UserError(self.env._(
                "Company %(company)s has no late fee product: choose one in Settings > Revenue Cycle > Credit & "
                "Collections.", company=self.name))
        return product

    def _revcycle_score_weights(self):
        self.ensure_one()
        return credit_engine.ScoreWeights(**{factor: self[fname] for factor, fname in SCORE_WEIGHT_FIELDS.items()})
