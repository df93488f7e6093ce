import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_amount, format_date

from ..engine import plans as plan_engine

_logger = logging.getLogger(__name__)

_PLAN_TOKEN = object()  # only this module's actions hold it: the state and its record fields are theirs
OPEN_STATES = ("proposed", "accepted")
# what a collector may change by hand, and only while the plan is a draft
DRAFT_FIELDS = {"partner_id", "invoice_ids", "line_ids", "note", "kind", "company_id", "currency_id"}
CHECK_BATCH = 200


class RevcyclePaymentPlan(models.Model):
    """A customer's overdue invoices turned into dated instalments (a plan), or a promise to pay an amount by a
    date. While accepted, the covered invoices are not dunned nor charged by card; a missed instalment breaks the
    plan, and dunning resumes with a note to the collector."""

    _name = "revcycle.payment.plan"
    _description = "Payment Plan or Promise to Pay"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    kind = fields.Selection(
        [("plan", "Payment Plan"), ("promise", "Promise to Pay")], default="plan", required=True,
        help="A plan's instalments add up exactly to the invoices' residual; a promise is one amount by one date, "
        "at most what they owe.")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, domain=[("is_company", "=", True)],
        help="The customer (its commercial entity).")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id,
        help="The covered invoices' currency: a plan never mixes currencies.")
    invoice_ids = fields.Many2many(
        "account.move", "revcycle_payment_plan_invoice_rel", "plan_id", "invoice_id", string="Invoices Covered",
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
               "('payment_state', 'in', ('not_paid', 'partial')), ('commercial_partner_id', '=', partner_id), "
               "('currency_id', '=', currency_id), ('company_id', '=', company_id)]")
    line_ids = fields.One2many("revcycle.payment.plan.line", "plan_id", string="Instalments", copy=True)
    state = fields.Selection(
        [("draft", "Draft"), ("proposed", "Proposed"), ("accepted", "Accepted"), ("done", "Done"),
         ("broken", "Broken"), ("cancelled", "Cancelled")],
        default="draft", required=True, readonly=True, index=True, tracking=True, copy=False)
    amount_covered = fields.Monetary(
        string="Covered Amount", readonly=True, copy=False,
        help="What the covered invoices still owed when the plan was proposed; payments are counted from it.")
    amount_planned = fields.Monetary(string="Planned", compute="_compute_amounts")
    amount_paid = fields.Monetary(
        string="Paid on the Plan", compute="_compute_amounts",
        help="How much the covered invoices' residual went down since the plan was proposed (payments and credit "
        "notes alike).")
    next_date = fields.Date(string="Next Instalment", compute="_compute_amounts")
    accepted_date = fields.Date(readonly=True, copy=False)
    accepted_by = fields.Char(readonly=True, copy=False, help="Who accepted: the customer in the portal, or the "
                              "collector who recorded the customer's acceptance.")
    broken_date = fields.Date(readonly=True, copy=False)
    note = fields.Text(help="What was agreed, for the collector and the customer.")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("partner_id", "kind")
    def _compute_name(self):
        for plan in self:
            label = dict(self._fields["kind"]._description_selection(self.env)).get(plan.kind) or ""
            plan.name = self.env._("%(kind)s for %(customer)s", kind=label, customer=plan.partner_id.name or "")

    def _compute_access_url(self):
        for plan in self:
            plan.access_url = f"/my/payment_plans/{plan.id}"

    @api.depends("line_ids.amount", "line_ids.date", "amount_covered", "invoice_ids.amount_residual")
    def _compute_amounts(self):
        today = fields.Date.context_today(self)
        for plan in self:
            plan.amount_planned = plan.currency_id.round(sum(plan.line_ids.mapped("amount")))
            plan.amount_paid = plan._revcycle_paid() if plan.state not in ("draft", "cancelled") else 0.0
            status = plan._revcycle_status(today) if plan.line_ids else None
            plan.next_date = status.next_instalment.date if status and status.next_instalment else False

    def _revcycle_instalments(self):
        return [plan_engine.Instalment(line.date, line.amount) for line in self.line_ids.sorted("date")]

    def _revcycle_paid(self):
        """What the covered invoices' residual went down by since the plan was proposed."""
        self.ensure_one()
        if self.state == "draft":
            return 0.0
        residual = sum(self.invoice_ids.sudo().mapped("amount_residual"))  # sudo: figures of the plan's own invoices
        return self.currency_id.round(self.amount_covered - residual)

    def _revcycle_status(self, on_date):
        self.ensure_one()
        return plan_engine.plan_status(self._revcycle_instalments(), self._revcycle_paid(), on_date,
                                       self.currency_id.decimal_places)

    # ------------------------------------------------------------------
    # Gates: the state and its record fields are written by the actions only
    # ------------------------------------------------------------------

    def _revcycle_system_call(self):
        return self.env.su or self.env.context.get("revcycle_plan_write") is _PLAN_TOKEN

    def _revcycle_system(self):
        return self.with_context(revcycle_plan_write=_PLAN_TOKEN)

    def _revcycle_refuse_fields(self, names):
        if names:
            raise AccessError(self.env._(
                "%(fields)s of a payment plan are set by its actions (Propose, Accept, Cancel), not by hand.",
                fields=", ".join(self._fields[name]._description_string(self.env) if name in self._fields else name
                                 for name in sorted(names))))

    @api.model_create_multi
    def create(self, vals_list):
        if not self._revcycle_system_call():
            self.env["revcycle.access"]._revcycle_require_collections_user()
            self._revcycle_refuse_fields({name for vals in vals_list for name in vals} - DRAFT_FIELDS)
        plans = super().create(vals_list)
        plans._revcycle_check_customer()
        return plans

    def write(self, vals):
        if not self._revcycle_system_call():
            self.env["revcycle.access"]._revcycle_require_collections_user()
            self._revcycle_refuse_fields({name for name in vals if name not in DRAFT_FIELDS
                                          and not name.startswith(("message_", "activity_"))})
            self._revcycle_require_draft()
        result = super().write(vals)
        if {"partner_id", "invoice_ids", "currency_id", "company_id"} & set(vals):
            self._revcycle_check_customer()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_open(self):
        if self.filtered(lambda plan: plan.state not in ("draft", "cancelled")):
            raise UserError(self.env._(
                "Only draft or cancelled payment plans can be deleted: cancel the plan first, it stays on record."))

    def _revcycle_require_draft(self):
        started = self.filtered(lambda plan: plan.state != "draft")
        if started:
            raise UserError(self.env._(
                "%(plans)s is no longer a draft: its customer, invoices and instalments are what was proposed. "
                "Cancel it and make a new plan.", plans=", ".join(started.mapped("display_name"))))

    def _revcycle_check_customer(self):
        for plan in self:
            invoices = plan.invoice_ids
            wrong = invoices.filtered(
                lambda move, plan=plan: move.commercial_partner_id != plan.partner_id.commercial_partner_id
                or move.move_type != "out_invoice" or move.state != "posted"
                or move.company_id != plan.company_id)
            if wrong:
                raise ValidationError(self.env._(
                    "Invoices Covered: %(invoices)s are not posted customer invoices of %(customer)s in %(company)s; "
                    "take them out of the plan.", invoices=", ".join(wrong.mapped("display_name")),
                    customer=plan.partner_id.display_name, company=plan.company_id.name))
            currencies = invoices.currency_id | plan.currency_id
            if len(currencies) > 1:
                raise ValidationError(self.env._(
                    "Invoices Covered: a plan is in one currency (%(currency)s) but the invoices are in %(all)s; "
                    "make one plan per currency.", currency=plan.currency_id.name,
                    all=", ".join(currencies.mapped("name"))))

    # ------------------------------------------------------------------
    # Actions (public: they work over XML-RPC and return plain data)
    # ------------------------------------------------------------------

    def action_propose(self):
        """Draft → proposed: the instalments are checked against what the invoices owe now, which is recorded;
        the customer can then accept it in the portal (or a collector records their acceptance)."""
        self.env["revcycle.access"]._revcycle_require_collections_user()
        for plan in self:
            if plan.state != "draft":
                raise UserError(self.env._("Only a draft plan can be proposed; %(plan)s is %(state)s.",
                                           plan=plan.display_name, state=plan._revcycle_state_label()))
            plan._revcycle_lock_invoices()
            plan._revcycle_check_not_covered_twice()
            owed = plan.currency_id.round(sum(plan.invoice_ids.mapped("amount_residual")))
            if not plan.invoice_ids or plan.currency_id.compare_amounts(owed, 0.0) <= 0:
                raise UserError(self.env._(
                    "Invoices Covered: choose the open invoices of %(customer)s the plan covers.",
                    customer=plan.partner_id.display_name))
            try:
                plan_engine.check_instalments(owed, plan._revcycle_instalments(), plan.currency_id.decimal_places,
                                              exact=plan.kind == "plan")
            except plan_engine.PaymentPlanError as error:
                raise ValidationError(self.env._("Instalments: %(problem)s", problem=str(error))) from None
            plan._revcycle_system().write({"state": "proposed", "amount_covered": owed})
            plan._portal_ensure_token()
            plan._revcycle_send_proposal()
            plan.message_post(body=self.env._(
                "Proposed to the customer: %(count)s instalment(s) for %(amount)s.", count=len(plan.line_ids),
                amount=format_amount(self.env, owed, plan.currency_id)), subtype_xmlid="mail.mt_note")
        return True

    def _revcycle_send_proposal(self):
        """Email the customer the plan with the link to accept it; without an email the collector reads it to them
        and records the acceptance."""
        self.ensure_one()
        template = self.env.ref("revcycle_dunning.mail_template_payment_plan_proposed", raise_if_not_found=False)
        if template and self.partner_id.email:
            template.sudo().send_mail(self.id)  # sudo: the system's own email, after the collector's check above

    def action_accept(self):
        """Proposed → accepted, recorded by a collector for the customer (by phone, by letter)."""
        self.env["revcycle.access"]._revcycle_require_collections_user()
        for plan in self:
            plan._revcycle_accept(self.env._("%(user)s, for the customer", user=self.env.user.name))
        return True

    def _revcycle_accept_by_customer(self, partner):
        """The customer accepted in the portal (the route checked it is theirs)."""
        self.ensure_one()
        self._revcycle_accept(self.env._("%(customer)s, in the portal", customer=partner.display_name))
        return True

    def _revcycle_accept(self, accepted_by):
        self.ensure_one()
        if self.state != "proposed":
            raise UserError(self.env._("Only a proposed plan can be accepted; %(plan)s is %(state)s.",
                                       plan=self.display_name, state=self._revcycle_state_label()))
        self._revcycle_lock_invoices()
        self._revcycle_check_not_covered_twice()
        self._revcycle_system().write({"state": "accepted", "accepted_by": accepted_by,
                                       "accepted_date": fields.Date.context_today(self)})
        self.message_post(body=self.env._("Accepted by %(who)s: the covered invoices follow the plan's dates.",
                                          who=accepted_by), subtype_xmlid="mail.mt_note")

    def action_cancel(self):
        """Draft, proposed or accepted → cancelled: the invoices are dunned again on their own dates."""
        self.env["revcycle.access"]._revcycle_require_collections_user()
        for plan in self:
            if plan.state not in ("draft", *OPEN_STATES):
                raise UserError(self.env._("%(plan)s is %(state)s already and cannot be cancelled.",
                                           plan=plan.display_name, state=plan._revcycle_state_label()))
            plan._revcycle_system().write({"state": "cancelled"})
        return True

    def _revcycle_state_label(self):
        return dict(self._fields["state"]._description_selection(self.env)).get(self.state)

    def _revcycle_lock_invoices(self):
        """Two collectors proposing plans for the same invoices at once: the second waits, then sees the first."""
        if self.invoice_ids:
            self.env.cr.execute(SQL("SELECT id FROM account_move WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                                    self.invoice_ids.ids))
            self.invoice_ids.invalidate_recordset(["amount_residual"])

    def _revcycle_check_not_covered_twice(self):
        self.ensure_one()
        other = self.sudo().search([  # sudo: another plan of these invoices, whoever may read it, must be seen
            ("id", "!=", self.id), ("state", "in", OPEN_STATES), ("invoice_ids", "in", self.invoice_ids.ids)],
            limit=1)
        if other:
            raise UserError(self.env._(
                "Invoices Covered: %(invoices)s are already covered by %(plan)s (%(state)s); cancel that one first.",
                invoices=", ".join((other.invoice_ids & self.invoice_ids).mapped("display_name")),
                plan=other.display_name, state=other._revcycle_state_label()))

    # ------------------------------------------------------------------
    # Daily check: done, or broken with a note (called by the dunning run before it duns)
    # ------------------------------------------------------------------

    @api.model
    def _revcycle_check_plans(self, on_date, company):
        """Accepted plans of ``company`` as of ``on_date``: paid in full → done; an instalment date passed and not
        paid → broken, with a note and a to-do for the collector; the run then duns the invoices again, one level
        at a time from the last one sent. Safe twice and in parallel (rows locked, skipped when busy)."""
        Plan = self.sudo()  # sudo: the run checks every accepted plan of its company, as the system
        for model in ("revcycle.payment.plan", "revcycle.payment.plan.line", "account.move"):
            self.env[model].flush_model()
        after = 0
        while True:
            ids = [row[0] for row in self.env.execute_query(SQL(
                "SELECT id FROM revcycle_payment_plan WHERE state = 'accepted' AND company_id = %s AND id > %s "
                "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED", company.id, after, CHECK_BATCH))]
            for plan in Plan.browse(ids):
                try:
                    with self.env.cr.savepoint():
                        plan._revcycle_check(on_date)
                except Exception:
                    _logger.exception("Checking payment plan %s failed; it is checked again on the next run", plan.id)
            if len(ids) < CHECK_BATCH:
                return True
            after = ids[-1]

    def _revcycle_check(self, on_date):
        self.ensure_one()
        status = self._revcycle_status(on_date)
        if status.done:
            self._revcycle_system().write({"state": "done"})
            self.message_post(body=self.env._("Paid as agreed: the plan is done."), subtype_xmlid="mail.mt_note")
        elif status.missed:
            self._revcycle_break(status, on_date)

    def _revcycle_break(self, status, on_date):
        label = dict(self._fields["kind"]._description_selection(self.env)).get(self.kind)
        message = self.env._(
            "%(kind)s broken: the instalment of %(date)s was not paid (%(paid)s paid of %(due)s due). Dunning of "
            "%(invoices)s resumes from the last notice sent.", kind=label,
            date=format_date(self.env, status.missed),
            paid=format_amount(self.env, status.paid, self.currency_id),
            due=format_amount(self.env, status.due, self.currency_id),
            invoices=", ".join(self.invoice_ids.mapped("name")))
        self._revcycle_system().write({"state": "broken", "broken_date": on_date})
        self.message_post(body=message, subtype_xmlid="mail.mt_note")
        self.partner_id.message_post(body=message, subtype_xmlid="mail.mt_note")
        collector = (self.company_id.revcycle_dunning_collector_id
                     or self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user)
        self.activity_schedule("mail.mail_activity_data_todo", summary=message[:250], user_id=collector.id)

    @api.model
    def _revcycle_covered_sql(self, move_id):
        """SQL: true when the invoice ``move_id`` (an SQL expression) is covered by an accepted plan."""
        return SQL(
            "EXISTS (SELECT 1 FROM revcycle_payment_plan_invoice_rel covered "
            "JOIN revcycle_payment_plan plan ON plan.id = covered.plan_id "
            "WHERE covered.invoice_id = %s AND plan.state = 'accepted')", move_id)

    # ------------------------------------------------------------------
    # Making plans and promises from plain data (the workbench and XML-RPC)
    # ------------------------------------------------------------------

    @api.model
    def revcycle_make_plan(self, partner_id, count, first_date, months=1, invoice_ids=None, propose=True):
        """A plan of ``count`` instalments from ``first_date``, every ``months`` months, for ``invoice_ids``
        (default: the customer's overdue invoices in the company's currency), proposed at once unless ``propose``
        is False. Returns {'plan_id', 'instalments': [(date, amount)], 'amount'}."""
        self.env["revcycle.access"]._revcycle_require_collections_user()
        Access = self.env["revcycle.access"]
        partner = Access._revcycle_record("res.partner", partner_id, "partner_id").commercial_partner_id
        count = Access._revcycle_integer(count, "count", minimum=1, maximum=120)
        months = Access._revcycle_integer(months, "months", minimum=1, maximum=12)
        first = Access._revcycle_date(first_date, "first_date")
        invoices = self._revcycle_invoices(partner, invoice_ids)
        currency = invoices.currency_id[:1] or self.env.company.currency_id
        owed = currency.round(sum(invoices.mapped("amount_residual")))
        try:
            split = plan_engine.split_evenly(owed, count, first, currency.decimal_places, months=months)
        except plan_engine.PaymentPlanError as error:
            raise ValidationError(self.env._("Instalments: %(problem)s", problem=str(error))) from None
        plan = self.create({
            "partner_id": partner.id, "currency_id": currency.id, "invoice_ids": [fields.Command.set(invoices.ids)],
            "line_ids": [fields.Command.create({"date": item.date, "amount": item.amount}) for item in split]})
        if propose:
            plan.action_propose()
        return {"plan_id": plan.id, "amount": owed,
                "instalments": [(fields.Date.to_string(item.date), item.amount) for item in split]}

    @api.model
    def revcycle_record_promise(self, partner_id, date, amount, invoice_ids=None, note=None):
        """The customer promised to pay ``amount`` by ``date`` on ``invoice_ids`` (default: their overdue invoices in
        the company's currency): recorded as an accepted promise; those invoices are not dunned until then, and a
        promise not kept escalates with a note. Returns {'plan_id'}."""
        self.env["revcycle.access"]._revcycle_require_collections_user()
        Access = self.env["revcycle.access"]
        partner = Access._revcycle_record("res.partner", partner_id, "partner_id").commercial_partner_id
        promised = Access._revcycle_date(date, "date")
        if promised < fields.Date.context_today(self):
            raise ValidationError(self.env._("date: a promise to pay is for today or later, not %(date)s.",
                                             date=fields.Date.to_string(promised)))
        amount = Access._revcycle_number(amount, "amount", minimum=0.01)
        invoices = self._revcycle_invoices(partner, invoice_ids)
        plan = self.create({
            "kind": "promise", "partner_id": partner.id, "currency_id": invoices.currency_id[:1].id,
            "invoice_ids": [fields.Command.set(invoices.ids)], "note": note or False,
            "line_ids": [fields.Command.create({"date": promised, "amount": amount})]})
        plan.action_propose()
        plan._revcycle_accept(self.env._("%(user)s, promised by the customer", user=self.env.user.name))
        return {"plan_id": plan.id}

    @api.model
    def _revcycle_invoices(self, partner, invoice_ids):
        Move = self.env["account.move"]
        if invoice_ids is None:
            today = fields.Date.context_today(self)
            invoices = Move.search([
                ("commercial_partner_id", "=", partner.id), ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"), ("payment_state", "in", ("not_paid", "partial")),
                ("company_id", "=", self.env.company.id), ("currency_id", "=", self.env.company.currency_id.id),
                # an instalment overdue, not the invoice's own due date (Odoo's is the last instalment's): a 30/70
                # invoice is overdue once its 30 % is; the plan then takes over all of it, as it stops its dunning
                # and card charges
                ("line_ids", "any", [("display_type", "=", "payment_term"), ("reconciled", "=", False),
                                     ("date_maturity", "<", today)])])
            if not invoices:
                raise UserError(self.env._("%(customer)s has no overdue invoice in %(currency)s to plan.",
                                           customer=partner.display_name,
                                           currency=self.env.company.currency_id.name))
            return invoices
        invoice_ids = self.env["revcycle.access"]._revcycle_id_list(invoice_ids, "invoice_ids")
        if not invoice_ids:
            raise ValidationError(self.env._("invoice_ids: give the ids of the invoices to cover, like [1, 2]."))
        invoices = Move.browse(invoice_ids).exists()
        if len(invoices) != len(set(invoice_ids)):
            raise ValidationError(self.env._("invoice_ids: some of %(value)s are not invoices.", value=invoice_ids))
        invoices.check_access("read")
        return invoices


class RevcyclePaymentPlanLine(models.Model):
    """One instalment of a payment plan: a date and an amount; changed only while the plan is a draft."""

    _name = "revcycle.payment.plan.line"
    _description = "Payment Plan Instalment"
    _order = "date, id"

    plan_id = fields.Many2one("revcycle.payment.plan", required=True, ondelete="cascade", index=True)
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._revcycle_require_draft_plan()
        return lines

    def write(self, vals):
        self._revcycle_require_draft_plan()
        result = super().write(vals)
        self._revcycle_require_draft_plan()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_proposed(self):
        # a cancelled plan's instalments go with it when it is deleted
        self.filtered(lambda line: line.plan_id.state != "cancelled")._revcycle_require_draft_plan()

    def _revcycle_require_draft_plan(self):
        if self.env.su or self.env.context.get("revcycle_plan_write") is _PLAN_TOKEN:
            return
        self.plan_id._revcycle_require_draft()
