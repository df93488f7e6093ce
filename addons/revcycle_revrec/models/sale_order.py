from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    revcycle_revenue_contract_ids = fields.One2many(
        "revcycle.revenue.contract", "sale_order_id", string="Revenue Contracts",
        groups="revcycle_revrec.group_revcycle_revrec_user")
    revcycle_revenue_contract_count = fields.Integer(
        compute="_compute_revcycle_revenue_contract_count", groups="revcycle_revrec.group_revcycle_revrec_user")
    revcycle_service_start = fields.Date(
        string="Service Start", copy=False,
        help="First day of the service of the order's over-time products (a line can set its own). Empty: the "
        "delivery date, else the confirmation date. A start in the past catches up at the next recognition run.")
    revcycle_service_end = fields.Date(
        string="Service End", copy=False,
        help="Last day of the service when it differs from the products' terms (a line can set its own).")

    _sql_constraints = [
        ("revcycle_service_dates_ordered",
         "CHECK (revcycle_service_end IS NULL OR revcycle_service_start IS NULL "
         "OR revcycle_service_end >= revcycle_service_start)",
         "The service cannot end before it starts: set its end on or after its start."),
    ]

    def _compute_revcycle_revenue_contract_count(self):
        counts = dict(self.env["revcycle.revenue.contract"]._read_group(
            [("sale_order_id", "in", self.ids)], ["sale_order_id"], ["__count"]))
        for order in self:
            order.revcycle_revenue_contract_count = counts.get(order, 0)

    def _action_confirm(self):
        result = super()._action_confirm()
        self._revcycle_create_revenue_contracts()
        return result

    def _action_cancel(self):
        contracts = self.sudo().revcycle_revenue_contract_ids.filtered(lambda c: c.state == "active")
        result = super()._action_cancel()
        # sudo: cancelling the order is the salesman's right; reversing its revenue follows from it.
        contracts.sudo().action_cancel()
        return result

    def _revcycle_active_revenue_contracts(self):
        """The order's active revenue contracts: its own and any separate one a modification made."""
        self.ensure_one()
        contracts = self.sudo().revcycle_revenue_contract_ids  # sudo: the system's contracts, whoever sells
        return contracts.filtered(lambda contract: contract.state == "active")

    def _revcycle_create_revenue_contracts(self):
        """One revenue contract per confirmed order of a company with recognition settings.

        sudo: a salesman confirming an order may not read revenue contracts, yet the contract must exist.
        """
        Contract = self.env["revcycle.revenue.contract"].sudo()
        for order in self:
            if not order.company_id._revcycle_revrec_enabled():
                order._revcycle_warn_recognition_off()
                continue
            if order._revcycle_active_revenue_contracts():
                continue
            items = order._revcycle_contract_items()
            if items:
                Contract.with_company(order.company_id)._revcycle_create_from_contract(
                    order, items, order.partner_id.commercial_partner_id, order.company_id, order.currency_id,
                    order._revcycle_contract_date(), origin=order.name)

    def _revcycle_warn_recognition_off(self):
        """An order with over-time products in a company where recognition is off: say so in its chatter rather
        than recognise at invoice in silence."""
        self.ensure_one()
        if not self.order_line.product_id.filtered(
                lambda product: product.revcycle_recognition in ("ratable_daily", "ratable_monthly")):
            return
        self.message_post(body=self.env._(
            "Revenue recognition is off for %(company)s, so this order's services are earned when invoiced, not "
            "over their term. Set the deferred revenue account, the contract asset account and the recognition "
            "journal in Settings > Revenue Cycle.", company=self.company_id.name))

    def _revcycle_reallocate_contracts(self):
        """A confirmed order changed: a contract modification of its active revenue contracts.

        sudo: whoever may change the order changes its revenue; the contract follows the order.
        """
        today = fields.Date.context_today(self)
        for order in self:
            # the order's contract, and any separate contract a modification made: each takes its own lines
            for contract in order._revcycle_active_revenue_contracts():
                contract._revcycle_reallocate(order._revcycle_contract_items(), today)

    def _revcycle_contract_date(self):
        self.ensure_one()
        return fields.Date.to_date(self.date_order)

    def _revcycle_contract_items(self):
        """Engine inputs from the order lines: each product line is an obligation; negative lines (global
        discounts) lower the transaction price and are spread over the obligations by the allocation."""
        self.ensure_one()
        fiscal_position = self.fiscal_position_id
        items = []
        for line in self.order_line.filtered(
                lambda sl: not sl.display_type and sl.product_id and not sl.is_downpayment):
            income = line.product_id.product_tmpl_id.with_company(self.company_id).get_product_accounts(
                fiscal_pos=fiscal_position)["income"]
            date_start, date_end = line._revcycle_service_dates()
            items.append({
                "product": line.product_id, "quantity": line.product_uom_qty, "sale_line": line,
                "selling_price": line.price_subtotal, "name": line.name.splitlines()[0] if line.name else False,
                "income_account": income, "date_start": date_start, "date_end": date_end,
            })
        return items
