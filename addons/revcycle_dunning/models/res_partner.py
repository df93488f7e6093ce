import operator as py_operator

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, format_amount

from ..engine import credit as credit_engine

CREDIT_GROUPS = "account.group_account_invoice,account.group_account_readonly"
PROFILE_DEPENDS = ("exposure", "over_limit", "hold", "hold_reason", "score", "risk_class", "overdue_amount",
                   "oldest_overdue_date")
OPERATORS = {
    "=": py_operator.eq, "!=": py_operator.ne, "<": py_operator.lt, "<=": py_operator.le, ">": py_operator.gt,
    ">=": py_operator.ge, "in": lambda value, values: value in values,
    "not in": lambda value, values: value not in values,
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    revcycle_credit_profile_ids = fields.One2many(
        "revcycle.credit.profile", "partner_id", string="Credit Profiles", groups=CREDIT_GROUPS)
    revcycle_credit_exposure = fields.Monetary(
        string="Credit Exposure", compute="_compute_revcycle_credit", search="_search_revcycle_credit_exposure",
        currency_field="currency_id", groups=CREDIT_GROUPS,
        help="Open receivables, unpaid invoices, orders not invoiced and draft invoices, in the company currency "
        "(the parts switched on in Settings).")
    revcycle_credit_limit_display = fields.Char(
        string="Credit Limit Shown", compute="_compute_revcycle_credit_limit_display", groups=CREDIT_GROUPS,
        help="The customer's credit limit in this company; 'No limit' when none is set.")
    revcycle_credit_over_limit = fields.Boolean(
        string="Over Credit Limit", compute="_compute_revcycle_credit", search="_search_revcycle_credit_over_limit",
        groups=CREDIT_GROUPS)
    revcycle_credit_hold = fields.Boolean(
        string="Credit Hold", compute="_compute_revcycle_credit", inverse="_inverse_revcycle_credit_hold",
        search="_search_revcycle_credit_hold", groups="base.group_user",
        help="New orders of a customer on hold are refused. Set by a credit manager or by a dunning level.")
    revcycle_credit_hold_reason = fields.Char(
        string="Credit Hold Reason", compute="_compute_revcycle_credit", groups="base.group_user")
    revcycle_credit_score = fields.Integer(
        string="Credit Score", compute="_compute_revcycle_credit", search="_search_revcycle_credit_score",
        groups=CREDIT_GROUPS, help="0 to 100 from payment behaviour; 100 is the best payer.")
    revcycle_risk_class = fields.Selection(
        selection=[*((code, code) for code in credit_engine.RISK_CLASSES), (credit_engine.UNRATED, "Unrated")],
        string="Risk Class",
        compute="_compute_revcycle_credit", search="_search_revcycle_risk_class", groups=CREDIT_GROUPS)
    revcycle_credit_overdue_amount = fields.Monetary(
        string="Overdue Amount", compute="_compute_revcycle_credit", currency_field="currency_id",
        groups=CREDIT_GROUPS)
    revcycle_credit_oldest_overdue_date = fields.Date(
        string="Oldest Overdue Due Date", compute="_compute_revcycle_credit", groups=CREDIT_GROUPS)

    revcycle_dunning_policy_id = fields.Many2one(
        "revcycle.dunning.policy", string="Dunning Policy",
        help="Empty follows the company's default policy. A policy of another company is ignored there.")
    revcycle_dunning_notice_ids = fields.One2many(
        "revcycle.dunning.notice", "partner_id", string="Dunning Notices", readonly=True,
        groups="revcycle_dunning.group_revcycle_dunning_user")
    revcycle_payment_attempt_ids = fields.One2many(
        "revcycle.payment.attempt", "partner_id", string="Card Payment Attempts", readonly=True,
        groups="revcycle_dunning.group_revcycle_dunning_user")
    revcycle_open_invoice_ids = fields.Many2many(
        "account.move", string="Open Invoices", compute="_compute_revcycle_open_invoice_ids",
        groups="revcycle_dunning.group_revcycle_dunning_user",
        help="The customer's posted invoices still to be paid, with their dunning level.")
    revcycle_dunning_excluded = fields.Boolean(
        string="No Dunning", help="Never send this customer dunning notices (late fees and holds included).")
    revcycle_dunning_dispute = fields.Boolean(
        string="In Dispute", tracking=True, help="Pauses dunning of all the customer's invoices until cleared.")
    revcycle_promise_date = fields.Date(
        string="Promised to Pay By", tracking=True,
        help="Pauses dunning of all the customer's invoices up to and including this date.")
    revcycle_dunning_notice_ids = fields.One2many("revcycle.dunning.notice", "partner_id", string="Dunning Notices")

    @api.depends_context("company")
    @api.depends("commercial_partner_id", *(f"commercial_partner_id.revcycle_credit_profile_ids.{name}"
                                            for name in PROFILE_DEPENDS))
    def _compute_revcycle_credit(self):
        profiles = self._revcycle_current_profiles()
        for partner in self:
            profile = profiles.get(partner.commercial_partner_id.id)
            partner.revcycle_credit_exposure = profile.exposure if profile else 0.0
            partner.revcycle_credit_over_limit = profile.over_limit if profile else False
            partner.revcycle_credit_hold = profile.hold if profile else False
            partner.revcycle_credit_hold_reason = profile.hold_reason if profile else False
            partner.revcycle_credit_score = profile.score if profile else 0
            partner.revcycle_risk_class = profile.risk_class if profile else credit_engine.UNRATED
            partner.revcycle_credit_overdue_amount = profile.overdue_amount if profile else 0.0
            partner.revcycle_credit_oldest_overdue_date = profile.oldest_overdue_date if profile else False

    @api.depends_context("company")
    @api.depends("credit_limit")
    def _compute_revcycle_credit_limit_display(self):
        currency = self.env.company.currency_id
        for partner in self:
            limit = partner.commercial_partner_id.credit_limit
            partner.revcycle_credit_limit_display = (
                format_amount(self.env, limit, currency) if currency.compare_amounts(limit, 0.0) > 0
                else self.env._("No limit"))

    def _revcycle_current_profiles(self):
        """{commercial partner id: profile} in the current company; the fields' groups guard what is shown."""
        profiles = self.env["revcycle.credit.profile"].sudo().search([
            ("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)])
        return {profile.partner_id.id: profile for profile in profiles}

    def _inverse_revcycle_credit_hold(self):
        self.env["revcycle.access"]._revcycle_require_credit_manager()
        to_hold = self.filtered("revcycle_credit_hold")
        if to_hold:
            to_hold.action_revcycle_credit_hold(self.env._("set by hand by %(user)s", user=self.env.user.name))
        if self - to_hold:
            (self - to_hold).action_revcycle_credit_release(
                self.env._("lifted by hand by %(user)s", user=self.env.user.name))

    def _revcycle_search_profiles(self, fname, operator, value):
        """Partners whose profile in the current company matches; a partner without a profile counts as all
        zeros, so that 'not on hold' or 'exposure below 1000' also finds the customers never measured."""
        if operator not in OPERATORS:
            raise UserError(self.env._(
                "Searching credit fields supports the operators %(operators)s, not %(operator)s.",
                operators=", ".join(OPERATORS), operator=operator))
        Profile = self.env["revcycle.credit.profile"].sudo()
        company_domain = [("company_id", "=", self.env.company.id)]
        default = Profile._fields[fname].convert_to_record(False, Profile)
        if OPERATORS[operator](default, value):
            others = Profile._search(company_domain + ["!", (fname, operator, value)])
            return [("commercial_partner_id", "not in", others.subselect("partner_id"))]
        matching = Profile._search(company_domain + [(fname, operator, value)])
        return [("commercial_partner_id", "in", matching.subselect("partner_id"))]

    def _search_revcycle_credit_exposure(self, operator, value):
        return self._revcycle_search_profiles("exposure", operator, value)

    def _search_revcycle_credit_over_limit(self, operator, value):
        return self._revcycle_search_profiles("over_limit", operator, value)

    def _search_revcycle_credit_hold(self, operator, value):
        return self._revcycle_search_profiles("hold", operator, value)

    def _search_revcycle_credit_score(self, operator, value):
        return self._revcycle_search_profiles("score", operator, value)

    def _search_revcycle_risk_class(self, operator, value):
        return self._revcycle_search_profiles("risk_class", operator, value)

    @api.constrains("credit_limit")
    def _check_revcycle_credit_limit(self):
        for partner in self.sudo():
            if float_compare(partner.credit_limit, 0.0, precision_digits=2) < 0:
                raise ValidationError(self.env._(
                    "The credit limit of %(partner)s cannot be negative (%(limit)s): enter 0 for no limit, or the "
                    "amount the customer may owe.", partner=partner.display_name, limit=partner.credit_limit))

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "revcycle_dunning_policy_id", "revcycle_dunning_excluded", "revcycle_dunning_dispute",
            "revcycle_promise_date"]

    @api.model_create_multi
    def create(self, vals_list):
        # the limit that counts is the commercial entity's; contacts receive theirs by Odoo's commercial sync
        if any(vals.get("credit_limit") and not vals.get("parent_id") for vals in vals_list):
            self.env["revcycle.access"]._revcycle_require_credit_limit_editor()
        return super().create(vals_list)

    def write(self, vals):
        before = {}
        if "credit_limit" in vals or "use_partner_credit_limit" in vals:
            # sudo: the current limit is read to see whether it changes; only a credit manager may change it on a
            # commercial entity (its contacts receive it by Odoo's commercial sync, which changes no decision)
            before = {partner.id: partner.sudo().credit_limit for partner in self  # sudo: read only, see above
                      if partner.commercial_partner_id == partner and "parent_id" not in vals}
            new_limit = self.env["revcycle.access"]._revcycle_number(
                vals.get("credit_limit"), "Credit Limit (credit_limit)", required=False, text=True)
            changes = any(float_compare(limit, new_limit, precision_digits=2) for limit in before.values())
            if ("credit_limit" in vals and changes) or ("use_partner_credit_limit" in vals and before):
                self.env["revcycle.access"]._revcycle_require_credit_limit_editor()
        result = super().write(vals)
        if before:
            for partner in self.filtered(lambda partner: partner.id in before):
                previous, current = before[partner.id], partner.sudo().credit_limit  # sudo: read only
                if float_compare(previous, current, precision_digits=2):
                    partner._revcycle_log_credit_decision(self.env._(
                        "Credit limit in %(company)s changed from %(before)s to %(after)s by %(user)s.",
                        company=self.env.company.name, before=previous, after=current, user=self.env.user.name))
        if "credit_limit" in vals:
            self.env["revcycle.credit.profile"]._revcycle_mark_dirty(
                (partner.id, self.env.company.id) for partner in self.commercial_partner_id)
        return result

    def revcycle_check_credit(self, amount=0.0):
        """May this customer take on ``amount`` more (company currency) in the current company?

        Returns a dict: allowed, exposure, limit, reason (text, empty when allowed), reason_code
        ('hold', 'overdue', 'limit' or False), and the figures behind the decision.
        """
        self.ensure_one()
        if not (self.env.su or self.env.user._is_internal()):
            raise AccessError(self.env._("Only internal users can check a customer's credit."))
        self.check_access("read")
        amount = self.env["revcycle.access"]._revcycle_number(
            amount, self.env._("The amount to check"), required=False)
        decision = self._revcycle_credit_decision(amount)
        if not self.env["revcycle.access"]._revcycle_is_credit_reader():
            # exposure, score and overdue figures are for collections and accounting: others learn the answer only
            decision = {key: decision[key] for key in ("allowed", "reason_code", "reason", "partner")}
        return decision

    def _revcycle_credit_decision(self, amount):
        """The decision on current figures: the stored profile, measured again first when it may be stale."""
        self.ensure_one()
        Profile = self.env["revcycle.credit.profile"].sudo()
        pair = (self.commercial_partner_id.id, self.env.company.id)
        # found and read in one query; created on the first decision about a customer
        profile = Profile.search_fetch(
            [("partner_id", "=", pair[0]), ("company_id", "=", pair[1])], Profile._revcycle_decision_fields(),
            limit=1) or Profile._revcycle_ensure({pair})
        if profile._revcycle_is_stale():
            profile._revcycle_refresh()
        return profile._revcycle_decide(amount)

    def _compute_revcycle_open_invoice_ids(self):
        for partner in self:
            partner.revcycle_open_invoice_ids = self.env["account.move"].search([
                ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial"))], order="invoice_date_due")

    def action_revcycle_credit_hold(self, reason, release_on_payment=False):
        """Put the customers on credit hold in the current company (credit managers)."""
        self.env["revcycle.access"]._revcycle_require_credit_manager()
        reason = self.env["revcycle.access"]._revcycle_text(reason, "reason")
        if not reason:
            raise ValidationError(self.env._("Say why the customer goes on credit hold: a reason is required."))
        self._revcycle_company_profiles()._revcycle_set_hold(reason.strip(), "manual", bool(release_on_payment))
        return True

    def action_revcycle_credit_release(self, reason=""):
        """Lift the credit hold in the current company (credit managers)."""
        self.env["revcycle.access"]._revcycle_require_credit_manager()
        reason = self.env["revcycle.access"]._revcycle_text(reason, "reason") or self.env._(
            "lifted by %(user)s", user=self.env.user.name)
        self._revcycle_company_profiles()._revcycle_release_hold(reason)
        return True

    def _revcycle_company_profiles(self):
        pairs = {(partner.id, self.env.company.id) for partner in self.commercial_partner_id}
        return self.env["revcycle.credit.profile"].sudo()._revcycle_ensure(pairs)

    def _revcycle_log_credit_decision(self, body):
        """Credit decisions go to the customer's chatter whoever triggered them (a salesperson's order, a dunning
        run, a payment that lifts a hold): the author stays the current user, the text names the approver."""
        for partner in self.sudo():
            partner.message_post(body=body, subtype_xmlid="mail.mt_note")

    def action_revcycle_open_temporary_limit(self):
        self.env["revcycle.access"]._revcycle_require_credit_manager()
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Temporary Credit Limit"),
            "res_model": "revcycle.credit.override",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_override_type": "limit",
                "default_partner_id": self.commercial_partner_id.id,
                "default_company_id": self.env.company.id,
                "default_credit_limit": self.sudo().credit_limit,
            },
        }
