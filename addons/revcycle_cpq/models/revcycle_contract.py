import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup
from odoo import Command, api, fields, models
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date

from .account_move_line import BATCH_CONTEXT
from .revcycle_contract_mrr_event import contract_mrr

STATES = [
    ("draft", "Draft"),
    ("negotiation", "Negotiation"),
    ("signed", "Signed"),
    ("active", "Active"),
    ("pending_termination", "Pending Termination"),
    ("suspended", "Suspended"),
    ("expired", "Expired"),
    ("terminated", "Terminated"),
]
BATCH_SIZE = 500
# the states whose periods are invoiced: a contract under notice bills until its termination date
BILLING_STATES = ("active", "pending_termination")

_logger = logging.getLogger(__name__)
BILLING_CHOICE_FIELDS = ("billing_period", "billing_mode", "billing_anchor")
# The state and the signature change through the contract's actions only (Negotiate, Sign, Activate, ...), which
# hold this token: no XML-RPC or JSON-RPC caller can put the object in a context.
_LIFECYCLE_TOKEN = object()
LIFECYCLE_FIELDS = ("state", "signed_date", "signed_by", "pause_from", "pause_to")


class RevcycleContract(models.Model):
    _name = "revcycle.contract"
    _description = "Contract"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin"]
    _order = "date_start desc, id desc"

    name = fields.Char(string="Reference", required=True, copy=False, readonly=True, default="/", index="trigram")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, tracking=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one("res.currency", required=True, default=lambda self: self.env.company.currency_id)
    user_id = fields.Many2one("res.users", string="Salesperson", default=lambda self: self.env.user, tracking=True)
    sale_order_id = fields.Many2one("sale.order", string="Quotation", copy=False, index="btree_not_null")
    payment_term_id = fields.Many2one("account.payment.term", string="Payment Terms")
    state = fields.Selection(
        STATES, default="draft", required=True, copy=False, tracking=True, index=True, group_expand=True
    )
    date_start = fields.Date(string="Start", required=True, tracking=True, default=fields.Date.context_today)
    date_end = fields.Date(string="End", tracking=True, help="Last day of the current term; empty: open-ended.")
    auto_renew = fields.Boolean(string="Renew Automatically", tracking=True)
    renewal_months = fields.Integer(string="Renewal Term (Months)", default=period_engine.DEFAULT_TERM_MONTHS)
    notice_days = fields.Integer(
        string="Notice Period (Days)",
        default=30,
        help="Days before the end by which the customer must give notice not to renew.",
    )
    uplift_percent = fields.Float(
        string="Renewal Uplift (%)", digits=(16, 2), help="Price increase applied to the lines of the renewed term."
    )
    billing_period = fields.Selection(
        [("month", "Monthly"), ("quarter", "Quarterly"), ("year", "Yearly")],
        required=True,
        default="month",
        tracking=True,
    )
    billing_mode = fields.Selection(
        [("prepaid", "Prepaid (start of period)"), ("postpaid", "Postpaid (end of period)")],
        required=True,
        default="prepaid",
        tracking=True,
    )
    billing_anchor = fields.Selection(
        [("start", "Contract start (anniversary)"), ("calendar", "Calendar periods")],
        required=True,
        default="start",
        string="Periods Aligned On",
        help="Calendar periods start on the 1st of the month, quarter or year: a contract starting mid-period gets a "
        "first period prorated by days.",
    )
    line_ids = fields.One2many("revcycle.contract.line", "contract_id", string="Lines", copy=True)
    period_ids = fields.One2many("revcycle.contract.period", "contract_id", string="Invoiced Periods")
    invoice_ids = fields.Many2many("account.move", compute="_compute_invoice_ids", string="Invoices")
    invoice_count = fields.Integer(compute="_compute_invoice_ids")
    recurring_total = fields.Monetary(compute="_compute_recurring_total", string="Recurring Amount", store=True)
    next_invoice_date = fields.Date(compute="_compute_next_invoice_date", store=True, index=True)
    notice_deadline = fields.Date(compute="_compute_notice_deadline", store=True)
    # set by Sign (or the portal signature of the quotation), never typed in: the signature gates the billing
    signed_date = fields.Date(copy=False, tracking=True, readonly=True)
    signed_by = fields.Char(copy=False, readonly=True)
    termination_date = fields.Date(copy=False, tracking=True)
    termination_reason = fields.Text(copy=False)
    previous_contract_id = fields.Many2one("revcycle.contract", string="Renews", copy=False, index="btree_not_null")
    next_contract_ids = fields.One2many("revcycle.contract", "previous_contract_id", string="Renewed By")
    renewal_order_id = fields.Many2one("sale.order", string="Renewal Quotation", copy=False)
    mrr_event_ids = fields.One2many("revcycle.contract.mrr.event", "contract_id", string="MRR History")
    amendment_ids = fields.One2many("revcycle.contract.amendment", "contract_id", string="Amendments")
    # a pause covers whole billing periods: they are billed nothing (skipped period rows), the next invoice date moves
    # past them, and the term end too when the contract says so; set by Pause, cleared at the resume
    pause_from = fields.Date(readonly=True, copy=False, tracking=True)
    pause_to = fields.Date(readonly=True, copy=False, tracking=True)
    pause_extends_term = fields.Boolean(
        string="Pauses Extend the Term",
        help="A pause moves the end of the term by the paused periods, so the customer gets every period paid for.",
    )
    invoicing_error = fields.Text(
        copy=False, readonly=True, help="Why the last invoicing run could not invoice this contract."
    )

    _sql_constraints = [
        (
            "revcycle_contract_dates",
            "CHECK (date_end IS NULL OR date_end >= date_start)",
            "A contract cannot end before it starts: set the end on or after the start.",
        ),
        (
            "revcycle_contract_renewal_months",
            "CHECK (renewal_months > 0)",
            "The renewal term must be at least one month.",
        ),
        ("revcycle_contract_notice_days", "CHECK (notice_days >= 0)", "The notice period cannot be negative."),
        ("revcycle_contract_uplift", "CHECK (uplift_percent >= 0)", "The renewal uplift cannot be negative."),
    ]

    # -- computes --------------------------------------------------------------------------------------------------
    @api.depends("period_ids.move_id")
    def _compute_invoice_ids(self):
        for contract in self:
            contract.invoice_ids = contract.period_ids.move_id
            contract.invoice_count = len(contract.invoice_ids)

    @api.depends("line_ids.price_subtotal")
    def _compute_recurring_total(self):
        for contract in self:
            contract.recurring_total = sum(contract.line_ids.mapped("price_subtotal"))

    @api.depends(
        "state", "date_start", "date_end", "billing_period", "billing_mode", "billing_anchor", "period_ids.date_start"
    )
    def _compute_next_invoice_date(self):
        for contract in self:
            contract.next_invoice_date = contract._revcycle_next_invoice_date()

    @api.depends("date_end", "notice_days")
    def _compute_notice_deadline(self):
        for contract in self:
            contract.notice_deadline = contract.date_end and period_engine.notice_deadline(
                contract.date_end, contract.notice_days
            )

    def _revcycle_mrr(self):
        """What the contract is worth per month now: its recurring amount normalised to a month."""
        self.ensure_one()
        return contract_mrr(self.currency_id, self.recurring_total, self.billing_period)

    def _revcycle_log_mrr_event(self, kind, date, mrr_before, mrr_after):
        """Append a movement to the contract's MRR history (the actions that change the MRR call this)."""
        self.ensure_one()
        return self.env["revcycle.contract.mrr.event"]._revcycle_log(self, kind, date, mrr_before, mrr_after)

    def _revcycle_next_invoice_date(self):
        if self.state not in BILLING_STATES or not self.date_start:
            return False
        invoiced = set(self.period_ids.mapped("date_start"))
        months = period_engine.period_months(self.billing_period)
        until = max(invoiced, default=self.date_start) + relativedelta(months=2 * months)
        for period in period_engine.periods(
            self.date_start, self.billing_period, self.date_end, until=until, align=self.billing_anchor
        ):
            if period.start not in invoiced:
                return period_engine.invoice_date(period, self.billing_mode)
        return False

    def action_view_invoices(self):
        """The contract's own invoices and credit notes (those of its periods and its unused-time credits)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        moves = self.invoice_ids | self.env["account.move"].search(
            [("invoice_origin", "=", self.name), ("company_id", "=", self.company_id.id),
             ("move_type", "in", ("out_invoice", "out_refund"))]
        )
        action.update(domain=[("id", "in", moves.ids)], context={"default_move_type": "out_invoice", "create": False})
        return action

    # -- CRUD ------------------------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self.env["revcycle.access"]._revcycle_check_vals(self, vals_list)  # before anything reads them
        self._revcycle_refuse_lifecycle_fields(
            [
                {key: value for key, value in vals.items() if not (key == "state" and value == "draft")}
                for vals in vals_list
            ]
        )
        for vals in vals_list:
            self._revcycle_check_billing_choices(vals)
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("revcycle.contract") or "/"
        return super().create(vals_list)

    def write(self, vals):
        self.env["revcycle.access"]._revcycle_check_vals(self, [vals])  # before anything reads them
        self._revcycle_refuse_lifecycle_fields([vals])
        self._revcycle_check_billing_choices(vals)
        return super().write(vals)

    def _revcycle_refuse_lifecycle_fields(self, vals_list):
        """A contract is signed, activated, suspended... by its actions, which check what each step needs (lines, a
        signature before billing): a plain write of the state or the signature is refused. The superuser (the
        contracts made when an order is confirmed, the crons) writes them as the code decides."""
        if self.env.su or self.env.context.get("revcycle_lifecycle_write") is _LIFECYCLE_TOKEN:
            return
        written = sorted({name for vals in vals_list for name in vals if name in LIFECYCLE_FIELDS})
        if written:
            raise AccessError(
                self.env._(
                    "%(fields)s of a contract change through its actions (Negotiate, Sign, Activate, Suspend, Pause, "
                    "Cancel Pause, Resume, Terminate, Renew), not by writing them.",
                    fields=", ".join(self._fields[name]._description_string(self.env) for name in written),
                )
            )

    def _revcycle_lifecycle_write(self, vals):
        """The one way the contract's actions write its state and signature."""
        return self.with_context(revcycle_lifecycle_write=_LIFECYCLE_TOKEN).write(vals)

    def _revcycle_check_billing_choices(self, vals):
        """Refuse an unknown billing period, mode or alignment with the choices, before the ORM's bare "Wrong
        value" (integrations send these as plain strings)."""
        for field_name in BILLING_CHOICE_FIELDS:
            if field_name not in vals:
                continue
            field = self._fields[field_name]
            choices = dict(field._description_selection(self.env))
            if vals[field_name] not in choices:
                raise ValidationError(
                    self.env._(
                        "Unknown %(field)s %(value)r: use one of %(choices)s.",
                        field=field._description_string(self.env),
                        value=vals[field_name],
                        choices=", ".join(f"{key} ({label})" for key, label in choices.items()),
                    )
                )

    def _compute_access_url(self):  # pylint: disable=missing-return
        super()._compute_access_url()
        for contract in self:
            contract.access_url = f"/my/contracts/{contract.id}"

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def _revcycle_require_state(self, allowed, action):
        for contract in self:
            if contract.state not in allowed:
                state = dict(STATES)[contract.state]
                raise UserError(
                    self.env._(
                        "%(contract)s is %(state)s: it cannot be %(action)s.",
                        contract=contract.name,
                        state=state,
                        action=action,
                    )
                )

    def action_negotiate(self):
        self._revcycle_require_state(("draft",), self.env._("put in negotiation"))
        self._revcycle_lifecycle_write({"state": "negotiation"})
        return True

    def action_sign(self, signed_by=None):
        signed_by = self.env["revcycle.access"]._revcycle_text(signed_by, "signed_by", max_length=200)
        self._revcycle_require_state(("draft", "negotiation"), self.env._("signed"))
        for contract in self:
            if not contract.line_ids:
                raise UserError(self.env._("%(contract)s has no lines to sign for.", contract=contract.name))
        for contract in self:
            contract._revcycle_lifecycle_write(
                {
                    "state": "signed",
                    "signed_date": fields.Date.context_today(self),
                    # the customer signs the contract, not the user recording it
                    "signed_by": signed_by or contract.partner_id.display_name,
                }
            )
        return True

    def action_activate(self):
        for contract in self:
            if contract.state in ("draft", "negotiation"):
                raise UserError(
                    self.env._("%(contract)s is not signed yet: sign it before activating it.", contract=contract.name)
                )
        self._revcycle_require_state(("signed",), self.env._("activated"))
        self._revcycle_lifecycle_write({"state": "active", "invoicing_error": False})
        for contract in self:
            # a renewal through the renewal quotation starts its own MRR; the contract it renews logs its end
            kind = "renewal" if contract.previous_contract_id else "new"
            contract._revcycle_log_mrr_event(kind, contract.date_start, 0.0, contract._revcycle_mrr())
        return True

    # -- amendments, pause and resume (XML-RPC: plain data in and out) --------------------------------------------
    def action_open_amendment(self):
        """The Amend button: a new draft amendment of this contract in its form."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "revcycle.contract.amendment",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {"default_contract_id": self.id},
        }

    def action_amend(self, vals):
        """Draft an amendment of this contract from ``vals`` (kind, line_id, product_id, quantity, price_unit,
        effective_date, proration_behavior, reason) and return its preview: the exact invoice or credit lines it
        will produce. Bad input is refused with a message and nothing is written."""
        self.ensure_one()
        self.check_access("write")
        if not isinstance(vals, dict):
            raise ValidationError(
                self.env._("Give the amendment as a dictionary of values, like {'kind': 'quantity'}.")
            )
        allowed = {"kind", "line_id", "product_id", "quantity", "price_unit", "effective_date", "proration_behavior",
                   "reason"}
        unknown = sorted(set(vals) - allowed)
        if unknown:
            raise ValidationError(
                self.env._("Unknown amendment values %(names)s: give only %(allowed)s.",
                           names=", ".join(unknown), allowed=", ".join(sorted(allowed)))
            )
        with self.env.cr.savepoint():
            # the draft and its checks in one savepoint: a refused amendment leaves nothing behind
            amendment = self.env["revcycle.contract.amendment"].create({**vals, "contract_id": self.id})
            preview = amendment.action_preview()
        return preview

    def action_pause(self, date_from, date_to):
        """Pause billing for the whole billing periods from ``date_from`` (a period's first day, not invoiced yet)
        to ``date_to`` (a period's last day): nothing is billed for them, the next invoice date moves past them and,
        when the contract says so, the term end moves by them. The contract is suspended from ``date_from`` (now
        when that day has come, else by the terms job). Refused, writing nothing, for dates off the period
        boundaries, outside the term, over invoiced time, or overlapping a pause."""
        self.ensure_one()
        Access = self.env["revcycle.access"]
        date_from, date_to = Access._revcycle_date_range(date_from, date_to, "date_from", "date_to")
        self._revcycle_require_state(("active",), self.env._("paused"))
        self.check_access("write")
        if self.pause_from:
            raise ValidationError(
                self.env._(
                    "%(contract)s is already paused from %(start)s to %(end)s: resume it before another pause "
                    "(pauses cannot overlap).",
                    contract=self.name,
                    start=format_date(self.env, self.pause_from),
                    end=format_date(self.env, self.pause_to),
                )
            )
        paused = self._revcycle_pausable_periods(date_from, date_to)
        # sudo: period rows are the invoicing's bookkeeping, which users only read; write access was checked above
        self.env["revcycle.contract.period"].sudo().create(  # sudo: bookkeeping rows
            [{"contract_id": self.id, "date_start": p.start, "date_end": p.end} for p in paused]
        )
        vals = {"pause_from": date_from, "pause_to": date_to}
        if self.pause_extends_term and self.date_end:
            vals["date_end"] = period_engine.add_months(
                self.date_end + timedelta(days=1),
                len(paused) * period_engine.period_months(self.billing_period),
                self.date_start.day,
            ) - timedelta(days=1)
        self._revcycle_lifecycle_write(vals)
        self.message_post(
            body=self.env._(
                "Paused from %(start)s to %(end)s: %(count)s billing periods not billed.",
                start=format_date(self.env, date_from),
                end=format_date(self.env, date_to),
                count=len(paused),
            )
        )
        if date_from <= fields.Date.context_today(self):
            self._revcycle_start_pause()
        return {"pause_from": fields.Date.to_string(date_from), "pause_to": fields.Date.to_string(date_to),
                "periods_skipped": len(paused), "date_end": fields.Date.to_string(self.date_end) if self.date_end
                else False, "next_invoice_date": fields.Date.to_string(self.next_invoice_date)
                if self.next_invoice_date else False}

    def _revcycle_pausable_periods(self, date_from, date_to):
        """The billing periods a pause from ``date_from`` to ``date_to`` covers, checked: whole periods, in the
        term, not invoiced."""
        if self.date_end and date_to > self.date_end:
            raise ValidationError(
                self.env._("A pause ends within the term: %(contract)s ends on %(end)s.", contract=self.name,
                           end=format_date(self.env, self.date_end))
            )
        schedule = period_engine.periods(
            self.date_start, self.billing_period, self.date_end, until=date_to, align=self.billing_anchor
        )
        starts = {period.start for period in schedule}
        ends = {period.end for period in schedule}
        if date_from not in starts or date_to not in ends:
            raise ValidationError(
                self.env._(
                    "A pause covers whole billing periods: date_from must be the first day of a period and date_to "
                    "the last day of one (the periods of %(contract)s start on the %(day)s).",
                    contract=self.name,
                    day=self.date_start.day if self.billing_anchor == "start" else 1,
                )
            )
        paused = [period for period in schedule if date_from <= period.start and period.end <= date_to]
        invoiced = set(self.period_ids.mapped("date_start"))
        if any(period.start in invoiced for period in paused):
            raise ValidationError(
                self.env._("%(contract)s is already invoiced for part of that time: pause from a period not invoiced "
                           "yet.", contract=self.name)
            )
        return paused

    def _revcycle_start_pause(self):
        self._revcycle_lifecycle_write({"state": "suspended"})
        self._revcycle_log_mrr_event("pause", self.pause_from, self._revcycle_mrr(), 0.0)

    def action_suspend(self):
        self._revcycle_require_state(("active",), self.env._("suspended"))
        self._revcycle_lifecycle_write({"state": "suspended"})
        today = fields.Date.context_today(self)
        for contract in self:
            contract._revcycle_log_mrr_event("pause", today, contract._revcycle_mrr(), 0.0)
        return True

    def action_resume(self, date=None):
        """Resume a suspended or paused contract on ``date`` (default today). A pause ended early on a period's
        first day bills again from that period (its skipped periods from then on are billed, the term extension
        taken back)."""
        resume_date = self.env["revcycle.access"]._revcycle_date(date, "date", required=False)
        self._revcycle_require_state(("suspended",), self.env._("resumed"))
        today = fields.Date.context_today(self)
        for contract in self:
            day = resume_date or today
            if contract.pause_from:
                contract._revcycle_end_pause_early(day)
            contract._revcycle_lifecycle_write({"state": "active", "pause_from": False, "pause_to": False})
            contract._revcycle_log_mrr_event("resume", day, 0.0, contract._revcycle_mrr())
        return True

    def action_cancel_pause(self):
        """Cancel a pause that has not started yet: its billing periods bill again and the term extension it made is
        taken back. A pause that has started is ended with action_resume instead."""
        self._revcycle_require_state(("active",), self.env._("unpaused"))
        self.check_access("write")
        today = fields.Date.context_today(self)
        for contract in self:
            if not contract.pause_from:
                raise ValidationError(self.env._("%(contract)s has no pause to cancel.", contract=contract.name))
            if contract.pause_from <= today:
                raise ValidationError(
                    self.env._(
                        "The pause of %(contract)s started on %(start)s: resume the contract instead.",
                        contract=contract.name,
                        start=format_date(self.env, contract.pause_from),
                    )
                )
            start, end = contract.pause_from, contract.pause_to
            contract._revcycle_end_pause_early(start)  # every skipped period from its first day on bills again
            contract._revcycle_lifecycle_write({"pause_from": False, "pause_to": False})
            contract.message_post(
                body=self.env._(
                    "Pause from %(start)s to %(end)s cancelled before it started: those billing periods bill again.",
                    start=format_date(self.env, start),
                    end=format_date(self.env, end),
                )
            )
        return True

    def _revcycle_end_pause_early(self, day):
        """Skipped periods from ``day`` on bill again; ``day`` must be the first day of one of them."""
        skipped = self.period_ids.filtered(
            lambda p: not p.move_id and self.pause_from <= p.date_start <= self.pause_to
        )
        if day > self.pause_to:
            return
        released = skipped.filtered(lambda p: p.date_start >= day)
        if day not in set(skipped.mapped("date_start")) | {self.pause_to + timedelta(days=1)}:
            raise ValidationError(
                self.env._(
                    "A pause ends on a billing period's first day: resume %(contract)s on one of %(days)s.",
                    contract=self.name,
                    days=", ".join(format_date(self.env, d) for d in sorted(skipped.mapped("date_start"))),
                )
            )
        if self.pause_extends_term and self.date_end and released:
            months = len(released) * period_engine.period_months(self.billing_period)
            self._revcycle_lifecycle_write(
                {"date_end": period_engine.add_months(self.date_end + timedelta(days=1), -months, self.date_start.day)
                 - timedelta(days=1)}
            )
        released.sudo().unlink()  # the period rows are the invoicing's bookkeeping; the caller may resume the contract

    def action_terminate(self, termination_date=None, reason=None, override_notice=False):
        """End the contract on ``termination_date`` (default today). Before the notice period has run, only with
        ``override_notice`` and a reason. Unused prepaid time is credited when the company's setting says so."""
        Access = self.env["revcycle.access"]
        termination_date = Access._revcycle_date(termination_date, "termination_date", required=False)
        reason = Access._revcycle_text(reason, "reason")
        self._revcycle_require_state(("active", "suspended", "signed"), self.env._("terminated"))
        today = fields.Date.context_today(self)
        termination_date = termination_date or today
        for contract in self:
            if termination_date < contract.date_start:
                raise ValidationError(
                    self.env._(
                        "%(contract)s cannot end on %(date)s, before its start (%(start)s).",
                        contract=contract.name,
                        date=termination_date,
                        start=contract.date_start,
                    )
                )
            earliest = today + timedelta(days=contract.notice_days)
            if termination_date < earliest and not override_notice:
                raise UserError(
                    self.env._(
                        "%(contract)s has a %(days)s-day notice period: the earliest end is %(earliest)s. Terminate "
                        "earlier only with the notice override and a reason.",
                        contract=contract.name,
                        days=contract.notice_days,
                        earliest=earliest,
                    )
                )
            if override_notice and not (reason or "").strip():
                raise UserError(
                    self.env._("Overriding the notice period of %(contract)s needs a reason.", contract=contract.name)
                )
        for contract in self:
            credit = contract._revcycle_credit_unused_time(termination_date)
            # a suspended contract's MRR was already taken out by its pause
            mrr_before = contract._revcycle_mrr() if contract.state == "active" else 0.0
            if contract.state != "signed":
                contract._revcycle_log_mrr_event("churn", termination_date, mrr_before, 0.0)
            # under notice the contract keeps billing up to its termination date (its last period prorated); the
            # terms job ends it the day after, once its last periods are invoiced
            contract._revcycle_lifecycle_write(
                {
                    "state": "pending_termination" if contract.state == "active" else "terminated",
                    "termination_date": termination_date,
                    "termination_reason": reason,
                    "date_end": max(termination_date, contract.date_start),
                }
            )
            if contract.state == "pending_termination" and termination_date < today:
                contract._revcycle_finish_termination(today)
            elif contract.state == "terminated":
                contract._revcycle_bill_carried_prorations(today)  # a paused contract bills nothing more
            note = self.env._("Terminates on %(date)s.", date=format_date(self.env, termination_date))
            if reason:
                note += " " + self.env._("Reason: %(reason)s", reason=reason)
            if credit:
                note += " " + self.env._("Unused prepaid time credited: %(credit)s.", credit=credit.name or credit.id)
            contract.message_post(body=note)
        return True

    def _revcycle_finish_termination(self, today):
        """The termination date has passed: invoice what the notice period still owes (a postpaid last period is
        invoiced the day after it ends), then the contract is terminated."""
        self.ensure_one()
        self._revcycle_invoice_due_periods(today)
        self._revcycle_invoice_final_usage(today)  # the last periods' usage, billed in arrears
        self._revcycle_bill_carried_prorations(today)
        self._revcycle_lifecycle_write({"state": "terminated"})

    def action_renew(self):
        """Renew now: a new linked contract for the renewal term at uplifted prices (auto-renewing contracts), or a
        renewal quotation for the customer to accept (the others)."""
        self._revcycle_require_state(("active", "expired"), self.env._("renewed"))
        for contract in self:
            if not contract.date_end:
                raise UserError(
                    self.env._("%(contract)s is open-ended: there is no term to renew.", contract=contract.name)
                )
            if contract.next_contract_ids:
                raise UserError(
                    self.env._(
                        "%(contract)s was already renewed by %(renewal)s.",
                        contract=contract.name,
                        renewal=contract.next_contract_ids[0].name,
                    )
                )
            if contract.auto_renew:
                contract._revcycle_renew_contract()
            elif contract.renewal_order_id and contract.renewal_order_id.state != "cancel":
                raise UserError(
                    self.env._(
                        "%(contract)s already has the renewal quotation %(order)s: send or confirm it, or cancel it "
                        "to make a new one.",
                        contract=contract.name,
                        order=contract.renewal_order_id.name,
                    )
                )
            else:
                contract._revcycle_create_renewal_quotation()
        return True

    def _revcycle_renewal_price(self, price):
        digits = self.env["decimal.precision"].precision_get("Product Price")
        return period_engine.uplifted_price(price, self.uplift_percent, precision_digits=digits)

    def _revcycle_renew_contract(self):
        self.ensure_one()
        start = self.date_end + timedelta(days=1)
        renewal = self.copy(
            {
                "date_start": start,
                "date_end": period_engine.term_end(start, self.renewal_months),
                "previous_contract_id": self.id,
                "sale_order_id": self.sale_order_id.id,
                "line_ids": [
                    Command.create({**line.copy_data()[0], "price_unit": self._revcycle_renewal_price(line.price_unit)})
                    for line in self.line_ids
                ],
            }
        )
        # the current contract runs and bills to the end of its term; the renewal, signed, starts the next day
        # (the terms job activates it then, or at once when that day has come)
        renewal._revcycle_lifecycle_write(
            {"state": "signed", "signed_date": self.signed_date, "signed_by": self.signed_by}
        )
        if renewal.date_start <= fields.Date.context_today(self):
            renewal.action_activate()
        self.message_post(body=Markup(self.env._("Renewed by %(link)s.", link=renewal._get_html_link())))
        renewal.message_post(
            body=Markup(
                self.env._(
                    "Renewal of %(link)s, prices raised by %(uplift)s %%.",
                    link=self._get_html_link(),
                    uplift=self.uplift_percent,
                )
            )
        )
        return renewal

    def _revcycle_create_renewal_quotation(self):
        self.ensure_one()
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner_id.id,
                "company_id": self.company_id.id,
                # the quotation's currency is its pricelist's: the contract's figures stay in the contract's currency
                "pricelist_id": self._revcycle_renewal_pricelist().id,
                "user_id": self.user_id.id,
                "origin": self.name,
                "order_line": [
                    Command.create(
                        {
                            "product_id": line.product_id.id,
                            "product_uom_qty": line.quantity,
                            "name": line.name,
                            "price_unit": self._revcycle_renewal_price(line.price_unit),
                            "discount": line.discount,
                        }
                    )
                    for line in self.line_ids
                ],
            }
        )
        self.renewal_order_id = order
        self.message_post(body=Markup(self.env._("Renewal quotation %(link)s created.", link=order._get_html_link())))
        return order

    def _revcycle_renewal_pricelist(self):
        """The pricelist of the renewal quotation: the original quotation's when it is in the contract's currency,
        else the company's first pricelist in that currency (none: a quotation in the company's currency)."""
        self.ensure_one()
        original = self.sale_order_id.pricelist_id
        if original and original.currency_id == self.currency_id:
            return original
        pricelist = self.env["product.pricelist"].search(
            [("currency_id", "=", self.currency_id.id), ("company_id", "in", (self.company_id.id, False))], limit=1
        )
        if not pricelist and self.currency_id != self.company_id.currency_id:
            raise UserError(
                self.env._(
                    "%(contract)s is in %(currency)s but no pricelist is: create a pricelist in %(currency)s so its "
                    "renewal quotation can be made in the contract's currency.",
                    contract=self.name,
                    currency=self.currency_id.name,
                )
            )
        return pricelist

    def _revcycle_renewal_contract_vals(self):
        """The terms a contract renewed through its renewal quotation keeps: it starts the day after this one ends,
        for the renewal term, billed the same way, linked to this one."""
        self.ensure_one()
        start = self.date_end + timedelta(days=1)
        return {
            "previous_contract_id": self.id,
            "date_start": start,
            "date_end": period_engine.term_end(start, self.renewal_months),
            "billing_mode": self.billing_mode,
            "billing_anchor": self.billing_anchor,
            "renewal_months": self.renewal_months,
            "notice_days": self.notice_days,
        }

    def action_revcycle_retry_invoicing(self):
        """Clear the invoicing error once its cause is fixed, so the next run invoices the contract again."""
        self.write({"invoicing_error": False})
        return True

    # -- invoicing -------------------------------------------------------------------------------------------------
    def _revcycle_due_periods(self, on_date):
        self.ensure_one()
        return period_engine.due_periods(
            self.date_start,
            self.billing_period,
            self.billing_mode,
            on_date,
            self.date_end,
            already_invoiced=self.period_ids.mapped("date_start"),
            align=self.billing_anchor,
        )

    def _revcycle_invoice_periods(self, on_date):
        """Invoice every period due by ``on_date`` not invoiced yet: one invoice per period, its period row written
        in the same transaction (a unique key on contract + period start stops a second worker)."""
        self.ensure_one()
        return self._revcycle_invoice_due_periods(on_date)

    def _revcycle_invoice_due_periods(self, on_date):
        """Invoice the due periods of every contract of ``self`` in one go: the period rows, then the invoices created
        and posted in batches per company (the invoice engine is much cheaper per invoice in a batch)."""
        due = [(contract, period) for contract in self for period in contract._revcycle_due_periods(on_date)]
        if not due:
            return self.env["account.move"]
        moves_by_index = {}
        # the prorations of amendments carried to the next invoice go on each contract's first invoice of the run
        carried = self._revcycle_carried_amendments()
        carried_at = {}
        for index, (contract, _period) in enumerate(due):
            if contract.id in carried and contract.id not in carried_at.values():
                carried_at[index] = contract.id
        # usage of the periods closed before each invoice's date, rated once and billed in arrears (Usage billing)
        usage_by_index = self._revcycle_usage_bills(due)
        for company, indexes in self._revcycle_group_by_company(due).items():
            contracts = self.browse([due[index][0].id for index in indexes])
            vals_list = []
            for index in indexes:
                vals = due[index][0]._prepare_invoice_vals(due[index][1])
                if index in carried_at:
                    vals["invoice_line_ids"] += carried[carried_at[index]]._revcycle_carried_line_commands()
                if index in usage_by_index:
                    vals["invoice_line_ids"] += usage_by_index[index].invoice_commands
                vals_list.append(vals)
            moves = contracts._revcycle_create_invoices(company, vals_list)
            moves_by_index.update(zip(indexes, moves, strict=True))
        self._revcycle_record_usage_bills(usage_by_index, moves_by_index, due)
        for index, contract_id in carried_at.items():
            carried[contract_id]._revcycle_decide({"proration_move_id": moves_by_index[index].id})
        # the period rows are written with their invoices in one statement; their unique key still stops a second
        # worker, whose savepoint then takes its invoices back with them
        self.env["revcycle.contract.period"].create(
            [
                {
                    "contract_id": contract.id,
                    "date_start": period.start,
                    "date_end": period.end,
                    "move_id": moves_by_index[index].id,
                }
                for index, (contract, period) in enumerate(due)
            ]
        )
        self.env["revcycle.contract.period"].flush_model()
        return self.env["account.move"].concat(*(moves_by_index[index] for index in range(len(due))))

    def _revcycle_carried_amendments(self):
        """Applied amendments of these contracts whose proration waits for the next invoice, by contract id."""
        amendments = (
            self.env["revcycle.contract.amendment"]
            .sudo()  # the invoicing run reads the prorations it bills, whoever runs it
            .search(
                [
                    ("contract_id", "in", self.ids),
                    ("state", "=", "applied"),
                    ("proration_plan", "=", "next_invoice"),
                    ("proration_move_id", "=", False),
                ],
                order="id",
            )
        )
        return {contract.id: records for contract, records in amendments.grouped("contract_id").items()}

    def _revcycle_bill_carried_prorations(self, on_date):
        """The contract stops billing with prorations still waiting for a next invoice that will not come (an
        amendment in the last period): they are billed now on an invoice of their own, or a credit note when they
        come to less than nothing, so the customer pays exactly for the time used."""
        self.ensure_one()
        carried = self._revcycle_carried_amendments().get(self.id)
        if not carried:
            return self.env["account.move"]
        commands = carried._revcycle_carried_line_commands()
        total = sum(command[2]["quantity"] * command[2]["price_unit"] for command in commands)
        refund = self.currency_id.compare_amounts(total, 0.0) < 0
        if refund:
            for command in commands:
                command[2]["price_unit"] = -command[2]["price_unit"]
        vals = {
            "move_type": "out_refund" if refund else "out_invoice",
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "invoice_date": on_date,
            "invoice_payment_term_id": self.payment_term_id.id,
            "invoice_origin": self.name,
            "invoice_user_id": self.user_id.id,
            "invoice_line_ids": commands,
        }
        move = self._revcycle_create_invoices(self.company_id, [vals])
        carried._revcycle_decide({"proration_move_id": move.id})
        return move

    @staticmethod
    def _revcycle_group_by_company(due):
        indexes_by_company = {}
        for index, (contract, _period) in enumerate(due):
            indexes_by_company.setdefault(contract.company_id, []).append(index)
        return indexes_by_company

    def _revcycle_create_invoices(self, company, vals_list):
        """Create the invoices of one company, ``vals_list[i]`` invoicing the contract ``self[i]``, and post them
        unless the company reviews them in draft first.

        The sales journal is looked up once per currency, not once per invoice; the cron user does not follow every
        invoice; the creation note names the contract and is written in one batch instead of a notification per
        invoice (invoices being created have no follower to notify)."""
        Move = self.env["account.move"].with_company(company)
        journals = {}
        for vals in vals_list:
            currency_id = vals["currency_id"]
            if currency_id not in journals:
                journals[currency_id] = Move.new(
                    {"move_type": vals["move_type"], "company_id": company.id, "currency_id": currency_id}
                ).journal_id.id
            if journals[currency_id]:
                vals.setdefault("journal_id", journals[currency_id])
        # no chatter work per invoice at creation (followers, initial tracking): the followers Odoo would have added
        # one invoice at a time are added below in one statement. The batch context spares Odoo's create a second
        # look at the lines it has just made (AccountMove.write) and a search of analytic models per line when
        # there is none (AccountAnalyticDistributionModel).
        token = f"create-{self[:1].id}-{len(vals_list)}"
        try:
            moves = Move.with_context(tracking_disable=True, **{BATCH_CONTEXT: token}).create(vals_list)
        finally:
            self.env.cr.cache.get(BATCH_CONTEXT, {}).pop(token, None)  # what the batch looked up once holds for it only
        moves = moves.with_env(Move.env)
        moves._message_log_batch(
            bodies={
                move.id: Markup(self.env._("Invoice created from contract %(link)s.", link=contract._get_html_link()))
                for move, contract in zip(moves, self, strict=True)
            }
        )
        post = company.revcycle_contract_auto_post
        # the salespeople follow their invoices; the customers too once posted (posting finds them subscribed)
        moves._revcycle_subscribe_each(
            {
                move.id: (move.invoice_user_id.partner_id | (move.partner_id if post else move.partner_id.browse()))
                for move in moves
            }
        )
        if post:
            moves._revcycle_post_batch()
        return moves

    def _prepare_invoice_vals(self, period):
        self.ensure_one()
        return {
            "move_type": "out_invoice",
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "invoice_date": period_engine.invoice_date(period, self.billing_mode),
            "invoice_payment_term_id": self.payment_term_id.id,
            "invoice_origin": self.name,
            "invoice_user_id": self.user_id.id,
            # metered lines have no fixed amount: their usage is rated and added by the invoicing run
            "invoice_line_ids": [
                Command.create(line._prepare_invoice_line_vals(period))
                for line in self.line_ids.filtered(lambda line: not line.revcycle_metered)
            ],
        }

    def _revcycle_credit_unused_time(self, termination_date):
        """A credit note for the prepaid share of invoiced periods after ``termination_date``, when the company
        credits unused time."""
        self.ensure_one()
        if not self.company_id.revcycle_contract_credit_unused or self.billing_mode != "prepaid":
            return self.env["account.move"]
        lines = []
        # the engine's periods give each invoiced period its full length, which prorated the invoiced price
        schedule = {
            period.start: period
            for period in period_engine.periods(
                self.date_start,
                self.billing_period,
                self.date_end,
                until=max(self.period_ids.mapped("date_start"), default=self.date_start),
                align=self.billing_anchor,
            )
        }
        for period_row in self.period_ids.filtered(lambda p: p.move_id and p.date_end > termination_date):
            period = schedule.get(period_row.date_start) or period_engine.Period(
                period_row.date_start, period_row.date_end, period_row.date_start, period_row.date_end
            )
            ratio = period_engine.unused_ratio(period, termination_date)
            for line in self.line_ids.filtered(lambda line: not line.revcycle_metered):  # usage is billed in arrears
                vals = line._prepare_invoice_line_vals(period)
                vals["price_unit"] = self.currency_id.round(vals["price_unit"] * ratio)
                vals["name"] = self.env._(
                    "Unused time %(start)s to %(end)s: %(line)s",
                    start=max(period.start, termination_date + timedelta(days=1)),
                    end=period.end,
                    line=line.name,
                )
                lines.append(Command.create(vals))
        # the credit for unused time is owed at once: posted whatever the company's "Post contract invoices" says
        return self._revcycle_create_credit_note(lines, termination_date, post=True)

    def _revcycle_create_credit_note(self, lines, invoice_date, post=None):
        """The contract's credit note of ``lines`` (invoice line commands, positive prices) dated ``invoice_date``,
        the contract's salesperson as its salesperson; nothing without lines. Posted when ``post`` says so, by default
        as the contract's invoices are (the company's "Post contract invoices"). The one place the contract's credit
        notes are made: unused time at termination, usage corrections."""
        self.ensure_one()
        if not lines:
            return self.env["account.move"]
        credit = (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "currency_id": self.currency_id.id,
                    "invoice_origin": self.name,
                    "invoice_date": invoice_date,
                    "invoice_user_id": self.user_id.id,
                    "invoice_line_ids": lines,
                }
            )
        )
        if self.company_id.revcycle_contract_auto_post if post is None else post:
            credit.action_post()
        return credit

    @api.model
    def _cron_generate_invoices(self, batch_size=BATCH_SIZE):
        """Invoice every period due, catching up missed ones. Contracts are taken in bounded batches, locked with
        SKIP LOCKED so a second worker takes others. A batch is invoiced at once in a savepoint; when anything in it
        fails, the batch is invoiced again contract by contract, each in its own savepoint, so the failing contract is
        flagged and the others go on. Then a batch of ended contracts whose usage was reported after their final
        usage invoice (``_revcycle_invoice_late_usage``, Usage billing). Returns the number of contracts handled; the
        cron is told how many are left so it runs again at once."""
        today = fields.Date.context_today(self)
        self.env["revcycle.contract"].flush_model()
        rows = self.env.execute_query(self.env["revcycle.contract"]._revcycle_due_contracts_query(today, batch_size))
        contracts = self.browse([row[0] for row in rows])
        if contracts:
            try:
                with self.env.cr.savepoint():
                    contracts._revcycle_invoice_due_periods(today)
            except Exception as error:  # whatever broke, the contract-by-contract pass below flags it
                _logger.info(
                    "Invoicing %s contracts at once failed (%s); invoicing them one by one.", len(contracts), error
                )
                contracts._revcycle_invoice_one_by_one(today)
        done = len(contracts) + self._revcycle_invoice_late_usage(today, batch_size)
        if not done:
            return 0
        remaining = self._revcycle_due_contracts_count(today) + self._revcycle_late_usage_count(today)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    def _revcycle_invoice_one_by_one(self, today):
        for contract in self:
            try:
                with self.env.cr.savepoint():
                    contract._revcycle_invoice_periods(today)
                    contract.invoicing_error = False
            except Exception as error:  # any failure is flagged on the contract for a user to fix
                contract.invoicing_error = str(error)
                contract.message_post(body=self.env._("Invoicing failed: %(error)s", error=str(error)))

    def _revcycle_due_contracts_count(self, today):
        self.env["revcycle.contract"].flush_model()
        return self.env.execute_query(
            SQL(
                """SELECT count(*) FROM revcycle_contract
                    WHERE state IN ('active', 'pending_termination')
                      AND next_invoice_date <= %s AND invoicing_error IS NULL""",
                today,
            )
        )[0][0]

    def _revcycle_due_contracts_query(self, today, limit):
        return SQL(
            """SELECT id FROM revcycle_contract
                WHERE state IN ('active', 'pending_termination')
                  AND next_invoice_date <= %s AND invoicing_error IS NULL
                ORDER BY next_invoice_date, id
                LIMIT %s
                FOR UPDATE SKIP LOCKED""",
            today,
            limit,
        )

    @api.model
    def _cron_manage_terms(self, batch_size=BATCH_SIZE):
        """At the end of a term: auto-renewing contracts renew, the others expire; contracts under notice are
        terminated once their last day has passed; renewals start on their first day. Each contract in its own
        savepoint: one that fails is logged and left for the next run, the others go on. Safe to run twice (each
        step moves the contract out of the state it selects on)."""
        today = fields.Date.context_today(self)
        done = 0
        steps = (
            ([("state", "=", "active"), ("date_end", "<", today)], self._revcycle_end_term),
            (
                [("state", "=", "pending_termination"), ("date_end", "<", today)],
                lambda contract: contract._revcycle_finish_termination(today),
            ),
            (
                [("state", "=", "signed"), ("previous_contract_id", "!=", False), ("date_start", "<=", today)],
                lambda contract: contract.action_activate(),
            ),
            (
                [("state", "=", "active"), ("pause_from", "<=", today)],
                lambda contract: contract._revcycle_start_pause(),
            ),
            (
                [("state", "=", "suspended"), ("pause_to", "<", today)],
                lambda contract: contract.action_resume(contract.pause_to + timedelta(days=1)),
            ),
        )
        for domain, step in steps:
            for contract in self.search(domain, limit=batch_size):
                try:
                    with self.env.cr.savepoint():
                        step(contract)
                        self.env.flush_all()
                    done += 1
                except Exception:  # one broken contract (a removed product, a bad tax) must not stop the others
                    _logger.exception("Contract %s: the end-of-term step failed; it is retried next run", contract.id)
                    self.env.invalidate_all()
        return done

    def _revcycle_end_term(self, contract):
        if contract.auto_renew and not contract.next_contract_ids:
            contract._revcycle_renew_contract()
        contract._revcycle_expire()

    def _revcycle_expire(self):
        """The term is over: the contract expires and its MRR ends, as a renewal when a contract renews it."""
        self.ensure_one()
        mrr_before = self._revcycle_mrr() if self.state == "active" else 0.0
        if self.state == "active":
            # a postpaid last period is invoiced the day after the term: before the contract stops billing
            self._revcycle_invoice_due_periods(fields.Date.context_today(self))
            self._revcycle_invoice_final_usage(fields.Date.context_today(self))  # the last periods' usage
        self._revcycle_bill_carried_prorations(fields.Date.context_today(self))
        self._revcycle_lifecycle_write({"state": "expired"})
        kind = "renewal" if self.next_contract_ids else "churn"
        self._revcycle_log_mrr_event(kind, self.date_end + timedelta(days=1), mrr_before, 0.0)

    @api.model
    def _cron_send_reminders(self):
        """Reminders before the renewal, the notice deadline and an uplift: an activity for the salesperson and an
        email to the customer, each once (a unique key on contract + kind + date)."""
        today = fields.Date.context_today(self)
        sent = 0
        # each company's own lead time, not the cron user's company's
        # sudo: only each company's lead-time setting is read; the contracts are searched as the caller
        contract_companies = self.env["revcycle.contract"].sudo()._read_group(  # sudo: companies only
            [("state", "=", "active"), ("date_end", ">=", today)], ["company_id"]
        )
        for (company,) in contract_companies:
            sent += self._revcycle_send_company_reminders(company, today)
        return sent

    def _revcycle_send_company_reminders(self, company, today):
        lead = timedelta(days=company.revcycle_contract_reminder_days)
        horizon = today + lead
        contracts = self.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "active"),
                ("date_end", ">=", today),
                "|",
                ("date_end", "<=", horizon),
                ("notice_deadline", "<=", horizon),
            ]
        )
        Reminder = self.env["revcycle.contract.reminder"]
        sent = 0
        for contract in contracts:
            for kind, key_date in contract._revcycle_key_dates():
                if not (today <= key_date <= today + lead):
                    continue
                if Reminder.search_count(
                    [("contract_id", "=", contract.id), ("kind", "=", kind), ("date", "=", key_date)]
                ):
                    continue
                try:
                    with self.env.cr.savepoint():
                        Reminder.create({"contract_id": contract.id, "kind": kind, "date": key_date})
                        if kind == "renewal" and not contract.auto_renew and not contract.renewal_order_id:
                            # the customer gets the renewal offer with the reminder, the salesperson follows it up
                            contract._revcycle_create_renewal_quotation()
                        contract._revcycle_remind(kind, key_date)
                        self.env.flush_all()
                except Exception:  # one contract's failing reminder (a bad template, a removed product) is logged
                    _logger.exception("Reminder %s of contract %s could not be sent", kind, contract.id)
                    self.env.invalidate_all()
                    continue
                sent += 1
        return sent

    def _revcycle_key_dates(self):
        self.ensure_one()
        dates = [("renewal", self.date_end), ("notice", self.notice_deadline)]
        if self.uplift_percent and self.auto_renew:
            dates.append(("uplift", self.date_end + timedelta(days=1)))
        return [(kind, day) for kind, day in dates if day]

    def _revcycle_remind(self, kind, key_date):
        labels = dict(self.env["revcycle.contract.reminder"]._fields["kind"]._description_selection(self.env))
        summary = self.env._(
            "%(kind)s of %(contract)s on %(date)s",
            kind=labels[kind],
            contract=self.name,
            date=format_date(self.env, key_date),
        )
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=key_date,
            summary=summary,
            user_id=(self.user_id or self.env.user).id,
        )
        template = self.env.ref("revcycle_cpq.mail_template_contract_reminder", raise_if_not_found=False)
        if template:
            self.with_context(
                revcycle_reminder_kind=labels[kind], revcycle_reminder_date=key_date
            ).message_post_with_source(template, subtype_xmlid="mail.mt_comment")
