"""What the bridge's tests share: subscription contracts (revcycle_cpq) of 2026 in revcycle_revrec's test company,
with recognition switched on, and a user who may manage both."""

from datetime import date

from odoo import Command
from odoo.addons.revcycle_revrec.tests.common import RevrecCommon


class SubscriptionRevenueCase(RevrecCommon):
    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.env.ref("revcycle_cpq.group_revcycle_cpq_manager")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Contract = cls.env["revcycle.contract"]
        cls.Revenue = cls.env["revcycle.revenue.contract"]

    @classmethod
    def _recurring(cls, name, recognition, price, ssp, period):
        """A recurring product billed every ``period`` at ``price`` (SSP ``ssp``; 0: weighed by its price)."""
        product = cls._revrec_product(name, recognition, ssp)
        product.write({"list_price": price, "revcycle_recurring": True, "revcycle_billing_period": period})
        return product

    def _subscription(self, lines, billing_period, activate=True, **values):
        """A prepaid contract over 2026 of ``lines`` [(product, quantity, unit price)], signed and activated unless
        ``activate`` is False; ``values`` override the contract's fields."""
        contract = self.Contract.create(
            {
                "partner_id": self.partner_a.id,
                "company_id": self.company.id,
                "currency_id": self.company.currency_id.id,
                "date_start": date(2026, 1, 1),
                "date_end": date(2026, 12, 31),
                "billing_period": billing_period,
                "billing_mode": "prepaid",
                "line_ids": [
                    Command.create(
                        {"product_id": product.id, "name": product.name, "quantity": quantity, "price_unit": price}
                    )
                    for product, quantity, price in lines
                ],
                **values,
            }
        )
        if activate:
            contract.action_sign()
            contract.action_activate()
        return contract
