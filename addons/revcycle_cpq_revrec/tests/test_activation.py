"""Subscription contracts (revcycle_cpq) make their revenue contracts (revcycle_revrec) on activation."""

from datetime import date

from freezegun import freeze_time
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import SubscriptionRevenueCase


@tagged("post_install", "-at_install", "revcycle")
class TestContractRevenue(SubscriptionRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Hosting has no SSP (weighed by its price); seats have an SSP of 450 a quarter each.
        cls.hosting = cls._recurring("Hosting", "invoice", 930.0, 0.0, "quarter")
        cls.seats = cls._recurring("Seats", "invoice", 300.0, 450.0, "quarter")

    def _contract(self, **values):
        return self._subscription(((self.hosting, 1.0, 930.0), (self.seats, 2.0, 300.0)), "quarter", activate=False,
                                  **values)

    def _activated(self, **values):
        return self._subscription(((self.hosting, 1.0, 930.0), (self.seats, 2.0, 300.0)), "quarter", **values)

    def test_activation_creates_the_revenue_contract_once(self):
        contract = self._contract()
        contract.action_sign()
        self.assertFalse(contract.revcycle_revenue_contract_ids, "nothing is owed before the contract is active")
        contract.action_activate()
        revenue = contract.revcycle_revenue_contract_ids
        self.assertEqual(len(revenue), 1)
        self.assertEqual(
            (revenue.origin, revenue.date, revenue.partner_id), (contract.name, date(2026, 1, 1), self.partner_a)
        )
        self.assertFalse(revenue.sale_order_id)
        self.assertEqual(revenue.revcycle_contract_ids, contract)
        # Term value: 4 quarters x (930 + 2 x 300) = 6,120; SSP 3,720 (price) + 2 x 450 x 4 = 3,600.
        self.assertEqual((revenue.transaction_price, revenue.ssp_total), (6120.0, 7320.0))
        expected = {self.hosting: (3720.0, "price", 3110.16), self.seats: (3600.0, "ssp", 3009.84)}
        for product, (ssp, source, allocated) in expected.items():
            obligation = self._obligation(revenue, product)
            with self.subTest(product=product.name):
                self.assertEqual(
                    (obligation.ssp, obligation.ssp_source, obligation.allocated_amount), (ssp, source, allocated)
                )
                self.assertEqual(obligation.revcycle_contract_line_id.product_id, product)
                self.assertEqual(
                    (obligation.recognition, obligation.date_start, obligation.date_end),
                    ("ratable_monthly", date(2026, 1, 1), date(2026, 12, 31)),
                )
                self.assertEqual(len(obligation.line_ids), 12)
                self.assertAlmostEqual(sum(obligation.line_ids.mapped("amount")), allocated, places=2)
        # Suspending and resuming, or activating again, makes no second revenue contract.
        contract.action_suspend()
        contract.action_resume()
        contract.sudo().state = "signed"  # no user writes a contract's state (issue 15): set as the superuser
        contract.action_activate()
        self.assertEqual(contract.revcycle_revenue_contract_ids, revenue)
        self.assertEqual(self.Revenue.search_count([("origin", "=", contract.name)]), 1)
        # And the database refuses a second obligation for a contract line.
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env["revcycle.performance.obligation"].create(
                {
                    **self._obligation(revenue, self.hosting).copy_data()[0],
                    "contract_id": revenue.id,
                    "revcycle_contract_line_id": contract.line_ids[0].id,
                }
            )
            self.env.flush_all()

    def test_first_month_of_contract_invoices(self):
        contract = self._activated()
        with freeze_time("2026-01-01"):
            self.Contract._cron_generate_invoices()
        invoice = contract.invoice_ids
        self.assertEqual((len(invoice), invoice.state, invoice.amount_untaxed), (1, "posted", 1530.0))
        # The quarter billed up front goes to deferred revenue, nothing to income yet.
        self.assertEqual(set(invoice.invoice_line_ids.mapped("account_id")), {self.deferred})
        self.assertEqual(set(invoice.invoice_line_ids.mapped("revcycle_kind")), {"billing"})
        self.assertBalances("2026-01-01", {self.receivable: 1530.0, self.deferred: -1530.0, self.income: 0.0})
        summary = self.Revenue.recognize_until("2026-01-31")
        # January: 3,110.16 / 12 = 259.18 and 3,009.84 / 12 = 250.82, 510.00 earned; 1,020.00 still owed.
        self.assertEqual((summary["contracts"], summary["lines"], summary["amount"]), (1, 2, 510.0))
        self.assertBalances(
            "2026-01-31", {self.receivable: 1530.0, self.deferred: -1020.0, self.asset: 0.0, self.income: -510.0}
        )
        entry = self.env["account.move"].browse(summary["move_ids"])
        self.assertEqual((entry.journal_id, str(entry.date), entry.state), (self.journal, "2026-01-31", "posted"))
        # One income line for the contract's income account; the revenue lines keep the split and link the entry.
        self.assertEqual(
            sorted((line.account_id.id, line.balance, line.revcycle_kind) for line in entry.line_ids),
            sorted([(self.income.id, -510.0, "recognition"), (self.deferred.id, 510.0, "position")]),
        )
        january = self.env["revcycle.revenue.line"].search([("move_id", "=", entry.id)])
        self.assertEqual(sorted(january.mapped("amount")), [250.82, 259.18])
        revenue = contract.revcycle_revenue_contract_ids
        self.assertEqual((revenue.recognized_amount, revenue.contract_liability), (510.0, 1020.0))
        # The quarter ends even: three months earned, three billed.
        self.Revenue.recognize_until("2026-03-31")
        self.assertBalances("2026-03-31", {self.deferred: 0.0, self.asset: 0.0, self.income: -1530.0})

    def test_order_revenue_contract_is_reused(self):
        """A quotation with a one-off licence and a recurring line: the order's revenue contract holds the licence
        from confirmation and takes the subscription's term on activation; it is never doubled."""
        order = self._confirmed_order([(self.licence, 50000.0), (self.hosting, 930.0)], on="2026-01-01")
        revenue = order.revcycle_revenue_contract_ids
        contract = order.revcycle_contract_ids
        self.assertEqual((len(revenue), len(contract)), (1, 1))
        self.assertEqual(
            revenue.obligation_ids.product_id,
            self.licence,
            "the recurring line is billed by its contract: not owed before activation",
        )
        self.assertEqual(revenue.transaction_price, 50000.0)
        contract.write({"date_start": date(2026, 1, 1), "date_end": date(2026, 12, 31)})
        contract.action_sign()
        with freeze_time("2026-01-01"):
            contract.action_activate()
        self.assertEqual(order.revcycle_revenue_contract_ids, revenue, "reused, not doubled")
        self.assertEqual(contract.revcycle_revenue_contract_ids, revenue)
        self.assertEqual(self.Revenue.search_count([("partner_id", "=", self.partner_a.id)]), 1)
        # 50,000 + 4 quarters x 930 = 53,720 over SSP 60,000 (licence) and 3,720 (hosting, its price).
        self.assertEqual(revenue.transaction_price, 53720.0)
        hosting = self._obligation(revenue, self.hosting)
        self.assertEqual(
            (hosting.allocated_amount, hosting.revcycle_contract_line_id, hosting.sale_line_id),
            (3136.2, contract.line_ids, contract.line_ids.sale_line_id),
        )
        self.assertEqual(self._obligation(revenue, self.licence).allocated_amount, 50583.8)
        self.assertAlmostEqual(sum(revenue.obligation_ids.mapped("allocated_amount")), 53720.0, places=2)
        # An order change reallocates with the subscription still in: nothing drops out, nothing is doubled.
        order.order_line.filtered(lambda line: line.product_id == self.licence).price_unit = 51000.0
        self.assertEqual(len(revenue.obligation_ids), 2)
        self.assertEqual(revenue.transaction_price, 54720.0)
        self.assertAlmostEqual(sum(revenue.obligation_ids.mapped("allocated_amount")), 54720.0, places=2)
        # The contract's invoices route to that revenue contract.
        with freeze_time("2026-01-01"):
            self.Contract._cron_generate_invoices()
        billed = contract.invoice_ids.invoice_line_ids
        self.assertEqual((billed.account_id, billed.revcycle_obligation_id), (self.deferred, hosting))

    def test_activation_from_an_order_reallocates_once(self):
        """Issue 16 item 8: activating the contract of a confirmed order modifies the order's revenue contract
        exactly once. The order (licence 50,000 and hosting 930 a quarter) has its revenue contract from
        confirmation (the licence alone: 50,000); activation adds the hosting's term, 4 x 930 = 3,720, priced at
        its selling price (no SSP), so a prospective modification 50,000 -> 53,720: licence 50,583.80, hosting
        3,136.20 (by 60,000 : 3,720). One modification record, one chatter note, no second revenue contract; an
        order of recurring lines only gets its revenue contract at activation and no modification at all."""
        order = self._confirmed_order([(self.licence, 50000.0), (self.hosting, 930.0)], on="2026-01-01")
        revenue = order.revcycle_revenue_contract_ids
        contract = order.revcycle_contract_ids
        contract.write({"date_start": date(2026, 1, 1), "date_end": date(2026, 12, 31)})
        contract.action_sign()
        with freeze_time("2026-01-01"):
            contract.action_activate()
        self.assertEqual(order.revcycle_revenue_contract_ids, revenue)
        self.assertEqual(
            revenue.modification_ids.mapped(lambda m: (m.kind, m.price_before, m.price_after)),
            [("prospective", 50000.0, 53720.0)],
        )
        self.assertEqual(len(revenue.message_ids.filtered(lambda m: "reallocated" in (m.body or ""))), 1)
        self.assertEqual(
            sorted(revenue.obligation_ids.mapped("allocated_amount")), [3136.2, 50583.8]
        )
        # recurring lines only: the revenue contract is made at activation, with the term, and is not modified
        order = self._confirmed_order([(self.hosting, 930.0)], on="2026-01-01")
        self.assertFalse(order.revcycle_revenue_contract_ids)
        contract = order.revcycle_contract_ids
        contract.write({"date_start": date(2026, 1, 1), "date_end": date(2026, 12, 31)})
        contract.action_sign()
        with freeze_time("2026-01-01"):
            contract.action_activate()
        revenue = order.revcycle_revenue_contract_ids
        self.assertEqual((len(revenue), revenue.transaction_price, revenue.modification_ids), (1, 3720.0,
                                                                                              revenue.modification_ids.browse()))

    def test_renewal_gets_a_revenue_contract_for_the_new_term(self):
        contract = self._activated(auto_renew=True, uplift_percent=10.0, renewal_months=12)
        first = contract.revcycle_revenue_contract_ids
        with freeze_time("2027-01-02"):
            self.Contract._cron_manage_terms()
        renewal = contract.next_contract_ids
        self.assertEqual((contract.state, renewal.state), ("expired", "active"))
        second = renewal.revcycle_revenue_contract_ids
        self.assertEqual(len(second), 1)
        self.assertNotEqual(second, first)
        self.assertEqual(contract.revcycle_revenue_contract_ids, first)
        # 2027 at prices raised by 10 %: 4 x (1,023 + 2 x 330) = 6,732, recognised over 2027.
        self.assertEqual((second.transaction_price, second.date), (6732.0, date(2027, 1, 1)))
        self.assertEqual(set(second.obligation_ids.mapped("date_end")), {date(2027, 12, 31)})
        self.assertEqual(first.transaction_price, 6120.0)

    def test_company_without_recognition_settings_makes_nothing(self):
        self.company.revcycle_recognition_journal_id = False
        contract = self._activated()
        self.assertEqual(contract.state, "active")
        self.assertFalse(contract.revcycle_revenue_contract_ids)

    def test_deleting_a_contract_takes_its_unposted_revenue_along(self):
        contract = self._activated()
        revenue = contract.revcycle_revenue_contract_ids
        kept = self._activated()
        kept_revenue = kept.revcycle_revenue_contract_ids
        self.Revenue.recognize_until("2026-01-31")
        with self.assertRaisesRegex(UserError, "already recognised"), self.env.cr.savepoint():
            kept.unlink()
        self.assertTrue(kept.exists() and kept_revenue.exists())
        # Nothing posted on the first one yet once its January is reversed by cancelling: it goes with its contract.
        revenue.action_cancel()
        contract.unlink()
        self.assertTrue(revenue.exists(), "a cancelled contract that had posted revenue keeps its audit trail")
        fresh = self._activated()
        fresh_revenue = fresh.revcycle_revenue_contract_ids
        fresh.unlink()
        self.assertFalse(fresh_revenue.exists())


@tagged("post_install", "-at_install", "revcycle")
class TestContractTermination(SubscriptionRevenueCase):
    def test_termination_ends_the_revenue_with_what_is_due(self):
        """Issue 16 item 4: 12 months at 100, billed monthly in advance, January recognised, terminated on
        31 March after 300 billed. What is due is the term up to 31 March, 300 (= billed); the obligation keeps
        January's 100 and spreads the other 200 over February and March: 300 recognised in all, not 1,200, and
        nothing left on deferred revenue or contract assets."""
        product = self._recurring("Monitoring", "ratable_monthly", 100.0, 0.0, "month")
        Contract = self.Contract
        contract = self._subscription(((product, 1.0, 100.0),), "month")
        revenue = contract.revcycle_revenue_contract_ids
        self.assertEqual(revenue.transaction_price, 1200.0)
        Revenue = self.env["revcycle.revenue.contract"]
        for day in ("2026-01-01", "2026-02-01", "2026-03-01"):
            with freeze_time(day):
                Contract._cron_generate_invoices()
        self.assertEqual(sum(contract.invoice_ids.mapped("amount_untaxed")), 300.0)
        Revenue.recognize_until("2026-01-31")
        with freeze_time("2026-03-20"):
            contract.action_terminate("2026-03-31", reason="customer leaves", override_notice=True)
        obligation = revenue.obligation_ids
        self.assertEqual((revenue.transaction_price, obligation.allocated_amount, str(obligation.date_end)),
                         (300.0, 300.0, "2026-03-31"))
        planned = obligation.line_ids.filtered(lambda line: line.state == "planned").sorted("date")
        self.assertEqual([(str(line.date), line.amount) for line in planned],
                         [("2026-02-28", 100.0), ("2026-03-31", 100.0)])
        with freeze_time("2027-01-01"):  # recognition refuses dates after today (issue 15)
            Revenue.recognize_until("2026-12-31")
        self.assertBalances("2026-12-31", {self.income: -300.0, self.deferred: 0.0, self.asset: 0.0,
                                           self.receivable: 300.0})
