from odoo import api, models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _revcycle_invoice_lines_by_obligation(self):
        """Invoices and credit notes of subscription contracts carry no order line: their lines find their
        obligation through the contract line, then defer and recognise like any revenue contract's."""
        result = super()._revcycle_invoice_lines_by_obligation()
        lines = self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund")).invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and line.revcycle_contract_line_id and line not in result
        )
        if not lines:
            return result
        # sudo: the billing run or clerk posts; the obligations are read to route the amounts, as for orders.
        obligations = (
            self.env["revcycle.performance.obligation"]
            .sudo()
            .search(
                [
                    ("revcycle_contract_line_id", "in", lines.revcycle_contract_line_id.ids),
                    ("contract_id.state", "in", ("active", "closed")),
                ]
            )
        )
        by_contract_line = {obligation.revcycle_contract_line_id.id: obligation for obligation in obligations}
        for line in lines:
            obligation = by_contract_line.get(line.revcycle_contract_line_id.id)
            if obligation and obligation.company_id._revcycle_revrec_enabled():
                result[line] = obligation
        return result

    def _revcycle_after_post(self):
        """Usage billed for a period (usage, shortfall, adjustments, corrections) trues up that period's variable
        consideration first (``_revcycle_recognise_usage``), so the consideration the rest of the posting reads
        already holds it and nothing is reallocated by SSP."""
        dates = {}
        for move in self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund")):
            usage = move.invoice_line_ids.filtered(self._revcycle_is_usage_line)
            for contract in usage.sudo().revcycle_contract_line_id.contract_id:  # sudo: routing only
                dates[contract] = max(dates.get(contract, move.date), move.invoice_date or move.date)
        for contract, on_date in dates.items():
            contract._revcycle_recognise_usage(on_date)
        return super()._revcycle_after_post()

    def _reverse_moves(self, default_values_list=None, cancel=False):
        """Reverse keeps the lines' contract line and usage flag on the credit note
        (``_copy_data_extend_business_fields``): it reverses what they billed. The billing context lets the copy
        carry them; the caller gets the credit notes back without it."""
        billing = self.env["account.move.line"]._revcycle_with_billing_token(self)
        reverses = super(AccountMove, billing)._reverse_moves(default_values_list, cancel)
        return reverses.with_context(revcycle_billing_write=None)

    @api.model
    def _revcycle_is_usage_line(self, line):
        """A line billing a metered line's usage period (usage, shortfall, adjustment, correction)."""
        return bool(line.display_type == "product" and line.revcycle_usage_billing and line.revcycle_contract_line_id)

    def _revcycle_credit(self, move_lines, on_date):
        """A credit note on subscription contract lines changes the consideration of those contracts: each
        contract's revenue is modified to what is now due (``_revcycle_modify_revenue``), once, instead of the
        inception-basis price change of an order's credit note (which would deduct it twice: the consideration
        already nets it)."""
        if self.env.context.get("revcycle_price_set_by_caller"):
            return super()._revcycle_credit(move_lines, on_date)
        # usage lines (a correction of a metered period) changed their period's variable consideration already
        # (``_revcycle_after_post``): they are neither a modification of the contract nor a price change
        on_contracts = {
            line: pair
            for line, pair in move_lines.items()
            if line.revcycle_contract_line_id and not self._revcycle_is_usage_line(line)
        }
        due = super()._revcycle_credit(
            {line: pair for line, pair in move_lines.items() if not line.revcycle_contract_line_id}, on_date
        )
        contracts = self.env["revcycle.contract.line"].browse(
            {line.revcycle_contract_line_id.id for line in on_contracts}
        ).sudo().contract_id  # sudo: posting follows the credit note, as for orders
        contracts._revcycle_modify_revenue(on_date)
        return due
