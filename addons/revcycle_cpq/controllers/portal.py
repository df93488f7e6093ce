from odoo import fields, http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import consteq, html_escape


class RevcycleContractPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "revcycle_contract_count" in counters:
            Contract = request.env["revcycle.contract"]
            values["revcycle_contract_count"] = (
                Contract.search_count(self._revcycle_my_contracts_domain()) if Contract.has_access("read") else 0
            )
        return values

    def _revcycle_my_contracts_domain(self):
        """The portal's contracts are the user's own as a customer, for internal users too."""
        return [("partner_id", "child_of", request.env.user.commercial_partner_id.ids)]

    @http.route(["/my/contracts", "/my/contracts/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_contracts(self, page=1, **kwargs):
        # Record rules limit a portal user to their own commercial partner's contracts.
        Contract = request.env["revcycle.contract"]
        if not Contract.has_access("read"):
            return request.redirect("/my")
        domain = self._revcycle_my_contracts_domain()
        total = Contract.search_count(domain)
        pager = portal_pager(url="/my/contracts", total=total, page=page, step=self._items_per_page)
        contracts = Contract.search(domain, order="date_start desc", limit=self._items_per_page, offset=pager["offset"])
        values = self._prepare_portal_layout_values()
        values.update(
            {"contracts": contracts, "pager": pager, "page_name": "revcycle_contracts", "default_url": "/my/contracts"}
        )
        return request.render("revcycle_cpq.portal_my_contracts", values)

    @http.route(["/my/contracts/<int:contract_id>"], type="http", auth="public", website=True)
    def portal_my_contract(self, contract_id, access_token=None, **kwargs):
        try:
            contract = self._document_check_access("revcycle.contract", contract_id, access_token=access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        # the customer portal shows a contract to its customer (or to whoever holds its shared link), not to an
        # internal user who may read it in the back office
        customer = contract.sudo().partner_id.commercial_partner_id  # sudo: its customer, checked next
        token = contract.sudo().access_token or ""  # sudo: compared with the link's token, never shown
        with_token = bool(access_token) and consteq(token, access_token)
        if not with_token and customer != request.env.user.commercial_partner_id:
            return request.redirect("/my")
        values = self._get_page_view_values(
            contract,
            access_token,
            {"contract": contract, "page_name": "revcycle_contract"},
            "my_contracts_history",
            False,
        )
        return request.render("revcycle_cpq.portal_my_contract", values)


class _PreviewOnly(Exception):
    """Raised with the preview page, so the savepoint takes back the draft amendment that computed it."""

    def __init__(self, response):
        super().__init__("preview")
        self.response = response


class RevcycleContractSelfService(RevcycleContractPortal):
    """Customer self-service on a contract: quantity, plan, pause, cancellation at the end of the term. Each goes
    through the contract's own actions (amendment preview then apply, pause, terminate) and their checks, and is
    logged in the contract's chatter with the customer as author. Another customer's contract answers 404; refused
    input 400 with the message; never 500."""

    def _revcycle_own_contract(self, contract_id):
        """The contract when it is the portal user's own (as a customer), else None."""
        contract = request.env["revcycle.contract"].browse(contract_id).exists()
        if not contract or not contract.has_access("read"):
            return None
        customer = contract.sudo().partner_id.commercial_partner_id  # sudo: its customer, checked next
        if customer != request.env.user.commercial_partner_id:
            return None
        return contract

    def _revcycle_self_service(self, contract_id, run):
        contract = self._revcycle_own_contract(contract_id)
        if not contract:
            return request.not_found()
        try:
            with request.env.cr.savepoint():
                # sudo: the customer owns the contract (checked above); the contract actions check the rest
                return run(contract.sudo())  # sudo: owner checked above
        except _PreviewOnly as preview:
            return preview.response
        except (UserError, ValidationError, AccessError) as error:
            return request.make_response(
                html_escape(str(error.args[0] if error.args else error)),
                status=400,
                headers=[("Content-Type", "text/plain; charset=utf-8")],
            )

    @staticmethod
    def _revcycle_int(value):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValidationError(request.env._("Give a whole number, not %(value)r.", value=value)) from None

    def _revcycle_log(self, contract, message):
        contract.message_post(body=message, author_id=request.env.user.partner_id.id)

    def _revcycle_self_service_line(self, contract, line_id):
        line = contract.line_ids.filtered(lambda line: line.id == self._revcycle_int(line_id))
        if not line or not line.product_id.revcycle_portal_self_service:
            raise UserError(request.env._("This subscription cannot be changed in the portal: contact us."))
        return line

    @http.route(["/my/contracts/<int:contract_id>/amend"], type="http", auth="user", methods=["POST"], website=True)
    def portal_contract_amend(self, contract_id, line_id=None, quantity=None, product_id=None, confirm=None, **kw):
        """Change the quantity of a line or move it to another self-service plan: without ``confirm`` the preview
        (the prorated amount) is shown, with it the amendment previewed is applied."""

        def run(contract):
            line = self._revcycle_self_service_line(contract, line_id)
            vals = {"line_id": line.id, "effective_date": fields.Date.context_today(contract)}
            if product_id:
                Product = request.env["product.product"].sudo()  # sudo: the amendment checks the plan
                plan = Product.browse(self._revcycle_int(product_id)).exists()
                if not plan or not plan.revcycle_portal_self_service:
                    raise UserError(request.env._("This plan is not offered in the portal: choose another."))
                vals.update(kind="plan", product_id=plan.id, price_unit=plan.lst_price)
            else:
                vals.update(kind="quantity", quantity=float(self._revcycle_int(quantity)))
            preview = contract.action_amend(vals)
            Amendment = request.env["revcycle.contract.amendment"].sudo()  # sudo: the caller's own preview
            amendment = Amendment.browse(preview["amendment_id"])
            if not confirm:
                raise _PreviewOnly(
                    request.render(
                        "revcycle_cpq.portal_contract_amend_preview",
                        {
                            "contract": contract,
                            "line": line,
                            "preview": preview,
                            "vals": vals,
                            "quantity": quantity,
                            "product_id": product_id,
                        },
                    )
                )
            applied = amendment.action_apply()
            self._revcycle_log(
                contract,
                request.env._(
                    "Changed by the customer in the portal: MRR %(before)s → %(after)s, prorated %(amount)s "
                    "%(currency)s.",
                    before=applied["mrr_before"],
                    after=applied["mrr_after"],
                    amount=applied["proration_amount"],
                    currency=applied["currency"],
                ),
            )
            return request.redirect(f"/my/contracts/{contract.id}?self_service=done")

        return self._revcycle_self_service(contract_id, run)

    @http.route(["/my/contracts/<int:contract_id>/pause"], type="http", auth="user", methods=["POST"], website=True)
    def portal_contract_pause(self, contract_id, date_from=None, date_to=None, **kw):
        def run(contract):
            if not any(contract.line_ids.product_id.mapped("revcycle_portal_self_service")):
                raise UserError(request.env._("This subscription cannot be paused in the portal: contact us."))
            contract.action_pause(date_from, date_to)
            self._revcycle_log(
                contract,
                request.env._(
                    "Paused by the customer in the portal from %(start)s to %(end)s.", start=date_from, end=date_to
                ),
            )
            return request.redirect(f"/my/contracts/{contract.id}?self_service=done")

        return self._revcycle_self_service(contract_id, run)

    @http.route(["/my/contracts/<int:contract_id>/cancel"], type="http", auth="user", methods=["POST"], website=True)
    def portal_contract_cancel(self, contract_id, reason=None, **kw):
        """Cancel at the end of the term, with a reason: the contract is terminated on its end date (within the
        notice period only, as the back office would)."""

        def run(contract):
            if not any(contract.line_ids.product_id.mapped("revcycle_portal_self_service")):
                raise UserError(request.env._("This subscription cannot be cancelled in the portal: contact us."))
            if not (reason or "").strip():
                raise ValidationError(request.env._("Tell us why you cancel (reason)."))
            if not contract.date_end:
                raise UserError(request.env._("This contract has no end of term: contact us to end it."))
            contract.action_terminate(contract.date_end, reason)
            self._revcycle_log(
                contract, request.env._("Cancelled by the customer in the portal at the end of the term.")
            )
            return request.redirect(f"/my/contracts/{contract.id}?self_service=done")

        return self._revcycle_self_service(contract_id, run)
