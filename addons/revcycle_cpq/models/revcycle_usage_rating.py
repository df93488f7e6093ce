from odoo import fields, models


class RevcycleUsageRating(models.Model):
    """What one metered contract line's usage of one billing period was billed for.

    ``kind = period``: the rating at the period end, once per (line, period) — a unique index, so two invoicing runs
    at once cannot rate a period twice. ``kind = adjustment``: usage that arrived after the period was rated (late
    usage, corrections), billed as the difference between the period re-rated and what was billed before: an extra
    line on the next invoice, or a credit note when it is less."""

    _name = "revcycle.usage.rating"
    _description = "Usage Rating"
    _order = "period_start desc, id desc"
    _rec_name = "period_start"

    contract_id = fields.Many2one("revcycle.contract", required=True, index=True, readonly=True, ondelete="restrict")
    contract_line_id = fields.Many2one(
        "revcycle.contract.line", string="Contract Line", required=True, readonly=True, ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    product_id = fields.Many2one(related="contract_line_id.product_id", string="Product")
    kind = fields.Selection(
        [("period", "Period end"), ("adjustment", "Late usage or correction")], required=True, readonly=True
    )
    period_start = fields.Date(required=True, readonly=True)
    period_end = fields.Date(required=True, readonly=True)
    quantity = fields.Float(digits="Product Unit of Measure", readonly=True, help="Usage rated (adjustment: added).")
    billable_quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    usage_amount = fields.Monetary(readonly=True)
    shortfall_amount = fields.Monetary(string="Commitment Shortfall", readonly=True)
    amount = fields.Monetary(string="Billed", readonly=True, help="Usage plus shortfall (adjustment: the difference).")
    breakdown = fields.Text(readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True, ondelete="set null")
    record_ids = fields.One2many("revcycle.usage.record", "rating_id", string="Usage Records")

    def init(self):
        # a period is rated once; adjustments (several over time) are serialised by the contract's lock in the run
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS revcycle_usage_rating_period_unique
                   ON revcycle_usage_rating (contract_line_id, period_start) WHERE kind = 'period'"""
        )
