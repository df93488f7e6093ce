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
