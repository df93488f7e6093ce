from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools import consteq


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
        customer = contract.sudo().partner_id.commercial_partner_id
        with_token = bool(access_token) and consteq(contract.sudo().access_token or "", access_token)
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
