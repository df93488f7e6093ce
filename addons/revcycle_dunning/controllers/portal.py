from odoo import http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request
from odoo.tools import consteq, html_escape


class RevcyclePaymentPlanPortal(http.Controller):
    """The customer sees a proposed payment plan and accepts it: by the link sent to them (its token), or logged
    in as the plan's customer. Anyone else, a draft plan or an unknown id answers 404; a refused acceptance 400 with
    the reason; never 500."""

    def _revcycle_plan(self, plan_id, access_token):
        # sudo: the plan is shown only when the link's token or the logged-in customer is the plan's, checked here
        plan = request.env["revcycle.payment.plan"].sudo().browse(plan_id).exists()  # sudo: owner checked below
        if not plan or plan.state == "draft":
            return None
        with_token = bool(access_token) and bool(plan.access_token) and consteq(plan.access_token, access_token)
        user = request.env.user
        own = not user._is_public() and user.commercial_partner_id == plan.partner_id.commercial_partner_id
        return plan if with_token or own else None

    @http.route("/my/payment_plans/<int:plan_id>", type="http", auth="public", methods=["GET"], website=True)
    def revcycle_portal_payment_plan(self, plan_id, access_token=None, message=None, **kwargs):
        plan = self._revcycle_plan(plan_id, access_token)
        if not plan:
            return request.not_found()
        messages = {"accepted": request.env._("Thank you: the plan is accepted. Please pay on each date.")}
        return request.render("revcycle_dunning.portal_payment_plan", {
            "plan": plan, "access_token": access_token or "", "message": messages.get(message),
            "page_name": "revcycle_payment_plan"})

    @http.route("/my/payment_plans/<int:plan_id>/accept", type="http", auth="public", methods=["POST"],
                website=True)
    def revcycle_portal_payment_plan_accept(self, plan_id, access_token=None, **kwargs):
        plan = self._revcycle_plan(plan_id, access_token)
        if not plan:
            return request.not_found()
        customer = request.env.user.commercial_partner_id if not request.env.user._is_public() else plan.partner_id
        try:
            with request.env.cr.savepoint():
                plan._revcycle_accept_by_customer(customer)
        except (UserError, ValidationError, AccessError) as error:
            return request.make_response(
                html_escape(str(error.args[0] if error.args else error)), status=400,
                headers=[("Content-Type", "text/plain; charset=utf-8")])
        token = f"&access_token={access_token}" if access_token else ""
        return request.redirect(f"/my/payment_plans/{plan.id}?message=accepted{token}")


class RevcycleShortPaymentLink(http.Controller):
    @http.route("/pay/<string:token>", type="http", auth="public", methods=["GET"])
    def revcycle_short_payment_link(self, token, **kwargs):
        """A letter's short payment link: to the invoice's payment page, or 404 for any token that is not one."""
        url = request.env["account.move"]._revcycle_portal_url_for_pay_token(token)
        if not url:
            return request.not_found()
        return request.redirect(url, code=303, local=True)
