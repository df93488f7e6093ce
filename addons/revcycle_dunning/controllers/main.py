import logging

import stripe
from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class RevcycleStripeWebhook(http.Controller):
    @http.route("/revcycle/stripe/webhook", type="http", auth="public", methods=["POST"], csrf=False)
    def revcycle_stripe_webhook(self):
        payload = request.httprequest.get_data()
        signature = request.httprequest.headers.get("Stripe-Signature")
        # public route: nothing is read or written before Stripe's signature is verified; after that, the
        # event speaks for Stripe and is applied as the system
        Event = request.env["revcycle.stripe.event"].sudo()
        try:
            event = Event._revcycle_verify(payload, signature)
        except stripe.SignatureVerificationError as error:
            _logger.warning("Refused a Stripe webhook call: %s", error)
            return request.make_json_response({"error": "invalid signature"}, status=400)
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            _logger.warning("Refused a Stripe webhook call that is not an event: %s", error)
            return request.make_json_response({"error": "malformed event"}, status=400)
        try:
            with request.env.cr.savepoint():
                result = Event._revcycle_receive(event, payload.decode("utf-8", "replace"))
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            # signed by Stripe but not an event this route can use: 400 so it is not retried for days as a 500 is
            _logger.warning("Refused a malformed Stripe event: %s", error)
            return request.make_json_response({"error": f"malformed event: {error}"}, status=400)
        return request.make_json_response({"received": True, "result": result})
