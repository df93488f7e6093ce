"""Usage revenue (docs/domain.md §6, "Usage billing", revenue recognition): a metered line's obligation is a series
of distinct billing periods. Its fixed consideration is the commitment of each period; the usage above it is
variable consideration that relates to one period only, so it is allocated entirely to the metered line's obligation
and to that period (ASC 606-10-32-40, IFRS 15.85): estimated from the period's usage at the month-end that closes
it, trued up to what the period's invoices bill when they post (a change of estimate of a closed month is revenue of
the month it is made in)."""

from collections import defaultdict

from odoo import api, models
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.addons.revcycle_cpq.engine import rate_usage
from odoo.addons.revcycle_cpq.models.revcycle_contract_usage import UsageFormatter


class RevcycleContract(models.Model):
    _inherit = "revcycle.contract"

    @api.model
    def _revcycle_usage_line_vals(self, line, period, label, amount):
        """Usage, shortfall and adjustment lines name their metered line: they bill its obligation (deferred
        revenue), and their service dates name the usage period their amount belongs to."""
        vals = super()._revcycle_usage_line_vals(line, period, label, amount)
        vals.update(revcycle_contract_line_id=line.id, revcycle_usage_billing=True)
        return vals

    def _revcycle_metered_billed(self, lines):
        """{contract line: {usage period start: net amount billed for that period; None: other amounts billed for
        the line (an amendment's proration)}} of these metered lines, taxes excluded, from their posted invoices
        and credit notes in the contract's currency. Drafts are left out: a usage period counts as billed, and its
        variable part as known, when its invoice posts (until then the month-end's estimate stands)."""
        result = defaultdict(lambda: defaultdict(float))
        if not lines:
            return result
        for item in self.env["account.move.line"].sudo().search(  # sudo: billed amounts of these contracts
            [
                ("revcycle_contract_line_id", "in", lines.ids),
                ("parent_state", "=", "posted"),
                ("display_type", "=", "product"),
            ]
        ):
            line = item.revcycle_contract_line_id
            if item.currency_id != line.contract_id.currency_id:
                continue  # an invoice made by hand in another currency: not the contract's consideration
            sign = -1 if item.move_id.move_type == "out_refund" else 1
            key = item.revcycle_service_start if item.revcycle_usage_billing else None
            result[line][key] += sign * item.price_subtotal
        return result

    def _revcycle_usage_periods(self, term_end=None):
        """{start: period} of the billing periods of the term (to ``term_end``): the metered lines' usage periods."""
        self.ensure_one()
        return {
            period.start: period
            for period in period_engine.periods(
                self.date_start, self.billing_period, term_end or self._revcycle_term_end(),
                align=self.billing_anchor,
            )
        }

    def _revcycle_metered_consideration(self, line, term_end, billed=None, variable=None):
        """The consideration due for a metered line over a term ending ``term_end``: the commitment of each period
        it serves that is not paused (its fixed consideration), what else was billed for it (an amendment's
        proration), and the variable consideration allocated to its periods so far (``_revcycle_metered_variables``:
        the usage above the commitment, estimated at each close, trued up by the invoices). Periods not closed yet
        count at their commitment: the least the customer owes, so the estimate of what is still variable is
        constrained to zero (ASC 606-10-32-11)."""
        self.ensure_one()
        billed = self._revcycle_metered_billed(line)[line] if billed is None else billed
        variable = self._revcycle_metered_variables(line).get(line, 0.0) if variable is None else variable
        paused = {start for start, _end in self._revcycle_paused_ranges()}
        line_start = self._revcycle_line_start(line)
        amount = billed.get(None, 0.0) + variable
        for start, period in self._revcycle_usage_periods(term_end).items():
            if start not in paused and period.end >= line_start:
                amount += line._revcycle_period_subtotal(period)
        return self.currency_id.round(amount)

    def _revcycle_metered_variables(self, lines):
        """{contract line: variable consideration allocated to its obligation so far} of these metered lines."""
        if not lines:
            return {}
        groups = self.env["revcycle.revenue.line"].sudo()._read_group(  # sudo: revenue of these contracts' lines
            [
                ("obligation_id.revcycle_contract_line_id", "in", lines.ids),
                ("obligation_id.contract_id.state", "in", ("active", "closed")),
                ("kind", "=", "variable"),
            ],
            ["obligation_id"],
            ["amount:sum"],
        )
        return {obligation.revcycle_contract_line_id: amount for obligation, amount in groups}

    # -- the variable part, period by period ---------------------------------------------------------------------
    def _revcycle_metered_obligations(self):
        # the revenue follows the contract's billing, whoever triggers it: the callers checked the caller
        Obligation = self.env["revcycle.performance.obligation"].sudo()  # sudo: see the comment above
        return Obligation.search(
            [
                ("revcycle_contract_line_id", "in", self.line_ids.filtered("revcycle_metered").ids),
                ("contract_id.state", "in", ("active", "closed")),
            ],
            order="id",
        )

    def _revcycle_recognise_usage(self, on_date):
        """When usage invoices or credit notes post: each usage period they billed gets its variable part — what
        the posted documents billed for the period less its commitment — allocated to the metered line's
        obligation, by the difference with what the period holds already (the month-end's estimate, an earlier
        invoice): a late usage adjustment adds, a correction's credit note takes back, a second call adds nothing.
        A difference for a month already closed is recognised on ``on_date`` (``_revcycle_variable_date``).
        The obligations are locked in id order first: two invoices of a contract posted at once cannot both add
        the same period (the second fails to serialise and is retried on the new figures).

        sudo: called when an invoice or credit note posts, by whoever posts it; the revenue follows, as it does
        for every contract invoice."""
        for contract in self.sudo():  # sudo: see docstring
            if not contract.company_id._revcycle_revrec_enabled():
                continue
            obligations = contract._revcycle_metered_obligations()
            if not obligations:
                continue
            obligations._revcycle_lock()
            obligations.contract_id._revcycle_reopen()
            billed = contract._revcycle_metered_billed(obligations.revcycle_contract_line_id)
            periods = contract._revcycle_usage_periods()
            for obligation in obligations:
                targets = {
                    periods[start].end: amount - obligation.revcycle_contract_line_id._revcycle_period_subtotal(
                        periods[start])
                    for start, amount in billed[obligation.revcycle_contract_line_id].items()
                    if start in periods
                }
                obligation._revcycle_sync_variable(targets, on_date)

    def _revcycle_accrue_usage(self, day, companies):
        """The month-end's estimate: each usage period of a metered line that ended by ``day`` and is not billed
        yet (usage is billed in arrears, after the close) is rated from its usage records as the invoice will rate
        it, and its variable part (the charge above the commitment) allocated to the period — so the month the
        calls were made shows them, not the month their invoice posts. The invoice trues it up
        (``_revcycle_recognise_usage``). Idempotent: a second run allocates only what changed.

        Set-based (``_revcycle_usage_estimates``): a fixed number of queries whatever the number of contracts and
        periods. Only the obligations with a period whose estimate changed are locked and written: a run that
        finds nothing new (the cron's second batch, a second click) takes no lock and writes nothing.

        sudo: the month-end is run by a revenue manager (checked by the caller) or the cron; contract lines and
        usage records are read to estimate, revenue lines written as the month-end writes them."""
        Obligation = self.env["revcycle.performance.obligation"].sudo()  # sudo: see docstring
        obligations = Obligation.search(
            [
                ("revcycle_contract_line_id.revcycle_metered", "=", True),
                ("contract_id.state", "=", "active"),
                ("company_id", "in", companies.ids),
                ("date_start", "<=", day),
            ],
            order="id",
        )
        contracts = obligations.revcycle_contract_line_id.contract_id.filtered(
            lambda contract: contract.company_id._revcycle_revrec_enabled()
        )
        estimates = contracts._revcycle_usage_estimates(obligations, day)
        changed = obligations._revcycle_variable_changes(estimates)
        changed._revcycle_lock()  # in id order; the figures are read again under the lock
        for obligation in changed:
            obligation._revcycle_sync_variable(estimates[obligation], day)

    def _revcycle_usage_estimates(self, obligations, day):
        """{obligation: {period end: variable consideration}} of these contracts' metered ``obligations``: each
        usage period that ended by ``day``, is not paused, is served by the line and not billed yet (no posted
        usage line for it, ``_revcycle_billed_usage_periods``), rated from all its usage records — rated on a draft
        invoice or not — as its invoice rates it, taxes excluded, less its commitment.

        Read set-based: the metered lines and contracts by one query each (``_revcycle_usage_facts``), the billed
        periods by one aggregate, and the usage of every (line, period) by one aggregate (revcycle_cpq's
        ``_revcycle_period_usage``, the invoicing run's, here with the rated usage too)."""
        facts, lines_by_contract = self._revcycle_usage_facts(self.ids)
        metered = {line.id: line for lines in lines_by_contract.values() for line in lines}
        billed = self._revcycle_billed_usage_periods(
            obligations.revcycle_contract_line_id, {line.id: line.currency_id for line in metered.values()}
        )
        schedules = {}  # line id: its consecutive periods from the first one to estimate (one aggregate reads them)
        unbilled = {}  # obligation: the periods to estimate
        for obligation in obligations:
            line = obligation.revcycle_contract_line_id
            contract = line.contract_id
            if contract not in self or line.id not in metered:
                continue
            closed = [period for period in contract._revcycle_usage_periods().values() if period.end <= day]
            line_start = contract._revcycle_line_start(line)
            due = [
                period
                for period in closed
                if period.start not in facts[contract.id].skipped
                and period.start not in billed[line.id]
                and period.end >= line_start
            ]
            if due:
                schedules[line.id] = closed[closed.index(due[0]):]
                unbilled[obligation] = due
        usage = self._revcycle_period_usage(schedules, include_rated=True)
        formatter = UsageFormatter(self.env)
        estimates = {}
        for obligation, periods in unbilled.items():
            line = obligation.revcycle_contract_line_id
            currency = line.contract_id.currency_id
            estimates[obligation] = {}
            for period in periods:
                quantity = usage.get((line.id, period.start), (0.0, 0))[0]
                terms = self._revcycle_usage_terms(metered[line.id], period.end, formatter)
                charge = rate_usage(quantity, terms, currency.decimal_places)
                estimates[obligation][period.end] = (
                    line._revcycle_net_of_tax(charge.total) - line._revcycle_period_subtotal(period)
                )
        return estimates

    @api.model
    def _revcycle_billed_usage_periods(self, lines, currencies):
        """{contract line id: {start of each usage period a posted invoice or credit note billed}} of these metered
        lines, in their contract's currency (``currencies``: {line id: its contract's currency id}): the periods
        ``_revcycle_metered_billed`` keys, read by one aggregate."""
        result = defaultdict(set)
        if not lines:
            return result
        groups = self.env["account.move.line"].sudo()._read_group(  # sudo: billed periods of these contracts
            [
                ("revcycle_contract_line_id", "in", lines.ids),
                ("parent_state", "=", "posted"),
                ("display_type", "=", "product"),
                ("revcycle_usage_billing", "=", True),
            ],
            ["revcycle_contract_line_id", "revcycle_service_start:day", "currency_id"],
        )
        for line, start, currency in groups:
            # an invoice made by hand in another currency is not the contract's consideration
            if currency.id == currencies.get(line.id):
                result[line.id].add(start)
        return result
