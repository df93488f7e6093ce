"""docs/domain.md §3 end to end: allocation, schedules and the journal entries, for both billing patterns."""
from freezegun import freeze_time
from odoo.tests import tagged

from .common import RevrecCommon


@tagged("post_install", "-at_install", "revcycle")
class TestWorkedExample(RevrecCommon):
    def test_allocation_on_confirmation(self):
        order = self._confirmed_order()
        contract = order.revcycle_revenue_contract_ids
        self.assertEqual(len(contract), 1)
        self.assertEqual(contract.transaction_price, 90000.0)
        self.assertEqual(contract.ssp_total, 120000.0)
        self.assertEqual(str(contract.date), "2026-01-01")
        expected = {self.licence: (45000.0, 50.0, -5000.0), self.support: (27000.0, 30.0, -3000.0),
                    self.installation: (18000.0, 20.0, 8000.0)}
        for product, (allocated, ratio, difference) in expected.items():
            obligation = self._obligation(contract, product)
            with self.subTest(product=product.name):
                self.assertEqual(obligation.allocated_amount, allocated)
                self.assertAlmostEqual(obligation.ssp_ratio, ratio)
                self.assertEqual(obligation.allocation_difference, difference)
                self.assertIn("/", obligation.explanation)
                self.assertEqual(sum(obligation.line_ids.mapped("amount")), allocated)
        support = self._obligation(contract, self.support)
        self.assertEqual((str(support.date_start), str(support.date_end)), ("2026-01-01", "2026-12-31"))
        self.assertEqual(support.line_ids.mapped("amount"), [2250.0] * 12)
        self.assertTrue(all(support.line_ids.mapped("ready")))
        self.assertFalse(self._obligation(contract, self.licence).line_ids.ready)
        self.assertIn("90,000.00", contract.allocation_note)

    def test_billed_up_front(self):
        order = self._confirmed_order()
        contract = order.revcycle_revenue_contract_ids
        self._invoice(order, "2026-01-01")
        self.assertBalances("2026-01-01", {self.receivable: 90000.0, self.deferred: -90000.0, self.income: 0.0})
        self._satisfy(contract, self.licence, "2026-01-01")
        self.assertBalances("2026-01-01", {self.deferred: -45000.0, self.income: -45000.0})
        self._satisfy(contract, self.installation, "2026-01-31")
        summary = self.env["revcycle.revenue.contract"].recognize_until("2026-01-31")
        self.assertEqual((summary["contracts"], summary["lines"], summary["amount"]), (1, 1, 2250.0))
        # January: revenue 65,250, liability 24,750.
        self.assertBalances("2026-01-31", {self.receivable: 90000.0, self.deferred: -24750.0, self.asset: 0.0,
                                           self.income: -65250.0})
        self.assertEqual((contract.contract_liability, contract.contract_asset), (24750.0, 0.0))
        self.env["revcycle.revenue.contract"].recognize_until("2026-02-28")
        self.assertBalances("2026-02-28", {self.receivable: 90000.0, self.deferred: -22500.0, self.asset: 0.0,
                                           self.income: -67500.0})
        with freeze_time("2027-01-01"):  # on 2027-01-01, 2026-12-31 is past: no future recognition
            self.env["revcycle.revenue.contract"].recognize_until("2026-12-31")
        self.assertBalances("2026-12-31", {self.receivable: 90000.0, self.deferred: 0.0, self.asset: 0.0,
                                           self.income: -90000.0})
        self.assertEqual(contract.recognized_amount, 90000.0)
        self.assertEqual(contract.deferred_amount, 0.0)
        # The January run made one entry in the recognition journal: support's income, the liability released.
        january = self.env["account.move"].browse(summary["move_ids"])
        self.assertEqual(len(january), 1)
        self.assertEqual((january.journal_id, str(january.date), january.state), (self.journal, "2026-01-31", "posted"))
        self.assertEqual(sorted(january.line_ids.mapped("revcycle_kind")), ["position", "recognition"])
        periodic = contract.line_ids.filtered(lambda line: line.obligation_id.product_id == self.support).move_id
        self.assertEqual(len(periodic), 12)

    def test_billed_monthly(self):
        order = self._confirmed_order()
        contract = order.revcycle_revenue_contract_ids
        support_line = order.order_line.filtered(lambda line: line.product_id == self.support)
        Contract = self.env["revcycle.revenue.contract"]
        self._satisfy(contract, self.licence, "2026-01-01")
        self._invoice(order, "2026-01-01", [(support_line, 7500.0)])
        self._satisfy(contract, self.installation, "2026-01-31")
        Contract.recognize_until("2026-01-31")
        # January: revenue 65,250 against 7,500 receivable and a 57,750 contract asset.
        self.assertBalances("2026-01-31", {self.receivable: 7500.0, self.deferred: 0.0, self.asset: 57750.0,
                                           self.income: -65250.0})
        self._invoice(order, "2026-02-01", [(support_line, 7500.0)])
        Contract.recognize_until("2026-02-28")
        # The asset unwinds by 5,250 a month.
        self.assertBalances("2026-02-28", {self.receivable: 15000.0, self.deferred: 0.0, self.asset: 52500.0,
                                           self.income: -67500.0})
        for month in range(3, 13):
            self._invoice(order, f"2026-{month:02d}-01", [(support_line, 7500.0)])
        with freeze_time("2027-01-01"):  # on 2027-01-01, 2026-12-31 is past: no future recognition
            Contract.recognize_until("2026-12-31")
        self.assertBalances("2026-11-30", {self.asset: 5250.0, self.deferred: 0.0, self.income: -87750.0})
        self.assertBalances("2026-12-31", {self.receivable: 90000.0, self.deferred: 0.0, self.asset: 0.0,
                                           self.income: -90000.0})

    def test_rollforward_reconciles_to_ledger(self):
        order = self._confirmed_order()
        contract = order.revcycle_revenue_contract_ids
        self._invoice(order, "2026-01-01")
        self._satisfy(contract, self.licence, "2026-01-01")
        self._satisfy(contract, self.installation, "2026-01-31")
        Contract = self.env["revcycle.revenue.contract"]
        Contract.recognize_until("2026-03-31")
        january = Contract.revcycle_deferred_rollforward("2026-01-01", "2026-01-31", self.company.id)
        self.assertEqual((january["opening"], january["billed"], january["recognized"], january["closing"]),
                         (0.0, 90000.0, 65250.0, 24750.0))
        february = Contract.revcycle_deferred_rollforward("2026-02-01", "2026-02-28", self.company.id)
        self.assertEqual((february["opening"], february["billed"], february["recognized"], february["closing"]),
                         (24750.0, 0.0, 2250.0, 22500.0))
        for date_to in ("2026-01-31", "2026-02-28", "2026-03-31"):
            rollforward = Contract.revcycle_deferred_rollforward("2026-01-01", date_to, self.company.id)
            ledger = -self._balances(date_to).get(self.deferred, 0.0)
            self.assertAlmostEqual(rollforward["closing"], ledger, places=2)
