"""Issue 16 regressions: discount lines and at-invoice obligations invoiced in parts, figures computed by hand."""
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
        with freeze_time("2027-01-01"):  # recognition refuses dates after today (issue 15)
            Contract.recognize_until("2026-12-31")
        self.assertBalances("2026-12-31", {self.income: -1000.0, self.deferred: 0.0, self.asset: 0.0,
                                           self.receivable: 1000.0})

    def test_free_line_without_ssp_gets_its_share(self):
        """Issue 16 item 11: a care plan (SSP 1,200) sold at 1,200 with a free training (no SSP, list price 300,
        price 0). The training's SSP is estimated at its list price: 1,200 by 1,200 : 300 -> care plan 960,
        training 240 (before: 0, the training recognised nothing)."""
        training = self._revrec_product("Training", "invoice", 0.0)
        training.lst_price = 300.0
        order = self._order([(self.care, 1200.0), (training, 0.0)])
        contract = order.revcycle_revenue_contract_ids
        self.assertEqual([self._obligation(contract, product).allocated_amount for product in (self.care, training)],
                         [960.0, 240.0])

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
        with freeze_time("2027-01-01"):  # recognition refuses dates after today (issue 15)
            Contract.recognize_until("2026-12-31")
        self.assertBalances("2026-12-31", {self.income: -1800.0, self.deferred: 0.0, self.asset: 0.0})


@tagged("post_install", "-at_install", "revcycle")
class TestAtInvoiceInParts(RevrecCommon):
    def test_partial_invoice_recognises_the_invoiced_share(self):
        """Issue 16 item 5: 10 units at 100 recognised at invoice. Invoicing 3 units earns 3/10 of 1,000 = 300
        (not 1,000); the other 7 earn the remaining 700. A credit of 1 of the invoiced units: price 900, basis
        9 units of which 9 invoiced -> 900 earned."""
        product = self._revrec_product("Licence seat", "invoice", 100.0)
        order = self.env["sale.order"].create({
            "partner_id": self.partner_a.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 10.0,
                                           "price_unit": 100.0, "tax_id": [Command.clear()]})],
        })
        with freeze_time("2026-01-01"):
            order.action_confirm()
        contract = order.revcycle_revenue_contract_ids
        first = order._create_invoices()
        first.write({"invoice_date": "2026-01-05"})
        first.invoice_line_ids.quantity = 3.0
        first.action_post()
        self.assertEqual(contract.recognized_amount, 300.0)
        self.assertBalances("2026-01-05", {self.income: -300.0, self.deferred: 0.0, self.asset: 0.0,
                                           self.receivable: 300.0})
        self._invoice(order, "2026-02-05")
        self.assertEqual(contract.recognized_amount, 1000.0)
        self.assertBalances("2026-02-05", {self.income: -1000.0, self.deferred: 0.0, self.asset: 0.0})
        refund = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": order.partner_id.id, "invoice_date": "2026-02-10",
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": 1.0, "price_unit": 100.0, "tax_ids": [Command.clear()],
                "sale_line_ids": [Command.set(order.order_line.ids)]})],
        })
        refund.action_post()
        contract.invalidate_recordset(["recognized_amount"])  # computed without dependencies: read it again
        self.assertEqual((contract.transaction_price, contract.recognized_amount), (900.0, 900.0))
        self.assertBalances("2026-02-10", {self.income: -900.0, self.deferred: 0.0, self.asset: 0.0})


@tagged("post_install", "-at_install", "revcycle")
class TestServiceDates(RevrecCommon):
    def _support_order(self, on, line_values=None, **values):
        care = self._revrec_product("Care plan", "ratable_monthly", 1200.0, term=12)
        order = self.env["sale.order"].create({
            "partner_id": self.partner_a.id,
            "order_line": [Command.create({"product_id": care.id, "price_unit": 1200.0,
                                           "tax_id": [Command.clear()], **(line_values or {})})],
            **values,
        })
        with freeze_time(on):
            order.action_confirm()
        return order

    def test_backdated_service_start_catches_up(self):
        """Issue 16 item 9: a year of support (1,200) serving from 1 January 2026, confirmed on 15 March 2026.
        The obligation runs 1 January - 31 December 2026 (not from 15 March), 100 a month; the March run catches
        up January to March: 300."""
        order = self._support_order("2026-03-15", revcycle_service_start="2026-01-01")
        obligation = order.revcycle_revenue_contract_ids.obligation_ids
        self.assertEqual((str(obligation.date_start), str(obligation.date_end)), ("2026-01-01", "2026-12-31"))
        summary = self.env["revcycle.revenue.contract"].recognize_until("2026-03-31")
        self.assertEqual((summary["lines"], summary["amount"]), (3, 300.0))

    def test_line_service_dates_win_over_the_order(self):
        """The line says 1 March - 31 August (6 months): 1,200 / 6 = 200 a month, whatever the order's start."""
        order = self._support_order(
            "2026-01-10", {"revcycle_service_start": "2026-03-01", "revcycle_service_end": "2026-08-31"},
            revcycle_service_start="2026-02-01")
        obligation = order.revcycle_revenue_contract_ids.filtered(lambda c: c.state == "active").obligation_ids
        self.assertEqual((str(obligation.date_start), str(obligation.date_end)), ("2026-03-01", "2026-08-31"))
        self.assertEqual(set(obligation.line_ids.mapped("amount")), {200.0})

    def test_delivery_date_is_the_default_start(self):
        """No service start: the order's delivery date (commitment date, 1 April) starts the service."""
        order = self._support_order("2026-01-10", commitment_date="2026-04-01 10:00:00")
        obligation = order.revcycle_revenue_contract_ids.obligation_ids
        self.assertEqual((str(obligation.date_start), str(obligation.date_end)), ("2026-04-01", "2027-03-31"))
