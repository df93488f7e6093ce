from odoo import fields, models
from odoo.exceptions import AccessError, UserError

_PAUSE_TOKEN = object()  # only the pause action holds it: a pause is a collector's decision, with its reason
PAUSE_FIELDS = ("revcycle_dunning_paused_until", "revcycle_dunning_pause_reason")
CALL_OUTCOMES = [
    ("reached", "Reached, will pay"), ("promise", "Promised to pay"), ("dispute", "Disputes the invoice"),
    ("no_answer", "No answer"), ("voicemail", "Left a message"), ("wrong_number", "Wrong number"),
    ("refused", "Refused to pay"),
]


class ResPartner(models.Model):
    """The collector's actions on a customer's collections page; each is a public method taking plain data, so it
    works from the page's small wizards and over XML-RPC alike."""

    _inherit = "res.partner"

    revcycle_dunning_paused_until = fields.Date(
        string="Dunning Paused Until", tracking=True, copy=False, readonly=True,
        help="No dunning notice and no card charge for this customer up to and including this date. Set with "
        "Pause Dunning, with a reason.")
    revcycle_dunning_pause_reason = fields.Char(string="Pause Reason", tracking=True, copy=False, readonly=True)
    revcycle_payment_plan_ids = fields.One2many(
        "revcycle.payment.plan", "partner_id", string="Payment Plans and Promises", readonly=True,
        groups="revcycle_dunning.group_revcycle_dunning_user")

    def write(self, vals):
        if any(name in vals for name in PAUSE_FIELDS) and not (
                self.env.su or self.env.context.get("revcycle_pause_write") is _PAUSE_TOKEN):
            raise AccessError(self.env._(
                "Dunning Paused Until and Pause Reason are set with Pause Dunning (a date and a reason), not by hand."))
        return super().write(vals)

    def _revcycle_collections_customer(self):
        self.env["revcycle.access"]._revcycle_require_collections_user()
        if len(self) != 1:
            raise UserError(self.env._("Choose one customer."))
        self.check_access("read")
        return self.commercial_partner_id

    def revcycle_log_call(self, outcome, note=None):
        """Log a call to the customer in its chatter with its outcome (one of CALL_OUTCOMES' keys) and a note.
        Returns {'message_id'}."""
        customer = self._revcycle_collections_customer()
        outcomes = dict(CALL_OUTCOMES)
        if outcome not in outcomes:
            raise UserError(self.env._("outcome: give one of %(keys)s, not %(value)r.",
                                       keys=", ".join(outcomes), value=outcome))
        if note is not None and not isinstance(note, str):
            raise UserError(self.env._("note: give text, not %(value)r.", value=note))
        labels = dict(self.env["revcycle.collections.wizard"]._fields["call_outcome"]._description_selection(self.env))
        body = self.env._("Call: %(outcome)s", outcome=labels.get(outcome))
        if note:
            body = f"{body}. {note}"
        # sudo: a collections user (checked above) logs calls on customers without the right to edit contacts
        message = customer.sudo().message_post(  # sudo: collections user checked above
            body=body[:2000], subtype_xmlid="mail.mt_note", message_type="comment",
            author_id=self.env.user.partner_id.id)
        return {"message_id": message.id}

    def _revcycle_pause_writer(self):
        # sudo: the pause is a collections decision (the caller was checked as a collections user), not a contact
        # edit, so it does not need the right to edit contacts; tracked in the customer's chatter
        return self.sudo().with_context(revcycle_pause_write=_PAUSE_TOKEN)  # sudo: collections user checked

    def revcycle_pause_dunning(self, until, reason):
        """Pause dunning and card charges of the customer up to and including ``until`` (today or later), for
        ``reason`` (required); ``until`` False lifts the pause. Returns {'paused_until'}."""
        customer = self._revcycle_collections_customer()
        Access = self.env["revcycle.access"]
        if until in (False, None):
            customer._revcycle_pause_writer().write(
                {"revcycle_dunning_paused_until": False, "revcycle_dunning_pause_reason": False})
            return {"paused_until": False}
        day = Access._revcycle_date(until, "until")
        if day < fields.Date.context_today(self):
            raise UserError(self.env._("until: a pause runs up to today or later, not %(date)s.",
                                       date=fields.Date.to_string(day)))
        if not isinstance(reason, str) or not reason.strip():
            raise UserError(self.env._("reason: say why dunning is paused (it is shown in the customer's history)."))
        customer._revcycle_pause_writer().write(
            {"revcycle_dunning_paused_until": day, "revcycle_dunning_pause_reason": reason.strip()[:250]})
        return {"paused_until": fields.Date.to_string(day)}

    def revcycle_send_next_notice(self):
        """Send the customer's next notice now: the notices waiting to be sent (or not sent), else a dunning run of
        this customer alone as of today, whose notice is sent at once. The ladder's rules apply as in the daily
        run: a level that is not due yet is not sent. Returns {'notice_ids'}."""
        customer = self._revcycle_collections_customer()
        Notice = self.env["revcycle.dunning.notice"]
        waiting = Notice.search([("partner_id", "=", customer.id), ("state", "in", ("draft", "error")),
                                 ("company_id", "=", self.env.company.id)])
        if not waiting:
            run = self.env["revcycle.dunning.run"].create({
                "date": fields.Date.context_today(self), "company_id": self.env.company.id,
                "partner_ids": [fields.Command.set(customer.ids)]})
            run.action_run()
            waiting = Notice.search([("run_id", "=", run.id), ("state", "in", ("draft", "error"))])
        if not waiting:
            raise UserError(self.env._(
                "%(customer)s has no notice due today: every open item has had its level, or the next level is "
                "not due yet.", customer=customer.display_name))
        waiting.action_send_now()
        return {"notice_ids": waiting.ids}

    def action_revcycle_send_next_notice(self):
        """The Send Next Notice Now button: the public method, then a note of what was sent."""
        result = self.revcycle_send_next_notice()
        notices = self.env["revcycle.dunning.notice"].browse(result["notice_ids"])
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success", "next": {"type": "ir.actions.act_window_close"},
            "message": self.env._("Sent: %(notices)s", notices=", ".join(notices.mapped("display_name")))}}
