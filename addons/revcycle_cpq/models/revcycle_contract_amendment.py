from markupsafe import Markup
from odoo import Command, api, fields, models
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, format_date

from .. import engine
from ..engine import approvals as approval_engine

KINDS = [
    ("quantity", "Change quantity"),
    ("price", "Change price"),
    ("add", "Add a line"),
    ("remove", "Remove a line"),
    ("plan", "Change plan"),
]
BEHAVIOUR_SELECTION = [
    ("always_invoice", "Invoice the difference now"),
    ("create_prorations", "Carry it to the next invoice"),
    ("none", "No proration"),
]
PLAN_SELECTION = [
    (engine.PLAN_NONE, "Nothing to bill"),
    (engine.PLAN_INVOICE_NOW, "Invoice now"),
    (engine.PLAN_CREDIT_NOW, "Credit note now"),
    (engine.PLAN_NEXT_INVOICE, "On the next invoice"),
]
# state, approval and what was billed are written by the amendment's actions only, which hold this token
_AMENDMENT_TOKEN = object()
DECISION_FIELDS = (
    "state",
    "approved_by_id",
    "proration_move_id",
    "proration_line",
    "proration_amount",
    "proration_plan",
    "mrr_before",
    "mrr_after",
    "applied_on",
)


class RevcycleContractAmendment(models.Model):
    """A change to a running contract, effective on a date: drafted, previewed (the exact invoice or credit note it
    produces), approved when it lowers the contract's value beyond the approval rules, then applied."""

    _name = "revcycle.contract.amendment"
    _description = "Contract Amendment"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    contract_id = fields.Many2one("revcycle.contract", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    kind = fields.Selection(KINDS, required=True, default="quantity")
    line_id = fields.Many2one(
        "revcycle.contract.line", string="Contract Line", domain="[('contract_id', '=', contract_id)]"
    )
    product_id = fields.Many2one("product.product", string="New Product", help="The line added, or the new plan.")
    quantity = fields.Float(string="New Quantity", digits="Product Unit of Measure")
    price_unit = fields.Float(string="New Unit Price", digits="Product Price")
    effective_date = fields.Date(required=True, default=fields.Date.context_today)
    proration_behavior = fields.Selection(
        BEHAVIOUR_SELECTION,
        string="Proration",
        required=True,
        default=lambda self: self.env.company.revcycle_contract_proration_behavior,
    )
    reason = fields.Text()
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_approve", "To Approve"),
            ("approved", "Approved"),
            ("applied", "Applied"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    applied_on = fields.Date(readonly=True, copy=False)
    mrr_before = fields.Monetary(readonly=True, copy=False, string="MRR Before")
    mrr_after = fields.Monetary(readonly=True, copy=False, string="MRR After")
    proration_amount = fields.Monetary(readonly=True, copy=False, help="Signed: owed by the customer when positive.")
    proration_plan = fields.Selection(PLAN_SELECTION, readonly=True, copy=False)
    proration_move_id = fields.Many2one("account.move", string="Billed On", readonly=True, copy=False)
    # the invoice line of a proration carried to the next invoice, as computed when applied
    proration_line = fields.Json(readonly=True, copy=False)

    @api.depends("contract_id.name", "kind")
    def _compute_name(self):
        labels = dict(KINDS)
        for amendment in self:
            amendment.name = f"{amendment.contract_id.name or ''}: {labels.get(amendment.kind, '')}"

    # -- guards --------------------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        self.env["revcycle.access"]._revcycle_check_vals(self, vals_list)
        self._revcycle_refuse_decision_fields(
            [
                {key: value for key, value in vals.items() if not (key == "state" and value == "draft")}
                for vals in vals_list
            ]
        )
        return super().create(vals_list)

    def write(self, vals):
        self.env["revcycle.access"]._revcycle_check_vals(self, [vals])
        self._revcycle_refuse_decision_fields([vals])
        if self.env.context.get("revcycle_amendment_write") is not _AMENDMENT_TOKEN and any(
            amendment.state == "applied" for amendment in self
        ):
            raise UserError(
                self.env._("An applied amendment is history: draft a new one to change the contract again.")
            )
        return super().write(vals)

    def _revcycle_refuse_decision_fields(self, vals_list):
        if self.env.su or self.env.context.get("revcycle_amendment_write") is _AMENDMENT_TOKEN:
            return
        written = sorted({name for vals in vals_list for name in vals if name in DECISION_FIELDS})
        if written:
            raise AccessError(
                self.env._(
                    "%(fields)s of an amendment change through its actions (Preview, Approve, Apply), not by writing "
                    "them.",
                    fields=", ".join(self._fields[name]._description_string(self.env) for name in written),
                )
            )

    def _revcycle_decide(self, vals):
        return self.with_context(revcycle_amendment_write=_AMENDMENT_TOKEN).write(vals)

    # -- checks --------------------------------------------------------------------------------------------------
    def _revcycle_check(self):
        """Refuse what cannot be applied, naming the field and the fix; nothing is written before this passes."""
        self.ensure_one()
        contract = self.contract_id
        if contract.state == "suspended":
            raise UserError(
                self.env._(
                    "%(contract)s is paused: resume it before amending it (the proration needs a billed period).",
                    contract=contract.name,
                )
            )
        if contract.state != "active":
            raise UserError(
                self.env._("%(contract)s is not active: only an active contract is amended.", contract=contract.name)
            )
        if self.effective_date < contract.date_start or (contract.date_end and self.effective_date > contract.date_end):
            raise ValidationError(
                self.env._(
                    "The effective date %(date)s is outside the term of %(contract)s (%(start)s to %(end)s): choose a "
                    "date within it.",
                    date=format_date(self.env, self.effective_date),
                    contract=contract.name,
                    start=format_date(self.env, contract.date_start),
                    end=format_date(self.env, contract.date_end) if contract.date_end else self.env._("open-ended"),
                )
            )
        if contract.pause_from and contract.pause_from <= self.effective_date <= contract.pause_to:
            # a paused period has a period row but no invoice: prorating against it would bill or credit time that
            # is neither billed nor served
            raise ValidationError(
                self.env._(
                    "The effective date %(date)s falls in the pause of %(contract)s (%(start)s to %(end)s): choose a "
                    "date before or after it, or cancel the pause first.",
                    date=format_date(self.env, self.effective_date),
                    contract=contract.name,
                    start=format_date(self.env, contract.pause_from),
                    end=format_date(self.env, contract.pause_to),
                )
            )
        period = self._revcycle_period()
        if not period:
            raise ValidationError(self.env._("The effective date must fall in the current billing period or later."))
        if self.kind in ("quantity", "price", "remove", "plan") and (
            not self.line_id or self.line_id.contract_id != contract
        ):
            raise ValidationError(
                self.env._("Choose the line of %(contract)s to change (Contract Line).", contract=contract.name)
            )
        if self.kind in ("quantity", "add") and float_compare(self.quantity, 0.0, precision_digits=6) <= 0:
            raise ValidationError(
                self.env._(
                    "New Quantity must be above zero, not %(quantity)s: to stop the line, remove it.",
                    quantity=self.quantity,
                )
            )
        if self.kind in ("price", "add", "plan") and self.price_unit < 0:
            raise ValidationError(self.env._("New Unit Price cannot be negative: use a credit or a discount."))
        if self.kind in ("add", "plan"):
            self._revcycle_check_plan()
        if self.kind == "remove" and len(contract.line_ids) == 1:
            raise UserError(
                self.env._("%(contract)s has only this line: terminate the contract instead.", contract=contract.name)
            )

    def _revcycle_check_plan(self):
        product = self.product_id
        contract = self.contract_id
        if not product:
            raise ValidationError(self.env._("Choose the New Product."))
        billing_period = product.revcycle_billing_period or "month"
        if not product.revcycle_recurring or billing_period != contract.billing_period or not product.sale_ok:
            raise ValidationError(
                self.env._(
                    "%(product)s is not a plan allowed on %(contract)s: choose a recurring product sold %(period)s.",
                    product=product.display_name,
                    contract=contract.name,
                    period=dict(contract._fields["billing_period"]._description_selection(self.env))[
                        contract.billing_period
                    ],
                )
            )
        if product.company_id and product.company_id != contract.company_id:
            raise ValidationError(self.env._("%(product)s belongs to another company.", product=product.display_name))

    # -- figures -------------------------------------------------------------------------------------------------
    def _revcycle_period(self):
        """The billing period holding the effective date (the engine's schedule of the contract)."""
        contract = self.contract_id
        for period in period_engine.periods(
            contract.date_start,
            contract.billing_period,
            contract.date_end,
            until=self.effective_date,
            align=contract.billing_anchor,
        ):
            if period.start <= self.effective_date <= period.end:
                return period
        return None

    def _revcycle_line_after(self):
        """The line's values after the amendment (None when it is removed)."""
        line = self.line_id
        if self.kind == "remove":
            return None
        if self.kind == "add":
            return {
                "product_id": self.product_id,
                "quantity": self.quantity,
                "price_unit": self.price_unit,
                "discount": 0.0,
                "tax_ids": self.product_id.taxes_id.filtered(lambda tax: tax.company_id == self.contract_id.company_id),
            }
        values = {
            "product_id": line.product_id,
            "quantity": line.quantity,
            "price_unit": line.price_unit,
            "discount": line.discount,
            "tax_ids": line.tax_ids,
        }
        if self.kind == "quantity":
            values["quantity"] = self.quantity
        elif self.kind == "price":
            values["price_unit"] = self.price_unit
        elif self.kind == "plan":
            values.update(product_id=self.product_id, price_unit=self.price_unit)
        return values

    def _revcycle_subtotal(self, values):
        if not values:
            return 0.0
        line = self.env["revcycle.contract.line"].new(
            {
                "contract_id": self.contract_id.id,
                "product_id": values["product_id"].id,
                "name": values["product_id"].display_name,
                "quantity": values["quantity"],
                "price_unit": values["price_unit"],
                "discount": values["discount"],
                "tax_ids": [Command.set(values["tax_ids"].ids)],
            }
        )
        return line.price_subtotal

    def _revcycle_figures(self):
        """What applying the amendment does: the change per period, the proration and the MRR before/after."""
        self.ensure_one()
        self._revcycle_check()
        contract = self.contract_id
        before = self.line_id.price_subtotal if self.kind != "add" else 0.0
        after = self._revcycle_subtotal(self._revcycle_line_after())
        delta = after - before
        period = self._revcycle_period()
        invoiced = period.start in set(contract.period_ids.mapped("date_start"))
        proration = engine.prorate(
            delta,
            period,
            self.effective_date,
            invoiced,
            self.proration_behavior,
            precision_digits=contract.currency_id.decimal_places,
        )
        mrr_before = contract._revcycle_mrr()
        mrr_after = contract.currency_id.round(
            period_engine.monthly_value(contract.recurring_total + delta, contract.billing_period)
        )
        return {
            "delta": delta,
            "period": period,
            "proration": proration,
            "mrr_before": mrr_before,
            "mrr_after": mrr_after,
            "recurring_before": contract.recurring_total,
            "recurring_after": contract.recurring_total + delta,
        }

    def _revcycle_proration_line_vals(self, figures):
        proration = figures["proration"]
        period = figures["period"]
        product = self.product_id if self.kind in ("add", "plan") else self.line_id.product_id
        taxes = self._revcycle_line_after()["tax_ids"] if self.kind != "remove" else self.line_id.tax_ids
        return {
            "product_id": product.id,
            "name": self.env._(
                "%(change)s on %(contract)s from %(date)s: %(days)s of %(full)s days",
                change=dict(KINDS)[self.kind],
                contract=self.contract_id.name,
                date=format_date(self.env, self.effective_date),
                days=proration.days,
                full=proration.full_days,
            ),
            "quantity": 1.0,
            "price_unit": abs(proration.amount) if proration.plan != engine.PLAN_NEXT_INVOICE else proration.amount,
            "tax_ids": [Command.set(taxes.ids)],
            "revcycle_service_start": fields.Date.to_string(max(self.effective_date, period.start)),
            "revcycle_service_end": fields.Date.to_string(period.end),
        }

    # -- actions -------------------------------------------------------------------------------------------------
    def action_preview(self):
        """The exact lines the amendment produces, as plain data (no wizard: XML-RPC callers get it too)."""
        self.ensure_one()
        self.contract_id.check_access("write")
        figures = self._revcycle_figures()
        proration = figures["proration"]
        move_type = {
            engine.PLAN_INVOICE_NOW: "out_invoice",
            engine.PLAN_CREDIT_NOW: "out_refund",
            engine.PLAN_NEXT_INVOICE: "next_invoice",
        }.get(proration.plan)
        lines = []
        if move_type:
            vals = self._revcycle_proration_line_vals(figures)
            lines.append(
                {
                    "name": vals["name"],
                    "product_id": vals["product_id"],
                    "quantity": vals["quantity"],
                    "price_unit": vals["price_unit"],
                }
            )
        return {
            "amendment_id": self.id,
            "contract_id": self.contract_id.id,
            "currency": self.currency_id.name,
            "effective_date": fields.Date.to_string(self.effective_date),
            "recurring_before": figures["recurring_before"],
            "recurring_after": self.currency_id.round(figures["recurring_after"]),
            "mrr_before": figures["mrr_before"],
            "mrr_after": figures["mrr_after"],
            "proration_amount": proration.amount,
            "proration_plan": proration.plan,
            "move_type": move_type or False,
            "lines": lines,
            "needs_approval": bool(self._revcycle_approval_rules(figures)),
        }

    def _revcycle_approval_rules(self, figures):
        """The company's approval rules whose maximum discount the lowering of the recurring value passes."""
        lowered = engine.value_lowered_percent(figures["recurring_before"], figures["recurring_after"])
        if not lowered:
            return self.env["revcycle.approval.rule"]
        rules = (
            self.env["revcycle.approval.rule"]
            .sudo()  # sudo: the rules decide, whoever amends; they are not shown
            .search(  # rules are read to decide, not shown
                [("company_id", "=", self.company_id.id), ("check_discount", "=", True)]
            )
        )
        broken = approval_engine.broken_rules(
            approval_engine.QuoteFigures(max_discount=lowered, margin_percent=None, amount=0.0),
            [approval_engine.ApprovalRule(rule.id, max_discount=rule.max_discount) for rule in rules],
        )
        return rules.browse([item.rule_key for item in broken])

    def action_submit(self):
        """Draft -> To Approve when the amendment lowers the value beyond a rule, else Approved."""
        for amendment in self:
            if amendment.state != "draft":
                raise UserError(self.env._("Only a draft amendment is submitted."))
            amendment.contract_id.check_access("write")
            rules = amendment._revcycle_approval_rules(amendment._revcycle_figures())
            amendment._revcycle_decide({"state": "to_approve" if rules else "approved"})
        return True

    def action_approve(self):
        for amendment in self:
            if amendment.state != "to_approve":
                raise UserError(self.env._("Only an amendment waiting for approval is approved."))
            rules = amendment._revcycle_approval_rules(amendment._revcycle_figures())
            groups = rules.mapped("approver_group_id")
            if amendment.create_uid == self.env.user or (groups and not (groups & self.env.user.groups_id)):
                raise AccessError(
                    self.env._(
                        "This amendment lowers the contract's value beyond the approval rules: it is approved by "
                        "%(groups)s, and not by the user who drafted it.",
                        groups=", ".join(groups.mapped("full_name")) or self.env._("a manager"),
                    )
                )
            amendment._revcycle_decide({"state": "approved", "approved_by_id": self.env.user.id})
        return True

    def action_cancel(self):
        for amendment in self:
            if amendment.state == "applied":
                raise UserError(self.env._("An applied amendment cannot be cancelled: draft the reverse change."))
            amendment._revcycle_decide({"state": "cancel"})
        return True

    def action_apply(self):
        """Apply: the contract's line changes, the proration is billed as the behaviour says, the MRR history
        gets the expansion or contraction. Returns the preview that was applied, as plain data."""
        results = []
        for amendment in self:
            if amendment.state == "draft":
                amendment.action_submit()
            if amendment.state != "approved":
                raise UserError(
                    self.env._("%(amendment)s waits for approval before it is applied.", amendment=amendment.name)
                )
            results.append(amendment._revcycle_apply())
        return results[0] if len(results) == 1 else results

    def _revcycle_apply(self):
        self.ensure_one()
        contract = self.contract_id
        contract.check_access("write")
        preview = self.action_preview()
        figures = self._revcycle_figures()
        proration = figures["proration"]
        move = self.env["account.move"]
        bill_now = proration.plan in (engine.PLAN_INVOICE_NOW, engine.PLAN_CREDIT_NOW)
        # billed once the line is changed (an added line exists then, so its proration names it), except a removed
        # line's credit, billed while the line still exists
        if bill_now and self.kind == "remove":
            move = self._revcycle_bill_now(figures)
        self._revcycle_change_lines()
        if bill_now and self.kind != "remove":
            move = self._revcycle_bill_now(figures)
        self._revcycle_decide(
            {
                "state": "applied",
                "applied_on": fields.Date.context_today(self),
                "mrr_before": figures["mrr_before"],
                "mrr_after": figures["mrr_after"],
                "proration_amount": proration.amount,
                "proration_plan": proration.plan,
                "proration_move_id": move.id,
                "proration_line": self._revcycle_proration_line_vals(figures)
                if proration.plan == engine.PLAN_NEXT_INVOICE
                else False,
            }
        )
        comparison = float_compare(
            figures["mrr_after"], figures["mrr_before"], precision_rounding=self.currency_id.rounding
        )
        if comparison:
            contract._revcycle_log_mrr_event(
                "expansion" if comparison > 0 else "contraction",
                self.effective_date,
                figures["mrr_before"],
                figures["mrr_after"],
            )
        contract.message_post(
            body=Markup(
                self.env._(
                    "Amended (%(change)s) from %(date)s: MRR %(before)s → %(after)s; proration %(amount)s %(currency)s "
                    "(%(plan)s).",
                    change=dict(KINDS)[self.kind],
                    date=format_date(self.env, self.effective_date),
                    before=figures["mrr_before"],
                    after=figures["mrr_after"],
                    amount=proration.amount,
                    currency=self.currency_id.name,
                    plan=dict(PLAN_SELECTION)[proration.plan],
                )
            )
        )
        preview["proration_move_id"] = move.id or False
        return preview

    def _revcycle_carried_line_commands(self):
        """The invoice lines of these amendments' carried prorations (their amounts as computed when applied)."""
        commands = []
        for amendment in self:
            vals = dict(amendment.proration_line)
            vals["tax_ids"] = [Command.set(vals["tax_ids"][0][2])]
            commands.append(Command.create(vals))
        return commands

    def _revcycle_change_lines(self):
        line = self.line_id
        after = self._revcycle_line_after()
        if self.kind == "remove":
            line.unlink()
        elif self.kind == "add":
            self.line_id = self.env["revcycle.contract.line"].create(
                {
                    "contract_id": self.contract_id.id,
                    "product_id": after["product_id"].id,
                    "name": after["product_id"].get_product_multiline_description_sale(),
                    "quantity": after["quantity"],
                    "price_unit": after["price_unit"],
                    "tax_ids": [Command.set(after["tax_ids"].ids)],
                }
            )
        else:
            vals = {"quantity": after["quantity"], "price_unit": after["price_unit"]}
            if self.kind == "plan":
                vals.update(
                    product_id=after["product_id"].id,
                    name=after["product_id"].get_product_multiline_description_sale(),
                )
            line.write(vals)

    def _revcycle_bill_now(self, figures):
        """The invoice (increase) or credit note (decrease of invoiced time) of the proration, posted as the
        contract's invoices are."""
        contract = self.contract_id
        proration = figures["proration"]
        move = (
            self.env["account.move"]
            .with_company(contract.company_id)
            .create(
                {
                    "move_type": "out_invoice" if proration.plan == engine.PLAN_INVOICE_NOW else "out_refund",
                    "partner_id": contract.partner_id.id,
                    "company_id": contract.company_id.id,
                    "currency_id": contract.currency_id.id,
                    "invoice_date": max(self.effective_date, fields.Date.context_today(self)),
                    "invoice_payment_term_id": contract.payment_term_id.id,
                    "invoice_origin": contract.name,
                    "invoice_user_id": contract.user_id.id,
                    "invoice_line_ids": [Command.create(self._revcycle_proration_line_vals(figures))],
                }
            )
        )
        if contract.company_id.revcycle_contract_auto_post:
            move.action_post()
        return move
