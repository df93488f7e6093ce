from odoo import http
from odoo.addons.payment import utils as payment_utils
from odoo.addons.revcycle_cpq.controllers.portal import RevcycleContractSelfService
from odoo.http import request
from odoo.tools import html_escape


class RevcycleContractCardPortal(RevcycleContractSelfService):
    """"Update the saved card" on the customer's contract page: Odoo's payment form in validation mode (the card is
    tokenised by Stripe, nothing is charged), landing back on the contract, which records the new card. Automatic
    collection charges the customer's newest saved Stripe card, so the new card is the one charged from then on.
    Another customer's contract answers 404, a transaction that is not this customer's saved card 400, never 500."""

    @http.route(["/my/contracts/<int:contract_id>/card"], type="http", auth="user", methods=["GET"], website=True)
    def portal_contract_card(self, contract_id, **kwargs):
        contract = self._revcycle_own_contract(contract_id)
        if not contract:
            return request.not_found()
        partner = request.env.user.partner_id
        company = contract.sudo().company_id  # sudo: the contract's company, the customer owns the contract
        # sudo: the providers, payment methods and tokens of the payment form are read as Odoo's own
        # /my/payment_method does, for the customer's partner only
        providers = request.env["payment.provider"].sudo()._get_compatible_providers(  # sudo: see above
            company.id, partner.id, 0.0, force_tokenization=True, is_validation=True
        ).filtered(lambda provider: provider.code == "stripe")
        methods = request.env["payment.method"].sudo()._get_compatible_payment_methods(  # sudo: see above
            providers.ids, partner.id, force_tokenization=True
        )
        tokens = request.env["payment.token"].sudo()._get_available_tokens(  # sudo: see above
            None, partner.id, is_validation=True
        ).filtered(lambda token: token.provider_id in providers)
        values = {
            "mode": "validation",
            "allow_token_selection": False,
            "allow_token_deletion": False,
            "reference_prefix": payment_utils.singularize_reference_prefix(prefix="V"),
            "partner_id": partner.id,
            "providers_sudo": providers,
            "payment_methods_sudo": methods,
            "tokens_sudo": tokens,
            "availability_report": {},
            "transaction_route": "/payment/transaction",
            "landing_route": f"/my/contracts/{contract.id}/card/saved",
            "access_token": payment_utils.generate_access_token(partner.id, None, None),
            "contract": contract,
            "page_name": "revcycle_contract",
        }
        return request.render("revcycle_cpq_dunning.portal_contract_card", values)

    @http.route(
        ["/my/contracts/<int:contract_id>/card/saved"], type="http", auth="user", methods=["GET"], website=True
    )
    def portal_contract_card_saved(self, contract_id, tx_id=None, access_token=None, **kwargs):
        """The landing route of the card's validation transaction: the new card becomes the contract's."""
        contract = self._revcycle_own_contract(contract_id)
        if not contract:
            return request.not_found()
        transaction = request.env["payment.transaction"].sudo().browse(  # sudo: checked against the token next
            self._cast_as_int(tx_id) or 0
        ).exists()
        partner = request.env.user.partner_id
        if (
            not transaction
            or not payment_utils.check_access_token(
                access_token, transaction.partner_id.id, transaction.amount, transaction.currency_id.id
            )
            or transaction.partner_id.commercial_partner_id != partner.commercial_partner_id
        ):
            return request.not_found()  # no information about other transactions
        token = transaction.token_id
        if (
            transaction.operation != "validation"
            or transaction.state != "done"
            or not token.active
            or transaction.provider_code != "stripe"
        ):
            return request.make_response(
                html_escape(request.env._("Your card is not saved yet: try again, or contact us.")),
                status=400,
                headers=[("Content-Type", "text/plain; charset=utf-8")],
            )
        # sudo: the customer owns the contract and the card (both checked above); the contract records it
        contract.sudo()._revcycle_set_payment_token(token, author=partner)  # sudo: see above
        return request.redirect(f"/my/contracts/{contract.id}?card=saved")
