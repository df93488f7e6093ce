"""The main journey of revcycle_cpq_revrec in the backend, in a browser: a contract activated, its revenue contract
opened from the Revenue smart button, the allocation and the revenue schedule read."""

from datetime import date

from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestContractRevenueTour(HttpCase):
    def _recurring(self, name, price, ssp, income):
        return self.env["product.product"].create({
            "name": name, "type": "service", "invoice_policy": "order", "list_price": price,
            "revcycle_recognition": "invoice", "revcycle_ssp": ssp, "revcycle_term_months": 12,
            "revcycle_recurring": True, "revcycle_billing_period": "quarter", "taxes_id": [Command.clear()],
            "property_account_income_id": income.id,
        })

    def test_activate_then_read_the_revenue_contract_in_the_browser(self):
        """A quarterly prepaid contract for 2026 of Hosting (930 a quarter, no SSP: weighed by its price) and
        2 Seats (300 a quarter each, SSP 450 a quarter each), signed, is activated in the browser. Term value:
        4 x (930 + 2 x 300) = 6,120; SSPs: 4 x 930 = 3,720 and 4 x 2 x 450 = 3,600, total 7,320. Allocated:
        6,120 x 3,720 / 7,320 = 3,110.16 to Hosting, 6,120 - 3,110.16 = 3,009.84 to Seats, each spread over 12
        months (Hosting 259.18 a month). The tour reads those figures; checked here: one revenue contract for the
        contract, its two allocations, 24 schedule lines adding up to the 6,120.00."""
        company = self.env.ref("base.main_company")
        if not company._revcycle_revrec_enabled():
            company._revcycle_revrec_setup_accounts()
        self.env.ref("base.user_admin").groups_id |= (
            self.env.ref("revcycle_revrec.group_revcycle_revrec_manager")
            | self.env.ref("revcycle_cpq.group_revcycle_cpq_manager")
        )
        income = self.env["account.account"].search(
            [("company_ids", "in", company.id), ("account_type", "=", "income")], limit=1)
        hosting = self._recurring("Tour Hosting", 930.0, 0.0, income)
        seats = self._recurring("Tour Seats", 300.0, 450.0, income)
        customer = self.env["res.partner"].create({"name": "Tour Revenue Customer", "is_company": True})
        contract = self.env["revcycle.contract"].create({
            "partner_id": customer.id,
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            "date_start": date(2026, 1, 1),
            "date_end": date(2026, 12, 31),
            "billing_period": "quarter",
            "billing_mode": "prepaid",
            "line_ids": [
                Command.create({"product_id": product.id, "name": product.name, "quantity": quantity,
                                "price_unit": price, "tax_ids": [Command.clear()]})
                for product, quantity, price in ((hosting, 1.0, 930.0), (seats, 2.0, 300.0))
            ],
        })
        contract.action_sign()

        self.start_tour(f"/odoo/revcycle-contracts/{contract.id}", "revcycle_contract_revenue_tour", login="admin")

        self.assertEqual(contract.state, "active")
        revenue = contract.revcycle_revenue_contract_ids
        self.assertEqual(len(revenue), 1)
        self.assertEqual(revenue.transaction_price, 6120.0)
        allocated = {ob.product_id: ob.allocated_amount for ob in revenue.obligation_ids}
        self.assertEqual(allocated, {hosting: 3110.16, seats: 3009.84})
        self.assertEqual(len(revenue.line_ids), 24)
        self.assertAlmostEqual(sum(revenue.line_ids.mapped("amount")), 6120.0, places=2)
