from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    revcycle_credit_check_on_confirm = fields.Boolean(
        string="Credit Check at Order Confirmation", default=True,
        help="Refuse to confirm a sale order when the customer is over their credit limit or on credit hold.")
    revcycle_credit_overdue_days = fields.Integer(
        string="Block After Days Overdue", default=30,
        help="Also refuse confirmation when the customer has an invoice overdue by more than this many days "
        "(0 disables this check).")
    revcycle_dunning_policy_id = fields.Many2one(
        "revcycle.dunning.policy", string="Default Dunning Policy",
        domain="[('company_id', 'in', (id, False))]",
        help="Policy for customers that have none of their own.")
