from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # Copied on purpose: a credit note made with "Reverse" keeps the contract line, so it reverses that obligation.
    revcycle_contract_line_id = fields.Many2one(
        "revcycle.contract.line",
        string="Contract Line",
        index="btree_not_null",
        readonly=True,
        help="The subscription contract line this invoice line bills: its revenue follows that line's obligation.",
    )
    # Copied on purpose too: a credit note made with "Reverse" of a usage invoice corrects those usage periods.
    revcycle_usage_billing = fields.Boolean(
        string="Usage Billing",
        readonly=True,
        help="Bills a metered line's usage period (usage, shortfall, adjustment or correction, made by the usage "
        "rating): its amount above the commitment is revenue of the period of its service dates.",
    )
