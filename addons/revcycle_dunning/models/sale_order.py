from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class SaleOrder(models.Model):
    _inherit = "sale.order"

    revcycle_credit_override_ids = fields.One2many(
        "revcycle.credit.override", "sale_order_id", string="Credit Overrides",
        groups="revcycle_dunning.group_revcycle_dunning_user")

    @api.model_create_multi
    def create(self, vals_list):
        # An order created straight as confirmed passes the credit check like one confirmed later: it is created as
        # a quotation and confirmed by write(), which checks.
        vals_list = [dict(vals) for vals in vals_list]
        confirmed = [vals.get("state") == "sale" and bool(vals.pop("state")) for vals in vals_list]
        orders = super().create(vals_list)
        orders.filtered(lambda order: order.state == "sale")._revcycle_mark_credit_dirty()
        orders.browse(
            [order.id for order, is_confirmed in zip(orders, confirmed, strict=True) if is_confirmed]
        ).write({"state": "sale"})
        return orders

    def write(self, vals):
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

    def action_confirm(self):
        self._revcycle_check_credit_on_confirm()
        return super().action_confirm()

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
        self.env["revcycle.credit.override"]._revcycle_check_manager()
        not_quotations = self.filtered(lambda order: order.state not in ("draft", "sent"))
        if not_quotations:
            raise UserError(self.env._(
                "Only quotations need a credit override; %(orders)s are already confirmed or cancelled.",
                orders=", ".join(not_quotations.mapped("name"))))
        self.env["revcycle.credit.override"].create([
            {"override_type": "order", "sale_order_id": order.id, "reason": reason} for order in self])
        return True

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
