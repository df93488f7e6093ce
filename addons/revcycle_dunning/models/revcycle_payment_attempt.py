import logging
from datetime import timedelta

import stripe
from odoo import api, fields, models
from odoo.addons.payment import utils as payment_utils
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount

from ..engine import instalments as instalment_engine
from ..engine import retries as retry_engine
from .payment_provider import stripe_to_dict

_logger = logging.getLogger(__name__)

CRON_BATCH_SIZE = 100
# an attempt in one of these states has had its say: a later event for it changes nothing
SETTLED_STATES = ("succeeded", "mismatch", "refund")
STOP_REASONS = [("hard_decline", "Hard Decline"), ("schedule_exhausted", "Retries Used Up"),
                ("processing_exhausted", "Too Many Processing Errors"), ("no_payment_method", "No Payment Method")]


class RevcyclePaymentAttempt(models.Model):
    """One try at charging a customer's saved Stripe payment method for one due invoice."""

    _name = "revcycle.payment.attempt"
    _description = "Card Payment Attempt"
    _order = "date desc, id desc"
    _rec_name = "name"

    name = fields.Char(compute="_compute_name", store=True)
    invoice_id = fields.Many2one("account.move", string="Invoice", required=True, readonly=True, index=True,
                                 ondelete="cascade")
    sequence = fields.Integer(string="Try", required=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", string="Company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", string="Currency", required=True, readonly=True)
    amount = fields.Monetary(readonly=True)
    instalment_ids = fields.Many2many(
        "account.move.line", "revcycle_payment_attempt_instalment_rel", "attempt_id", "move_line_id",
        string="Instalments", readonly=True,
        help="The invoice's receivable lines (its instalments) this try charges: those due by the day of the try "
        "and still open. Empty on tries made before instalments were charged one by one: they were for the whole "
        "invoice.")
    token_id = fields.Many2one("payment.token", string="Payment Method", readonly=True, ondelete="set null")
    provider_id = fields.Many2one("payment.provider", string="Provider", readonly=True, ondelete="set null")
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    state = fields.Selection(
        [("pending", "Sending"), ("processing", "Processing"), ("succeeded", "Succeeded"), ("failed", "Failed"),
         ("mismatch", "To Review"), ("refund", "Paid Twice: To Refund")],
        default="pending", required=True, readonly=True, index=True)
    failure_kind = fields.Selection(
        [(retry_engine.HARD, "Hard Decline"), (retry_engine.SOFT, "Soft Decline"),
         (retry_engine.PROCESSING, "Processing Error")], readonly=True)
    error_code = fields.Char(readonly=True)
    decline_code = fields.Char(readonly=True)
    advice_code = fields.Char(
        string="Stripe Advice", readonly=True,
        help="Stripe's advice on the decline: try_again_later, do_not_try_again or confirm_card_data.")
    network_advice_code = fields.Char(
        string="Merchant Advice Code", readonly=True,
        help="The card network's merchant advice code (Mastercard 03 and 21: never retry).")
    network_decline_code = fields.Char(string="Network Decline Code", readonly=True)
    customer_notified = fields.Boolean(
        string="Customer Emailed", readonly=True,
        help="The customer was emailed about this failed charge, with the link to update the card or "
        "authenticate the payment.")
    message = fields.Char(readonly=True)
    next_try = fields.Datetime(string="Next Try", readonly=True)
    stop_reason = fields.Selection(STOP_REASONS, readonly=True)
    stripe_payment_intent = fields.Char(string="Stripe PaymentIntent", readonly=True, index="btree_not_null")
    transaction_id = fields.Many2one("payment.transaction", string="Transaction", readonly=True)
    payment_id = fields.Many2one(related="transaction_id.payment_id", string="Payment")
    refund_amount = fields.Monetary(
        string="To Refund", readonly=True,
        help="What Stripe took for this try but the invoice did not owe any more (it was already paid by another "
        "try or by hand): nothing was registered; refund it in Stripe, or register it as a credit by hand.")
    payment_url = fields.Char(
        string="Payment Link", compute="_compute_payment_url",
        help="The invoice's payment page, where the customer pays with another card (and saves it) or "
        "authenticates the payment.")

    _sql_constraints = [
        ("attempt_invoice_sequence_unique", "UNIQUE (invoice_id, sequence)",
         "An invoice's card tries are numbered once: this try was made already."),
        ("revcycle_payment_attempt_intent_unique", "UNIQUE (stripe_payment_intent)",
         "A Stripe PaymentIntent belongs to one attempt."),
    ]

    @api.depends("invoice_id", "sequence")
    def _compute_name(self):
        for attempt in self:
            attempt.name = self.env._("%(invoice)s, try %(number)s", invoice=attempt.invoice_id.name or "",
                                      number=attempt.sequence)

    # ------------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------------

    @api.model
    def _cron_collect_due_invoices(self, batch_size=CRON_BATCH_SIZE):
        """Charge the due invoices of customers with a saved Stripe payment method, and retry those due again.

        Invoices are locked FOR UPDATE SKIP LOCKED so two workers never charge the same one; each is handled in a
        savepoint; the attempt row (unique per invoice and try) and Stripe's idempotency key make a replay harmless.
        """
        now = fields.Datetime.now()
        rows = self.env.execute_query(self._revcycle_due_sql(now, SQL("move.id, token.id"), batch_size, lock=True))
        done = 0
        today = fields.Date.context_today(self)
        for invoice_id, token_id in rows:
            invoice = self.env["account.move"].sudo().browse(invoice_id)
            token = self.env["payment.token"].sudo().browse(token_id)
            if self._revcycle_card_capped(token, now):
                continue
            try:
                with self.env.cr.savepoint():
                    # sudo: the scheduler charges for every company; the invoice and token rows come from the
                    # cron's own due query, not from a caller
                    attempt = self.sudo().with_company(invoice.company_id)._revcycle_charge(invoice, token, today)
                    self.env.flush_all()
                done += bool(attempt)
            except Exception:
                _logger.exception("Card collection of invoice %s failed", invoice_id)
                self.env.invalidate_all()
        remaining = self.env.execute_query(self._revcycle_due_sql(now, SQL("COUNT(*)")))[0][0]
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _revcycle_card_capped(self, token, now):
        """Whether ``token`` was charged its company's cap of times in the 30 days up to ``now``. The query selects
        the due invoices before any of them is charged, so the cap is checked again before each charge; the card's
        row is locked first, so two workers count one after the other."""
        cap = token.provider_id.company_id.revcycle_retry_card_cap
        if not cap:
            return False
        self.env.execute_query(SQL("SELECT id FROM payment_token WHERE id = %s FOR UPDATE", token.id))
        self.flush_model(["token_id", "date"])
        (count,) = self.env.execute_query(SQL(
            "SELECT COUNT(*) FROM revcycle_payment_attempt WHERE token_id = %s AND date > %s",
            token.id, now - timedelta(days=30)))[0]
        return count >= cap

    @api.model
    def _revcycle_due_sql(self, now, select, limit=None, lock=False):
        for model in ("account.move", "account.move.line", "payment.token", "payment.provider", "res.company",
                      "res.partner", "revcycle.payment.attempt", "revcycle.payment.plan"):
            self.env[model].flush_model()
        return SQL(
            """
            SELECT %(select)s
              FROM account_move move
              JOIN res_company company ON company.id = move.company_id
              JOIN res_partner customer ON customer.id = move.commercial_partner_id
              -- the invoice's open instalments (receivable lines): Odoo's invoice_date_due is the LAST one's date,
              -- so the first open one's date says when a charge is due (engine/instalments.py due_charge)
              JOIN LATERAL (
                    SELECT MIN(COALESCE(item.date_maturity, move.invoice_date_due)) AS first_due
                      FROM account_move_line item
                      JOIN account_account account ON account.id = item.account_id
                     WHERE item.move_id = move.id
                       AND account.account_type = 'asset_receivable'
                       AND item.reconciled IS NOT TRUE
                       AND item.amount_residual_currency > 0
                   ) instalment ON TRUE
              JOIN LATERAL (
                    SELECT token.id
                      FROM payment_token token
                      JOIN payment_provider provider ON provider.id = token.provider_id
                      JOIN res_partner holder ON holder.id = token.partner_id
                     WHERE token.active
                       AND holder.commercial_partner_id = move.commercial_partner_id
                       AND provider.code = 'stripe'
                       AND provider.state IN ('enabled', 'test')
                       AND provider.company_id = move.company_id
                       AND token.stripe_payment_method IS NOT NULL
                     ORDER BY token.id DESC
                     LIMIT 1
                   ) token ON TRUE
             WHERE company.revcycle_autocollect
               AND move.move_type = 'out_invoice'
               AND move.state = 'posted'
               AND move.payment_state IN ('not_paid', 'partial')
               AND move.amount_residual > 0
               AND instalment.first_due <= %(today)s
               -- charged when it falls due: switching collection on never charges invoices long overdue; after an
               -- instalment is paid by card the state is cleared, so the next one is charged on its own date
               AND (move.revcycle_autocollect_state IS NOT NULL
                    OR instalment.first_due >= %(today)s - company.revcycle_retry_window_days)
               AND move.revcycle_dunning_dispute IS NOT TRUE
               AND (move.revcycle_promise_date IS NULL OR move.revcycle_promise_date < %(today)s)
               -- the customer's own dispute, exclusion or promise to pay stops card charges as it stops dunning
               AND customer.revcycle_dunning_dispute IS NOT TRUE
               AND customer.revcycle_dunning_excluded IS NOT TRUE
               AND (customer.revcycle_promise_date IS NULL OR customer.revcycle_promise_date < %(today)s)
               AND (customer.revcycle_dunning_paused_until IS NULL
                    OR customer.revcycle_dunning_paused_until < %(today)s)
               -- an accepted payment plan or promise: the customer pays by its dates, the card is not charged
               AND NOT %(planned)s
               -- at most the company's cap of charges of one card in any 30 days, over all its invoices
               AND (COALESCE(company.revcycle_retry_card_cap, 0) = 0
                    OR (SELECT COUNT(*) FROM revcycle_payment_attempt recent
                         WHERE recent.token_id = token.id
                           AND recent.date > %(now)s - INTERVAL '30 days') < company.revcycle_retry_card_cap)
               AND (move.revcycle_autocollect_state IS NULL
                    OR (move.revcycle_autocollect_state = 'retrying' AND move.revcycle_autocollect_next <= %(now)s))
               AND NOT EXISTS (SELECT 1 FROM revcycle_payment_attempt busy
                                WHERE busy.invoice_id = move.id AND busy.state IN ('pending', 'processing'))
            %(tail)s
            """,
            select=select, today=fields.Date.context_today(self), now=now,
            planned=self.env["revcycle.payment.plan"]._revcycle_covered_sql(SQL("move.id")),
            tail=SQL("ORDER BY instalment.first_due, move.id LIMIT %s FOR UPDATE OF move SKIP LOCKED", limit)
            if lock else SQL(),
        )

    # ------------------------------------------------------------------
    # Charging
    # ------------------------------------------------------------------

    @api.model
    def _revcycle_charge(self, invoice, token, today=None):
        """Make the next try for ``invoice`` with ``token``: for its instalments due by ``today`` (the user's today
        by default) still open, net of what was paid on them. Returns the attempt, or an empty recordset when
        nothing is due."""
        charge = invoice._revcycle_due_charge(today or fields.Date.context_today(self))
        if not charge.item_ids:
            return self.browse()
        provider = token.provider_id
        sequence = (max(invoice.revcycle_payment_attempt_ids.mapped("sequence"), default=0)) + 1
        attempt = self.create({
            "invoice_id": invoice.id, "sequence": sequence, "partner_id": invoice.commercial_partner_id.id,
            "company_id": invoice.company_id.id, "currency_id": invoice.currency_id.id,
            "amount": charge.amount, "instalment_ids": [fields.Command.set(list(charge.item_ids))],
            "token_id": token.id, "provider_id": provider.id,
        })
        # the row is in the database before Stripe hears of it: a parallel worker's try of the same number fails
        self.env.flush_all()
        try:
            intent = provider._revcycle_stripe_client().payment_intents.create(
                params=attempt._revcycle_intent_params(),
                options={"idempotency_key": attempt._revcycle_idempotency_key()})
        except stripe.CardError as error:
            details = stripe_to_dict(error.error) if error.error else {}
            intent_id = (details.get("payment_intent") or {}).get("id") if isinstance(
                details.get("payment_intent"), dict) else details.get("payment_intent")
            attempt._revcycle_failed(error.code, details.get("decline_code"), error.http_status,
                                     error.user_message or str(error), intent_id, advice=details)
            return attempt
        except stripe.StripeError as error:
            attempt._revcycle_failed(error.code, None, error.http_status, error.user_message or str(error), None)
            return attempt
        attempt._revcycle_apply_intent(stripe_to_dict(intent))
        return attempt

    def _revcycle_idempotency_key(self):
        self.ensure_one()
        database = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        # names the instalments too: a retry of the same instalments is a new try (its own number), and the key
        # can never be reused for another set of instalments of the invoice
        instalments = instalment_engine.instalment_key(self.instalment_ids.ids)
        if not instalments:
            return f"revcycle-{database}-{self.invoice_id.id}-{self.sequence}"
        return f"revcycle-{database}-{self.invoice_id.id}-{instalments}-{self.sequence}"

    def _revcycle_intent_params(self):
        self.ensure_one()
        return {
            "amount": payment_utils.to_minor_currency_units(self.amount, self.currency_id),
            "currency": self.currency_id.name.lower(),
            "customer": self.token_id.provider_ref,
            "payment_method": self.token_id.stripe_payment_method,
            "off_session": True,
            "confirm": True,
            "metadata": {"revcycle_attempt": str(self.id), "invoice": self.invoice_id.name or "",
                         "instalments": instalment_engine.instalment_key(self.instalment_ids.ids)},
        }

    def _revcycle_apply_intent(self, intent):
        """Follow a PaymentIntent (a plain dict) as returned by the API or carried by a webhook event."""
        self.ensure_one()
        intent_id = intent.get("id")
        if intent_id and not self.stripe_payment_intent:
            self.stripe_payment_intent = intent_id
        status = intent.get("status")
        if status == "succeeded":
            if self._revcycle_intent_mismatch(intent):
                return
            self._revcycle_succeeded()
        elif status == "processing":
            self.state = "processing"
        elif status == "requires_action":
            self._revcycle_failed("authentication_required", None, 402,
                                  self.env._("The bank asks the customer to authenticate this payment."), intent_id)
        elif status in ("requires_payment_method", "canceled"):
            error = intent.get("last_payment_error") or {}
            self._revcycle_failed(error.get("code"), error.get("decline_code"), 402,
                                  error.get("message") or status, intent_id, advice=error)

    def _revcycle_intent_mismatch(self, intent):
        """A succeeded PaymentIntent whose amount or currency is not the attempt's is never registered as paid:
        the attempt is set to review, card collection of the invoice stops and a note on the invoice tells a
        person what Stripe reported. Returns True when that is the case."""
        self.ensure_one()
        received = intent.get("amount_received", intent.get("amount"))
        currency = (intent.get("currency") or "").upper()
        expected = payment_utils.to_minor_currency_units(self.amount, self.currency_id)
        if (
            isinstance(received, int) and not isinstance(received, bool) and received == expected
            and currency == self.currency_id.name
        ):
            return False
        message = self.env._(
            "Stripe reported %(received)s %(currency)s (smallest unit) for PaymentIntent %(intent)s, but this card "
            "try was for %(expected)s %(expected_currency)s: nothing was registered as paid. Check the payment in "
            "Stripe and register it by hand.",
            received=received, currency=currency or "?", intent=intent.get("id") or "?",
            expected=expected, expected_currency=self.currency_id.name)
        self.write({"state": "mismatch", "message": message[:250], "next_try": False})
        self.invoice_id.write({"revcycle_autocollect_state": "stopped", "revcycle_autocollect_next": False})
        self.invoice_id.sudo().message_post(body=message, subtype_xmlid="mail.mt_note")  # sudo: system note
        return True

    def _revcycle_succeeded(self):
        """Register the payment through Odoo's own transaction flow, which posts it and reconciles the invoice."""
        self.ensure_one()
        # one registration per attempt, whoever else (a second delivery, the collection cron) gets there at once:
        # the row lock makes the other wait, then see the attempt succeeded (or retry on a serialization failure)
        self.env.cr.execute(SQL("SELECT id FROM revcycle_payment_attempt WHERE id = %s FOR UPDATE", self.id))
        self.invalidate_recordset(["state"])
        if self.state in SETTLED_STATES:
            return
        invoice = self.invoice_id
        # one payment per invoice residual: a late success of an older try (or one that went through while the
        # invoice was paid by hand) must not pay the invoice twice; the invoice row lock orders two such successes
        self.env.cr.execute(SQL("SELECT id FROM account_move WHERE id = %s FOR UPDATE", invoice.id))
        invoice.invalidate_recordset(["amount_residual", "payment_state"])
        invoice.line_ids.invalidate_recordset(["amount_residual", "amount_residual_currency", "reconciled"])
        if self._revcycle_already_paid():
            self._revcycle_flag_refund()
            return
        tx = self.env["payment.transaction"].sudo().create({
            "provider_id": self.provider_id.id,
            "payment_method_id": self.token_id.payment_method_id.id,
            "reference": self.env["payment.transaction"]._compute_reference(
                "stripe", prefix=self.env._("%(invoice)s-card-%(number)s", invoice=invoice.name, number=self.sequence)),
            "amount": self.amount,
            "currency_id": self.currency_id.id,
            "partner_id": invoice.partner_id.id,
            "token_id": self.token_id.id,
            "operation": "offline",
            "provider_reference": self.stripe_payment_intent,
            "invoice_ids": [fields.Command.set(invoice.ids)],
        })
        tx._set_done()
        tx._post_process()
        self.write({"state": "succeeded", "transaction_id": tx.id, "failure_kind": False, "next_try": False})
        invoice.invalidate_recordset(["amount_residual"])
        if invoice.currency_id.is_zero(invoice.amount_residual):
            invoice.write({"revcycle_autocollect_state": "paid", "revcycle_autocollect_next": False})
        else:
            # later instalments are still open: collection starts afresh when the next one falls due
            invoice.write({"revcycle_autocollect_state": False, "revcycle_autocollect_next": False})

    def _revcycle_already_paid(self):
        """True when registering this try would pay an instalment twice: another try for any of the same
        instalments succeeded, or what is left to pay on its instalments is less than this try's amount (paid by
        hand, credited). A try for the next instalment is not held back by the success of the previous one's."""
        self.ensure_one()
        invoice = self.invoice_id
        others = invoice.revcycle_payment_attempt_ids - self
        if others.filtered(lambda attempt: attempt.state == "succeeded" and attempt._revcycle_overlaps(self)):
            return True
        return invoice.currency_id.compare_amounts(self._revcycle_open_amount(), self.amount) < 0

    def _revcycle_overlaps(self, other):
        """Whether two tries of one invoice were for some of the same instalments; a try without instalments
        (made before they were charged one by one) was for the whole invoice."""
        self.ensure_one()
        return not self.instalment_ids or not other.instalment_ids or bool(self.instalment_ids & other.instalment_ids)

    def _revcycle_open_amount(self):
        """What is left to pay on this try's instalments (the whole invoice for a try without them), in the
        invoice's currency."""
        self.ensure_one()
        if not self.instalment_ids:
            return self.invoice_id.amount_residual
        return self.currency_id.round(sum(self.instalment_ids.mapped("amount_residual_currency")))

    def _revcycle_flag_refund(self):
        """Stripe took the money but the invoice no longer owes it: nothing is registered; the try is set to
        refund with a note on the invoice and a to-do for the collector (refund in Stripe, or keep as a credit)."""
        self.ensure_one()
        invoice = self.invoice_id
        message = self.env._(
            "Stripe reports that card try %(number)s (%(intent)s) took %(amount)s, but %(invoice)s was already paid "
            "(%(residual)s left to pay): nothing was registered. Refund it in Stripe, or register it as a customer "
            "credit by hand.",
            number=self.sequence, intent=self.stripe_payment_intent or "?", invoice=invoice.name,
            amount=format_amount(self.env, self.amount, self.currency_id),
            residual=format_amount(self.env, invoice.amount_residual, self.currency_id))
        self.write({"state": "refund", "refund_amount": self.amount, "message": message[:250], "next_try": False,
                    "failure_kind": False})
        if invoice.currency_id.is_zero(invoice.amount_residual):
            invoice.write({"revcycle_autocollect_state": "paid", "revcycle_autocollect_next": False})
        elif not self.currency_id.is_zero(self._revcycle_open_amount()):
            # part of its instalments paid by hand meanwhile: a person decides what the card still owes
            invoice.write({"revcycle_autocollect_state": "stopped", "revcycle_autocollect_next": False})
        # else its instalments were paid by another try or by hand, later ones are still open: collection of those
        # goes on as it was
        invoice.sudo().message_post(body=message, subtype_xmlid="mail.mt_note")  # sudo: system note on a webhook
        collector = (invoice.invoice_user_id or invoice.company_id.revcycle_dunning_collector_id
                     or self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user)
        invoice.sudo().activity_schedule(  # sudo: the webhook runs as public; the to-do is the system's own
            "mail.mail_activity_data_todo", summary=self.env._("Refund a card payment taken twice"),
            note=message, user_id=collector.id)

    def _revcycle_failed(self, error_code, decline_code, http_status, message, intent_id, advice=None):
        """Record the failure with its codes, classify it and set the invoice's next try, or stop and tell the
        collector; the customer is emailed (update the card, or authenticate the payment). ``advice``: the Stripe
        error's dict, for its advice codes."""
        self.ensure_one()
        advice = advice or {}
        advice_code = advice.get("advice_code")
        network_advice_code = advice.get("network_advice_code")
        kind = self._revcycle_classify(error_code, decline_code, http_status, advice_code, network_advice_code)
        self.write({
            "state": "failed", "failure_kind": kind, "error_code": error_code or False,
            "decline_code": decline_code or False, "message": (message or "")[:250],
            "stripe_payment_intent": self.stripe_payment_intent or intent_id or False,
            "advice_code": advice_code or False, "network_advice_code": network_advice_code or False,
            "network_decline_code": advice.get("network_decline_code") or False,
        })
        history = (self._revcycle_failures_since_last_success() | self).sorted("sequence")
        processing_in_a_row = 0
        for attempt in reversed(history):
            if attempt.failure_kind != retry_engine.PROCESSING:
                break
            processing_in_a_row += 1
        step = retry_engine.next_try(
            kind, min(history.mapped("date")), fields.Datetime.now(),
            decline_failures=len(history.filtered(lambda attempt: attempt.failure_kind == retry_engine.SOFT)),
            processing_failures=processing_in_a_row, settings=self.company_id._revcycle_retry_settings(),
            decline_code=decline_code)
        if step.retry_at:
            self.next_try = step.retry_at
            self.invoice_id.write({"revcycle_autocollect_state": "retrying",
                                   "revcycle_autocollect_next": step.retry_at})
        else:
            self.stop_reason = step.stop_reason
            self.invoice_id.write({"revcycle_autocollect_state": "stopped", "revcycle_autocollect_next": False})
            self._revcycle_notify_stop()
        if kind != retry_engine.PROCESSING:
            # a processing error is ours (or Stripe's) to retry: the customer is told only of what they can fix
            self._revcycle_notify_customer()

    def _revcycle_failures_since_last_success(self):
        """The invoice's failed tries after its last successful one, by number: the retry schedule of the
        instalments due now, which an earlier instalment's tries (paid since) do not use up."""
        self.ensure_one()
        attempts = self.invoice_id.revcycle_payment_attempt_ids
        last_success = max(attempts.filtered(lambda attempt: attempt.state == "succeeded").mapped("sequence"),
                           default=0)
        return attempts.filtered(
            lambda attempt: attempt.state == "failed" and attempt.sequence > last_success).sorted("sequence")

    @api.model
    def _revcycle_classify(self, error_code, decline_code, http_status, advice_code=None, network_advice_code=None):
        """The engine's classification; override to treat a code differently."""
        return retry_engine.classify(error_code, decline_code, http_status, advice_code, network_advice_code)

    def _revcycle_needs_authentication(self):
        self.ensure_one()
        return "authentication_required" in (self.error_code, self.decline_code)

    @api.depends("invoice_id")
    def _compute_payment_url(self):
        urls = self.invoice_id._revcycle_payment_urls()
        for attempt in self:
            attempt.payment_url = urls.get(attempt.invoice_id.id, False)

    def _revcycle_notify_customer(self):
        """Email the customer: the charge failed, here is the invoice's payment page to pay with another card (and
        save it); or the bank asks them to authenticate the payment there."""
        self.ensure_one()
        if not self.invoice_id.commercial_partner_id.email and not self.invoice_id.partner_id.email:
            return
        xmlid = ("revcycle_dunning.mail_template_card_authentication" if self._revcycle_needs_authentication()
                 else "revcycle_dunning.mail_template_card_failed")
        template = self.env.ref(xmlid, raise_if_not_found=False)
        if template:
            template.sudo().send_mail(self.id)  # sudo: the system's own email about the system's own charge
            self.customer_notified = True

    def _revcycle_notify_stop(self):
        self.ensure_one()
        invoice = self.invoice_id
        reason = dict(self._fields["stop_reason"]._description_selection(self.env)).get(self.stop_reason)
        summary = self.env._(
            "Card collection stopped for %(invoice)s (%(amount)s): %(reason)s - %(message)s",
            invoice=invoice.name, amount=format_amount(self.env, self.amount, self.currency_id), reason=reason,
            message=self.message or self.decline_code or self.error_code or "")
        invoice.message_post(body=summary, subtype_xmlid="mail.mt_note")
        collector = (invoice.invoice_user_id or invoice.company_id.revcycle_dunning_collector_id
                     or self.env.ref("base.user_admin", raise_if_not_found=False) or self.env.user)
        invoice.activity_schedule("mail.mail_activity_data_todo", summary=summary, user_id=collector.id)

    def action_retry_now(self):
        """Let a collector charge a stopped or waiting invoice again on the next run (e.g. after a new card)."""
        self.env["revcycle.access"]._revcycle_require_collections_user()
        invoices = self.invoice_id.filtered(lambda move: move.revcycle_autocollect_state in ("retrying", "stopped"))
        if not invoices:
            raise UserError(self.env._("Only invoices whose card collection waits or stopped can be tried again."))
        invoices.sudo().write({"revcycle_autocollect_state": "retrying",
                               "revcycle_autocollect_next": fields.Datetime.now()})
        return True
