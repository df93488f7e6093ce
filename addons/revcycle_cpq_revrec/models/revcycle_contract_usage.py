"""Usage revenue (docs/domain.md §6, "Usage billing", revenue recognition): a metered line's obligation is a series
of distinct billing periods. Its fixed consideration is the commitment of each period; the usage billed above it is
variable consideration that relates to one period only, so it is allocated entirely to the metered line's obligation
and to that period (ASC 606-10-32-40, IFRS 15.85) and recognised in it, not when its invoice posts a month later."""

from collections import defaultdict

from odoo import api, models
from odoo.addons.revcycle_base.engine import periods as period_engine


class RevcycleContract(models.Model):
    _inherit = "revcycle.contract"

    @api.model
    def _revcycle_usage_line_vals(self, line, period, label, amount):
        """Usage, shortfall and adjustment lines name their metered line: they bill its obligation (deferred
        revenue), and their service dates name the period their amount belongs to."""
        vals = super()._revcycle_usage_line_vals(line, period, label, amount)
        vals["revcycle_contract_line_id"] = line.id
        return vals

    def _revcycle_metered_billed(self, lines):
        """{contract line: {usage period start: net amount billed for that period}} of these metered lines, taxes
        excluded, from their posted invoices and credit notes (usage, shortfall, adjustments, corrections). Drafts
        are left out: a usage period counts as billed, and its variable part as known, when its invoice posts."""
        result = defaultdict(lambda: defaultdict(float))
        if not lines:
            return result
        for item in self.env["account.move.line"].sudo().search(  # sudo: billed amounts of these contracts
            [
                ("revcycle_contract_line_id", "in", lines.ids),
                ("parent_state", "=", "posted"),
                ("display_type", "=", "product"),
                ("revcycle_service_start", "!=", False),
            ]
        ):
            sign = -1 if item.move_id.move_type == "out_refund" else 1
            result[item.revcycle_contract_line_id][item.revcycle_service_start] += sign * item.price_subtotal
        return result

    def _revcycle_metered_consideration(self, line, term_end, billed=None):
        """The consideration due for a metered line over a term ending ``term_end``: what its posted invoices billed
        for each usage period (usage and shortfall: at least the commitment, more when usage exceeded it), plus
        the commitment of each period the line serves that is neither billed yet nor paused — the least the
        customer owes for it, so the estimate of the variable part is constrained to zero (ASC 606-10-32-11)."""
        self.ensure_one()
        billed = self._revcycle_metered_billed(line)[line] if billed is None else billed
        paused = {start for start, _end in self._revcycle_paused_ranges()}
        line_start = self._revcycle_line_start(line)
        amount = sum(billed.values())
        for period in period_engine.periods(self.date_start, self.billing_period, term_end, align=self.billing_anchor):
            if period.start not in billed and period.start not in paused and period.end >= line_start:
                amount += line._revcycle_period_subtotal(period)
        return self.currency_id.round(amount)

    def _revcycle_metered_variable(self, line, billed):
        """The variable consideration of a metered line so far: for each usage period of the term billed
        (``billed``: {period start: net amount}), what was billed less the period's commitment — what
        ``_revcycle_recognise_usage`` allocates to the periods."""
        self.ensure_one()
        amount = 0.0
        for period in period_engine.periods(
            self.date_start, self.billing_period, self._revcycle_term_end(), align=self.billing_anchor
        ):
            if period.start in billed:
                amount += self.currency_id.round(billed[period.start] - line._revcycle_period_subtotal(period))
        return self.currency_id.round(amount)

    def _revcycle_recognise_usage(self):
        """Each posted usage period of these contracts' metered lines has its variable part — what was billed for
        the period less the period's commitment — allocated to the line's obligation and dated the period's last
        day (``_revcycle_allocate_variable``), by the difference with what was allocated to it before: a late
        usage adjustment adds to its period, a correction's credit note takes back, a second call adds nothing.
        The obligations are locked first: two invoices of a contract posted at once cannot both add the same
        period (the second fails to serialise and is retried on the new figures).

        sudo: called when an invoice or credit note posts, by whoever posts it; the revenue follows, as it does
        for every contract invoice."""
        Obligation = self.env["revcycle.performance.obligation"].sudo()  # sudo: see docstring
        for contract in self.sudo():  # sudo: see docstring
            metered = contract.line_ids.filtered("revcycle_metered")
            if not metered or not contract.company_id._revcycle_revrec_enabled():
                continue
            obligations = Obligation.search(
                [("revcycle_contract_line_id", "in", metered.ids), ("contract_id.state", "in", ("active", "closed"))]
            )
            if not obligations:
                continue
            obligations._revcycle_lock()
            obligations.contract_id._revcycle_reopen()
            billed = contract._revcycle_metered_billed(metered)
            periods = {
                period.start: period
                for period in period_engine.periods(
                    contract.date_start, contract.billing_period, contract._revcycle_term_end(),
                    align=contract.billing_anchor,
                )
            }
            for obligation in obligations:
                obligation._revcycle_sync_usage_periods(billed[obligation.revcycle_contract_line_id], periods)
