from odoo import fields, models

from ..engine import approvals as approval_engine


class RevcycleApprovalRule(models.Model):
    _name = "revcycle.approval.rule"
    _description = "Discount Approval Rule"
    _order = "company_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", string="Company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    team_id = fields.Many2one("crm.team", string="Sales Team", help="Empty: every team of the company.")
    check_discount = fields.Boolean(string="Limit Discount")
    max_discount = fields.Float(string="Maximum Discount (%)", digits=(16, 2))
    check_margin = fields.Boolean(string="Require Margin")
    min_margin = fields.Float(string="Minimum Margin (%)", digits=(16, 2))
    check_amount = fields.Boolean(string="Limit Amount")
    amount_threshold = fields.Monetary(
        string="Amount Above",
        currency_field="currency_id",
        help="Untaxed amount, in the company's currency, above which approval is needed.",
    )
    approver_group_id = fields.Many2one(
        "res.groups",
        string="Approved By",
        required=True,
        default=lambda self: self.env.ref("revcycle_cpq.group_revcycle_cpq_manager", raise_if_not_found=False),
        help="Members of this group approve or reject the quotations that break the rule.",
    )

    _sql_constraints = [
        (
            "revcycle_approval_rule_discount_range",
            "CHECK (max_discount >= 0 AND max_discount <= 100)",
            "A maximum discount is a percentage between 0 and 100.",
        ),
        ("revcycle_approval_rule_margin_range", "CHECK (min_margin <= 100)", "A minimum margin cannot exceed 100 %."),
        (
            "revcycle_approval_rule_amount_positive",
            "CHECK (amount_threshold >= 0)",
            "The amount threshold cannot be negative.",
        ),
        (
            "revcycle_approval_rule_checks_something",
            # a flag never written is NULL, and NULL OR NULL passes a CHECK: an empty flag counts as unchecked
            "CHECK (COALESCE(check_discount, FALSE) OR COALESCE(check_margin, FALSE) OR COALESCE(check_amount, FALSE))",
            "An approval rule must check at least one of discount, margin or amount.",
        ),
    ]

    def _revcycle_engine_rule(self):
        self.ensure_one()
        return approval_engine.ApprovalRule(
            key=self.id,
            max_discount=self.max_discount if self.check_discount else None,
            min_margin=self.min_margin if self.check_margin else None,
            amount_threshold=self.amount_threshold if self.check_amount else None,
        )
