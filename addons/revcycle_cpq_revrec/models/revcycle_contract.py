
from odoo import api, fields, models
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.exceptions import UserError

RATABLE = ("ratable_daily", "ratable_monthly")
ACTIVATED_STATES = ("active", "pending_termination", "suspended", "expired")


class RevcycleContract(models.Model):
    _inherit = "revcycle.contract"

    revcycle_revenue_contract_ids = fields.Many2many(
        "revcycle.revenue.contract",
        compute="_compute_revcycle_revenue_contract_ids",
        string="Revenue Contracts",
        groups="revcycle_revrec.group_revcycle_revrec_user",
    )
    revcycle_revenue_contract_count = fields.Integer(
        string="Revenue Contract Count",
        compute="_compute_revcycle_revenue_contract_ids",
        groups="revcycle_revrec.group_revcycle_revrec_user",
    )

    def _compute_revcycle_revenue_contract_ids(self):
        obligations = self.env["revcycle.performance.obligation"].search(
            [("revcycle_contract_line_id.contract_id", "in", self.ids)]
        )
        for contract in self:
            revenue = obligations.filtered(
                lambda ob, c=contract: ob.revcycle_contract_line_id.contract_id == c
            ).contract_id
            contract.revcycle_revenue_contract_ids = revenue
            contract.revcycle_revenue_contract_count = len(revenue)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_recognised_revenue(self):
        """Once revenue is posted, the revenue contract must be cancelled (and so reversed) first."""
        recognised = (
            self.sudo()
            ._revcycle_own_revenue_contracts()
            .filtered(lambda revenue: revenue.state == "active" and revenue._revcycle_has_posted())
        )
        if recognised:
            raise UserError(
                self.env._(
                    "Revenue was already recognised on %(revenue)s: cancel that revenue contract (which reverses it) "
                    "before deleting the contract, or terminate the contract instead.",
                    revenue=", ".join(recognised.mapped("name")),
                )
            )

    def unlink(self):
        """A deleted contract takes along the revenue contracts made from it alone that recognised nothing."""
        # sudo: deleting the contract is the contract manager's right; its revenue artefacts follow.
        unposted = self.sudo()._revcycle_own_revenue_contracts().filtered(lambda rev: not rev._revcycle_has_posted())
        result = super().unlink()
        unposted.unlink()
        return result

    def _revcycle_own_revenue_contracts(self):
        """Revenue contracts whose every obligation comes from these contracts' lines."""
        obligations = self.env["revcycle.performance.obligation"].search(
            [("revcycle_contract_line_id.contract_id", "in", self.ids)]
        )
        return obligations.contract_id.filtered(
            lambda revenue: all(ob.revcycle_contract_line_id.contract_id in self for ob in revenue.obligation_ids)
        )

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def action_activate(self):
        result = super().action_activate()
        self._revcycle_create_revenue_contracts()
        return result

    def action_terminate(self, termination_date=None, reason=None, override_notice=False):
        # the unused-time credit note posted by the termination is part of it: the new price comes from what is due
        result = super(RevcycleContract, self.with_context(revcycle_price_set_by_caller=True)).action_terminate(
            termination_date, reason, override_notice
        )
        self._revcycle_terminate_revenue()
        return result

    def _revcycle_terminate_revenue(self):
        """A terminated contract's obligations end with it: each is worth the consideration due for its line
        (``_revcycle_consideration_by_line``: what was billed, the unused-time credit note deducted, plus what the
        notice period still bills, its last period prorated), its schedule follows (revcycle_revrec
        ``_revcycle_end_obligations``, then spread over the time served) and the termination is recorded as a
        modification of the revenue contract.

        sudo: whoever may terminate the contract makes its revenue follow, as activating it does.
        """
        Obligation = self.env["revcycle.performance.obligation"].sudo()  # sudo: see docstring
        today = fields.Date.context_today(self)
        ending = self.sudo().filtered(  # sudo: see docstring
            lambda c: c.state in ("pending_termination", "terminated") and c.date_end
        )
        for contract in ending:
            obligations = Obligation.search(
                [("revcycle_contract_line_id", "in", contract.line_ids.ids), ("contract_id.state", "=", "active")]
            )
            if not obligations:
                continue
            due_by_line = contract._revcycle_consideration_by_line()
            gaps = contract._revcycle_paused_ranges()
            for revenue in obligations.contract_id:
                mine = obligations.filtered(lambda ob, r=revenue: ob.contract_id == r)
                due = {ob: due_by_line.get(ob.revcycle_contract_line_id, 0.0) for ob in mine}
                before = revenue._revcycle_modification_snapshot()
                lines = revenue._revcycle_end_obligations(due, contract.date_end, today)
                for obligation in mine:
                    lines |= obligation._revcycle_respread(obligation.date_end, gaps, today)
                revenue._revcycle_record_modification("termination", today, before)
                if lines:
                    revenue._revcycle_post_lines(lines, today)
                revenue._revcycle_check_close(today)
                revenue.message_post(
                    body=self.env._(
                        "%(contract)s terminated on %(date)s: its obligations end then, the transaction price is "
                        "now %(price)s.",
                        contract=contract.name,
                        date=contract.date_end,
                        price=revenue.currency_id.format(revenue.transaction_price),
                    )
                )

    # -- billing: the invoice lines that name their contract line ----------------------------------------------------
    def _revcycle_create_invoices(self, company, vals_list):
        """The contract invoicing's invoices (periods, usage, carried prorations, final usage) name the contract
        lines they bill and flag their usage lines: the one place, with the credit notes below and the amendments'
        prorations, that may set those fields (account_move_line.py)."""
        billing = self.env["account.move.line"]._revcycle_with_billing_token(self)
        moves = super(RevcycleContract, billing)._revcycle_create_invoices(company, vals_list)
        return moves.with_context(revcycle_billing_write=None)

    def _revcycle_create_credit_note(self, lines, invoice_date, post=None):
        """The contract's credit notes (unused time, usage corrections) name their contract lines, as its invoices."""
        billing = self.env["account.move.line"]._revcycle_with_billing_token(self)
        credit = super(RevcycleContract, billing)._revcycle_create_credit_note(lines, invoice_date, post)
        return credit.with_context(revcycle_billing_write=None)

    def _revcycle_billed_by_line(self):
        """{contract line: net amount billed for it, taxes excluded} from its invoices and credit notes, those in
        draft included (a company that reviews them before posting still owes them), cancelled ones left out."""
        self.ensure_one()
        result = {}
        for line in self.env["account.move.line"].sudo().search(  # sudo: billed amounts of this contract
            [
                ("revcycle_contract_line_id", "in", self.line_ids.ids),
                ("parent_state", "!=", "cancel"),
                ("display_type", "=", "product"),
            ]
        ):
            sign = -1 if line.move_id.move_type == "out_refund" else 1
            result[line.revcycle_contract_line_id] = result.get(line.revcycle_contract_line_id, 0.0) + sign * (
                line.price_subtotal
            )
        return result

    def _revcycle_consideration_by_line(self):
        """{contract line: the consideration due for it over the term, taxes excluded}: the one rule a
        subscription's revenue follows (docs/domain.md §6), whatever happened to it:

        - what its invoices and credit notes billed (``_revcycle_billed_by_line``: amendments' prorations and the
          termination's unused-time credit are tagged with the line);
        - what the term still bills: each period neither invoiced nor paused, at the line's current values (as the
          invoicing job will bill it, a last partial period prorated);
        - amendments' prorations carried to the next invoice and not billed yet (or about to be billed).
        """
        self.ensure_one()
        result = dict.fromkeys(self.line_ids, 0.0)
        for line, amount in self._revcycle_billed_by_line().items():
            result[line] = result.get(line, 0.0) + amount
        handled = set(self.period_ids.mapped("date_start"))  # invoiced, or skipped by a pause
        for period in period_engine.periods(
            self.date_start, self.billing_period, self._revcycle_term_end(), align=self.billing_anchor
        ):
            if period.start not in handled:
                for line in self.line_ids:
                    result[line] += line._revcycle_period_subtotal(period)
        carried = self._revcycle_carried_amendments().get(self.id, self.env["revcycle.contract.amendment"])
        for amendment in carried.filtered(lambda a: a.line_id in result):
            result[amendment.line_id] += amendment.proration_amount
        # an amendment billing its proration right after this call (revcycle_contract_amendment._revcycle_bill_now)
        for line_id, amount in (self.env.context.get("revcycle_pending_proration") or {}).items():
            line = self.line_ids.browse(line_id)
            if line in result:
                result[line] += amount
        # a metered line bills per usage period, in arrears: its own rule (revcycle_contract_usage.py)
        metered = self.line_ids.filtered("revcycle_metered")
        billed, variables = self._revcycle_metered_billed(metered), self._revcycle_metered_variables(metered)
        for line in metered:
            result[line] = self._revcycle_metered_consideration(
                line, self._revcycle_term_end(), billed[line], variables.get(line, 0.0)
            )
        return {line: self.currency_id.round(amount) for line, amount in result.items()}

    def _revcycle_paused_ranges(self):
        """(start, end) of the billing periods a pause skipped: no service then, so no revenue."""
        self.ensure_one()
        return [(p.date_start, p.date_end) for p in self.period_ids.filtered(lambda p: not p.move_id)]

    def _revcycle_line_start(self, line):
        """A line added by an amendment is served from the amendment's effective date, the others from the start."""
        # "approved" too: the amendment being applied made the line (it is marked applied right after)
        added = self.amendment_ids.filtered(
            lambda a: a.kind == "add" and a.state in ("approved", "applied") and a.line_id == line
        )
        return max([self.date_start] + added.mapped("effective_date"))

    def _revcycle_revenue_arrangement(self):
        """(main revenue contract, items): the revenue contract this contract's lines belong to (an order's, or
        its own) and every item of that arrangement, as activation made it."""
        self.ensure_one()
        order = self.sale_order_id
        if order and not self.previous_contract_id:
            revenue = order.revcycle_revenue_contract_ids.filtered(
                lambda c: c.state == "active" and not c.modification_of_id
            )[:1]
            return revenue, order._revcycle_contract_items()
        obligations = self.env["revcycle.performance.obligation"].search(
            [("revcycle_contract_line_id", "in", self.line_ids.ids)]
        )
        revenue = obligations.contract_id.filtered(lambda c: c.state == "active" and not c.modification_of_id)[:1]
        return revenue, self._revcycle_revenue_items()

    def _revcycle_modify_revenue(self, on_date, record=False):
        """The contract changed (an amendment applied, a pause set, resumed early or cancelled, a credit note on its
        lines): its revenue contract is modified through revcycle_revrec's modification machinery (separate,
        prospective or cumulative catch-up, ASC 606-10-25-12/13) to the consideration now due
        (``_revcycle_consideration_by_line``), then each of its obligations spreads what is left over the time
        still served (pauses earn nothing). ``record``: write a modification record even when the price is
        unchanged (a pause that extends the term moves the schedule only). Catch-ups are posted on ``on_date``.

        sudo: the callers checked the user may change the contract; its revenue follows, as on activation."""
        Obligation = self.env["revcycle.performance.obligation"].sudo()  # sudo: see docstring
        for contract in self.sudo():  # sudo: see docstring
            if not contract.company_id._revcycle_revrec_enabled() or not contract._revcycle_has_revenue():
                continue
            main, items = contract._revcycle_revenue_arrangement()
            obligations = Obligation.search(
                [("revcycle_contract_line_id", "in", contract.line_ids.ids), ("contract_id.state", "=", "active")]
            )
            revenues = (main | obligations.contract_id).filtered(lambda c: c.state == "active")
            gaps = contract._revcycle_paused_ranges()
            term_end = contract._revcycle_term_end()
            for revenue in revenues:
                before = revenue._revcycle_modification_snapshot()
                changed = revenue._revcycle_reallocate(items, on_date)
                mine = Obligation.search(
                    [("contract_id", "=", revenue.id), ("revcycle_contract_line_id", "in", contract.line_ids.ids)]
                )
                due = self.env["revcycle.revenue.line"]
                for obligation in mine:
                    due |= obligation._revcycle_respread(term_end, gaps, on_date)
                if record and not changed:
                    revenue._revcycle_record_modification("prospective", on_date, before)
                if due:
                    revenue._revcycle_post_lines(due, on_date)
                revenue._revcycle_check_close(on_date)
        self.invalidate_recordset(["revcycle_revenue_contract_ids", "revcycle_revenue_contract_count"])

    def action_pause(self, date_from, date_to):
        result = super().action_pause(date_from, date_to)
        self._revcycle_modify_revenue(fields.Date.context_today(self), record=True)
        return result

    def action_resume(self, date=None):
        """A pause ended early bills (and so earns) its remaining periods again; one that ran its course (the terms
        job resumes it the day after) changes nothing."""
        today = fields.Date.context_today(self)
        try:
            day = fields.Date.to_date(date) if date else today
        except (TypeError, ValueError):
            day = None  # refused by the resume itself, with its message
        early = self.filtered(lambda c: c.pause_from and day and day <= c.pause_to)
        result = super().action_resume(date)
        early._revcycle_modify_revenue(today, record=True)
        return result

    def action_cancel_pause(self):
        result = super().action_cancel_pause()
        self._revcycle_modify_revenue(fields.Date.context_today(self), record=True)
        return result

    def _revcycle_renew_contract(self):
        renewal = super()._revcycle_renew_contract()
        renewal._revcycle_create_revenue_contracts()
        return renewal

    def action_view_revcycle_revenue_contracts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("revcycle_revrec.revcycle_revenue_contract_action")
        action["domain"] = [("id", "in", self.revcycle_revenue_contract_ids.ids)]
        action["context"] = {"create": False}
        if self.revcycle_revenue_contract_count == 1:
            action.update(view_mode="form", res_id=self.revcycle_revenue_contract_ids.id, views=[(False, "form")])
        return action

    # -- revenue ---------------------------------------------------------------------------------------------------
    def _revcycle_create_revenue_contracts(self):
        """Each activated contract's revenue, exactly once (a contract line has at most one obligation, in the
        database too):

        - a contract made from a quotation joins the order's revenue contract (contracts entered together with the
          same customer are one arrangement, ASC 606-10-25-9): its lines become obligations of that contract and the
          order's price plus the term's value is reallocated prospectively; an order of recurring lines only gets
          its revenue contract now;
        - a contract of its own, and a renewal (a new term: a new arrangement), gets a revenue contract of its own.

        sudo: whoever may activate a contract makes its revenue follow, as confirming an order does.
        """
        Revenue = self.env["revcycle.revenue.contract"].sudo()
        today = fields.Date.context_today(self)
        for contract in self.sudo():
            company = contract.company_id
            if not company._revcycle_revrec_enabled() or contract._revcycle_has_revenue():
                continue
            order = contract.sale_order_id
            if order and not contract.previous_contract_id:
                revenue = order.revcycle_revenue_contract_ids.filtered(
                    lambda c: c.state == "active" and not c.modification_of_id
                )[:1]
                if revenue:
                    revenue._revcycle_reallocate(order._revcycle_contract_items(), today)
                else:
                    order._revcycle_create_revenue_contracts()
                continue
            Revenue.with_company(company)._revcycle_create_from_contract(
                contract,
                contract._revcycle_revenue_items(),
                contract.partner_id.commercial_partner_id,
                company,
                contract.currency_id,
                contract.date_start,
                origin=contract.name,
            )
        # the link is computed from the obligations: what was read before they existed is stale now
        self.invalidate_recordset(["revcycle_revenue_contract_ids", "revcycle_revenue_contract_count"])

    def _revcycle_has_revenue(self):
        self.ensure_one()
        return bool(self.line_ids) and bool(
            self.env["revcycle.performance.obligation"]
            .sudo()
            .search_count([("revcycle_contract_line_id", "in", self.line_ids.ids)], limit=1)
        )

    def _revcycle_revenue_started(self):
        """Activated at some point: its lines are performance obligations."""
        self.ensure_one()
        return self.state in ACTIVATED_STATES or self._revcycle_has_revenue()

    def _revcycle_term_end(self):
        """Last day of the term recognised: the contract's end, or one renewal term for an open-ended contract."""
        self.ensure_one()
        return self.date_end or period_engine.term_end(self.date_start, self.renewal_months)

    def _revcycle_revenue_items(self):
        """Engine inputs: one obligation per line, priced at the consideration due for it over the term
        (``_revcycle_consideration_by_line``: at activation, what the term's invoices charge), recognised over the
        term from the line's start (the product's ratable method, else by month). A recurring product's SSP is,
        like its list price, for one of its own billing periods: the line's SSP is that times the quantity times
        the product's periods the line serves in the term (partial periods prorated)."""
        self.ensure_one()
        term_end = self._revcycle_term_end()
        term = period_engine.periods(self.date_start, self.billing_period, term_end, align=self.billing_anchor)
        consideration = self._revcycle_consideration_by_line()
        variables = self._revcycle_metered_variables(self.line_ids.filtered("revcycle_metered"))
        items = []
        for line in self.line_ids:
            method = line.product_id.revcycle_recognition
            product_months = period_engine.period_months(line.product_id.revcycle_billing_period or "month")
            line_start = self._revcycle_line_start(line)
            # the periods of the term the line serves (one added mid-term serves its first period in part)
            served = sum(
                max((period.end - max(period.start, line_start)).days + 1, 0)
                / ((period.full_end - period.full_start).days + 1)
                for period in term
            )
            months_served = served * period_engine.period_months(self.billing_period)
            items.append(
                {
                    "product": line.product_id,
                    "quantity": line.quantity,
                    "selling_price": consideration[line],
                    "name": (line.name or "").splitlines()[0] or False,
                    "date_start": line_start,
                    "date_end": term_end,
                    "recognition": method if method in RATABLE else "ratable_monthly",
                    "ssp_factor": months_served / product_months,
                    "sale_line": line.sale_line_id,
                    "revcycle_contract_line": line,
                    # usage billed above the commitment: in the price, never in the SSP weight (its own period's)
                    "revcycle_variable_price": variables.get(line, 0.0),
                }
            )
        return items + self._revcycle_ended_items()

    def _revcycle_ended_items(self):
        """The obligations of lines an amendment removed: priced at what was due for them when they ended, so a
        later change of the contract does not take their revenue away."""
        ended = self.env["revcycle.performance.obligation"].sudo().search(  # sudo: the arrangement's own obligations
            [("revcycle_subscription_id", "=", self.id), ("revcycle_contract_line_id", "=", False),
             ("contract_id.state", "in", ("active", "closed"))]
        )
        return [
            {
                "product": obligation.product_id,
                "quantity": obligation.quantity,
                "selling_price": obligation.selling_price,
                "name": obligation.name,
                "date_start": obligation.date_start,
                "date_end": obligation.date_end,
                "recognition": obligation.recognition,
                "sale_line": obligation.sale_line_id,
                "revcycle_ended_obligation": obligation,
            }
            for obligation in ended
        ]

    def _revcycle_end_line_revenue(self, line, end_date, on_date):
        """An amendment removes ``line`` from ``end_date`` on: its obligation ends then, worth what its invoices
        and credit notes billed for it (the removal's credit note included), recorded as a modification
        (a termination of that obligation).

        sudo: the amendment checked the user may change the contract; its revenue follows."""
        self.ensure_one()
        obligation = self.env["revcycle.performance.obligation"].sudo().search(  # sudo: see docstring
            [("revcycle_contract_line_id", "=", line.id), ("contract_id.state", "=", "active")]
        )
        if not obligation:
            return
        revenue = obligation.contract_id
        if line.revcycle_metered:
            due = self._revcycle_metered_consideration(line, max(end_date, obligation.date_start))
        else:
            due = self._revcycle_billed_by_line().get(line, 0.0)
        before = revenue._revcycle_modification_snapshot()
        end = max(end_date, obligation.date_start)
        lines = revenue._revcycle_end_obligations({obligation: due}, end, on_date)
        lines |= obligation._revcycle_respread(end, self._revcycle_paused_ranges(), on_date)
        obligation.revcycle_subscription_id = self  # kept when the line goes
        revenue._revcycle_record_modification("termination", on_date, before)
        if lines:
            revenue._revcycle_post_lines(lines, on_date)
        revenue._revcycle_check_close(on_date)
