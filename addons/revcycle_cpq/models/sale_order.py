from markupsafe import Markup
from odoo import Command, api, fields, models
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare

from ..engine import approvals as approval_engine
from ..engine import config_rules as rule_engine

# Held only by the actions that own the approval decision: no XML-RPC or JSON-RPC caller can put this object in a
# context, so a context flag made of it cannot be forged from outside.
_DECISION_TOKEN = object()
# Written only by the approval actions (and the salesperson history by create/write): refused to everyone else.
DECISION_FIELDS = (
    "revcycle_approval_state",
    "revcycle_approval_rule_ids",
    "revcycle_approval_reason",
    "revcycle_approval_decision",
    "revcycle_approval_requested",
    "revcycle_approved_by_id",
    "revcycle_approval_date",
    "revcycle_rejection_reason",
    "revcycle_approved_max_discount",
    "revcycle_approved_margin",
    "revcycle_approved_amount",
    "revcycle_salesperson_ids",
)
GATED_STATES = ("sent", "sale")
STATE_KEYS = frozenset({"state", "date_order"})


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # -- approvals ------------------------------------------------------------------------------------------------
    revcycle_approval_state = fields.Selection(
        selection=[
            ("not_required", "Not Required"),
            ("to_request", "Approval Needed"),
            ("pending", "Pending"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ],
        string="Discount Approval",
        compute="_compute_revcycle_approval",
        store=True,
        index=True,
        tracking=True,
        help="Approval Needed: the quotation breaks an approval rule; request the approval. Pending: the approval "
        "was requested and waits for a manager. Neither can be sent nor confirmed.",
    )
    revcycle_approval_rule_ids = fields.Many2many(
        "revcycle.approval.rule",
        "revcycle_sale_order_approval_rule_rel",
        "order_id",
        "rule_id",
        string="Approval Rules Broken",
        compute="_compute_revcycle_approval",
        store=True,
    )
    revcycle_approval_reason = fields.Char(string="Why Approval", compute="_compute_revcycle_approval", store=True)
    revcycle_approval_decision = fields.Selection(
        selection=[("approved", "Approved"), ("rejected", "Rejected")], copy=False, readonly=True
    )
    revcycle_approval_requested = fields.Boolean(string="Approval Requested", copy=False, readonly=True)
    revcycle_approved_by_id = fields.Many2one("res.users", string="Decided By", copy=False, readonly=True)
    revcycle_approval_date = fields.Datetime(string="Decided On", copy=False, readonly=True)
    revcycle_rejection_reason = fields.Text(string="Rejection Reason", copy=False, readonly=True)
    revcycle_approved_max_discount = fields.Float(copy=False, readonly=True)
    revcycle_approved_margin = fields.Float(copy=False, readonly=True)
    revcycle_approved_amount = fields.Float(copy=False, readonly=True)
    revcycle_salesperson_ids = fields.Many2many(
        "res.users",
        "revcycle_sale_order_salesperson_rel",
        "order_id",
        "user_id",
        string="Salespeople So Far",
        copy=False,
        readonly=True,
        help="Everyone who was the salesperson of this quotation (or of its earlier revisions) at some time: none "
        "of them may approve its discount.",
    )

    # -- revisions ------------------------------------------------------------------------------------------------
    revcycle_revision = fields.Integer(string="Revision", default=0, copy=False, readonly=True)
    revcycle_base_name = fields.Char(string="Original Reference", copy=False, readonly=True)
    revcycle_previous_revision_id = fields.Many2one(
        "sale.order", string="Previous Revision", copy=False, readonly=True, index="btree_not_null"
    )
    revcycle_next_revision_ids = fields.One2many(
        "sale.order", "revcycle_previous_revision_id", string="Later Revisions"
    )
    revcycle_contract_ids = fields.One2many(
        "revcycle.contract", "sale_order_id", string="Contracts", groups="revcycle_cpq.group_revcycle_cpq_user"
    )
    revcycle_contract_count = fields.Integer(
        compute="_compute_revcycle_contract_count", groups="revcycle_cpq.group_revcycle_cpq_user"
    )

    def _compute_revcycle_contract_count(self):
        for order in self:
            order.revcycle_contract_count = len(order.revcycle_contract_ids)

    # == approvals ====================================================================================================
    @api.depends(
        "order_line.discount",
        "order_line.price_unit",
        "order_line.revcycle_exact_price_unit",
        "order_line.price_subtotal",
        "order_line.product_id",
        "order_line.product_uom_qty",
        "order_line.product_uom",
        "amount_untaxed",
        "pricelist_id",
        "team_id",
        "company_id",
        "revcycle_approval_decision",
        "revcycle_approval_requested",
        "revcycle_approved_max_discount",
        "revcycle_approved_margin",
        "revcycle_approved_amount",
    )
    def _compute_revcycle_approval(self):
        rules = self.env["revcycle.approval.rule"].search([("company_id", "in", self.company_id.ids)])
        for order in self:
            applicable = rules.filtered(
                lambda r, o=order: r.company_id == o.company_id and (not r.team_id or r.team_id == o.team_id)
            )
            figures = order._revcycle_approval_figures()
            broken = approval_engine.broken_rules(
                figures,
                [rule._revcycle_engine_rule() for rule in applicable],
                order.company_id.currency_id.decimal_places,
            )
            broken_rules = applicable.browse([b.rule_key for b in broken])
            order.revcycle_approval_rule_ids = broken_rules
            order.revcycle_approval_reason = order._revcycle_approval_reason_text(broken, figures) if broken else False
            reasons = {reason for rule in broken for reason in rule.reasons}
            order.revcycle_approval_state = order._revcycle_approval_state_for(reasons, figures)

    def _revcycle_approval_figures(self):
        self.ensure_one()
        lines = self.order_line.filtered(lambda line: not line.display_type and not line.is_downpayment)
        company = self.company_id
        date = self.date_order or fields.Datetime.now()
        amount = (
            self.currency_id._convert(self.amount_untaxed, company.currency_id, company, date)
            if self.currency_id
            else self.amount_untaxed
        )
        cost = sum(
            line.product_id.with_company(company).standard_price
            * line.product_uom._compute_quantity(line.product_uom_qty, line.product_id.uom_id)
            for line in lines
            if line.product_id
        )
        return approval_engine.QuoteFigures(
            max_discount=approval_engine.effective_discount([line._revcycle_priced_line() for line in lines]),
            margin_percent=approval_engine.margin_percent(amount, cost),
            amount=amount,
        )

    def _revcycle_approval_state_for(self, reasons, figures):
        if not reasons:
            return "not_required"
        if self.revcycle_approval_decision == "approved" and self._revcycle_within_approval(figures, reasons):
            return "approved"
        if self.revcycle_approval_decision == "rejected" and self._revcycle_same_as_decided(figures):
            return "rejected"
        # "Pending" (and the approvers' list) only once someone asked: until then the salesperson has to
        return "pending" if self.revcycle_approval_requested else "to_request"

    def _revcycle_within_approval(self, figures, reasons):
        """An approval covers the quotation as long as it got no worse on what needed approving: no bigger
        discount, no lower margin, no higher amount than what was approved."""
        digits = self.company_id.currency_id.decimal_places
        worse = {
            "discount": float_compare(figures.max_discount, self.revcycle_approved_max_discount, precision_digits=2)
            > 0,
            "margin": figures.margin_percent is not None
            and float_compare(figures.margin_percent, self.revcycle_approved_margin, precision_digits=2) < 0,
            "amount": float_compare(figures.amount, self.revcycle_approved_amount, precision_digits=digits) > 0,
        }
        return not any(worse[reason] for reason in reasons)

    def _revcycle_same_as_decided(self, figures):
        digits = self.company_id.currency_id.decimal_places
        return (
            float_compare(figures.max_discount, self.revcycle_approved_max_discount, precision_digits=2) == 0
            and float_compare(figures.amount, self.revcycle_approved_amount, precision_digits=digits) == 0
        )

    def _revcycle_approval_reason_text(self, broken, figures):
        discount = f"{figures.max_discount:g}"
        margin = f"{(figures.margin_percent or 0.0):.2f}"
        amount = f"{figures.amount:,.2f}"
        labels = {
            # values formatted outside the _() calls: the translation extractor cannot read f-strings there
            "discount": self.env._("discount %(value)s%%", value=discount),
            "margin": self.env._("margin %(value)s%%", value=margin),
            "amount": self.env._("amount %(value)s", value=amount),
        }
        reasons = sorted(
            {reason for rule in broken for reason in rule.reasons}, key=("discount", "margin", "amount").index
        )
        return ", ".join(labels[reason] for reason in reasons)

    def _revcycle_approvers(self):
        self.ensure_one()
        users = self.revcycle_approval_rule_ids.approver_group_id.users
        return users.filtered(
            lambda user: not user.share
            and user not in self._revcycle_interested_users()
            and self.company_id in user.company_ids
        )

    def _revcycle_interested_users(self):
        """Who may never decide on this quotation's approval: its salesperson, everyone who was, and its author."""
        self.ensure_one()
        return self.user_id | self.revcycle_salesperson_ids | self.create_uid

    def _revcycle_check_can_decide(self):
        for order in self:
            if order.revcycle_approval_state not in ("to_request", "pending", "rejected", "approved"):
                raise UserError(self.env._("%(order)s needs no approval.", order=order.name))
            missing = order.revcycle_approval_rule_ids.approver_group_id - self.env.user.groups_id
            if missing:
                raise UserError(
                    self.env._(
                        "Deciding on %(order)s takes membership of: %(groups)s.",
                        order=order.name,
                        groups=", ".join(missing.mapped("full_name")),
                    )
                )
            if order.user_id == self.env.user:
                raise UserError(
                    self.env._(
                        "You are the salesperson of %(order)s: another approver must decide on it.", order=order.name
                    )
                )
            if self.env.user in order.revcycle_salesperson_ids:
                raise UserError(
                    self.env._(
                        "You were the salesperson of %(order)s: another approver must decide on it.",
                        order=order.name,
                    )
                )
            if order.create_uid == self.env.user:
                raise UserError(
                    self.env._("You created %(order)s: another approver must decide on it.", order=order.name)
                )

    def _revcycle_decision_values(self):
        """The decision taken on this quotation, for its next revision."""
        self.ensure_one()
        if not self.revcycle_approval_decision:
            return {}
        return {
            "revcycle_approval_decision": self.revcycle_approval_decision,
            "revcycle_approved_by_id": self.revcycle_approved_by_id.id,
            "revcycle_approval_date": self.revcycle_approval_date,
            "revcycle_rejection_reason": self.revcycle_rejection_reason,
            "revcycle_approved_max_discount": self.revcycle_approved_max_discount,
            "revcycle_approved_margin": self.revcycle_approved_margin,
            "revcycle_approved_amount": self.revcycle_approved_amount,
        }

    def _revcycle_record_decision(self, decision, reason=False):
        for order in self:
            figures = order._revcycle_approval_figures()
            order._revcycle_write_decision(
                {
                    "revcycle_approval_decision": decision,
                    "revcycle_approved_by_id": self.env.user.id,
                    "revcycle_approval_date": fields.Datetime.now(),
                    "revcycle_rejection_reason": reason,
                    "revcycle_approved_max_discount": figures.max_discount,
                    "revcycle_approved_margin": figures.margin_percent or 0.0,
                    "revcycle_approved_amount": figures.amount,
                    # the request is answered: a later change that needs approval again needs a new request
                    "revcycle_approval_requested": False,
                }
            )
            order.activity_feedback(
                ["mail.mail_activity_data_todo"], user_id=self.env.user.id, feedback=reason or decision
            )
            order.activity_unlink(["mail.mail_activity_data_todo"])

    def action_revcycle_request_approval(self):
        for order in self:
            if order.revcycle_approval_state == "pending":
                raise UserError(
                    self.env._(
                        "The approval of %(order)s was already requested; wait for a decision.", order=order.name
                    )
                )
            if order.revcycle_approval_state != "to_request":
                raise UserError(self.env._("%(order)s needs no approval.", order=order.name))
            approvers = order._revcycle_approvers()
            if not approvers:
                raise UserError(
                    self.env._(
                        "Nobody can approve %(order)s: add users to %(groups)s.",
                        order=order.name,
                        groups=", ".join(order.revcycle_approval_rule_ids.approver_group_id.mapped("full_name")),
                    )
                )
            for approver in approvers:
                order.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=approver.id,
                    summary=self.env._("Approve the discount of %(order)s", order=order.name),
                    note=order.revcycle_approval_reason,
                )
            order._revcycle_write_decision({"revcycle_approval_requested": True})
            order.message_post(
                body=self.env._(
                    "Approval requested (%(reason)s) from %(approvers)s.",
                    reason=order.revcycle_approval_reason,
                    approvers=", ".join(approvers.mapped("name")),
                )
            )
        return True

    def action_revcycle_approve(self):
        self._revcycle_check_can_decide()
        self._revcycle_record_decision("approved")
        for order in self:
            order.message_post(
                body=self.env._("Discount approved (%(reason)s).", reason=order.revcycle_approval_reason)
            )
        return True

    def action_revcycle_reject(self, reason=None):
        reason = self.env["revcycle.access"]._revcycle_text(reason, "reason")
        if not reason:
            raise UserError(self.env._("Give a reason for the rejection, so the salesperson knows what to change."))
        self._revcycle_check_can_decide()
        self._revcycle_record_decision("rejected", reason.strip())
        for order in self:
            order.message_post(body=self.env._("Discount rejected: %(reason)s", reason=reason.strip()))
        return True

    # == configuration rules and the gates of send / confirm ========================================================
    def _revcycle_check_config_rules(self, rule_types=rule_engine.RULE_TYPES):
        Rule = self.env["revcycle.config.rule"]
        for order in self:
            lines = order.order_line.filtered(lambda line: line.product_id and not line.display_type)
            if not lines:
                continue
            rules = Rule.search(
                [
                    ("product_tmpl_id", "in", lines.product_id.product_tmpl_id.ids),
                    ("company_id", "in", [order.company_id.id, False]),
                ]
            )
            if not rules:
                continue
            violations = Rule._revcycle_check_rules(
                [line._revcycle_quote_line() for line in lines],
                [rule._revcycle_engine_rule() for rule in rules],
                rule_types,
            )
            if violations:
                details = "\n".join(
                    self.env._("- %(message)s (lines: %(lines)s)", message=v.message, lines=", ".join(v.line_names))
                    for v in violations
                )
                raise ValidationError(
                    self.env._(
                        "%(order)s breaks its configuration rules:\n%(details)s", order=order.name, details=details
                    )
                )

    def _revcycle_check_ready_to_leave_draft(self):
        """Send and confirm both stop here: every configuration rule met, and no pending or rejected approval."""
        self._revcycle_check_config_rules()
        for order in self:
            if order.revcycle_approval_state == "to_request":
                raise UserError(
                    self.env._(
                        "%(order)s needs a discount approval (%(reason)s) before it is sent or confirmed: "
                        "request it with 'Request Approval'.",
                        order=order.name,
                        reason=order.revcycle_approval_reason,
                    )
                )
            if order.revcycle_approval_state == "pending":
                raise UserError(
                    self.env._(
                        "%(order)s needs a discount approval (%(reason)s) before it is sent or confirmed: "
                        "it was requested and waits for a manager's decision.",
                        order=order.name,
                        reason=order.revcycle_approval_reason,
                    )
                )
            if order.revcycle_approval_state == "rejected":
                raise UserError(
                    self.env._(
                        "The discount of %(order)s was rejected (%(reason)s): "
                        "change the quotation and request approval again.",
                        order=order.name,
                        reason=order.revcycle_rejection_reason or "",
                    )
                )

    def action_quotation_send(self):
        self._revcycle_check_ready_to_leave_draft()
        return super().action_quotation_send()

    @api.model_create_multi
    def create(self, vals_list):
        self._revcycle_refuse_decision_fields(vals_list)
        # A quotation created straight as sent or confirmed passes the same gates as one that gets there later:
        # it is created as a draft and moved to its state by write(), which checks them.
        vals_list = [dict(vals) for vals in vals_list]
        states = [vals.pop("state") if vals.get("state") in GATED_STATES else None for vals in vals_list]
        orders = super().create(vals_list)
        for order, state in zip(orders, states, strict=True):
            if state:
                order.write({"state": state})
        return orders

    def write(self, vals):
        self._revcycle_refuse_decision_fields([vals])
        leaving = self._revcycle_leaving_draft(vals.get("state"))
        if leaving and set(vals) - STATE_KEYS:
            # what the gates look at (lines, discounts, team) may change in the same write as the state: it is
            # written first, then the state goes through the gates on the new figures
            self.write({key: value for key, value in vals.items() if key not in STATE_KEYS})
            return self.write({key: vals[key] for key in STATE_KEYS if key in vals})
        leaving._revcycle_check_ready_to_leave_draft()
        if "user_id" in vals:
            # the salespeople being replaced are remembered before the write, while the caller may still write
            # these orders, and the new one with the write itself
            self._revcycle_record_salespeople()
            if vals["user_id"]:
                vals = {**vals, "revcycle_salesperson_ids": [Command.link(vals["user_id"])]}
        return super().write(vals)

    def _revcycle_leaving_draft(self, state):
        """The orders of ``self`` that writing ``state`` takes past the send / confirm gates."""
        if state == "sent":
            return self.filtered(lambda order: order.state in ("draft", "cancel"))
        if state == "sale":
            return self.filtered(lambda order: order.state != "sale")
        return self.browse()

    def _revcycle_refuse_decision_fields(self, vals_list):
        if self.env.context.get("revcycle_decision_write") is _DECISION_TOKEN:
            return
        written = sorted({name for vals in vals_list for name in vals if name in DECISION_FIELDS})
        if written:
            raise AccessError(
                self.env._(
                    "%(fields)s can only be set by the approval actions (Request Approval, Approve, Reject), "
                    "not written directly.",
                    fields=", ".join(self._fields[name]._description_string(self.env) for name in written),
                )
            )

    def _revcycle_write_decision(self, vals):
        """The one way the approval actions write their fields: with the token no caller can forge."""
        return self.with_context(revcycle_decision_write=_DECISION_TOKEN).write(vals)

    def _revcycle_record_salespeople(self):
        """Remember the current salesperson of each order, before another replaces it: none of the salespeople a
        quotation ever had may approve it later."""
        for user, orders in self.grouped("user_id").items():
            orders = orders.filtered(lambda order, user=user: user not in order.revcycle_salesperson_ids)
            if user and orders:
                orders._revcycle_write_decision({"revcycle_salesperson_ids": [Command.link(user.id)]})

    def _confirmation_error_message(self):
        message = super()._confirmation_error_message()
        if not message:
            self._revcycle_check_ready_to_leave_draft()
        return message

    # == contracts ====================================================================================================
    def _action_confirm(self):
        result = super()._action_confirm()
        self._revcycle_create_contracts()
        return result

    def _revcycle_create_contracts(self):
        """One contract per billing period among the recurring lines; the portal signature counts as signing.

        A side effect of confirming, which salespeople without contract rights (and the portal signature) do too:
        the contract is created as superuser, and only for the order being confirmed."""
        for order in self:
            recurring = order.order_line.filtered(
                lambda line: not line.display_type and line.product_id.revcycle_recurring
            )
            if not recurring or order.sudo().revcycle_contract_ids:
                continue
            Contract = self.env["revcycle.contract"].sudo().with_company(order.company_id)
            renewed = Contract.search([("renewal_order_id", "=", order.id)], limit=1)
            for billing_period, lines in recurring.grouped(
                lambda line: line.product_id.revcycle_billing_period or "month"
            ).items():
                start = fields.Date.context_today(order)
                vals = order._revcycle_prepare_contract_vals(billing_period, lines, start)
                if renewed:
                    vals.update(renewed._revcycle_renewal_contract_vals())
                contract = Contract.create(vals)
                if order.signature:
                    contract.write({"state": "signed", "signed_date": start, "signed_by": order.signed_by})
                contract.message_post(body=Markup(self.env._("Created from %(link)s.", link=order._get_html_link())))

    def _revcycle_prepare_contract_vals(self, billing_period, lines, start):
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
            "user_id": self.user_id.id,
            "sale_order_id": self.id,
            "payment_term_id": self.payment_term_id.id,
            "date_start": start,
            "date_end": period_engine.term_end(start, period_engine.DEFAULT_TERM_MONTHS),
            "billing_period": billing_period,
            "billing_mode": self.company_id.revcycle_contract_billing_mode,
            "line_ids": [
                Command.create(
                    {
                        "product_id": line.product_id.id,
                        "name": line.name,
                        "quantity": line.product_uom_qty,
                        "price_unit": line.price_unit,
                        "discount": line.discount,
                        "tax_ids": [Command.set(line.tax_id.ids)],
                        "sale_line_id": line.id,
                        **(
                            self.env["revcycle.contract.line"]._revcycle_usage_defaults(line.product_id, self, start)
                            if line.product_id.revcycle_metered
                            else {}
                        ),
                    }
                )
                for line in lines
            ],
        }

    def action_view_revcycle_contracts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("revcycle_cpq.revcycle_contract_action")
        action["domain"] = [("sale_order_id", "=", self.id)]
        if len(self.revcycle_contract_ids) == 1:
            action.update(view_mode="form", res_id=self.revcycle_contract_ids.id, views=[(False, "form")])
        return action

    # == revisions ====================================================================================================
    def _get_copiable_order_lines(self):
        # Bundle component lines are rebuilt by their bundle line: copying them too would double them.
        return super()._get_copiable_order_lines().filtered(lambda line: not line.revcycle_bundle_line_id)

    def action_revcycle_new_revision(self):
        """Copy the quotation as revision N+1 and cancel this one, keeping the link between them."""
        self.ensure_one()
        if self.state not in ("draft", "sent"):
            raise UserError(
                self.env._(
                    "Only a quotation can be revised; %(order)s is already %(state)s.",
                    order=self.name,
                    state=dict(self._fields["state"]._description_selection(self.env))[self.state],
                )
            )
        base_name = self.revcycle_base_name or self.name
        revision = self.revcycle_revision + 1
        new_order = self.copy(
            {
                "name": f"{base_name}-R{revision}",
                "revcycle_revision": revision,
                "revcycle_base_name": base_name,
                "revcycle_previous_revision_id": self.id,
                "origin": self.origin,
            }
        )
        # who sold or wrote an earlier revision is no more an approver of the new one than of the old; the decision
        # goes along: it covers the revision as long as its figures are no worse (identical lines stay approved)
        new_order._revcycle_write_decision(
            {
                "revcycle_salesperson_ids": [
                    Command.link(user.id) for user in self.revcycle_salesperson_ids | self.user_id | self.create_uid
                ],
                **self._revcycle_decision_values(),
            }
        )
        self._action_cancel()
        self.message_post(body=Markup(self.env._("Superseded by revision %(link)s.", link=new_order._get_html_link())))
        new_order.message_post(
            body=Markup(self.env._("Revision %(revision)s of %(link)s.", revision=revision, link=self._get_html_link()))
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": new_order.id,
            "view_mode": "form",
            "target": "current",
        }
