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
        """Lock these obligations' rows until the transaction ends, in id order (events that change them one at a
        time). NO KEY UPDATE, the lock an UPDATE of them takes: it does not wait for the foreign-key checks of
        invoice lines naming them (KEY SHARE), which a concurrent invoicing run holds while it waits for this one's
        invoice numbers — FOR UPDATE made the two wait for each other (a deadlock)."""
        if self.ids:
            self.env.execute_query(
                SQL(
                    "SELECT id FROM revcycle_performance_obligation WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
                    self.ids,
                )
            )

    def _revcycle_sync_variable(self, targets, on_date):
        """Make each period hold its variable consideration: ``targets`` {period end: the amount it should hold}
        (the month-end's estimate, or what its invoices billed above the commitment); the difference with what the
        period holds already is allocated (``_revcycle_allocate_variable``), dated in the period while it is open,
        else on ``on_date``. Returns the new lines."""
        self.ensure_one()
        currency = self.currency_id
        allocated = self._revcycle_variable_by_period()
        new_lines = self.env["revcycle.revenue.line"]
        for period_end, target in sorted(targets.items()):
            missing = currency.round(target - allocated.get(period_end, 0.0))
            if not currency.is_zero(missing):
                new_lines |= self._revcycle_allocate_variable(missing, period_end, on_date)
        return new_lines

    def _revcycle_variable_changes(self, targets):
        """The obligations of ``targets`` ({obligation: {period end: the variable consideration it should hold}})
        where a period does not hold its target yet, as ``_revcycle_sync_variable`` would find it: what the periods
        hold is read for all of them by one aggregate, so a month-end that finds nothing new makes a fixed number of
        queries, and locks and writes nothing."""
        if not targets:
            return self.browse()
        groups = self.env["revcycle.revenue.line"].sudo()._read_group(  # sudo: revenue rows of these obligations
            [("obligation_id", "in", [obligation.id for obligation in targets]), ("kind", "=", "variable")],
            ["obligation_id", "variable_period_end:day", "date:day"],
            ["amount:sum"],
        )
        held = defaultdict(float)
        for obligation, period_end, day, amount in groups:
            held[(obligation.id, period_end or day)] += amount  # as _revcycle_variable_by_period keys them
        return self.browse([
            obligation.id
            for obligation, periods in targets.items()
            if any(
                not obligation.currency_id.is_zero(
                    obligation.currency_id.round(target - held[(obligation.id, period_end)])
                )
                for period_end, target in periods.items()
            )
        ])
