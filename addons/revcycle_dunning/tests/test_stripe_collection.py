"""Stripe automatic collection against a real localstripe server, and the webhook through the real controller.

localstripe (GPL, test-only) runs in its own process; the addon only ever talks to it over HTTP through the official
`stripe` library, pointed at it by the system parameter revcycle_dunning.stripe_api_base.
"""
import hashlib
import hmac
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import stripe
from freezegun import freeze_time
from odoo import Command, fields
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .dunning_common import RevcycleDunningCommon

WEBHOOK_SECRET = "whsec_revcycle_test"
SECRET_KEY = "sk_test_revcycle"
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"  # attaches, then every charge is declined
LAUNCHER = (
    "import sys\n"
    "from aiohttp import web\n"
    "from localstripe import resources\n"
    "from localstripe.server import app\n"
    "resources.store.dump_to_disk = lambda: None  # keep each test server's state to itself\n"
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
)


def _localstripe_python():
    """The interpreter that has localstripe: this one, or the project's separate test venv."""
    if importlib.util.find_spec("localstripe"):
        return sys.executable
    local = Path(__file__).resolve().parents[3] / ".local" / "localstripe-venv" / "bin" / "python"
    if local.exists():
        return str(local)
    raise RuntimeError(
        "localstripe is needed by the Stripe tests: pip install localstripe (see requirements-dev.txt)")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StripeCollectionCommon(RevcycleDunningCommon, HttpCase):
    """A Stripe provider of the test company pointed at a localstripe server of its own, and the helpers to save
    cards and collect; no tests of its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_localstripe()
        cls.env["ir.config_parameter"].sudo().set_param("revcycle_dunning.stripe_api_base", cls.api_base)
        cls.provider = cls.env.ref("payment.payment_provider_stripe").sudo().copy({"company_id": cls.company.id})
        cls.provider.write({
            "state": "test", "stripe_secret_key": SECRET_KEY, "stripe_publishable_key": "pk_test_revcycle",
            "stripe_webhook_secret": WEBHOOK_SECRET, "journal_id": cls.company_data["default_journal_bank"].id})
        cls.company.revcycle_autocollect = True
        client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": cls.api_base}, max_network_retries=0)
        cls.client = getattr(client, "v1", client)
        cls.Attempt = cls.env["revcycle.payment.attempt"]

    @classmethod
    def _start_localstripe(cls):
        port = _free_port()
        cls.api_base = f"http://127.0.0.1:{port}"
        cls.localstripe = subprocess.Popen(
            [_localstripe_python(), "-c", LAUNCHER, str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        cls.addClassCleanup(cls._stop_localstripe)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                if cls.localstripe.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"localstripe did not start on port {port}")

    @classmethod
    def _stop_localstripe(cls):
        cls.localstripe.terminate()
        try:
            cls.localstripe.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.localstripe.kill()
            cls.localstripe.wait()

    def _saved_card(self, number, partner=None):
        partner = partner or self.customer
        customer = self.client.customers.create(params={"email": partner.email or "x@example.com"})
        method = self.client.payment_methods.create(params={
            "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
        self.client.payment_methods.attach(method.id, params={"customer": customer.id})
        return self.env["payment.token"].create({
            "provider_id": self.provider.id, "payment_method_id": self.env.ref("payment.payment_method_card").id,
            "partner_id": partner.id, "provider_ref": customer.id, "stripe_payment_method": method.id,
            "payment_details": number[-4:]})

    def _collect(self):
        return self.Attempt._cron_collect_due_invoices()

    def _done_card_payments(self, invoice):
        # sudo: the test reads the transactions Odoo registered, whatever the test user may see
        return self.env["payment.transaction"].sudo().search(
            [("invoice_ids", "in", invoice.ids), ("state", "=", "done")])


@tagged("post_install", "-at_install", "revcycle")
class TestStripeCollection(StripeCollectionCommon):
    # ------------------------------------------------------------------
    # Charges through localstripe
    # ------------------------------------------------------------------

    def test_successful_charge_reconciles_the_invoice(self):
        self._saved_card(CARD_OK)
        today = fields.Date.context_today(self.customer)
        not_due = self.init_invoice("out_invoice", partner=self.customer, invoice_date=today + timedelta(days=5),
                                    amounts=[50.0], taxes=[], post=True)
        invoice = self._invoice(250.0)
        self.assertEqual(self._collect(), 1)
        attempt = invoice.revcycle_payment_attempt_ids
        self.assertEqual(attempt.state, "succeeded", attempt.message)
        self.assertTrue(attempt.stripe_payment_intent.startswith("pi_"))
        self.assertEqual(attempt.transaction_id.state, "done")
        self.assertEqual(attempt.payment_id.amount, 250.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(invoice.revcycle_autocollect_state, "paid")
        intent = self.client.payment_intents.retrieve(attempt.stripe_payment_intent)
        self.assertEqual((intent.status, intent.amount, intent.currency), ("succeeded", 25000, "usd"))
        self.assertFalse(not_due.revcycle_payment_attempt_ids, "not due yet: not charged")
        # paid: nothing more to charge
        self.assertEqual(self._collect(), 0)

    def test_declined_card_follows_the_retry_schedule(self):
        self._saved_card(CARD_DECLINED)
        invoice = self._invoice(80.0)
        start = fields.Datetime.now().replace(microsecond=0)
        with freeze_time(start):
            self._collect()
        first = invoice.revcycle_payment_attempt_ids
        self.assertEqual((first.state, first.failure_kind, first.error_code), ("failed", "soft", "card_declined"))
        self.assertEqual(invoice.revcycle_autocollect_state, "retrying")
        self.assertEqual(invoice.revcycle_autocollect_next, start + timedelta(days=2))
        with freeze_time(start + timedelta(days=1)):
            self.assertEqual(self._collect(), 0, "not before the next slot")
        for day in (2, 4, 6, 8, 10, 12, 14):
            with freeze_time(start + timedelta(days=day, minutes=1)):
                self.assertEqual(self._collect(), 1)
        attempts = invoice.revcycle_payment_attempt_ids.sorted("sequence")
        self.assertEqual(len(attempts), 8, "8 tries in 14 days")
        self.assertEqual(attempts.mapped("sequence"), list(range(1, 9)))
        self.assertEqual(attempts[-1].stop_reason, "schedule_exhausted")
        self.assertEqual(invoice.revcycle_autocollect_state, "stopped")
        self.assertTrue(invoice.activity_ids, "a collector is told")
        with freeze_time(start + timedelta(days=30)):
            self.assertEqual(self._collect(), 0, "stopped: no more charges")
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_processing_error_backs_off(self):
        self._saved_card(CARD_OK)
        invoice = self._invoice(60.0)
        self.env["ir.config_parameter"].sudo().set_param(
            "revcycle_dunning.stripe_api_base", f"http://127.0.0.1:{_free_port()}")  # nobody listens there
        now = fields.Datetime.now().replace(microsecond=0)
        with freeze_time(now):
            self._collect()
        attempt = invoice.revcycle_payment_attempt_ids
        self.assertEqual((attempt.state, attempt.failure_kind), ("failed", "processing"))
        # issue 18: the first processing retry an hour later (then 4 h, 16 h, 64 h, 4 days), not 10 minutes
        self.assertEqual(invoice.revcycle_autocollect_next, now + timedelta(hours=1))
        self.assertFalse(attempt.customer_notified, "an outage is ours to retry: the customer is not emailed")
        self.env["ir.config_parameter"].sudo().set_param("revcycle_dunning.stripe_api_base", self.api_base)
        with freeze_time(now + timedelta(minutes=61)):
            self._collect()
        attempts = invoice.revcycle_payment_attempt_ids.sorted("sequence")
        self.assertEqual(attempts.mapped("state"), ["failed", "succeeded"])
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_customers_without_card_or_disputed_invoices_are_not_charged(self):
        invoice = self._invoice(70.0)
        long_overdue = self._invoice(75.0, days_ago=30)
        self.assertEqual(self._collect(), 0)
        self._saved_card(CARD_OK)
        self.assertEqual(self._collect(), 1, "only the invoice that just fell due, not the one 30 days overdue")
        self.assertFalse(long_overdue.revcycle_payment_attempt_ids)
        invoice = self._invoice(72.0)
        invoice.revcycle_dunning_dispute = True
        self.assertEqual(self._collect(), 0)
        self.assertFalse(invoice.revcycle_payment_attempt_ids)

    # ------------------------------------------------------------------
    # Issue 18: card collection and dunning in step
    # ------------------------------------------------------------------

    def test_customer_level_pauses_stop_charges(self):
        # found (reproduced): card collection ignored the customer's dispute, exclusion and promise to pay
        today = fields.Date.context_today(self.customer)
        paused = [
            self._customer("Disputing", email="d@example.com", revcycle_dunning_dispute=True),
            self._customer("Excluded", email="e@example.com", revcycle_dunning_excluded=True),
            self._customer("Promising", email="p@example.com", revcycle_promise_date=today + timedelta(days=3)),
        ]
        invoices = self.env["account.move"]
        for partner in paused:
            self._saved_card(CARD_OK, partner=partner)
            invoices |= self._invoice(40.0, partner=partner)
        self.assertEqual(self._collect(), 0)
        self.assertFalse(invoices.revcycle_payment_attempt_ids)

    def test_tries_per_card_are_capped_over_30_days(self):
        self.company.revcycle_retry_card_cap = 1
        self._saved_card(CARD_OK)
        first = self._invoice(30.0)
        second = self._invoice(35.0)
        self.assertEqual(self._collect(), 1, "one charge of the card in 30 days, the cap")
        self.assertEqual(len((first | second).revcycle_payment_attempt_ids), 1)

    def test_declined_charge_emails_the_customer_with_a_link(self):
        # found (reproduced): the customer never got an "update your card" email
        self._saved_card(CARD_DECLINED)
        invoice = self._invoice(80.0)
        self._collect()
        attempt = invoice.revcycle_payment_attempt_ids
        self.assertEqual((attempt.state, attempt.failure_kind), ("failed", "soft"))
        self.assertTrue(attempt.customer_notified)
        mail = self.env["mail.mail"].search([("model", "=", attempt._name), ("res_id", "=", attempt.id)])
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn(attempt.payment_url, mail.body_html)
        self.assertIn("/pay/", attempt.payment_url)
        self.assertIn("update your card", mail.body_html)

    def test_authentication_required_and_advice_codes(self):
        invoice, attempt = self._processing_attempt()
        attempt._revcycle_apply_intent({"id": "pi_webhook_test", "status": "requires_action"})
        self.assertEqual((attempt.failure_kind, invoice.revcycle_autocollect_state), ("hard", "stopped"))
        mail = self.env["mail.mail"].search([("model", "=", attempt._name), ("res_id", "=", attempt.id)])
        self.assertIn("confirm", mail.subject)
        # a network's "do not retry" advice (Mastercard MAC 03) stops even an insufficient-funds decline
        other_invoice, other = self._processing_attempt(amount=95.0, intent="pi_other")
        other._revcycle_failed("card_declined", "insufficient_funds", 402, "Declined", "pi_other", advice={
            "network_advice_code": "03", "network_decline_code": "51", "advice_code": "do_not_try_again"})
        self.assertEqual((other.failure_kind, other.stop_reason), ("hard", "hard_decline"))
        self.assertEqual((other.network_advice_code, other.network_decline_code, other.advice_code),
                         ("03", "51", "do_not_try_again"))
        self.assertEqual(other_invoice.revcycle_autocollect_state, "stopped")

    # ------------------------------------------------------------------
    # Webhook through the real controller
    # ------------------------------------------------------------------

    def _signed(self, event, secret=WEBHOOK_SECRET, timestamp=None):
        payload = json.dumps(event)
        timestamp = int(timestamp or time.time())
        signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
        return payload, f"t={timestamp},v1={signature}"

    def _post(self, event, **kwargs):
        payload, header = self._signed(event, **kwargs)
        return self.url_open("/revcycle/stripe/webhook", data=payload, headers={
            "Stripe-Signature": header, "Content-Type": "application/json"})

    def _event(self, event_type, intent):
        return {"id": f"evt_{intent['id']}_{event_type}", "object": "event", "type": event_type,
                "api_version": "2024-06-20", "created": int(time.time()), "data": {"object": intent}}

    def _processing_attempt(self, amount=90.0, intent="pi_webhook_test"):
        token = self._saved_card(CARD_OK)
        invoice = self._invoice(amount)
        attempt = self.Attempt.sudo().create({
            "invoice_id": invoice.id, "sequence": 1, "partner_id": self.customer.id, "company_id": self.company.id,
            "currency_id": invoice.currency_id.id, "amount": amount, "token_id": token.id,
            "provider_id": self.provider.id, "state": "processing", "stripe_payment_intent": intent})
        return invoice, attempt

    def test_webhook_good_signature_registers_the_payment(self):
        invoice, attempt = self._processing_attempt()
        event = self._event("payment_intent.succeeded", {"id": "pi_webhook_test", "object": "payment_intent",
                                                         "status": "succeeded", "amount": 9000,
                                                         "currency": invoice.currency_id.name.lower()})
        response = self._post(event)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["result"], "applied")
        self.assertEqual(attempt.state, "succeeded")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        payments = attempt.payment_id
        # the same event again: acknowledged, ignored, no second payment
        response = self._post(event)
        self.assertEqual((response.status_code, response.json()["result"]), (200, "duplicate"))
        self.assertEqual(self.env["revcycle.stripe.event"].search_count([("event_id", "=", event["id"])]), 1)
        self.assertEqual(self.env["account.payment"].search_count([("payment_transaction_id.invoice_ids", "in",
                                                                    invoice.ids)]), len(payments))

    def test_webhook_hard_decline_stops_collection(self):
        invoice, attempt = self._processing_attempt()
        event = self._event("payment_intent.payment_failed", {
            "id": "pi_webhook_test", "object": "payment_intent", "status": "requires_payment_method",
            "last_payment_error": {"code": "card_declined", "decline_code": "stolen_card",
                                   "message": "Your card was declined."}})
        self.assertEqual(self._post(event).status_code, 200)
        self.assertEqual((attempt.state, attempt.failure_kind, attempt.stop_reason),
                         ("failed", "hard", "hard_decline"))
        self.assertEqual(invoice.revcycle_autocollect_state, "stopped")
        self.assertTrue(invoice.activity_ids)

    def test_webhook_forged_and_stale_signatures_refused(self):
        invoice, attempt = self._processing_attempt()
        event = self._event("payment_intent.succeeded", {"id": "pi_webhook_test", "object": "payment_intent",
                                                         "status": "succeeded"})
        payload, _header = self._signed(event)
        with mute_logger("odoo.addons.revcycle_dunning.controllers.main"):
            forged = self._post(event, secret="whsec_not_ours")
            stale = self._post(event, timestamp=time.time() - 301)
            unsigned = self.url_open("/revcycle/stripe/webhook", data=payload,
                                     headers={"Content-Type": "application/json"})
        self.assertEqual([forged.status_code, stale.status_code, unsigned.status_code], [400, 400, 400])
        self.assertEqual(attempt.state, "processing")
        self.assertFalse(self.env["revcycle.stripe.event"].search([("event_id", "=", event["id"])]))
        # the library agrees with the header we computed, as Stripe computes it
        payload, header = self._signed(event)
        self.assertEqual(stripe.Webhook.construct_event(payload, header, WEBHOOK_SECRET).id, event["id"])
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_webhook_signed_but_malformed_events_answer_400(self):
        # Reproduction (issue 15): signed but malformed events answered 500, which Stripe retries for days.
        invoice, attempt = self._processing_attempt()
        events = [
            [],
            {"id": "evt_no_type", "object": "event"},
            {"id": "evt_no_data", "object": "event", "type": "payment_intent.succeeded"},
            {"id": "evt_intent_text", "object": "event", "type": "payment_intent.succeeded", "data": {"object": "x"}},
            {"id": "evt_no_intent_id", "object": "event", "type": "payment_intent.succeeded",
             "data": {"object": {"object": "payment_intent", "status": "succeeded"}}},
            {"id": "evt_amount_text", "object": "event", "type": "payment_intent.succeeded",
             "data": {"object": {"id": "pi_webhook_test", "status": "succeeded", "amount": "lots"}}},
            {"id": "evt_error_text", "object": "event", "type": "payment_intent.payment_failed",
             "data": {"object": {"id": "pi_webhook_test", "status": "requires_payment_method",
                                 "last_payment_error": "declined"}}},
            {"id": 12, "object": "event", "type": "payment_intent.succeeded"},
        ]
        with mute_logger("odoo.addons.revcycle_dunning.controllers.main"):
            statuses = [self._post(event).status_code for event in events]
        self.assertEqual(statuses, [400] * len(events))
        self.assertEqual(attempt.state, "processing")
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(self.env["revcycle.stripe.event"].search(
            [("event_id", "in", ["evt_no_type", "evt_no_data", "evt_intent_text", "evt_no_intent_id",
                                 "evt_amount_text", "evt_error_text"])]))

    def test_webhook_amount_or_currency_mismatch_is_set_to_review(self):
        # Reproduction (issue 15): a signed payment_intent.succeeded for 1 cent marked a 100.00 attempt paid.
        invoice, attempt = self._processing_attempt(amount=100.0)
        event = self._event("payment_intent.succeeded", {
            "id": "pi_webhook_test", "object": "payment_intent", "status": "succeeded", "amount": 10000,
            "amount_received": 1, "currency": invoice.currency_id.name.lower()})
        response = self._post(event)
        self.assertEqual((response.status_code, response.json()["result"]), (200, "applied"))
        self.assertEqual(attempt.state, "mismatch")
        self.assertFalse(attempt.transaction_id)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(invoice.revcycle_autocollect_state, "stopped")
        self.assertIn("nothing was registered as paid", invoice.message_ids[:1].body)
        # the right amount in another currency is no better; a later event does not pay it either
        other = "eur" if invoice.currency_id.name != "EUR" else "usd"
        event = self._event("payment_intent.succeeded", {
            "id": "pi_webhook_test", "object": "payment_intent", "status": "succeeded", "amount": 10000,
            "amount_received": 10000, "currency": other})
        event["id"] += "_again"
        self.assertEqual(self._post(event).json()["result"], "ignored")
        self.assertEqual((attempt.state, invoice.payment_state), ("mismatch", "not_paid"))

    def test_webhook_currency_mismatch_is_set_to_review(self):
        invoice, attempt = self._processing_attempt(amount=100.0)
        other = "eur" if invoice.currency_id.name != "EUR" else "usd"
        event = self._event("payment_intent.succeeded", {
            "id": "pi_webhook_test", "object": "payment_intent", "status": "succeeded", "amount": 10000,
            "amount_received": 10000, "currency": other})
        self.assertEqual(self._post(event).json()["result"], "applied")
        self.assertEqual((attempt.state, invoice.payment_state), ("mismatch", "not_paid"))

    # ------------------------------------------------------------------
    # Late successes: one payment per invoice residual (issue 18)
    # ------------------------------------------------------------------

    def test_late_success_of_an_older_try_is_flagged_for_refund(self):
        # Reproduction: try 1's PaymentIntent was declined as far as we knew, try 2 charged the card and paid the
        # invoice, then Stripe delivers a late "succeeded" for try 1. Before: a second payment of 90.00 was
        # registered (180.00 received for a 90.00 invoice). Now: try 1 is "to refund" for 90.00, nothing registered.
        self._saved_card(CARD_OK)
        invoice = self._invoice(90.0)
        start = fields.Datetime.now().replace(microsecond=0)
        with freeze_time(start):
            self._collect()
        first = invoice.revcycle_payment_attempt_ids
        self.assertEqual(first.state, "succeeded", first.message)
        # make try 1 look like a decline we had recorded, and try 2 the one that paid: re-number them
        first.sudo().write({"sequence": 2})
        self.env.flush_all()
        older = self.Attempt.sudo().create({
            "invoice_id": invoice.id, "sequence": 1, "partner_id": self.customer.id, "company_id": self.company.id,
            "currency_id": invoice.currency_id.id, "amount": 90.0, "token_id": first.token_id.id,
            "provider_id": self.provider.id, "state": "failed", "failure_kind": "soft",
            "stripe_payment_intent": "pi_older_try", "date": start - timedelta(days=2)})
        event = self._event("payment_intent.succeeded", {"id": "pi_older_try", "object": "payment_intent",
                                                         "status": "succeeded", "amount": 9000,
                                                         "currency": invoice.currency_id.name.lower()})
        response = self._post(event)
        self.assertEqual((response.status_code, response.json()["result"]), (200, "applied"))
        self.assertEqual(older.state, "refund")
        self.assertEqual(older.refund_amount, 90.0)
        self.assertFalse(older.transaction_id)
        self.assertEqual(len(self._done_card_payments(invoice)), 1, "one payment: try 2's")
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(invoice.revcycle_autocollect_state, "paid")
        self.assertIn("nothing was registered", invoice.message_ids[:1].body)
        self.assertTrue(invoice.activity_ids.filtered(lambda act: "Refund" in (act.summary or "")))
        # the same success again (another event id): ignored, still one payment
        event["id"] += "_replayed"
        self.assertEqual(self._post(event).json()["result"], "ignored")
        self.assertEqual(len(self._done_card_payments(invoice)), 1)

    def test_success_after_a_payment_by_hand_is_flagged_for_refund(self):
        # The customer paid the 90.00 by bank transfer while try 1 was processing; its success then arrives.
        # Registering it would pay 180.00 for 90.00: the try is "to refund" for 90.00 and no card payment exists.
        invoice, attempt = self._processing_attempt()
        self._pay(invoice, 90.0)
        event = self._event("payment_intent.succeeded", {"id": "pi_webhook_test", "object": "payment_intent",
                                                         "status": "succeeded", "amount": 9000,
                                                         "currency": invoice.currency_id.name.lower()})
        self.assertEqual(self._post(event).json()["result"], "applied")
        self.assertEqual((attempt.state, attempt.refund_amount), ("refund", 90.0))
        self.assertFalse(self._done_card_payments(invoice))
        self.assertEqual(invoice.revcycle_autocollect_state, "paid")

    def test_success_after_a_partial_payment_by_hand_stops_for_review(self):
        # 40.00 paid by hand while the 90.00 try was processing: 50.00 is left, the card took 90.00. Registering
        # would overpay by 40.00, so nothing is registered, the try is "to refund" for 90.00 and card collection
        # stops (a person decides: refund 40.00 and apply 50.00, or refund it all).
        invoice, attempt = self._processing_attempt()
        self._pay(invoice, 40.0)
        event = self._event("payment_intent.succeeded", {"id": "pi_webhook_test", "object": "payment_intent",
                                                         "status": "succeeded", "amount": 9000,
                                                         "currency": invoice.currency_id.name.lower()})
        self.assertEqual(self._post(event).json()["result"], "applied")
        self.assertEqual(attempt.state, "refund")
        self.assertEqual(invoice.amount_residual, 50.0)
        self.assertEqual(invoice.revcycle_autocollect_state, "stopped")
        self.assertFalse(self._done_card_payments(invoice))


@tagged("post_install", "-at_install", "revcycle")
class TestStripeInstalments(StripeCollectionCommon):
    """Issue 18: an invoice in instalments is charged instalment by instalment, each when it falls due.

    Found (reproduced): the collection query read ``invoice_date_due``, which Odoo sets to the LAST instalment's date,
    and charged the whole residual: a 30/70 invoice of 1,000.00 was charged nothing when its 300.00 fell due, then
    1,000.00 at once 60 days later. The clock is frozen at 11:00 UTC on fixed days, the same date in any time zone
    the tests run in."""

    D0 = datetime(2026, 3, 2, 11, 0)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.thirty_seventy = cls.env["account.payment.term"].create({"name": "30/70", "line_ids": [
            Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 0}),
            Command.create({"value": "percent", "value_amount": 70.0, "nb_days": 60})]})

    def _on(self, days, minutes=0):
        return freeze_time(self.D0 + timedelta(days=days, minutes=minutes))

    def _instalment_invoice(self, terms=None, amount=1000.0):
        """A posted 1,000.00 invoice dated D0 in instalments (30 % due D0, 70 % due D0 + 60 days)."""
        invoice = self.init_invoice("out_invoice", partner=self.customer, invoice_date=self.D0.date(),
                                    amounts=[amount], taxes=[])
        invoice.invoice_payment_term_id = terms or self.thirty_seventy
        invoice.action_post()
        return invoice

    def _instalments(self, invoice):
        return invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable").sorted(
            "date_maturity")

    def _registered(self, invoice):
        return sum(self._done_card_payments(invoice).mapped("amount"))

    def _collect_on(self, days, minutes=0):
        with self._on(days, minutes):
            return self._collect()

    def test_instalments_charged_each_when_due(self):
        self._saved_card(CARD_OK)
        with self._on(0):
            invoice = self._instalment_invoice()
        first, second = self._instalments(invoice)
        # Odoo's own due date is the last instalment's: the query must not read it
        self.assertEqual(invoice.invoice_date_due, self.D0.date() + timedelta(days=60))
        self.assertEqual((first.date_maturity, first.amount_residual_currency), (self.D0.date(), 300.0))
        # day 0: 30 % of 1,000.00 = 300.00 falls due and is charged, the 700.00 is not (due on day 60)
        self.assertEqual(self._collect_on(0), 1)
        attempt = invoice.revcycle_payment_attempt_ids
        self.assertEqual((attempt.state, attempt.amount, attempt.instalment_ids), ("succeeded", 300.0, first),
                         attempt.message)
        intent = self.client.payment_intents.retrieve(attempt.stripe_payment_intent)
        self.assertEqual((intent.status, intent.amount), ("succeeded", 30000))
        self.assertIn(f"-{invoice.id}-{first.id}-1", attempt._revcycle_idempotency_key())
        # 1,000.00 - 300.00 = 700.00 left; not "paid by card": the next instalment is still to charge
        self.assertEqual(invoice.amount_residual, 700.0)
        self.assertFalse(invoice.revcycle_autocollect_state)
        self.assertEqual(self._registered(invoice), 300.0)
        # a second run the same day, and every day up to the day before the 70 % falls due: nothing
        self.assertEqual(self._collect_on(0, minutes=5), 0)
        self.assertEqual(self._collect_on(30), 0)
        self.assertEqual(self._collect_on(59), 0)
        self.assertEqual(len(invoice.revcycle_payment_attempt_ids), 1, "the 300.00 is charged exactly once")
        # day 60: the 70 % = 700.00, alone
        self.assertEqual(self._collect_on(60), 1)
        second_try = invoice.revcycle_payment_attempt_ids - attempt
        self.assertEqual((second_try.state, second_try.amount, second_try.instalment_ids, second_try.sequence),
                         ("succeeded", 700.0, second, 2), second_try.message)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(invoice.revcycle_autocollect_state, "paid")
        # 300.00 + 700.00 = 1,000.00 registered, the invoice's total and no more
        self.assertEqual(self._registered(invoice), 1000.0)
        self.assertEqual(self._collect_on(61), 0)

    def test_partial_payment_on_the_first_instalment(self):
        # 100.00 paid by transfer on day 0, before the first instalment falls due on day 10; Odoo applies it to the
        # earliest instalment: 30 % x 1,000.00 - 100.00 = 200.00 is charged on day 10, the 700.00 stays for day 70
        terms = self.env["account.payment.term"].create({"name": "30/70 from day 10", "line_ids": [
            Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 10}),
            Command.create({"value": "percent", "value_amount": 70.0, "nb_days": 70})]})
        self._saved_card(CARD_OK)
        with self._on(0):
            invoice = self._instalment_invoice(terms)
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids,
            ).create({"amount": 100.0, "payment_date": self.D0.date()})._create_payments()
        first, second = self._instalments(invoice)
        self.assertEqual((first.amount_residual_currency, second.amount_residual_currency), (200.0, 700.0))
        self.assertEqual(self._collect_on(9), 0, "not due yet")
        self.assertEqual(self._collect_on(10), 1)
        attempt = invoice.revcycle_payment_attempt_ids
        self.assertEqual((attempt.state, attempt.amount, attempt.instalment_ids), ("succeeded", 200.0, first),
                         attempt.message)
        # 1,000.00 - 100.00 by hand - 200.00 by card = 700.00, the second instalment whole
        self.assertEqual(invoice.amount_residual, 700.0)
        self.assertTrue(first.reconciled)
        self.assertEqual(self._collect_on(10, minutes=5), 0)

    def test_decline_then_retry_charges_an_instalment_once(self):
        declined = self._saved_card(CARD_DECLINED)
        with self._on(0):
            invoice = self._instalment_invoice()
        first, second = self._instalments(invoice)
        # day 0: the 300.00 is declined, retried 2 days later (the soft decline schedule)
        self._collect_on(0)
        try_1 = invoice.revcycle_payment_attempt_ids
        self.assertEqual((try_1.state, try_1.amount, try_1.instalment_ids), ("failed", 300.0, first))
        self.assertEqual(invoice.revcycle_autocollect_state, "retrying")
        # the customer saves a working card; day 2: the retry charges the same 300.00, and it goes through
        good = self._saved_card(CARD_OK)
        self.assertEqual(self._collect_on(1), 0, "not before the next slot")
        self.assertEqual(self._collect_on(2, minutes=1), 1)
        try_2 = invoice.revcycle_payment_attempt_ids - try_1
        self.assertEqual((try_2.state, try_2.amount, try_2.instalment_ids), ("succeeded", 300.0, first),
                         try_2.message)
        self.assertNotEqual(try_1._revcycle_idempotency_key(), try_2._revcycle_idempotency_key())
        self.assertFalse(invoice.revcycle_autocollect_state, "no retry left for a paid instalment")
        self.assertEqual(self._collect_on(4, minutes=1), 0, "the retry slot after a success charges nothing")
        # Stripe then reports try 1 as succeeded after all: its instalment was paid by try 2, so nothing is
        # registered (300.00 to refund), and the 700.00 is still collected on its date
        if not try_1.stripe_payment_intent:
            try_1.sudo().stripe_payment_intent = f"pi_declined_{try_1.id}"  # sudo: the scene, as Stripe left it
        self.env["revcycle.stripe.event"].sudo()._revcycle_receive({  # sudo: as the webhook route receives it
            "id": f"evt_{try_1.id}_late", "object": "event", "type": "payment_intent.succeeded",
            "api_version": "2024-06-20", "created": int(time.time()),
            "data": {"object": {"id": try_1.stripe_payment_intent, "object": "payment_intent",
                                "status": "succeeded", "amount": 30000,
                                "currency": invoice.currency_id.name.lower()}}})
        self.assertEqual((try_1.state, try_1.refund_amount), ("refund", 300.0))
        self.assertEqual(self._registered(invoice), 300.0, "the first instalment paid once")
        self.assertFalse(invoice.revcycle_autocollect_state, "collection of the next instalment goes on")
        # day 60 on the declining card: the 700.00 is declined and retried on its own schedule from day 60 (not
        # stopped by the first instalment's tries of day 0, more than the 14-day window ago)
        good.active = False
        self._collect_on(60)
        try_3 = invoice.revcycle_payment_attempt_ids.sorted("sequence")[-1]
        self.assertEqual((try_3.state, try_3.amount, try_3.instalment_ids), ("failed", 700.0, second))
        self.assertEqual(invoice.revcycle_autocollect_state, "retrying")
        self.assertEqual(invoice.revcycle_autocollect_next, self.D0 + timedelta(days=62))
        # day 62 on a working card again: the 700.00 once; 300.00 + 700.00 = 1,000.00 registered in all
        good.active = True
        declined.active = False
        self.assertEqual(self._collect_on(62, minutes=1), 1)
        try_4 = invoice.revcycle_payment_attempt_ids.sorted("sequence")[-1]
        self.assertEqual((try_4.state, try_4.amount, try_4.instalment_ids), ("succeeded", 700.0, second),
                         try_4.message)
        self.assertEqual(self._registered(invoice), 1000.0)
        self.assertEqual(invoice.revcycle_autocollect_state, "paid")

    def test_instalment_in_the_invoice_currency(self):
        # 1,000.00 EUR on 30/70 terms for a USD company, 2 EUR per USD: the first instalment is 300.00 EUR (150.00
        # USD in the books); the card is charged 300.00 EUR (30,000 cents, "eur"), never the USD figure
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        self._saved_card(CARD_OK)
        with self._on(0):
            invoice = self.init_invoice("out_invoice", partner=self.customer, invoice_date=self.D0.date(),
                                        amounts=[1000.0], taxes=[], currency=eur)
            invoice.invoice_payment_term_id = self.thirty_seventy
            invoice.action_post()
        first = self._instalments(invoice)[0]
        self.assertEqual((first.amount_residual_currency, first.amount_residual), (300.0, 150.0))
        self.assertEqual(self._collect_on(0), 1)
        attempt = invoice.revcycle_payment_attempt_ids
        self.assertEqual((attempt.state, attempt.amount, attempt.currency_id), ("succeeded", 300.0, eur),
                         attempt.message)
        intent = self.client.payment_intents.retrieve(attempt.stripe_payment_intent)
        self.assertEqual((intent.amount, intent.currency), (30000, "eur"))
        # 1,000.00 - 300.00 = 700.00 EUR left, the second instalment
        self.assertEqual(invoice.amount_residual, 700.0)
        self.assertTrue(first.reconciled)
