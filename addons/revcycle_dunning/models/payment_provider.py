import stripe
from odoo import fields, models
from odoo.exceptions import UserError

API_BASE_PARAM = "revcycle_dunning.stripe_api_base"


def stripe_to_dict(obj):
    """A plain dict of a library object (a dict subclass in older releases, not in newer ones)."""
    if obj is None or (isinstance(obj, dict) and type(obj) is dict):
        return obj or {}
    for method in ("to_dict_recursive", "to_dict"):
        convert = getattr(obj, method, None)
        if callable(convert):
            return convert()
    return dict(obj)


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    revcycle_webhook_secret = fields.Char(
        string="Collection Webhook Secret", groups="base.group_system", copy=False,
        help="Signing secret of the Stripe endpoint /revcycle/stripe/webhook; empty uses the provider's webhook "
        "signing secret.")

    def _revcycle_stripe_client(self):
        """A client of the official library with this provider's secret key.

        The API address is Stripe's unless the system parameter revcycle_dunning.stripe_api_base says otherwise
        (tests point it at a local fake server); a client per call keeps that out of the library's globals.
        """
        self.ensure_one()
        if not self.stripe_secret_key:
            raise UserError(self.env._(
                "The Stripe provider %(provider)s has no secret key: enter it in its Credentials tab.",
                provider=self.name))
        options = {"max_network_retries": 0}
        api_base = self.env["ir.config_parameter"].sudo().get_param(API_BASE_PARAM)
        if api_base:
            options["base_addresses"] = {"api": api_base}
        client = stripe.StripeClient(self.stripe_secret_key, **options)
        # newer releases of the library move the services under client.v1; older ones only have them on the client
        return getattr(client, "v1", client)

    def _revcycle_webhook_secrets(self):
        providers = self.sudo().search([("code", "=", "stripe"), ("state", "in", ("enabled", "test"))])
        return [secret for secret in (p.revcycle_webhook_secret or p.stripe_webhook_secret for p in providers)
                if secret]
