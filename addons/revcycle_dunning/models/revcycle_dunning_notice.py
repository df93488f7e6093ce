from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from ..engine import fees as fee_engine
from ..engine import levels as level_engine

DEFAULT_TEMPLATE = "revcycle_dunning.mail_template_dunning_notice"

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
        [("draft", "Draft"), ("sent", "Sent"), ("error", "Not Sent"), ("cancel", "Cancelled")],
        default="draft", required=True, readonly=True, index=True, tracking=True)
    user_id = fields.Many2one("res.users", string="Collector", tracking=True,
                              help="Who follows the customer up: the customer's salesperson, else the company's "
                              "collector, else whoever ran the dunning.")
    line_ids = fields.One2many("revcycle.dunning.notice.line", "notice_id", string="Invoices", readonly=True)
    invoice_ids = fields.Many2many("account.move", string="Invoice Records", compute="_compute_invoice_ids",
                                   store=True)
    invoice_count = fields.Integer(compute="_compute_invoice_ids", store=True)
    amount_overdue = fields.Monetary(string="Amount Dunned", readonly=True)
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

    @api.depends("partner_id", "level_id", "date")
    def _compute_name(self):
        for notice in self:
            notice.name = " - ".join(filter(None, [
                notice.partner_id.display_name, notice.level_id.name, fields.Date.to_string(notice.date)]))

    @api.depends("line_ids.invoice_id")
    def _compute_invoice_ids(self):
        for notice in self:
            notice.invoice_ids = notice.line_ids.invoice_id
            notice.invoice_count = len(notice.line_ids)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if any(notice.state == "sent" for notice in self):
            raise UserError(self.env._(
                "A sent dunning notice is the record of what the customer was told and cannot be deleted; "
                "cancel it instead."))

    def action_cancel(self):
        """Take a notice back: its invoices may receive its level again on the next run."""
        self.env["revcycle.dunning.run"]._revcycle_check_user()
        for notice in self:
            if notice.fee_state == "invoiced":
                raise UserError(self.env._(
                    "Notice %(notice)s has a fee invoice, %(invoice)s: reverse it with a credit note before "
                    "cancelling the notice.", notice=notice.name, invoice=notice.fee_invoice_id.display_name))
        self.line_ids.unlink()
        self.write({"state": "cancel", "fee_state": "none", "fee_amount": 0.0})
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

    def _revcycle_apply_fee(self, items):
        self.ensure_one()
        level = self.level_id
        currency = self.currency_id
        try:
            fee = self.env["revcycle.dunning.level"]._revcycle_compute_fee(
                items, level.fee_fixed, level.fee_percent, level.interest_rate, currency.decimal_places)
        except fee_engine.FeeError as error:
            raise UserError(self.env._("Level %(level)s: %(reason)s", level=level.name, reason=str(error))) from error
        if currency.is_zero(fee.total):
            return
        self.write({"fee_fixed": fee.fixed, "fee_percent_amount": fee.percent, "fee_interest": fee.interest,
                    "fee_amount": currency.round(fee.total)})
        if self.company_id.revcycle_dunning_fee_mode == "next_invoice":
            self.fee_state = "pending"
        else:
            self._revcycle_create_fee_invoice()

    def _revcycle_fee_line_vals(self):
        self.ensure_one()
        product = self.company_id._revcycle_fee_product()
        return {
            "product_id": product.id,
            "name": self.env._("Late fee: %(level)s of %(date)s on %(invoices)s", level=self.level_id.name,
                               date=fields.Date.to_string(self.date),
                               invoices=", ".join(self.invoice_ids.mapped("name"))),
            "quantity": 1.0,
            "price_unit": self.fee_amount,
        }

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
        self.write({"fee_invoice_id": invoice.id, "fee_state": "invoiced"})

    def _revcycle_set_credit_hold(self):
        self.ensure_one()
        reason = self.env._("dunning level %(level)s reached on %(date)s", level=self.level_id.name,
                            date=fields.Date.to_string(self.date))
        # dunning holds are the system's decision, taken by the level a credit manager configured
        profile = self.env["revcycle.credit.profile"].sudo()._revcycle_ensure(
            {(self.partner_id.id, self.company_id.id)})
        profile._revcycle_set_hold(reason, "dunning", True)
        self.credit_hold = True

    def _revcycle_send(self):
        self.ensure_one()
        sender = getattr(self, f"_revcycle_send_{self.channel}")
        sender()
        self.state = "sent"

    def _revcycle_send_email(self):
        template = self.level_id.mail_template_id or self.env.ref(DEFAULT_TEMPLATE)
        if not self.partner_id.email:
            self.send_error = self.env._("The customer has no email address.")
            self._revcycle_schedule_activity("mail.mail_activity_data_todo", self.env._(
                "Dunning email not sent: %(partner)s has no email address", partner=self.partner_id.display_name))
            return
        self.message_post_with_source(template, message_type="comment", subtype_xmlid="mail.mt_comment")

    def _revcycle_send_letter(self):
        attachment = self._revcycle_letter_pdf()
        self.message_post(body=self.env._("Dunning letter to print and post: %(level)s", level=self.level_id.name),
                          attachment_ids=attachment.ids, subtype_xmlid="mail.mt_note")

    def _revcycle_send_phone(self):
        self._revcycle_schedule_activity("mail.mail_activity_data_call", self.env._(
            "Call %(partner)s about %(amount)s overdue (%(level)s)", partner=self.partner_id.display_name,
            amount=format_amount(self.env, self.amount_overdue, self.currency_id), level=self.level_id.name))

    def _revcycle_send_agency(self):
        self.agency_handoff = True
        self._revcycle_schedule_activity("mail.mail_activity_data_todo", self.env._(
            "Hand %(partner)s over to the collection agency: %(amount)s overdue",
            partner=self.partner_id.display_name,
            amount=format_amount(self.env, self.amount_overdue, self.currency_id)))

    def _revcycle_schedule_activity(self, activity_xmlid, summary):
        self.activity_schedule(activity_xmlid, date_deadline=self.date, summary=summary, user_id=self.user_id.id)

    def _revcycle_update_profile(self):
        """The workbench columns: current level, last contact, next level and when it falls due."""
        if not self:
            return
        last = self.sorted(lambda notice: notice.level_id.sequence)[-1]
        ladder = last.policy_id._revcycle_engine_levels()
        following = level_engine.next_level(ladder, last.level_id.id)
        oldest_due = min(last.line_ids.mapped("date_due"))
        profile = self.env["revcycle.credit.profile"].sudo()._revcycle_ensure(
            {(last.partner_id.id, last.company_id.id)})
        profile.write({
            "dunning_level_id": last.level_id.id,
            "dunning_last_date": last.date,
            "dunning_next_level_id": following.key if following else False,
            "dunning_next_date": fields.Date.add(oldest_due, days=following.days) if following else False,
        })
