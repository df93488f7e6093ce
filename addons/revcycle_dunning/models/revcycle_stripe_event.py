import logging

import stripe
from odoo import api, fields, models
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .payment_provider import stripe_to_dict
from .revcycle_payment_attempt import SETTLED_STATES

_logger = logging.getLogger(__name__)

SIGNATURE_TOLERANCE = 300  # seconds: an older signed event is refused as a replay


class RevcycleStripeEvent(models.Model):
    """A Stripe webhook event received at /revcycle/stripe/webhook, kept once per event id."""

    _name = "revcycle.stripe.event"
    _description = "Stripe Webhook Event"
    _order = "id desc"
    _rec_name = "event_id"

    event_id = fields.Char(string="Event", required=True, readonly=True)
    event_type = fields.Char(string="Type", readonly=True, index=True)
    payment_intent = fields.Char(string="PaymentIntent", readonly=True)
    attempt_id = fields.Many2one("revcycle.payment.attempt", string="Attempt", readonly=True, ondelete="set null")
    result = fields.Selection([("applied", "Applied"), ("ignored", "Ignored")], readonly=True)
    payload = fields.Text(readonly=True)

    _sql_constraints = [
        ("revcycle_stripe_event_unique", "UNIQUE (event_id)", "A Stripe event is processed once."),
    ]

    @api.model
    def _revcycle_verify(self, payload, signature):
        """The event, if the signature is one of a Stripe provider's secrets and fresh; raises otherwise."""
        secrets = self.env["payment.provider"]._revcycle_webhook_secrets()
        if not secrets:
            raise stripe.SignatureVerificationError("No webhook secret is configured.", signature, payload)
        error = None
        for secret in secrets:
            try:
                return stripe.Webhook.construct_event(payload, signature, secret, tolerance=SIGNATURE_TOLERANCE)
            except stripe.SignatureVerificationError as exc:
                error = exc
        raise error

    @api.model
    def _revcycle_check_event(self, event):
        """Raise ValueError unless the event has what the webhook reads: an id, a type and, for a PaymentIntent
        event, the intent as an object with a text id (its status, amount and currency are checked when used)."""
        if not isinstance(event, dict):
            raise ValueError("the event is not an object")
        if not isinstance(event.get("id"), str) or not event["id"] or len(event["id"]) > 255:
            raise ValueError("the event has no id")
        if not isinstance(event.get("type"), str) or not event["type"]:
            raise ValueError("the event has no type")
        if event["type"].startswith("payment_intent."):
            data = event.get("data")
            intent = data.get("object") if isinstance(data, dict) else None
            if not isinstance(intent, dict) or not isinstance(intent.get("id"), str) or not intent["id"]:
                raise ValueError("the PaymentIntent event carries no PaymentIntent object with an id")
            for key in ("amount", "amount_received"):
                if key in intent and (not isinstance(intent[key], int) or isinstance(intent[key], bool)):
                    raise ValueError(f"the PaymentIntent's {key} is not a whole number")
            if "status" in intent and not isinstance(intent["status"], str):
                raise ValueError("the PaymentIntent's status is not text")
        return True

    @api.model
    def _revcycle_receive(self, event, payload=""):
        """Apply a verified event once; returns 'applied', 'ignored' or 'duplicate'."""
        event = stripe_to_dict(event)
        self._revcycle_check_event(event)
        intent = event["data"]["object"] if event["type"].startswith("payment_intent.") else {}
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                record = self.create({
                    "event_id": event["id"], "event_type": event["type"], "payment_intent": intent.get("id"),
                    "payload": payload[:100000],
                })
                self.env.flush_all()
        except IntegrityError:
            return "duplicate"
        # a second delivery of this event waits on the row above until this one commits, then is a duplicate
        attempt = self.env["revcycle.payment.attempt"].search(
            [("stripe_payment_intent", "=", intent.get("id"))], limit=1) if intent.get("id") else None
        result = "ignored"
        # a success always wins (a late event after a failure we recorded); a failure only updates a live attempt
        succeeded = event["type"] == "payment_intent.succeeded"
        failed = event["type"] == "payment_intent.payment_failed"
        if attempt and ((succeeded and attempt.state not in SETTLED_STATES)
                        or (failed and attempt.state in ("pending", "processing"))):
            attempt.with_company(attempt.company_id)._revcycle_apply_intent(intent)
            result = "applied"
        record.write({"attempt_id": attempt.id if attempt else False, "result": result})
        return result
