from collections import defaultdict

from odoo import fields, models
from odoo.tools import SQL


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

    def _revcycle_lock(self):
        """Lock these obligations' rows until the transaction ends (events that change them one at a time)."""
        if self.ids:
            self.env.execute_query(
                SQL("SELECT id FROM revcycle_performance_obligation WHERE id = ANY(%s) FOR UPDATE", self.ids)
            )

    def _revcycle_sync_usage_periods(self, billed, periods):
        """Allocate to this metered line's obligation the variable part of each usage period billed
        (``billed``: {period start: net amount billed}; ``periods``: {start: billing period of the term}) that
        is not allocated yet: billed − the period's commitment, less the Variable Consideration lines already
        dated the period's last day. An amount billed from another day (an amendment's proration) is fixed
        consideration, priced by the contract's rule. Returns the new lines."""
        self.ensure_one()
        currency = self.currency_id
        line = self.revcycle_contract_line_id
        allocated = defaultdict(float)
        for revenue_line in self.line_ids.filtered(lambda item: item.kind == "variable"):
            allocated[revenue_line.date] += revenue_line.amount
        new_lines = self.env["revcycle.revenue.line"]
        for start, amount in sorted(billed.items()):
            period = periods.get(start)
            if period is None:
                continue
            variable = currency.round(amount - line._revcycle_period_subtotal(period))
            missing = currency.round(variable - allocated[period.end])
            if not currency.is_zero(missing):
                new_lines |= self._revcycle_allocate_variable(missing, period.end)
        return new_lines
