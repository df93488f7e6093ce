import functools
import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date, get_lang

from ..engine import fees as fee_engine
from ..engine import levels as level_engine

_logger = logging.getLogger(__name__)

DEFAULT_TEMPLATE = "revcycle_dunning.mail_template_dunning_notice"
# Held only by the dunning run and the notice's own actions: no XML-RPC or JSON-RPC caller can put this object in a
# context, so what a notice says (its amounts, fee, state, lines) cannot be written from outside.
_SYSTEM_TOKEN = object()
# What a collections user may change on a notice by hand: who follows it up (and its chatter).
USER_FIELDS = frozenset({"user_id"})
SEND_BATCH_SIZE = 500

CHANNELS = [("email", "Email"), ("letter", "Printed Letter"), ("phone", "Phone Call"),
            ("agency", "Collection Agency")]


class RevcycleDunningNotice(models.Model):
    """What one customer was told at one level on one date, about which invoices, through which channel."""

    _name = "revcycle.dunning.notice"
    _description = "Dunning Notice"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    run_id = fields.Many2one("revcycle.dunning.run", string="Run", readonly=True, index=True, ondelete="set null")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True,
                                 ondelete="restrict")
    company_id = fields.Many2one("res.company", string="Company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    policy_id = fields.Many2one(related="level_id.policy_id", store=True)
    level_id = fields.Many2one("revcycle.dunning.level", string="Level", required=True, readonly=True, index=True,
                               ondelete="restrict")
    channel = fields.Selection(CHANNELS, required=True, readonly=True)
    date = fields.Date(required=True, readonly=True, index=True)
    state = fields.Selection(
        [("draft", "To Send"), ("to_print", "To Print"), ("to_call", "Call to Make"), ("sent", "Sent"),
         ("error", "Not Sent"), ("cancel", "Cancelled")],
        # not tracked: a notice's sending is logged by its own email or activity, a tracking note per notice would
        # double the messages of every run
        default="draft", required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="Collector", tracking=True,
                              help="Who follows the customer up: the customer's salesperson, else the company's "
                              "collector, else whoever ran the dunning.")
    level_title = fields.Char(
        string="Title for the Customer", compute="_compute_level_title",
        help="The heading the customer reads: the level's customer title, else its name.")
    line_ids = fields.One2many("revcycle.dunning.notice.line", "notice_id", string="Invoices", readonly=True)
    # read from the lines rather than stored: a run writes thousands of notices, and a stored copy of what the lines
    # already say cost as much as the notices themselves
    invoice_ids = fields.Many2many("account.move", string="Invoice Records", compute="_compute_invoice_ids",
                                   search="_search_invoice_ids")
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    amount_overdue = fields.Monetary(
        string="Amount Dunned", readonly=True,
        help="The open amount of the notice's items, net of the customer's credits applied.")
    amount_credit_applied = fields.Monetary(
        string="Credits Applied", readonly=True,
        help="The customer's unapplied credit notes and payments, set against its oldest open items first.")
    fee_fixed = fields.Monetary(string="Fixed Fee", readonly=True)
    fee_percent_amount = fields.Monetary(string="Percentage Fee", readonly=True)
    fee_interest = fields.Monetary(string="Interest", readonly=True)
    fee_amount = fields.Monetary(string="Late Fee", readonly=True)
    fee_state = fields.Selection(
        [("none", "No Fee"), ("pending", "On Next Invoice"), ("invoiced", "Invoiced")], default="none",
        required=True, readonly=True)
    fee_invoice_id = fields.Many2one("account.move", string="Fee Invoice", readonly=True, index="btree_not_null",
                                     ondelete="set null")
    agency_handoff = fields.Boolean(string="Handed to Agency", readonly=True, index=True)
    credit_hold = fields.Boolean(string="Credit Hold Set", readonly=True)
    send_error = fields.Char(string="Sending Problem", readonly=True)
    mail_invoice_table = fields.Html(
        string="Invoice Table", compute="_compute_mail_invoice_table", sanitize=False,
        help="The notice's invoices with their payment links, total and late fee, as its email shows them.")

    @api.depends("partner_id", "level_id", "date")
    def _compute_name(self):
        for notice in self:
            notice.name = " - ".join(filter(None, [
                notice.partner_id.display_name, notice.level_id.name, fields.Date.to_string(notice.date)]))

    @api.depends_context("lang")
    @api.depends("level_id.customer_title", "level_id.name")
    def _compute_level_title(self):
        for notice in self:
            notice.level_title = notice.level_id.customer_title or notice.level_id.name

    @api.depends("line_ids.invoice_id")
    def _compute_invoice_ids(self):
        for notice in self:
            notice.invoice_ids = notice.line_ids.invoice_id

    @api.depends_context("lang")
    @api.depends("line_ids", "amount_overdue", "fee_amount")
    def _compute_mail_invoice_table(self):
        """Rendered from a QWeb view, compiled once for all the notices being emailed, in the email's language."""
        IrQweb = self.env["ir.qweb"]
        values = {"format_date": self._revcycle_date_formatter(), "format_amount": self._revcycle_amount_formatter()}
        for notice in self:
            notice.mail_invoice_table = IrQweb._render(
                "revcycle_dunning.notice_mail_invoice_table", {**values, "notice": notice})

    def _revcycle_date_formatter(self):
        """``format_date`` in this environment's language, each date formatted once: a run's thousands of invoice
        lines share a few dozen due dates, and Odoo's function looks the language up again at every call (half
        the cost of an email's table when it was called line by line)."""
        env = self.env

        @functools.cache
        def formatted(date):
            return format_date(env, date)

        return formatted

    def _revcycle_amount_formatter(self):
        """``format_amount`` in this environment's language, the language looked up once for all the amounts
        (Odoo's function looks it up again for each one): the same text, digit for digit, as
        ``odoo.tools.format_amount`` (a test compares them)."""
        lang = self.env["res.lang"].browse(get_lang(self.env).id)

        def formatted(amount, currency):
            number = lang.format(f"%.{currency.decimal_places}f", currency.round(amount), grouping=True)
            number = number.replace(" ", "\N{NO-BREAK SPACE}").replace("-", "-\N{ZERO WIDTH NO-BREAK SPACE}")
            symbol = currency.symbol or ""
            if currency.position == "before":
                return f"{symbol}\N{NO-BREAK SPACE}{number}"
            return f"{number}\N{NO-BREAK SPACE}{symbol}"

        return formatted

    def mail_allowed_qweb_expressions(self):
        # the reminder template reads only these, so Odoo renders it without evaluating code, notice by notice
        return super().mail_allowed_qweb_expressions() + (
            "object.level_id.name", "object.level_title", "object.company_id.name", "object.mail_invoice_table")

    def _search_invoice_ids(self, operator, value):
        return [("line_ids.invoice_id", operator, value)]

    @api.depends("line_ids")
    def _compute_invoice_count(self):
        counts = dict(self.env["revcycle.dunning.notice.line"]._read_group(
            [("notice_id", "in", self._origin.ids)], ["notice_id"], ["__count"]))
        for notice in self:
            notice.invoice_count = counts.get(notice._origin, 0)

    @api.model_create_multi
    def create(self, vals_list):
        if not self._revcycle_system_call():
            raise AccessError(self.env._(
                "Dunning notices are made by dunning runs, not by hand: run dunning for the date instead."))
        return super().create(vals_list)

    def write(self, vals):
        if not self._revcycle_system_call():
            written = sorted(name for name in vals if name not in USER_FIELDS
                             and not name.startswith(("message_", "activity_")))
            if written:
                raise AccessError(self.env._(
                    "%(fields)s of a dunning notice are set by the dunning run and its sending, not by hand; only "
                    "the collector can be changed.",
                    fields=", ".join(self._fields[name]._description_string(self.env) if name in self._fields
                                     else name for name in written)))
        return super().write(vals)

    def _revcycle_system_call(self):
        return self.env.su or self.env.context.get("revcycle_notice_write") is _SYSTEM_TOKEN

    def _revcycle_system(self):
        """These notices, writable by the run and the notice's own actions (and only by them)."""
        return self.with_context(revcycle_notice_write=_SYSTEM_TOKEN)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if any(notice.state == "sent" for notice in self):
            raise UserError(self.env._(
                "A sent dunning notice is the record of what the customer was told and cannot be deleted; "
                "cancel it instead."))

    def action_cancel(self):
        """Take a notice back: its invoices may receive its level again on the next run."""
        self.env["revcycle.access"]._revcycle_require_collections_user()
        for notice in self:
            if notice.fee_state == "invoiced":
                raise UserError(self.env._(
                    "Notice %(notice)s has a fee invoice, %(invoice)s: reverse it with a credit note before "
                    "cancelling the notice.", notice=notice.name, invoice=notice.fee_invoice_id.display_name))
        self.check_access("write")
        self.line_ids.sudo().unlink()  # sudo: notice lines are the run's record, removed only by a cancellation
        self._revcycle_system().write({"state": "cancel", "fee_state": "none", "fee_amount": 0.0})
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update({"domain": [("id", "in", self.invoice_ids.ids)], "context": {"create": False}})
        return action

    def _revcycle_letter_pdf(self):
        """The printed letter, as an attachment of the notice.

        Without wkhtmltopdf on the server the letter is attached as HTML, to print from a browser, rather than
        failing the customer's notice.
        """
        self.ensure_one()
        Report = self.env["ir.actions.report"]
        report = "revcycle_dunning.revcycle_dunning_notice_report"
        if Report.get_wkhtmltopdf_state() in ("ok", "upgrade", "workers"):
            content, report_type = Report._render_qweb_pdf(report, self.ids)
        else:
            content, report_type = Report._render_qweb_html(report, self.ids)
        is_pdf = report_type == "pdf"
        return self.env["ir.attachment"].create({
            "name": self.env._("Dunning letter %(notice)s", notice=self.name) + (".pdf" if is_pdf else ".html"),
            "raw": content, "res_model": self._name, "res_id": self.id,
            "mimetype": "application/pdf" if is_pdf else "text/html",
        })

    def _revcycle_fee_items(self):
        """{level: [OverdueItem]} of this notice's lines, each item at its own level. The base of a percentage fee
        and of interest is the item's amount less any late fee billed on its invoice: fees never bear fees."""
        self.ensure_one()
        fees_on = self._revcycle_fees_billed_on(self.line_ids.invoice_id)
        groups = defaultdict(list)
        for line in self.line_ids.sorted(lambda line: (line.invoice_id.id, line.date_due or fields.Date.today()),
                                         reverse=True):
            base = line.amount_residual
            billed = fees_on.get(line.invoice_id.id, 0.0)
            taken = min(base, billed)
            fees_on[line.invoice_id.id] = billed - taken
            groups[line.level_id].append(fee_engine.OverdueItem(base - taken, line.interest_days))
        return groups

    def _revcycle_fees_billed_on(self, invoices):
        """{invoice id: late fees billed on it} for ordinary invoices that carry fees of earlier notices."""
        rows = self.env["revcycle.dunning.notice"].sudo()._read_group(  # sudo: amounts only, for the fee base
            [("fee_invoice_id", "in", invoices.ids), ("fee_state", "=", "invoiced"),
             ("fee_invoice_id.revcycle_dunning_fee", "=", False)], ["fee_invoice_id"], ["fee_amount:sum"])
        return {invoice.id: amount for invoice, amount in rows}

    def _revcycle_apply_fee(self):
        """The notice's late fee: the fixed fee once (the highest of its lines' levels), the percentage and the
        interest of each line at its own level's rates; interest marks the lines charged up to the notice's date."""
        self.ensure_one()
        currency = self.currency_id
        fixed = percent = interest = 0.0
        Level = self.env["revcycle.dunning.level"]
        for level, items in self._revcycle_fee_items().items():
            try:
                fee = Level._revcycle_compute_fee(items, 0.0, level.fee_percent, level.interest_rate,
                                                  currency.decimal_places)
            except fee_engine.FeeError as error:
                raise UserError(self.env._("Level %(level)s: %(reason)s", level=level.name,
                                           reason=str(error))) from error
            fixed = max(fixed, level.fee_fixed or 0.0)
            percent += fee.percent
            interest += fee.interest
        fixed, percent, interest = (currency.round(value) for value in (fixed, percent, interest))
        total = currency.round(fixed + percent + interest)
        if currency.is_zero(total):
            return
        charged = self.line_ids.filtered(lambda line: line.level_id.interest_rate)
        if charged:
            charged.sudo().interest_date = self.date  # sudo: the notice's own lines, written by its fee
        self._revcycle_system().write({
            "fee_fixed": fixed, "fee_percent_amount": percent, "fee_interest": interest, "fee_amount": total})
        if self.company_id.revcycle_dunning_fee_mode == "next_invoice":
            self._revcycle_system().fee_state = "pending"
        else:
            self._revcycle_create_fee_invoice()

    def _revcycle_fee_line_vals(self, currency=None, date=None):
        """The fee as an invoice line; in ``currency`` (the invoice's) when given, converted from the notice's
        currency at ``date``: a fee is never added to an invoice in another currency as the same figure."""
        self.ensure_one()
        product = self.company_id._revcycle_fee_product()
        amount = self.fee_amount
        if currency and currency != self.currency_id:
            amount = self.currency_id._convert(amount, currency, self.company_id, date or self.date)
        vals = {
            "product_id": product.id,
            "name": self.env._("Late fee: %(level)s of %(date)s on %(invoices)s", level=self.level_id.name,
                               date=fields.Date.to_string(self.date),
                               invoices=", ".join(self.invoice_ids.mapped("name"))),
            "quantity": 1.0,
            "price_unit": amount,
            # the product's taxes (none by default: late-payment charges are usually outside VAT)
            "tax_ids": [fields.Command.set(product.taxes_id.filtered(
                lambda tax: tax.company_id == self.company_id).ids)],
        }
        if self.company_id.revcycle_dunning_fee_account_id:
            vals["account_id"] = self.company_id.revcycle_dunning_fee_account_id.id
        return vals

    def _revcycle_create_fee_invoice(self):
        self.ensure_one()
        invoice = self.env["account.move"].with_company(self.company_id).create({
            "move_type": "out_invoice",
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "invoice_date": self.date,
            "revcycle_dunning_fee": True,
            "invoice_origin": self.name,
            "invoice_line_ids": [fields.Command.create(self._revcycle_fee_line_vals())],
        })
        invoice.action_post()
        self._revcycle_system().write({"fee_invoice_id": invoice.id, "fee_state": "invoiced"})

    def _revcycle_set_credit_hold(self):
        self.ensure_one()
        reason = self.env._("dunning level %(level)s reached on %(date)s", level=self.level_id.name,
                            date=fields.Date.to_string(self.date))
        # dunning holds are the system's decision, taken by the level a credit manager configured
        profile = self.env["revcycle.credit.profile"].sudo()._revcycle_ensure(
            {(self.partner_id.id, self.company_id.id)})
        profile._revcycle_set_hold(reason, "dunning", True)
        self._revcycle_system().credit_hold = True

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def action_send_now(self):
        """Send these notices now instead of waiting for the sending job."""
        self.env["revcycle.access"]._revcycle_require_collections_user()
        self.check_access("write")
        # the sending job may hold some of these notices right now: take the rest with SKIP LOCKED rather than wait
        # for it and then fail on rows it changed; the ones it holds are refused with a message, never sent twice
        self.flush_model(["state"])
        rows = self.env.execute_query(SQL(
            "SELECT id FROM revcycle_dunning_notice WHERE id = ANY(%s) ORDER BY id FOR UPDATE SKIP LOCKED",
            self.ids))
        busy = self - self.browse([row[0] for row in rows])
        if busy:
            raise UserError(self.env._(
                "%(notices)s are being sent by the sending job right now; refresh in a moment to see the result.",
                notices=", ".join(busy.mapped("name"))))
        self.invalidate_recordset(["state"])
        unsendable = self.filtered(lambda notice: notice.state not in ("draft", "error"))
        if unsendable:
            raise UserError(self.env._(
                "Only notices to send or not sent can be sent; %(notices)s were sent or cancelled already.",
                notices=", ".join(unsendable.mapped("name"))))
        self._revcycle_send_in_batches()
        return True

    @api.model
    def _revcycle_trigger_sending(self):
        """A run queues its notices: the sending job is woken to send them now, outside the run's transaction."""
        cron = self.env.ref("revcycle_dunning.ir_cron_dunning_send", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    @api.model
    def _cron_send_notices(self, batch_size=SEND_BATCH_SIZE):
        """Send the notices the runs queued, in bounded batches. Each batch is locked with SKIP LOCKED, so a second
        worker sends other notices, and a notice leaves the queue in the transaction that queued its email, so
        nothing is sent twice. Returns the number of notices handled; the cron is told how many are left."""
        self.flush_model(["state"])
        rows = self.env.execute_query(SQL(
            "SELECT id FROM revcycle_dunning_notice WHERE state = 'draft' ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            batch_size))
        notices = self.browse([row[0] for row in rows])
        notices._revcycle_send_in_batches()
        remaining = self.search_count([("state", "=", "draft")])
        self.env["ir.cron"]._notify_progress(done=len(notices), remaining=remaining)
        return len(notices)

    def _revcycle_send_in_batches(self):
        """Send by channel, all at once in a savepoint; when anything fails, notice by notice, so a notice that
        cannot be sent is marked with its problem and the others go out."""
        if not self:
            return
        try:
            with self.env.cr.savepoint():
                self._revcycle_send()
                self.env.flush_all()
            return
        except Exception as error:  # the notice-by-notice pass below finds and marks the failing notice
            _logger.info("Sending %s dunning notices at once failed (%s); sending them one by one", len(self), error)
            self.env.invalidate_all()
        for notice in self:
            try:
                with self.env.cr.savepoint():
                    notice._revcycle_send()
                    self.env.flush_all()
            except Exception as error:  # kept on the notice for a collector to see and retry
                _logger.exception("Dunning notice %s could not be sent", notice.id)
                self.env.invalidate_all()
                notice._revcycle_system().write({"state": "error", "send_error": str(error)})

    def _revcycle_send(self):
        """Send every notice of ``self`` through its channel, a channel at a time. A channel method returns the
        notices it actually sent (email handed to the mail queue, agency handoff made); letters wait in the print
        queue and calls for their activity to be done, and a notice that cannot go out is "not sent"."""
        sent = self.browse()
        for channel, _label in CHANNELS:
            notices = self.filtered(lambda notice, channel=channel: notice.channel == channel)
            if notices:
                sent |= getattr(notices, f"_revcycle_send_{channel}")()
        sent._revcycle_mark_sent()

    def _revcycle_mark_sent(self):
        """The notices reached the customer (or the agency): sent, and only now their fee is earned and charged."""
        if not self:
            return
        self._revcycle_system().write({"state": "sent", "send_error": False})
        for notice in self:
            if notice.fee_state == "none" and any(
                    level.fee_fixed or level.fee_percent or level.interest_rate
                    for level in notice.line_ids.level_id):
                notice._revcycle_apply_fee()
                if notice.run_id and notice.fee_amount:
                    run = notice.run_id.sudo()  # sudo: the run's fee total, kept by the system as fees are charged
                    run.fee_total = run.currency_id.round(run.fee_total + notice.fee_amount)

    def action_mark_printed(self):
        """Letters printed and posted: the notices are sent and their fees charged."""
        self.env["revcycle.access"]._revcycle_require_collections_user()
        self.check_access("write")
        not_letters = self.filtered(lambda notice: notice.state != "to_print")
        if not_letters:
            raise UserError(self.env._(
                "Only letters waiting to be printed can be marked printed; %(notices)s are not in the print queue.",
                notices=", ".join(not_letters.mapped("name"))))
        self._revcycle_mark_sent()
        return True

    def _revcycle_call_done(self):
        """The collector marked the call of these notices done: the notice is sent, its fee earned."""
        self.filtered(lambda notice: notice.state == "to_call")._revcycle_mark_sent()

    def _revcycle_send_email(self):
        """One email per notice, rendered in batches per template (Odoo's mass-mail composer) and queued in Odoo's
        outgoing mail; each email is logged on its notice and the customer's reply comes back to it."""
        no_address = self.filtered(lambda notice: not notice.partner_id.email)
        for notice in no_address:
            # not sent, and no fee: the collector gets the next action (find an address, or call)
            notice._revcycle_system().write({
                "state": "error", "send_error": self.env._("The customer has no email address.")})
            notice._revcycle_schedule_activity("mail.mail_activity_data_todo", self.env._(
                "Dunning email not sent: %(partner)s has no email address; add one and send the notice again, "
                "or call the customer", partner=notice.partner_id.display_name))
        default_template = self.env.ref(DEFAULT_TEMPLATE)
        for template, notices in (self - no_address).grouped(
                lambda notice: notice.level_id.mail_template_id or default_template).items():
            notices.message_mail_with_source(template)
        return self - no_address

    def _revcycle_send_letter(self):
        for notice in self:
            attachment = notice._revcycle_letter_pdf()
            notice.message_post(
                body=self.env._("Dunning letter to print and post: %(level)s", level=notice.level_id.name),
                attachment_ids=attachment.ids, subtype_xmlid="mail.mt_note")
        # in the print queue until someone marks it printed
        self._revcycle_system().write({"state": "to_print"})
        return self.browse()

    def _revcycle_send_phone(self):
        for notice in self:
            notice._revcycle_schedule_activity("mail.mail_activity_data_call", self.env._(
                "Call %(partner)s about %(amount)s overdue (%(level)s)", partner=notice.partner_id.display_name,
                amount=format_amount(self.env, notice.amount_overdue, notice.currency_id),
                level=notice.level_id.name))
        # sent once the call activity is done
        self._revcycle_system().write({"state": "to_call"})
        return self.browse()

    def _revcycle_send_agency(self):
        self._revcycle_system().write({"agency_handoff": True})
        for notice in self:
            notice._revcycle_schedule_activity("mail.mail_activity_data_todo", self.env._(
                "Hand %(partner)s over to the collection agency: %(amount)s overdue",
                partner=notice.partner_id.display_name,
                amount=format_amount(self.env, notice.amount_overdue, notice.currency_id)))
        return self

    def _revcycle_schedule_activity(self, activity_xmlid, summary):
        self.ensure_one()
        self.activity_schedule(activity_xmlid, date_deadline=self.date, summary=summary, user_id=self.user_id.id)

    def _revcycle_follow_by_collectors(self):
        """The collector of each notice follows it, to hear of the customer's replies: one subscription statement
        per collector rather than one per notice."""
        for partner, notices in self.grouped(lambda notice: notice.user_id.partner_id).items():
            if partner:
                notices.message_subscribe(partner_ids=partner.ids)

    def _revcycle_update_profile(self):
        """The workbench columns of each customer of these notices: current level, last contact, next level and
        when it falls due; the profiles that get the same values are written together."""
        if not self:
            return
        # profiles are read-only to every user: their columns are written by the system, here for the run
        Profile = self.env["revcycle.credit.profile"].sudo()
        by_customer = self.grouped(lambda notice: (notice.partner_id.id, notice.company_id.id))
        profiles = Profile._revcycle_ensure(by_customer)
        profile_of = {(profile.partner_id.id, profile.company_id.id): profile.id for profile in profiles}
        last_by_customer = {
            key: notices.sorted(lambda notice: notice.level_id.sequence)[-1] for key, notices in by_customer.items()}
        oldest_due_by_notice = dict(self.env["revcycle.dunning.notice.line"]._read_group(
            [("notice_id", "in", [notice.id for notice in last_by_customer.values()])],
            ["notice_id"], ["date_due:min"]))
        ladders = {}
        profile_ids_by_values = defaultdict(list)
        for key, last in last_by_customer.items():
            policy = last.policy_id
            if policy not in ladders:
                ladders[policy] = policy._revcycle_engine_levels()
            following = level_engine.next_level(ladders[policy], last.level_id.id)
            oldest_due = oldest_due_by_notice[last]
            values = (last.level_id.id, last.date, following.key if following else False,
                      fields.Date.add(oldest_due, days=following.days) if following else False)
            profile_ids_by_values[values].append(profile_of[key])
        for (level_id, last_date, next_level_id, next_date), profile_ids in profile_ids_by_values.items():
            Profile.browse(profile_ids).write({
                "dunning_level_id": level_id,
                "dunning_last_date": last_date,
                "dunning_next_level_id": next_level_id,
                "dunning_next_date": next_date,
            })
