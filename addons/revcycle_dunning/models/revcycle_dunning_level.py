from odoo import api, fields, models

from ..engine import fees as fee_engine
from ..engine import levels as level_engine


class RevcycleDunningLevel(models.Model):
    _name = "revcycle.dunning.level"
    _description = "Dunning Level"
    _order = "policy_id, sequence, id"

    policy_id = fields.Many2one("revcycle.dunning.policy", string="Policy", required=True, ondelete="cascade",
                                index=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    sequence = fields.Integer(default=10, required=True)
    name = fields.Char(required=True, translate=True)
    customer_title = fields.Char(
        string="Title for the Customer", translate=True,
        help="What the customer reads as the heading of the email and letter (e.g. 'Payment reminder'); empty "
        "shows the level's name.")
    days = fields.Integer(
        string="Days After Due Date", required=True,
        help="When the level is reached, counted from the invoice due date; negative means before it "
        "(a friendly reminder).")
    channel = fields.Selection(
        selection=[("email", "Email"), ("letter", "Printed Letter"), ("phone", "Phone Call"),
                   ("agency", "Collection Agency")],
        required=True, default="email")
    mail_template_id = fields.Many2one(
        "mail.template", string="Email Template", domain="[('model', '=', 'revcycle.dunning.notice')]",
        help="The email of the notice; empty uses the default dunning email, which lists each invoice with its "
        "payment link.")
    fee_fixed = fields.Monetary(string="Fixed Fee", currency_field="currency_id")
    fee_percent = fields.Float(string="Fee (%)", digits=(16, 4), help="Percentage of the overdue amount.")
    interest_rate = fields.Float(
        string="Interest (% per year)", digits=(16, 4),
        help="Late-payment interest on each item's open amount, from the day interest was last charged on it (its "
        "due date when never) to the notice's date, actual/365.")
    min_overdue_amount = fields.Monetary(
        string="Minimum Overdue Amount", currency_field="currency_id",
        help="Invoices whose open amount is below this are not escalated to this level.")
    sets_credit_hold = fields.Boolean(
        string="Put Customer on Credit Hold", help="Reaching this level blocks new orders for the customer.")

    _sql_constraints = [
        ("revcycle_dunning_level_sequence_unique", "UNIQUE (policy_id, sequence)",
         "Two levels of a policy cannot share a sequence: give each level its own position."),
        ("revcycle_dunning_level_fees_positive",
         "CHECK (fee_fixed >= 0 AND fee_percent >= 0 AND COALESCE(interest_rate, 0) >= 0)",
         "Late fees cannot be negative: use 0 for no fee."),
        ("dunning_level_min_amount_positive", "CHECK (min_overdue_amount >= 0)",
         "The minimum overdue amount cannot be negative."),
    ]

    @api.constrains("days", "sequence")
    def _check_policy_escalates(self):
        self.policy_id._check_levels_escalate()

    @api.model
    def _revcycle_choose_level(self, days_overdue, ladder, already_sent, open_amount, precision_digits):
        """The engine's level choice; override to change it."""
        return level_engine.choose_level(days_overdue, ladder, already_sent=already_sent, open_amount=open_amount,
                                         precision_digits=precision_digits)

    @api.model
    def _revcycle_escalation_level(self, ladder, on_date, due_date, open_amount, history, initial_key,
                                   precision_digits):
        """The engine's escalation, one level at a time; override to change it."""
        return level_engine.escalation_level(ladder, on_date, due_date, open_amount, history=history,
                                             initial_key=initial_key, precision_digits=precision_digits)

    @api.model
    def _revcycle_compute_fee(self, items, fee_fixed, fee_percent, interest_rate, precision_digits):
        """The engine's late fee; override to change the formula."""
        return fee_engine.late_fee(items, fee_fixed, fee_percent, interest_rate, precision_digits)
