from odoo import models


class RevcycleContractLine(models.Model):
    _inherit = "revcycle.contract.line"

    def _prepare_invoice_line_vals(self, period):
        vals = super()._prepare_invoice_line_vals(period)
        vals["revcycle_contract_line_id"] = self.id
        return vals

    def _revcycle_period_subtotal(self, period):
        """What the invoice of ``period`` charges for this line, taxes excluded, as the invoice line computes it."""
        vals = self._prepare_invoice_line_vals(period)
        amount = vals["quantity"] * vals["price_unit"] * (1 - (vals.get("discount") or 0.0) / 100.0)
        return self.contract_id.currency_id.round(amount)
