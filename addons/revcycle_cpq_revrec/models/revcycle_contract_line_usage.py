from odoo import models


class RevcycleContractLine(models.Model):
    _inherit = "revcycle.contract.line"

    def _revcycle_period_subtotal(self, period):
        """A metered line's fixed consideration is its minimum commitment, taxes excluded as on its invoice line
        (usage above it is variable consideration of its period, docs/domain.md "Usage billing"): its rate is not
        a period amount."""
        if self.revcycle_metered:
            return self._revcycle_net_of_tax(self.usage_minimum_amount)
        return super()._revcycle_period_subtotal(period)

    def _revcycle_net_of_tax(self, amount):
        """``amount`` as a usage invoice line of this line bills it, taxes excluded: a price-included tax is taken
        out, as the invoice line's subtotal does."""
        self.ensure_one()
        currency = self.contract_id.currency_id
        if not self.tax_ids.filtered("price_include"):
            return currency.round(amount)
        return currency.round(self.tax_ids.compute_all(amount, currency=currency)["total_excluded"])
