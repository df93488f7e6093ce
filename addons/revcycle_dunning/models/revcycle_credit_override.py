from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount, format_date


class RevcycleCreditOverride(models.Model):
    """A credit manager's exception to the credit check: one order, or a temporary limit until a date."""

    _name = "revcycle.credit.override"
    _description = "Credit Override"
    _order = "create_date desc, id desc"

    override_type = fields.Selection(
        selection=[("order", "One Order"), ("limit", "Temporary Limit")], string="Type", required=True,
        default="order")
    active = fields.Boolean(default=True, help="Archive an override to withdraw it.")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade",
        compute="_compute_partner_id", store=True, readonly=False, precompute=True,
        domain="[('is_company', '=', True)]")
    company_id = fields.Many2one(
        "res.company", string="Company", required=True, index=True,
        compute="_compute_company_id", store=True, readonly=False, precompute=True)
    sale_order_id = fields.Many2one(
        "sale.order", string="Sale Order", index=True, ondelete="cascade",
        domain="[('state', 'in', ('draft', 'sent')), ('company_id', '=', company_id)]")
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", store=True, precompute=True)
    amount = fields.Monetary(
        string="Order Amount Covered", compute="_compute_amount", store=True, precompute=True, readonly=True,
        help="The order total when the override was approved: if the order grows beyond it, the check applies "
        "again.")
    credit_limit = fields.Monetary(string="Temporary Credit Limit")
    date_end = fields.Date(string="Valid Until")
    reason = fields.Text(required=True)
    user_id = fields.Many2one(
        "res.users", string="Approved By", required=True, readonly=True, default=lambda self: self.env.user)
    exposure_at_approval = fields.Monetary(readonly=True, currency_field="company_currency_id")
    limit_at_approval = fields.Monetary(readonly=True, currency_field="company_currency_id")
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")

    _sql_constraints = [
        ("credit_override_limit_positive", "CHECK (credit_limit IS NULL OR credit_limit >= 0)",
         "A temporary credit limit cannot be negative."),
    ]

    @api.depends("sale_order_id")
    def _compute_partner_id(self):
        for override in self.filtered("sale_order_id"):
            override.partner_id = override.sale_order_id.partner_id.commercial_partner_id

    @api.depends("sale_order_id")
    def _compute_company_id(self):
        for override in self:
            override.company_id = override.sale_order_id.company_id or override.company_id or self.env.company

    @api.depends("sale_order_id", "company_id", "override_type")
    def _compute_currency_id(self):
        for override in self:
            override.currency_id = override.sale_order_id.currency_id or override.company_id.currency_id

    @api.depends("sale_order_id", "override_type")
    def _compute_amount(self):
        for override in self:
            is_order = override.override_type == "order"
            override.amount = override.sale_order_id.amount_total if is_order else 0.0

    @api.constrains("reason")
    def _check_reason(self):
        for override in self:
            if not (override.reason or "").strip():
                raise ValidationError(self.env._(
                    "A credit override needs a reason: say why the customer may go beyond their credit."))

    @api.constrains("override_type", "sale_order_id", "credit_limit", "date_end", "partner_id")
    def _check_type_values(self):
        for override in self:
            if override.override_type == "order":
                override._check_order_values()
            else:
                override._check_limit_values()

    def _check_order_values(self):
        if not self.sale_order_id:
            raise ValidationError(self.env._("An order override needs the sale order it allows."))
        if self.sale_order_id.partner_id.commercial_partner_id != self.partner_id:
            raise ValidationError(self.env._(
                "The override is for %(partner)s but order %(order)s is for another customer.",
                partner=self.partner_id.display_name, order=self.sale_order_id.name))

    def _check_limit_values(self):
        if not self.date_end:
            raise ValidationError(self.env._(
                "A temporary credit limit for %(partner)s needs an end date: set 'Valid Until'.",
                partner=self.partner_id.display_name))
        if self.date_end < fields.Date.context_today(self):
            raise ValidationError(self.env._(
                "The temporary credit limit for %(partner)s would end on %(date)s, in the past: choose a later date.",
                partner=self.partner_id.display_name, date=format_date(self.env, self.date_end)))
        if self.company_currency_id.compare_amounts(self.credit_limit, 0.0) <= 0:
            raise ValidationError(self.env._(
                "A temporary credit limit for %(partner)s must be above 0.", partner=self.partner_id.display_name))

    @api.model_create_multi
    def create(self, vals_list):
        self.env["revcycle.access"]._revcycle_check_vals(self, vals_list)  # before anything reads them
        self.env["revcycle.access"]._revcycle_require_credit_manager()
        for vals in vals_list:
            if vals.get("partner_id"):
                # limits are kept per commercial entity, as Odoo keeps credit_limit
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        overrides = super().create(vals_list)
        # a temporary limit changes the limit the customer's profile holds
        self.env["revcycle.credit.profile"]._revcycle_mark_dirty(
            (override.partner_id.id, override.company_id.id) for override in overrides)
        for override in overrides:
            override._revcycle_stamp_and_log()
        overrides.sale_order_id._revcycle_close_credit_requests()
        return overrides

    def write(self, vals):
        self.env["revcycle.access"]._revcycle_require_credit_manager()
        result = super().write(vals)
        self.env["revcycle.credit.profile"]._revcycle_mark_dirty(
            (override.partner_id.id, override.company_id.id) for override in self)
        return result

    def _revcycle_stamp_and_log(self):
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        # what the manager saw when approving, for the audit trail
        result = partner.with_company(self.company_id)._revcycle_credit_decision(0.0)
        self.write({"exposure_at_approval": result["exposure"], "limit_at_approval": result["limit"]})
        partner._revcycle_log_credit_decision(self._revcycle_log_text())
        if self.sale_order_id:
            self.sale_order_id.message_post(body=self._revcycle_log_text())

    def _revcycle_log_text(self):
        values = {
            "user": self.user_id.name,
            "company": self.company_id.name,
            "reason": self.reason,
        }
        if self.override_type == "order":
            return self.env._(
                "Credit override approved by %(user)s in %(company)s for order %(order)s (%(amount)s): %(reason)s",
                order=self.sale_order_id.name, amount=format_amount(self.env, self.amount, self.currency_id),
                **values)
        return self.env._(
            "Temporary credit limit of %(limit)s until %(date)s approved by %(user)s in %(company)s: %(reason)s",
            limit=format_amount(self.env, self.credit_limit, self.company_currency_id),
            date=format_date(self.env, self.date_end), **values)

    def _revcycle_covers(self, order):
        """Does this override still allow ``order``: active, and the order did not grow since approval?"""
        return any(
            override.active and override.override_type == "order" and override.sale_order_id == order
            and order.currency_id.compare_amounts(order.amount_total, override.amount) <= 0
            for override in self)
