from collections import defaultdict
from fractions import Fraction

from dateutil.relativedelta import relativedelta
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import engine


class RevcyclePerformanceObligation(models.Model):
    _name = "revcycle.performance.obligation"
    _description = "Performance Obligation"
    _order = "contract_id, sequence, id"
    _check_company_auto = True

    contract_id = fields.Many2one("revcycle.revenue.contract", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True, string="Customer")
    product_id = fields.Many2one("product.product", string="Product", required=True, index=True)
    sale_line_id = fields.Many2one("sale.order.line", string="Order Line", index="btree_not_null",
                                   ondelete="set null")
    quantity = fields.Float(digits="Product Unit of Measure", default=1.0)
    recognition = fields.Selection(
        selection=lambda self: self.env["product.template"]._fields["revcycle_recognition"].selection,
        required=True, string="Recognition")
    selling_price = fields.Monetary(help="What the customer pays for this line, discounts included.")
    ssp = fields.Monetary(string="SSP", help="Standalone selling price of the whole line (unit SSP x quantity).")
    ssp_source = fields.Selection([("ssp", "SSP table / product"), ("price", "Selling price (no SSP)")],
                                  string="SSP From")
    ssp_ratio = fields.Float(string="SSP Share (%)", compute="_compute_ssp_ratio", digits=(16, 4))
    allocated_amount = fields.Monetary(string="Allocated", help="Share of the transaction price (relative SSP).")
    allocation_difference = fields.Monetary(
        compute="_compute_ssp_ratio", string="Reallocated",
        help="Allocated minus selling price: the discount or premium moved to or from this obligation.")
    explanation = fields.Char(compute="_compute_ssp_ratio")
    date_start = fields.Date(string="Start", required=True)
    date_end = fields.Date(string="End", required=True)
    income_account_id = fields.Many2one("account.account", string="Income Account", check_company=True)
    line_ids = fields.One2many("revcycle.revenue.line", "obligation_id", string="Schedule")
    delivered_quantity = fields.Float(
        digits="Product Unit of Measure", readonly=True, copy=False,
        help="Delivered quantity (returns deducted) whose share of the allocation is recognised.")
    recognized_amount = fields.Monetary(compute="_compute_amounts", string="Recognised")
    deferred_amount = fields.Monetary(compute="_compute_amounts", string="Not Yet Recognised")

    _sql_constraints = [
        ("ssp_positive", "CHECK (ssp >= 0)", "A standalone selling price cannot be negative."),
        ("dates_ordered", "CHECK (date_end >= date_start)",
         "An obligation cannot end before it starts: set its end on or after its start."),
    ]

    @api.depends("ssp", "allocated_amount", "selling_price", "contract_id.ssp_total",
                 "contract_id.transaction_price")
    def _compute_ssp_ratio(self):
        for obligation in self:
            contract = obligation.contract_id
            total = contract.ssp_total
            obligation.ssp_ratio = obligation.ssp / total * 100.0 if total else 0.0
            obligation.allocation_difference = obligation.allocated_amount - obligation.selling_price
            currency = obligation.currency_id
            obligation.explanation = self.env._(
                "%(price)s x %(ssp)s / %(total)s = %(allocated)s",
                price=currency.format(contract.transaction_price), ssp=currency.format(obligation.ssp),
                total=currency.format(total), allocated=currency.format(obligation.allocated_amount),
            ) if currency else ""

    def _compute_amounts(self):
        sums = self.env["revcycle.revenue.line"]._revcycle_sums(self, "obligation_id")
        for obligation in self:
            obligation.recognized_amount = sums.get(obligation.id, {}).get("posted", 0.0)
            obligation.deferred_amount = sums.get(obligation.id, {}).get("planned", 0.0)

    def _revcycle_plan(self):
        """Planned revenue lines from the engine; point-in-time lines wait (not ready) for their event."""
        vals = []
        for obligation in self:
            digits = obligation.currency_id.decimal_places
            try:
                entries = engine.build_schedule(obligation.recognition, obligation.allocated_amount,
                                                obligation.date_start, obligation.date_end, digits)
            except engine.ScheduleError as error:
                raise UserError(self.env._("%(obligation)s cannot be scheduled: %(reason)s",
                                           obligation=obligation.display_name, reason=str(error))) from error
            ready = obligation.recognition in ("ratable_daily", "ratable_monthly")
            vals += [{"obligation_id": obligation.id, "date": entry.date, "amount": entry.amount, "ready": ready}
                     for entry in entries]
        return self.env["revcycle.revenue.line"]._revcycle_insert_planned(vals)

    def _revcycle_satisfy(self, on_date):
        """Point-in-time obligations met on ``on_date``: their waiting lines become due that day."""
        lines = self.line_ids.filtered(lambda line: line.state == "planned" and not line.ready
                                       and line.obligation_id.recognition in ("invoice", "delivery"))
        lines.write({"date": on_date, "ready": True})
        return lines

    def _revcycle_release_delivered_share(self, on_date):
        """Delivery obligations earn the delivered share of their allocation (see ``_revcycle_true_up``)."""
        return self._revcycle_true_up(on_date, "delivery")

    def _revcycle_progress(self):
        """(done, basis) in the order line's unit for a point-in-time obligation measured on its order line, else
        None (a service marked met by hand, a contract without order line).

        - delivery (goods delivered by pickings): delivered quantity (returns deducted) of the ordered quantity
          less the units both returned and credited: a return and its credit note are one event, so the credited
          units leave the basis instead of being reversed a second time;
        - invoice: invoiced quantity less credited, of the ordered quantity less credited (docs/domain.md §3).
        """
        self.ensure_one()
        sale_line = self.sale_line_id
        if not sale_line or self.recognition not in ("delivery", "invoice"):
            return None
        if self.recognition == "delivery" and sale_line.qty_delivered_method != "stock_move":
            return None
        invoiced = credited = 0.0
        for line in sale_line.invoice_lines.filtered(lambda aml: aml.parent_state == "posted"):
            quantity = line.product_uom_id._compute_quantity(line.quantity, sale_line.product_uom)
            if line.move_id.move_type == "out_refund":
                credited += quantity
            else:
                invoiced += quantity
        ordered = sale_line.product_uom_qty
        if self.recognition == "invoice":
            return invoiced - credited, ordered - credited
        _outgoing, incoming = sale_line._get_outgoing_incoming_moves(strict=False)
        returned = sum(move.product_uom._compute_quantity(move.quantity, sale_line.product_uom)
                       for move in incoming.filtered(lambda move: move.state == "done"))
        return sale_line.qty_delivered, ordered - min(max(credited, 0.0), returned)

    def _revcycle_released(self):
        """What the obligation recognised or has due now: every line but the planned schedule still to come."""
        self.ensure_one()
        return self.currency_id.round(sum(self.line_ids.filtered(
            lambda line: not (line.state == "planned" and line.kind == "schedule")).mapped("amount")))

    def _revcycle_true_up(self, on_date, kind):
        """Point-in-time obligations measured in quantities earn ``done / basis`` of their allocation, the last
        unit exactly the rest; a return gives its share back. Posts the difference with what is already released
        as a line of ``kind`` due ``on_date`` and resizes the line still waiting to the remainder. Obligations
        without such a measure are left alone.

        The obligation rows are locked and written: two pickings validated at once cannot both release the same
        share (the second transaction fails to serialise and is retried on the new figures).
        Returns the new revenue lines, not yet posted."""
        if not self:
            return self.env["revcycle.revenue.line"]
        self.env.execute_query(SQL(
            "SELECT id FROM revcycle_performance_obligation WHERE id = ANY(%s) FOR UPDATE", self.ids))
        Line = self.env["revcycle.revenue.line"].sudo()  # sudo: schedule rows, read-only to users
        vals_list = []
        for obligation in self:
            progress = obligation._revcycle_progress()
            if progress is None:
                continue
            sale_line, currency = obligation.sale_line_id, obligation.currency_id
            done, basis = progress
            released = obligation._revcycle_released()
            try:
                delta, waiting = engine.progress_release(
                    obligation.allocated_amount, released, done, basis, currency.decimal_places,
                    sale_line.product_uom.rounding)
            except engine.ScheduleError as error:
                raise UserError(self.env._("%(obligation)s cannot be recognised on delivery: %(reason)s",
                                           obligation=obligation.display_name, reason=str(error))) from error
            if obligation.recognition == "delivery":
                obligation.delivered_quantity = sale_line.qty_delivered
            obligation._revcycle_resize_waiting(waiting)
            if currency.is_zero(delta):
                continue
            vals_list.append({"obligation_id": obligation.id, "date": on_date, "amount": delta, "ready": True,
                              "kind": kind})
        return Line.create(vals_list)

    def _revcycle_apply_allocation(self, new_allocated, on_date):
        """The obligation's allocation becomes ``new_allocated`` (a change of the transaction price): an obligation
        measured in quantities is trued up to its progress, any other keeps its share satisfied and catches up
        for it now while its planned lines scale (engine ``rescale_remaining``). Returns the lines due now."""
        self.ensure_one()
        currency = self.currency_id
        self.allocated_amount = currency.round(new_allocated)
        if self._revcycle_progress() is not None:
            return self._revcycle_true_up(on_date, "adjustment")
        planned = self.line_ids.filtered(lambda line: line.state == "planned" and line.kind == "schedule").sorted(
            lambda line: (line.date, line.id))
        catch_up, amounts = engine.rescale_remaining(
            self.allocated_amount, self._revcycle_released(), planned.mapped("amount"), currency.decimal_places)
        for line, amount in zip(planned, amounts, strict=True):
            line.amount = amount
        planned.filtered(lambda line: currency.is_zero(line.amount)).unlink()
        if currency.is_zero(catch_up):
            return self.env["revcycle.revenue.line"]
        return self.env["revcycle.revenue.line"].sudo().create(  # sudo: schedule rows
            {"obligation_id": self.id, "date": on_date, "amount": catch_up, "ready": True, "kind": "adjustment"})

    def _revcycle_allocate_variable(self, amount, period_end, on_date):
        """Variable consideration that relates specifically to this obligation's service in one period (usage of
        that period) is allocated entirely to this obligation and that period (ASC 606-10-32-40, IFRS 15.85), not
        by relative SSP: the obligation's price and allocation and its contract's transaction price grow by
        ``amount``, and a Variable Consideration line for the period ending ``period_end`` recognises it — on that
        day while the period is still open (``_revcycle_variable_date``), else on ``on_date``. The next month-end
        run up to that day posts it. Later changes never reallocate it (``_revcycle_sums_posted``, the catch-up).
        Returns the line."""
        self.ensure_one()
        currency = self.currency_id
        amount = currency.round(amount)
        Line = self.env["revcycle.revenue.line"].sudo()  # sudo: schedule rows, read-only to users
        if currency.is_zero(amount):
            return Line
        self.write({"selling_price": currency.round(self.selling_price + amount),
                    "allocated_amount": currency.round(self.allocated_amount + amount)})
        self.contract_id.transaction_price = currency.round(self.contract_id.transaction_price + amount)
        return Line.create({"obligation_id": self.id, "date": self._revcycle_variable_date(period_end, on_date),
                            "variable_period_end": period_end, "amount": amount, "ready": True,
                            "kind": "variable"})

    def _revcycle_variable_date(self, period_end, on_date):
        """The day a variable amount of the period ending ``period_end`` is recognised on: that day while its month
        is open for this obligation (nothing posted for that month or a later one yet, and not before the
        company's lock date); else ``on_date`` (after the lock date): a change in the estimate of a closed month
        is revenue of the month it is made in (ASC 606-10-32-43), never a restatement of closed books."""
        self.ensure_one()
        company = self.company_id
        locked = company._get_user_fiscal_lock_date(company.revcycle_recognition_journal_id)
        month = period_end.replace(day=1)
        closed = any(line.state == "posted" and line.period_date >= month for line in self.line_ids)
        if not closed and period_end > locked:
            return period_end
        return max(on_date, period_end, locked + relativedelta(days=1))

    def _revcycle_variable_by_period(self):
        """{period end: variable consideration allocated to that period} of this obligation."""
        self.ensure_one()
        result = defaultdict(float)
        for line in self.line_ids.filtered(lambda item: item.kind == "variable"):
            result[line.variable_period_end or line.date] += line.amount
        return result

    def _revcycle_end_on(self, end_date, new_allocated, on_date):
        """The obligation ends on ``end_date`` with ``new_allocated``: what is recognised stays, the rest is planned
        again over the months not yet recognised up to the end, or (nothing left to plan, or recognised beyond
        the new amount) due now. Returns the lines due now."""
        self.ensure_one()
        currency = self.currency_id
        self.allocated_amount = new_allocated
        ratable = self.recognition in ("ratable_daily", "ratable_monthly")
        if not ratable or end_date >= self.date_end:
            return self._revcycle_apply_allocation(new_allocated, on_date)
        self.line_ids.filtered(lambda line: line.state == "planned" and line.kind == "schedule").unlink()
        released = self._revcycle_released()
        posted_periods = self.line_ids.filtered(
            lambda line: line.state == "posted" and line.kind == "schedule").mapped("period_date")
        start = max([self.date_start] + [period + relativedelta(months=1) for period in posted_periods])
        self.date_end = max(end_date, self.date_start)
        remaining = currency.round(new_allocated - released)
        Line = self.env["revcycle.revenue.line"].sudo()  # sudo: schedule rows, read-only to users
        if start <= end_date and currency.compare_amounts(remaining, 0.0) >= 0:
            entries = engine.build_schedule(self.recognition, remaining, start, end_date, currency.decimal_places)
            Line._revcycle_insert_planned([{"obligation_id": self.id, "date": entry.date, "amount": entry.amount,
                                            "ready": True} for entry in entries])
            return Line
        if currency.is_zero(remaining):
            return Line
        return Line.create({"obligation_id": self.id, "date": on_date, "amount": remaining, "ready": True,
                            "kind": "adjustment"})

    def _revcycle_respread(self, date_end, gaps, on_date):
        """The rest of a ratable obligation (its allocation less what it released) planned again from the first month
        not yet recognised up to ``date_end``, earning nothing during ``gaps`` ((start, end) ranges: a paused
        subscription performs nothing then; engine ``ratable_with_gaps``). What cannot be planned (no time left, or
        more recognised than allocated) is due now. Returns the lines due now."""
        self.ensure_one()
        currency = self.currency_id
        Line = self.env["revcycle.revenue.line"].sudo()  # sudo: schedule rows, read-only to users
        if self.recognition not in ("ratable_daily", "ratable_monthly"):
            return Line
        self.line_ids.filtered(lambda line: line.state == "planned" and line.kind == "schedule").unlink()
        released = self._revcycle_released()
        posted_periods = self.line_ids.filtered(
            lambda line: line.state == "posted" and line.kind == "schedule").mapped("period_date")
        start = max([self.date_start] + [period + relativedelta(months=1) for period in posted_periods])
        self.date_end = max(date_end, self.date_start)
        remaining = currency.round(self.allocated_amount - released)
        if start <= date_end and currency.compare_amounts(remaining, 0.0) > 0:
            try:
                entries = engine.ratable_with_gaps(self.recognition, remaining, start, date_end, gaps,
                                                   currency.decimal_places)
            except engine.ScheduleError:
                entries = []  # every day left is paused: nothing to spread over, due now below
            if entries:
                Line._revcycle_insert_planned([{"obligation_id": self.id, "date": entry.date, "amount": entry.amount,
                                                "ready": True} for entry in entries])
                return Line
        if currency.is_zero(remaining):
            return Line
        return Line.create({"obligation_id": self.id, "date": on_date, "amount": remaining, "ready": True,
                            "kind": "adjustment"})

    def _revcycle_resize_waiting(self, remaining):
        """The point-in-time line still waiting for its event carries ``remaining`` (created or dropped as needed)."""
        self.ensure_one()
        waiting = self.line_ids.filtered(lambda line: line.state == "planned" and not line.ready
                                         and line.kind == "schedule")
        if self.currency_id.is_zero(remaining):
            waiting.unlink()
        elif waiting:
            waiting[0].amount = remaining
            waiting[1:].unlink()
        else:
            self.env["revcycle.revenue.line"].sudo().create(
                {"obligation_id": self.id, "date": self.date_start, "amount": remaining, "ready": False})

    def action_revcycle_satisfy(self):
        """Mark a delivery obligation met (a service without picking) and post its revenue now."""
        Contract = self.env["revcycle.revenue.contract"]
        self.env["revcycle.access"]._revcycle_require_revrec_manager()
        self.check_access("write")
        date = self.env.context.get("revcycle_date")
        on_date = Contract._revcycle_check_date(date) if date else fields.Date.context_today(self)
        lines = self.sudo()._revcycle_satisfy(on_date)  # sudo: revenue lines are the system's; access checked above
        for contract in lines.contract_id:
            contract._revcycle_post_lines(lines.filtered(lambda line, c=contract: line.contract_id == c), on_date)
        return True

    def _revcycle_replan_remaining(self, amount):
        """Spread ``amount`` over the planned lines in their current proportions (equally if all are zero)."""
        self.ensure_one()
        currency = self.currency_id
        planned = self.line_ids.filtered(lambda line: line.state == "planned" and line.kind == "schedule")
        weights = [Fraction(str(value)) for value in planned.mapped("amount")]
        if not any(weights):
            weights = [1] * len(planned)
        for line, value in zip(planned, engine.split_exact(amount, weights, currency.decimal_places), strict=True):
            line.amount = value
        planned.filtered(lambda line: currency.is_zero(line.amount)).unlink()

    def _revcycle_reverse_fraction(self, fraction, on_date):
        """A credit note or cancellation for ``fraction`` of each obligation: reverse that share of what was
        recognised (a negative line due ``on_date``) and shrink what is planned and allocated by it."""
        Line = self.env["revcycle.revenue.line"].sudo()  # sudo: schedule rows, read-only to users
        reversals = Line
        for obligation in self.sudo():
            currency = obligation.currency_id
            posted = obligation.line_ids.filtered(lambda line: line.state == "posted")
            to_reverse = currency.round(sum(posted.mapped("amount")) * fraction)
            if not currency.is_zero(to_reverse):
                reversals |= Line.create({"obligation_id": obligation.id, "date": on_date, "amount": -to_reverse,
                                          "ready": True, "kind": "reversal"})
            planned = obligation.line_ids.filtered(lambda line: line.state == "planned" and line.kind == "schedule")
            remaining = sum(planned.mapped("amount"))
            if planned and not currency.is_zero(remaining):
                new_amounts = engine.split_exact(
                    currency.round(remaining * (1 - fraction)),
                    [Fraction(str(amount)) for amount in planned.mapped("amount")], currency.decimal_places)
                for line, amount in zip(planned, new_amounts, strict=True):
                    line.amount = amount
                planned.filtered(lambda line, cur=currency: cur.is_zero(line.amount)).unlink()
            obligation.allocated_amount = currency.round(obligation.allocated_amount * (1 - fraction))
        return reversals
