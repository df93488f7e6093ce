from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    revcycle_recognition = fields.Selection(
        selection=[("invoice", "At Invoice"), ("delivery", "At Delivery"),
                   ("ratable_daily", "Ratably, by Day"), ("ratable_monthly", "Ratably, by Month")],
        string="Revenue Recognition", default="invoice", required=True,
        help="When the revenue of this product is earned: at a point in time (invoice, delivery) "
        "or over time across the term.")
    revcycle_ssp = fields.Float(
        string="Standalone Selling Price", digits="Product Price",
        help="Price of this product sold on its own, used to allocate a contract's price across its obligations. "
        "The SSP table overrides it per currency and period; empty means the selling price is used.")
    revcycle_term_months = fields.Integer(
        string="Default Term (Months)", default=12, help="Length of the service period for ratable recognition.")
    revcycle_distinct_periods = fields.Boolean(
        string="Distinct Periods", default=True,
        help="Each period (or unit) of this product is distinct from the others, as a subscription's months are: a "
        "contract modification reallocates the price prospectively. Off for a single obligation satisfied over "
        "time whose parts are not distinct (an implementation project): a modification catches up cumulatively.")
    revcycle_ssp_ids = fields.One2many("revcycle.ssp", "product_tmpl_id", string="SSP Table")

    _sql_constraints = [
        ("revcycle_ssp_positive", "CHECK (revcycle_ssp IS NULL OR revcycle_ssp >= 0)",
         "A standalone selling price cannot be negative."),
        ("revcycle_term_months_positive", "CHECK (revcycle_term_months IS NULL OR revcycle_term_months >= 0)",
         "A recognition term cannot be negative."),
    ]

    @api.constrains("revcycle_recognition", "revcycle_term_months")
    def _check_revcycle_term(self):
        for template in self:
            if template.revcycle_recognition in ("ratable_daily", "ratable_monthly") \
                    and template.revcycle_term_months < 1:
                raise ValidationError(self.env._(
                    "%(product)s is recognised ratably over a term of %(months)s months; "
                    "set a default term of at least 1 month.",
                    product=template.display_name, months=template.revcycle_term_months))
