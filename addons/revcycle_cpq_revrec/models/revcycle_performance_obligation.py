from odoo import fields, models


class RevcyclePerformanceObligation(models.Model):
    _inherit = "revcycle.performance.obligation"

    revcycle_contract_line_id = fields.Many2one(
        "revcycle.contract.line",
        string="Contract Line",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
        help="The subscription contract line this obligation recognises.",
    )
    revcycle_subscription_id = fields.Many2one(
        "revcycle.contract",
        string="Subscription Contract",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
        help="The subscription contract of the line; kept when an amendment removes the line, so the obligation "
        "stays priced at what was due for it.",
    )

    _sql_constraints = [
        (
            "revcycle_contract_line_uniq",
            "UNIQUE (revcycle_contract_line_id)",
            "A contract line already has its performance obligation: a contract's revenue is created once.",
        ),
    ]
