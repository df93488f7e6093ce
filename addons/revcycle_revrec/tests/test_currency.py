"""Issue 16 item 6: foreign-currency revenue contracts measured at the rates that were booked (IFRIC 22, ASC 830).

The company keeps USD; the customer is billed in EUR. Rates: EUR at 1.00 USD in January 2026, at 1.25 USD from
1 February (Odoo stores EUR per USD: 1.0, then 0.8)."""
from freezegun import freeze_time
from odoo.tests import tagged

from .common import RevrecCommon


@tagged("post_install", "-at_install", "revcycle")
class TestForeignCurrencyRevenue(RevrecCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2026-01-01", 1.0), ("2026-02-01", 0.8)])
        cls.eur_pricelist = cls.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": cls.eur.id, "company_id": cls.company.id})
        cls.gain = cls.company.income_currency_exchange_account_id
        cls.loss = cls.company.expense_currency_exchange_account_id

    def _support_in_eur(self):
        """A year of support for 1,200 EUR from 1 January 2026: 100 EUR a month."""
        order = self._confirmed_order([(self.support, 1200.0)], pricelist_id=self.eur_pricelist.id)
        contract = order.revcycle_revenue_contract_ids
        self.assertEqual((contract.currency_id, contract.transaction_price), (self.eur, 1200.0))
        return order, contract

    def _recognise(self, until):
        with freeze_time("2027-01-15"):  # recognition refuses dates after today
            self.env["revcycle.revenue.contract"].recognize_until(until)

    def test_advance_released_at_the_billing_rate(self):
        """Billed up front: 1,200 EUR at 1.00 = 1,200 USD of deferred revenue (contract liability). Each month
        releases 100 EUR of that advance; an advance is a non-monetary liability measured at the rate of the day it
        was billed (IFRIC 22), so every month is 100 USD whatever the spot rate: 1,200 USD of revenue for 1,200 USD
        billed, deferred revenue back to 0. Before the fix January was 100 and February-December 11 x 125 = 1,375
        at the month-end spot: 1,475 USD of revenue and 275 USD left behind on the balance sheet."""
        order, contract = self._support_in_eur()
        self._invoice(order, "2026-01-01")
        self.assertBalances("2026-01-01", {self.deferred: -1200.0, self.receivable: 1200.0})
        self._recognise("2026-06-30")
        # January-June: 6 x 100 EUR from the advance at 1.00 = 600 USD; 600 EUR / 600 USD still deferred.
        self.assertBalances("2026-06-30", {self.income: -600.0, self.deferred: -600.0, self.asset: 0.0})
        self._recognise("2026-12-31")
        self.assertBalances("2026-12-31", {self.income: -1200.0, self.deferred: 0.0, self.asset: 0.0,
                                           self.gain: 0.0, self.loss: 0.0})
        posted = contract.line_ids.filtered(lambda line: line.state == "posted")
        self.assertEqual(sorted(set(posted.mapped("amount_company"))), [100.0])
        self.assertEqual((contract.contract_liability, contract.contract_asset), (0.0, 0.0))

    def test_contract_asset_billed_at_another_rate(self):
        """Earned before billed: January's 100 EUR at 1.00 = 100 USD and February's 100 EUR at 1.25 = 125 USD are
        contract assets (225 USD for 200 EUR). The invoice of 1 March bills 1,200 EUR at 1.25 = 1,500 USD to
        deferred revenue, which then nets the 200 EUR asset: the liability gives 200 / 1,200 of its 1,500 USD = 250
        USD, the asset leaves at its carrying 225 USD, and the 25 USD between them is an exchange gain (the asset is
        a right to EUR, like a receivable), not revenue. The 1,000 EUR left are an advance billed at 1.25: March to
        December release 1,250 USD. Revenue 100 + 125 + 1,250 = 1,475 USD, exchange gain 25 USD, together the
        1,500 USD billed; both balances end at 0."""
        order, contract = self._support_in_eur()
        self._recognise("2026-02-28")
        self.assertBalances("2026-02-28", {self.income: -225.0, self.asset: 225.0, self.deferred: 0.0})
        self._invoice(order, "2026-03-01")
        self.assertBalances("2026-03-01", {self.receivable: 1500.0, self.deferred: -1250.0, self.asset: 0.0,
                                           self.gain: -25.0})
        self._recognise("2026-12-31")
        self.assertBalances("2026-12-31", {self.income: -1475.0, self.gain: -25.0, self.loss: 0.0,
                                           self.deferred: 0.0, self.asset: 0.0, self.receivable: 1500.0})
        netting = self.env["account.move.line"].search(
            [("revcycle_contract_id", "=", contract.id), ("revcycle_kind", "in", ("netting", "exchange"))])
        self.assertEqual(sorted(netting.mapped(lambda ml: (ml.revcycle_kind, ml.amount_currency, ml.balance))),
                         [("exchange", -25.0, -25.0), ("netting", -200.0, -225.0), ("netting", 200.0, 250.0)])

    def test_waterfall_in_company_currency(self):
        """The waterfall never adds two currencies: its measures are company currency. A USD order of 1,200 and the
        EUR order of 1,200 EUR (at the contract date's 1.00 until posted, then as booked) plan 2,400 USD; after
        January, 100 USD each is recognised and 2,200 USD remains."""
        self._confirmed_order([(self.support, 1200.0)])
        order, _contract = self._support_in_eur()
        self._invoice(order, "2026-01-01")
        self._recognise("2026-01-31")
        lines = self.env["revcycle.revenue.line"].search([("contract_id.sale_order_id.partner_id", "=",
                                                           self.partner_a.id)])
        totals = lines.read_group([("id", "in", lines.ids)], ["posted_amount:sum", "remaining_amount:sum"], [])[0]
        self.assertEqual((totals["posted_amount"], totals["remaining_amount"]), (200.0, 2200.0))
