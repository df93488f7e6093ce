"""Usage billing (issue 22) meets revenue recognition: a metered line's fixed consideration is its commitment."""

from datetime import date

from odoo import Command
from odoo.tests import tagged

from .common import SubscriptionRevenueCase


@tagged("post_install", "-at_install", "revcycle")
class TestUsageRevenue(SubscriptionRevenueCase):
    def test_metered_line_is_priced_at_its_commitment_not_its_rate(self):
        product = self._revrec_product("Metered calls", "invoice", 0.0)
        product.write(
            {
                "list_price": 0.02,
                "revcycle_recurring": True,
                "revcycle_billing_period": "month",
                "revcycle_metered": True,
                "revcycle_usage_minimum": 50.0,
            }
        )
        contract = self.env["revcycle.contract"].create(
            {
                "partner_id": self.partner_a.id,
                "company_id": self.company.id,
                "currency_id": self.company.currency_id.id,
                "date_start": date(2026, 1, 1),
                "date_end": date(2026, 12, 31),
                "line_ids": [
                    Command.create({"product_id": product.id, "name": "Calls", "quantity": 1, "price_unit": 0.02})
                ],
            }
        )
        contract.action_sign()
        contract.action_activate()
        # 12 months x the 50.00 commitment = 600.00 of fixed consideration (the rate, 12 x 0.02 = 0.24, is not an
        # amount); usage above it is variable consideration, billed in arrears
        self.assertEqual(contract.revcycle_revenue_contract_ids.transaction_price, 600.0)
