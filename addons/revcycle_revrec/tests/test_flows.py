"""Issue 16 regressions: discount lines, figures computed by hand."""
from freezegun import freeze_time
from odoo import Command
from odoo.tests import tagged

from .common import RevrecCommon


@tagged("post_install", "-at_install", "revcycle")
class TestDiscountLines(RevrecCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.care = cls._revrec_product("Care plan", "ratable_monthly", 1200.0, term=12)
        cls.setup_fee = cls._revrec_product("Setup", "invoice", 800.0)
        # a global discount line as Odoo's discount wizard makes it: a service product with a negative price
        cls.discount = cls.env["product.product"].create({
            "name": "Discount", "type": "service", "invoice_policy": "order", "taxes_id": [Command.clear()],
            "property_account_income_id": cls.income.id})

    def _order(self, lines):
        order = self.env["sale.order"].create({
            "partner_id": self.partner_a.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1.0, "price_unit": price,
                                           "tax_id": [Command.clear()]}) for product, price in lines],
        })
        with freeze_time("2026-01-01"):
            order.action_confirm()
        return order

    def test_discount_line_is_spread_over_the_obligation(self):
        """Issue 16 item 1: support 1,200 with a -200 discount line. The price is 1,000, all of it the support's;
        the discount's invoice line is billed to the contract (deferred revenue), not to income on its own.
        1,000 over 12 months: 83.33 a month, the 4 cents left over to the first four months (83.34).
        31 January: income 83.34, deferred 1,000 - 83.34 = 916.66; 31 December: income 1,000, deferred 0
        (before: income 800, 200 left in deferred revenue)."""
        order = self._order([(self.care, 1200.0), (self.discount, -200.0)])
        contract = order.revcycle_revenue_contract_ids
        self.assertEqual((contract.transaction_price, contract.obligation_ids.allocated_amount), (1000.0, 1000.0))
        invoice = self._invoice(order, "2026-01-01")
        self.assertEqual(set(invoice.invoice_line_ids.mapped("account_id")), {self.deferred})
        Contract = self.env["revcycle.revenue.contract"]
        Contract.recognize_until("2026-01-31")
        self.assertBalances("2026-01-31", {self.income: -83.34, self.deferred: -916.66, self.asset: 0.0})
        Contract.recognize_until("2026-12-31")
        self.assertBalances("2026-12-31", {self.income: -1000.0, self.deferred: 0.0, self.asset: 0.0,
                                           self.receivable: 1000.0})

    def test_discount_line_is_allocated_by_relative_ssp(self):
        """Support 1,200 (SSP 1,200) and setup 800 (SSP 800) less 200: price 1,800 by SSP 1,200 : 800 ->
        support 1,080 (90 a month), setup 720 (earned when invoiced). January: 720 + 90 = 810 earned of 1,800
        billed -> 990 deferred; December: 1,800 earned, nothing left."""
        order = self._order([(self.care, 1200.0), (self.setup_fee, 800.0), (self.discount, -200.0)])
        contract = order.revcycle_revenue_contract_ids
        self.assertEqual(sorted(contract.obligation_ids.mapped("allocated_amount")), [720.0, 1080.0])
        self._invoice(order, "2026-01-01")
        Contract = self.env["revcycle.revenue.contract"]
        Contract.recognize_until("2026-01-31")
        self.assertBalances("2026-01-31", {self.income: -810.0, self.deferred: -990.0, self.asset: 0.0})
        Contract.recognize_until("2026-12-31")
        self.assertBalances("2026-12-31", {self.income: -1800.0, self.deferred: 0.0, self.asset: 0.0})
