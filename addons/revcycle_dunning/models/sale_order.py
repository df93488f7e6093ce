from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class SaleOrder(models.Model):
    _inherit = "sale.order"

    revcycle_credit_override_ids = fields.One2many(
        "revcycle.credit.override", "sale_order_id", string="Credit Overrides",
        groups="revcycle_dunning.group_revcycle_dunning_user")
    revcycle_credit_blocked = fields.Boolean(
        string="Credit Blocked", compute="_compute_revcycle_credit_warning",
        help="Confirming this quotation would be refused by the credit check now.")
    revcycle_credit_warning = fields.Char(
        string="Credit Warning", compute="_compute_revcycle_credit_warning",
        help="Why the credit check would refuse this quotation, with the amounts.")
    revcycle_credit_approval_requested = fields.Boolean(
        string="Credit Approval Requested", readonly=True, copy=False, tracking=True,
        help="The salesperson asked the credit managers for an override.")

    @api.model_create_multi
    def create(self, vals_list):
        # An order created straight as confirmed passes the credit check like one confirmed later: it is created as
        # a quotation and confirmed by write(), which checks.
        self._revcycle_refuse_request_mark(vals_list)
        vals_list = [dict(vals) for vals in vals_list]
        confirmed = [vals.get("state") == "sale" and bool(vals.pop("state")) for vals in vals_list]
        orders = super().create(vals_list)
        orders.filtered(lambda order: order.state == "sale")._revcycle_mark_credit_dirty()
        orders.browse(
            [order.id for order, is_confirmed in zip(orders, confirmed, strict=True) if is_confirmed]
        ).write({"state": "sale"})
        return orders

    def write(self, vals):
        self._revcycle_refuse_request_mark([vals])
        if vals.get("state") == "sale":
            if set(vals) - {"state", "date_order"}:
                # lines or prices written with the state: written first, so the credit check sees the new amount
                self.write({key: value for key, value in vals.items() if key not in ("state", "date_order")})
                return self.write({key: vals[key] for key in ("state", "date_order") if key in vals})
            # every way to confirm (action_confirm, a plain write, XML-RPC) stops here when the credit says no
            self._revcycle_check_credit_on_confirm()
        # a confirmed order moved to another customer changes the exposure of both
        before = self.filtered(lambda order: order.state == "sale") if "partner_id" in vals else self.browse()
        before._revcycle_mark_credit_dirty()
        result = super().write(vals)
        if "state" in vals:
            self._revcycle_mark_credit_dirty()
        else:
            self.filtered(lambda order: order.state == "sale")._revcycle_mark_credit_dirty()
        return result

    def unlink(self):
        self.filtered(lambda order: order.state == "sale")._revcycle_mark_credit_dirty()
        return super().unlink()

    @api.depends("partner_id", "company_id", "amount_total", "currency_id", "state")
    def _compute_revcycle_credit_warning(self):
        """What the confirmation's credit check would say now, shown on the quotation before anyone hits Confirm.
        Salespeople see the decision, not the customer's credit file: the figures come from the system's profile."""
        for order in self:
            order.revcycle_credit_blocked = False
            order.revcycle_credit_warning = False
            if (order.state not in ("draft", "sent") or not order.partner_id or not order.company_id
                    or not order.company_id.revcycle_credit_check_on_confirm):
                continue
            decision = order._revcycle_credit_check_result()
            if decision and not decision["allowed"]:
                order.revcycle_credit_blocked = True
                order.revcycle_credit_warning = decision["reason"]

    def _revcycle_credit_check_result(self):
        """The credit decision confirming this order alone would get, or None when nothing would be checked (an
        active override covers it, or it is paid upfront and the customer is not on hold)."""
        self.ensure_one()
        if self.id and isinstance(self.id, int) and self._revcycle_credit_override_covers():
            return None
        amount = self._revcycle_credit_amount(paid=None if isinstance(self.id, int) else 0.0)
        company = self.company_id
        # sudo: the decision reads the system's credit profile, which salespeople cannot read themselves
        decision = self.partner_id.commercial_partner_id.with_company(company).sudo()._revcycle_credit_decision(amount)
        prepaid = company.currency_id.compare_amounts(amount, 0.0) <= 0
        if not decision["allowed"] and prepaid and decision["reason_code"] != "hold":
            return None
        return decision

    def action_revcycle_request_credit_approval(self):
        """The salesperson asks the credit managers of the company for an override: an activity for each of them,
        the quotation marked and the request logged. Only for quotations the credit check would refuse."""
        root = self.env.ref("base.user_root")
        for order in self:
            order.check_access("write")
            if not order.revcycle_credit_blocked:
                raise UserError(self.env._(
                    "%(order)s needs no credit approval: the credit check would let it be confirmed.",
                    order=order.name))
            managers = self.env.ref("revcycle_dunning.group_revcycle_dunning_manager").sudo().users.filtered(
                lambda user, order=order, root=root: order.company_id in user.company_ids and user.active
                and not user.share and user != root)
            if not managers:
                raise UserError(self.env._(
                    "No credit manager works in %(company)s to approve %(order)s: ask an administrator to give "
                    "someone the 'Credit Manager' group.", company=order.company_id.name, order=order.name))
            summary = self.env._("Credit approval for %(order)s", order=order.name)
            # sudo: activities for other users on an order the salesperson may write; the decision stays theirs
            for manager in managers:
                order.sudo().activity_schedule(
                    "revcycle_dunning.mail_activity_type_credit_approval", user_id=manager.id, summary=summary,
                    note=order.revcycle_credit_warning)
            # a mark only the request action writes (write() refuses it otherwise)
            order.sudo().with_context(revcycle_credit_request=True).revcycle_credit_approval_requested = True
            order.message_post(body=self.env._(
                "%(user)s asked the credit managers to approve: %(reason)s",
                user=self.env.user.name, reason=order.revcycle_credit_warning))
        return True

    def action_confirm(self):
        self._revcycle_check_credit_on_confirm()
        return super().action_confirm()

    def _revcycle_refuse_request_mark(self, vals_list):
        """The request mark is the Request Credit Approval action's and the override's: refused in create and write
        from anyone else (an XML-RPC caller included)."""
        if any("revcycle_credit_approval_requested" in vals for vals in vals_list) \
                and not self.env.context.get("revcycle_credit_request"):
            raise UserError(self.env._(
                "'Credit Approval Requested' is set by the Request Credit Approval button and cleared by the credit "
                "manager's override; it cannot be written directly."))

    def _revcycle_mark_credit_dirty(self):
        self.env["revcycle.credit.profile"]._revcycle_mark_dirty(
            (order.partner_id.commercial_partner_id.id, order.company_id.id) for order in self)

    def _revcycle_check_credit_on_confirm(self):
        """Refuse, with a UserError an XML-RPC caller gets as a Fault, before anything is written."""
        candidates = self.filtered(lambda order: (
            order.state in ("draft", "sent") and order.company_id.revcycle_credit_check_on_confirm))
        if not candidates:
            return
        # confirmation is hot: one query says which orders have overrides or payments to look at at all
        flags = candidates._revcycle_credit_flags()
        to_check = candidates.filtered(lambda order: not (
            flags[order.id]["override"] and order._revcycle_credit_override_covers()))
        groups = to_check.grouped(lambda order: (order.partner_id.commercial_partner_id, order.company_id))
        for (partner, company), orders in groups.items():
            amount = sum(order._revcycle_credit_amount(paid=None if flags[order.id]["payment"] else 0.0)
                         for order in orders)
            result = partner.with_company(company)._revcycle_credit_decision(amount)
            # an order paid upfront is granted no credit: only a hold stops it
            prepaid = company.currency_id.compare_amounts(amount, 0.0) <= 0
            if not result["allowed"] and not (prepaid and result["reason_code"] != "hold"):
                raise UserError(self.env._(
                    "%(orders)s cannot be confirmed: %(reason)s",
                    orders=", ".join(orders.mapped("name")), reason=result["reason"]))

    def _revcycle_credit_override_covers(self):
        self.ensure_one()
        # the override is a credit manager's decision; a salesperson confirming relies on it without seeing it
        return self.sudo().revcycle_credit_override_ids._revcycle_covers(self.sudo())

    def _revcycle_credit_flags(self):
        """{order id: {'override': has an active override, 'payment': has a payment transaction}}."""
        self.flush_recordset(["transaction_ids"])
        self.env["revcycle.credit.override"].flush_model(["sale_order_id", "active"])
        rows = self.env.execute_query(SQL(
            """
            SELECT sale.id,
                   EXISTS (SELECT 1 FROM revcycle_credit_override override
                            WHERE override.sale_order_id = sale.id AND override.active),
                   EXISTS (SELECT 1 FROM sale_order_transaction_rel rel WHERE rel.sale_order_id = sale.id)
              FROM sale_order sale
             WHERE sale.id = ANY(%s)
            """,
            [order_id for order_id in self.ids if isinstance(order_id, int)],
        ))
        flags = {order_id: {"override": override, "payment": payment} for order_id, override, payment in rows}
        # orders not in the database yet (new records) take the ORM's path
        return {order.id: flags.get(order.id, {"override": True, "payment": True}) for order in self}

    def _revcycle_credit_amount(self, paid=None):
        """What confirming grants on credit, in the company currency: the total less what is already paid online
        (``paid``, in the order currency; read from the order's transactions when not given)."""
        self.ensure_one()
        company = self.company_id
        unpaid = self.amount_total - (self.amount_paid if paid is None else paid)
        if self.currency_id == company.currency_id:
            return unpaid
        return self.currency_id._convert(unpaid, company.currency_id, company, fields.Date.context_today(self))

    def action_revcycle_credit_override(self, reason):
        """Let these orders be confirmed whatever the credit check says (credit managers; reason required)."""
        self.env["revcycle.access"]._revcycle_require_credit_manager()
        reason = self.env["revcycle.access"]._revcycle_text(reason, "reason")
        not_quotations = self.filtered(lambda order: order.state not in ("draft", "sent"))
        if not_quotations:
            raise UserError(self.env._(
                "Only quotations need a credit override; %(orders)s are already confirmed or cancelled.",
                orders=", ".join(not_quotations.mapped("name"))))
        self.env["revcycle.credit.override"].create([
            {"override_type": "order", "sale_order_id": order.id, "reason": reason} for order in self])
        return True

    def _revcycle_close_credit_requests(self):
        """An override answers the salesperson's request: its activities are done, the mark cleared."""
        requested = self.sudo().filtered("revcycle_credit_approval_requested")
        # found by their type, not by their summary, which is in the language of whoever asked
        approval = self.env.ref("revcycle_dunning.mail_activity_type_credit_approval")
        requested.activity_ids.filtered(lambda activity: activity.activity_type_id == approval).action_feedback(
            feedback=self.env._("Credit override approved."))
        requested.with_context(revcycle_credit_request=True).revcycle_credit_approval_requested = False

    def action_revcycle_open_credit_override(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Approve Credit Override"),
            "res_model": "revcycle.credit.override",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_override_type": "order", "default_sale_order_id": self.id},
        }
