from odoo import models


class RevcycleContractLine(models.Model):
    _inherit = "revcycle.contract.line"

    def _revcycle_period_subtotal(self, period):
        """A metered line's fixed consideration is its minimum commitment (usage is variable consideration, billed
        in arrears and recognised when billed, docs/domain.md "Usage billing"): its rate is not a period amount."""
        if self.revcycle_metered:
            return self.contract_id.currency_id.round(self.usage_minimum_amount)
        return super()._revcycle_period_subtotal(period)
