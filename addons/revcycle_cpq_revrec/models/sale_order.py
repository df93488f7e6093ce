from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _revcycle_contract_items(self):
        """The order's revenue: its one-off lines, and for its recurring lines the term of the subscription
        contract that bills them once that contract is activated (before, a recurring line's price is one period's
        and nothing of it is owed yet). Renewals are arrangements of their own and stay out."""
        items = [item for item in super()._revcycle_contract_items() if not item["product"].revcycle_recurring]
        for contract in self.sudo().revcycle_contract_ids.filtered(
            lambda c: not c.previous_contract_id and c._revcycle_revenue_started()
        ):
            items += contract._revcycle_revenue_items()
        return items
