from odoo import api, fields, models

from ..engine import credit as credit_engine


class RevcycleRiskClass(models.Model):
    """What a risk class suggests: a credit limit of so many months of sales, and a payment term.

    Rows without a company apply to every company; a company may add its own row for a class to replace them.
    """

    _name = "revcycle.risk.class"
    _inherit = ["revcycle.shared.rows.mixin"]
    _description = "Credit Risk Class"
    _order = "code, company_id"
    _rec_name = "code"

    code = fields.Selection(
        selection=[(code, code) for code in credit_engine.RISK_CLASSES], string="Class", required=True)
    name = fields.Char(string="Description", translate=True)
    min_score = fields.Integer(compute="_compute_min_score", string="From Score")
    company_id = fields.Many2one("res.company", string="Company", index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    limit_months = fields.Float(
        string="Suggested Limit (Months of Sales)", digits=(16, 2), default=1.0,
        help="The suggested credit limit is this many months of the customer's average monthly invoicing, averaged "
        "over the months the customer has been invoiced (at most the last twelve); 0 suggests prepayment.")
    payment_term_id = fields.Many2one("account.payment.term", string="Suggested Payment Terms")

    _sql_constraints = [
        ("revcycle_risk_class_code_company_unique", "UNIQUE NULLS NOT DISTINCT (code, company_id)",
         "Each risk class appears once per company, and once for all companies."),
        ("revcycle_risk_class_limit_months_positive", "CHECK (limit_months >= 0)",
         "The months of sales of a suggested limit cannot be negative: use 0 for prepayment."),
    ]

    @api.depends("code")
    def _compute_min_score(self):
        lowest = {code: score for score, code in credit_engine.CLASS_THRESHOLDS}
        for risk_class in self:
            risk_class.min_score = lowest.get(risk_class.code, 0)

    @api.model
    def _revcycle_class_map(self, companies):
        """{(company id, code): class row} for these companies: the company's own row, else the shared one."""
        rows = self.sudo().search([("company_id", "in", companies.ids + [False])])
        shared = {row.code: row for row in rows if not row.company_id}
        result = {(company.id, code): row for company in companies for code, row in shared.items()}
        result.update({(row.company_id.id, row.code): row for row in rows if row.company_id})
        return result
