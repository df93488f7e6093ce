from datetime import timedelta

from odoo import fields, models


class RevcycleContractAmendment(models.Model):
    _inherit = "revcycle.contract.amendment"

    def _revcycle_proration_line_vals(self, figures):
        """The proration bills the amended line: its invoice or credit note line defers and recognises with that
        line's obligation. A removed line's credit note is billed while the line exists and names it; a carried
        correction of a removed line is computed once it is gone and names none (it goes to income as billed)."""
        vals = super()._revcycle_proration_line_vals(figures)
        if self.line_id.exists():
            vals["revcycle_contract_line_id"] = self.line_id.id
        return vals

    def _revcycle_change_lines(self):
        """A removed line's obligation ends the day before the amendment takes effect, before the line goes."""
        if self.kind == "remove" and self.line_id:
            self.contract_id._revcycle_end_line_revenue(
                self.line_id, self.effective_date - timedelta(days=1), fields.Date.context_today(self)
            )
        return super()._revcycle_change_lines()

    def _revcycle_bill_now(self, figures):
        """An added line gets its obligation before its proration is posted, so the proration defers with it
        (its amount counted as due already: the modification after applying then finds nothing more to change).
        The proration's invoice or credit note names the amended line (``_revcycle_proration_line_vals``): made
        with the billing context, the one that may set it (account_move_line.py)."""
        if self.kind == "add":
            pending = {self.line_id.id: figures["proration"].amount}
            self.contract_id.with_context(revcycle_pending_proration=pending)._revcycle_modify_revenue(
                fields.Date.context_today(self)
            )
        billing = self.env["account.move.line"]._revcycle_with_billing_token(self)
        move = super(RevcycleContractAmendment, billing)._revcycle_bill_now(figures)
        return move.with_context(revcycle_billing_write=None)

    def _revcycle_apply(self):
        """An applied amendment modifies the contract's revenue contract to the consideration now due (revcycle_cpq's
        proration included); its credit note does not lower the price a second time on its own."""
        caller_sets_price = self.with_context(revcycle_price_set_by_caller=True)
        result = super(RevcycleContractAmendment, caller_sets_price)._revcycle_apply()
        self.contract_id._revcycle_modify_revenue(fields.Date.context_today(self))
        return result
