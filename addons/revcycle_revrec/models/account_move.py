from collections import defaultdict

from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    revcycle_revenue_line_ids = fields.One2many(
        "revcycle.revenue.line", "move_id", string="Revenue Lines", readonly=True,
        groups="revcycle_revrec.group_revcycle_revrec_user",
        help="The revenue lines this recognition entry posted: each contract's amount, and the income item it is in.")

    def _post(self, soft=True):
        """Invoice lines of a revenue contract go to deferred revenue; revenue is earned only by revenue lines.

        Every contract invoice line is redirected, also for what is already delivered: the allocation may differ
        from the invoiced price, and delivered obligations were already recognised against the contract asset
        or liability, so crediting income again would count them twice. Lines of the order without an obligation
        of their own (a global discount, a down payment) are billed to the contract too: the discount is spread
        over the obligations by the allocation, so it must not reach income on its own (docs/domain.md §3).
        """
        self._revcycle_defer_invoice_lines()
        posted = super()._post(soft)
        posted._revcycle_after_post()
        return posted

    def _revcycle_invoice_lines_by_obligation(self):
        lines = self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund")).invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and line.sale_line_ids)
        if not lines:
            return {}
        # sudo: the invoicing user posts; the obligations behind the order lines are read to route the amounts.
        obligations = self.env["revcycle.performance.obligation"].sudo().search(
            [("sale_line_id", "in", lines.sale_line_ids.ids), ("contract_id.state", "in", ("active", "closed"))])
        by_sale_line = {obligation.sale_line_id.id: obligation for obligation in obligations}
        result = {}
        for line in lines:
            obligation = next((by_sale_line[sl.id] for sl in line.sale_line_ids if sl.id in by_sale_line), None)
            if obligation and obligation.company_id._revcycle_revrec_enabled():
                result[line] = obligation
        return result

    def _revcycle_invoice_lines_by_contract(self):
        """{invoice line: (revenue contract, obligation or an empty recordset)}: the lines of obligations, and the
        lines of an order with an active revenue contract that have no obligation (discount, down payment)."""
        Obligation = self.env["revcycle.performance.obligation"]
        result = {line: (obligation.contract_id, obligation)
                  for line, obligation in self._revcycle_invoice_lines_by_obligation().items()}
        others = self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund")).invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and line.sale_line_ids and line not in result)
        if not others:
            return result
        # sudo: as above, the contract of the order is read to route the amounts.
        contracts = self.env["revcycle.revenue.contract"].sudo().search(  # sudo: route the amounts
            [("sale_order_id", "in", others.sale_line_ids.order_id.ids), ("state", "in", ("active", "closed")),
             ("modification_of_id", "=", False)])
        by_order = {contract.sale_order_id.id: contract for contract in contracts}
        for line in others:
            contract = next((by_order[order.id] for order in line.sale_line_ids.order_id if order.id in by_order),
                            None)
            if contract and contract.company_id._revcycle_revrec_enabled():
                result[line] = (contract, Obligation.sudo())  # sudo: routing only
        return result

    def _revcycle_defer_invoice_lines(self):
        for line, (contract, obligation) in self._revcycle_invoice_lines_by_contract().items():
            line.write({
                "account_id": contract.company_id.revcycle_deferred_revenue_account_id.id,
                "revcycle_contract_id": contract.id,
                "revcycle_obligation_id": obligation.id,
                "revcycle_kind": "billing",
            })

    def _revcycle_after_post(self):
        """At-invoice obligations earn their invoiced share; credit notes lower the transaction price; then the
        contract nets."""
        by_contract = self._revcycle_invoice_lines_by_contract()
        if not by_contract:
            return
        Obligation = self.env["revcycle.performance.obligation"].sudo()  # sudo: posting follows the invoice
        for move in self:
            move_lines = {line: pair for line, pair in by_contract.items() if line.move_id == move}
            if not move_lines:
                continue
            on_date = move.invoice_date or move.date
            contracts = self.env["revcycle.revenue.contract"].sudo().browse(  # sudo: posting follows the invoice
                {contract.id for contract, _ob in move_lines.values()})
            obligations = Obligation.browse({ob.id for _contract, ob in move_lines.values() if ob})
            contracts._revcycle_reopen()
            due = self.env["revcycle.revenue.line"]
            if move.move_type == "out_invoice":
                at_invoice = obligations.filtered(lambda ob: ob.recognition == "invoice")
                measured = at_invoice.filtered(lambda ob: ob._revcycle_progress() is not None)
                due |= measured._revcycle_true_up(on_date, "invoice")
                due |= (at_invoice - measured)._revcycle_satisfy(on_date)
            else:
                due |= move._revcycle_credit(move_lines, on_date)
            for contract in contracts:
                contract_due = due.filtered(lambda line, c=contract: line.contract_id == c)
                if contract_due:
                    contract._revcycle_post_lines(contract_due, on_date)
            contracts._revcycle_net_positions(on_date)
            contracts._revcycle_check_close(fields.Date.context_today(self))

    def _revcycle_credit(self, move_lines, on_date):
        """A credit note lowers each contract's transaction price by the amount credited, taxes excluded (a
        credited discount raises it back); down payments are advances, not price. Returned goods and their credit
        note are one event: the obligation's basis loses the credited units (``_revcycle_progress``)."""
        if self.env.context.get("revcycle_price_set_by_caller"):
            # a termination or modification posts this credit note and sets the new price itself
            return self.env["revcycle.revenue.line"]
        credited = defaultdict(float)
        for line, (contract, _obligation) in move_lines.items():
            if not any(sale_line.is_downpayment for sale_line in line.sale_line_ids):
                credited[contract] += line.price_subtotal
        due = self.env["revcycle.revenue.line"]
        for contract, amount in credited.items():
            due |= contract._revcycle_change_price(-contract.currency_id.round(amount), on_date)
        return due
