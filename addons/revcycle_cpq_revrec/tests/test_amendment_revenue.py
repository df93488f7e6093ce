"""Amendments, pauses and terminations of subscription contracts modify their revenue contracts (issue 16/17):
at the close, revenue = the consideration billed, prorations and credit notes included. Figures by hand in the
comments; April 2026 has 30 days. Each contract: 10 seats at 10 a month = 100 a month, prepaid, 2026."""

from datetime import date

from freezegun import freeze_time
from odoo import Command, fields
from odoo.tests import tagged

from .common import SubscriptionRevenueCase


@tagged("post_install", "-at_install", "revcycle")
class TestAmendmentRevenue(SubscriptionRevenueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # no SSP: the obligation is weighed by its price (one obligation per contract here anyway)
        cls.seats = cls._recurring("Seats", "ratable_monthly", 10.0, 0.0, "month")

    def _contract(self, **values):
        return self._subscription(((self.seats, 10, 10.0),), "month", **values)

    def _invoice(self, contract, day):
        with freeze_time(day):
            return contract._revcycle_invoice_periods(fields.Date.to_date(day))

    def _recognise(self, day):
        with freeze_time(day):
            return self.Revenue.recognize_until(day)

    def _amend(self, contract, day, **vals):
        with freeze_time(day):
            preview = contract.action_amend({"line_id": contract.line_ids.id, "effective_date": day, **vals})
            amendment = self.env["revcycle.contract.amendment"].browse(preview["amendment_id"])
            amendment.action_apply()
        return amendment

    def _billed(self, contract):
        """Net consideration billed: the contract's posted invoices less its credit notes, taxes excluded."""
        moves = self.env["account.move"].search([("invoice_origin", "=", contract.name), ("state", "=", "posted")])
        return self.company.currency_id.round(sum(moves.mapped("amount_untaxed_signed")))

    def assertTiesOut(self, contract, revenue, amount):
        """At the close: recognised = billed = ``amount``, no deferred revenue, no contract asset, closed."""
        revenue.invalidate_recordset()
        self.assertEqual(self._billed(contract), amount)
        self.assertEqual(
            (revenue.recognized_amount, revenue.contract_liability, revenue.contract_asset, revenue.state),
            (amount, 0.0, 0.0, "closed"),
        )

    def _schedule(self, revenue):
        return [
            (line.period_date.strftime("%Y-%m"), line.amount)
            for line in revenue.line_ids.filtered(lambda rl: rl.state == "planned").sorted("date")
        ]

    def test_seats_added_mid_month_with_proration(self):
        contract = self._contract()
        revenue = contract.revcycle_revenue_contract_ids
        self._invoice(contract, "2026-04-16")  # January to April: 4 x 100 = 400
        self._recognise("2026-03-31")  # January to March: 300
        amendment = self._amend(
            contract, "2026-04-16", kind="quantity", quantity=15, proration_behavior="always_invoice"
        )
        # +5 seats = +50 a month; 16-30 April is 15 of 30 days: 50 x 15 / 30 = 25 invoiced now, to deferred revenue
        self.assertEqual(amendment.proration_move_id.amount_untaxed, 25.0)
        self.assertEqual(amendment.proration_move_id.invoice_line_ids.account_id, self.deferred)
        # consideration: 400 billed + 25 + May-December 8 x 150 = 1,625; prospective (the months are distinct):
        # 1,625 - 300 recognised = 1,325 over April-December, 9 months: 147.22 each and the 2 cents left over to
        # the first two months (largest remainder, ties to the earlier)
        modification = revenue.modification_ids
        self.assertEqual(
            (modification.kind, modification.price_before, modification.price_after), ("prospective", 1200.0, 1625.0)
        )
        self.assertEqual(revenue.transaction_price, 1625.0)
        self.assertEqual(self._schedule(revenue), [("2026-04", 147.23), ("2026-05", 147.23)] + [
            (f"2026-{month:02d}", 147.22) for month in range(6, 13)
        ])
        self._invoice(contract, "2026-12-01")
        self._recognise("2026-12-31")
        self.assertTiesOut(contract, revenue, 1625.0)

    def _add_premium(self, ssp):
        """Premium support, 50 a month, added on 16 April with its proration invoiced now."""
        premium = self._revrec_product("Premium", "ratable_monthly", ssp)
        premium.write({"list_price": 50.0, "revcycle_recurring": True, "revcycle_billing_period": "month"})
        contract = self._contract()
        self._invoice(contract, "2026-04-16")  # 400
        self._recognise("2026-03-31")  # 300
        with freeze_time("2026-04-16"):
            preview = contract.action_amend({"kind": "add", "product_id": premium.id, "quantity": 1,
                                             "price_unit": 50.0, "effective_date": "2026-04-16",
                                             "proration_behavior": "always_invoice"})
            amendment = self.env["revcycle.contract.amendment"].browse(preview["amendment_id"])
            amendment.action_apply()
        # proration: 50 x 15 / 30 = 25 now; the line's consideration 25 + May-December 8 x 50 = 425
        self.assertEqual(amendment.proration_move_id.amount_untaxed, 25.0)
        self.assertEqual(amendment.proration_move_id.invoice_line_ids.account_id, self.deferred)
        return contract, amendment

    def test_line_added_at_its_ssp_is_a_separate_contract(self):
        contract, amendment = self._add_premium(ssp=50.0)
        # SSP 50 a month x 8.5 months served (half of April, May-December) = 425 = its price: distinct goods at
        # their SSP, a separate revenue contract (ASC 606-10-25-12); the first one is untouched (1,200)
        main = self.Revenue.search([("origin", "=", contract.name), ("modification_of_id", "=", False)])
        separate = main.modification_ids.new_contract_id
        self.assertEqual((main.modification_ids.kind, main.transaction_price), ("separate", 1200.0))
        self.assertEqual((separate.modification_of_id, separate.transaction_price), (main, 425.0))
        # 425 from 16 April: April weighs 15/30, then 8 full months: 25 in April, 50 a month after
        self.assertEqual(self._schedule(separate), [("2026-04", 25.0)] + [
            (f"2026-{month:02d}", 50.0) for month in range(5, 13)
        ])
        self.assertEqual(amendment.proration_move_id.invoice_line_ids.revcycle_contract_id, separate)
        self._invoice(contract, "2026-12-01")
        self._recognise("2026-12-31")
        self.assertEqual(self._billed(contract), 1625.0)  # 1,200 + 425
        (main | separate).invalidate_recordset()
        self.assertEqual((main.recognized_amount, separate.recognized_amount), (1200.0, 425.0))
        self.assertEqual((main.state, separate.state), ("closed", "closed"))

    def test_line_added_without_ssp_is_prospective(self):
        contract, _amendment = self._add_premium(ssp=0.0)
        revenue = self.Revenue.search([("origin", "=", contract.name)])
        self.assertEqual(len(revenue), 1)
        # no SSP (weighed by its price), so prospective: 1,625 - 300 recognised = 1,325 for the work left, by
        # weight: seats 1,200 x 900/1,200 still to do = 900, premium 425 -> 900 and 425
        self.assertEqual((revenue.modification_ids.kind, revenue.transaction_price), ("prospective", 1625.0))
        premium = revenue.obligation_ids.filtered(lambda ob: ob.product_id.name == "Premium")
        self.assertEqual((premium.allocated_amount, premium.date_start), (425.0, date(2026, 4, 16)))
        self._invoice(contract, "2026-12-01")
        self._recognise("2026-12-31")
        self.assertTiesOut(contract, revenue, 1625.0)

    def test_line_removed_mid_month_ends_its_obligation(self):
        premium = self._revrec_product("Premium", "ratable_monthly", 0.0)
        premium.write({"list_price": 50.0, "revcycle_recurring": True, "revcycle_billing_period": "month"})
        contract = self._contract(line_ids=[
            Command.create({"product_id": self.seats.id, "name": "Seats", "quantity": 10, "price_unit": 10.0}),
            Command.create({"product_id": premium.id, "name": "Premium", "quantity": 1, "price_unit": 50.0}),
        ])
        revenue = contract.revcycle_revenue_contract_ids
        self.assertEqual(revenue.transaction_price, 1800.0)  # 12 x (100 + 50)
        self._invoice(contract, "2026-04-16")  # 4 x 150 = 600
        self._recognise("2026-03-31")  # seats 300, premium 150
        premium_line = contract.line_ids.filtered(lambda line: line.product_id == premium)
        obligation = revenue.obligation_ids.filtered(lambda ob: ob.product_id == premium)
        with freeze_time("2026-04-16"):
            preview = contract.action_amend({"kind": "remove", "line_id": premium_line.id,
                                             "effective_date": "2026-04-16", "proration_behavior": "always_invoice"})
            amendment = self.env["revcycle.contract.amendment"].browse(preview["amendment_id"])
            amendment.action_apply()
        # 16-30 April of premium unused: 50 x 15 / 30 = 25 credited, to deferred revenue; premium was billed
        # 4 x 50 - 25 = 175: its obligation ends on 15 April worth 175, 150 recognised, 25 left for April
        credit = amendment.proration_move_id
        self.assertEqual((credit.move_type, credit.amount_untaxed), ("out_refund", 25.0))
        self.assertEqual(credit.invoice_line_ids.account_id, self.deferred)
        self.assertEqual((obligation.allocated_amount, obligation.date_end), (175.0, date(2026, 4, 15)))
        self.assertEqual(obligation.line_ids.filtered(lambda rl: rl.state == "planned").mapped("amount"), [25.0])
        # the price: seats 1,200 + premium 175 = 1,375, recorded once (the line's end), nothing more after applying
        self.assertEqual(revenue.transaction_price, 1375.0)
        self.assertEqual(
            [(m.kind, m.price_before, m.price_after) for m in revenue.modification_ids],
            [("termination", 1800.0, 1375.0)],
        )
        self._invoice(contract, "2026-12-01")
        # a later change keeps the ended obligation's revenue: seats 10 -> 12 from 1 June, not prorated
        self._amend(contract, "2026-06-01", kind="quantity", quantity=12, proration_behavior="none")
        self.assertEqual(obligation.allocated_amount, 175.0)
        self._recognise("2026-12-31")
        # billed 600 - 25 + May 100 + June-December 7 x 100 (invoiced on 1 December, before the change) = 1,375
        self.assertTiesOut(contract, revenue, 1375.0)

    def test_downgrade_with_credit_note(self):
        contract = self._contract()
        revenue = contract.revcycle_revenue_contract_ids
        self._invoice(contract, "2026-04-21")
        self._recognise("2026-03-31")
        amendment = self._amend(
            contract, "2026-04-21", kind="quantity", quantity=7, proration_behavior="always_invoice"
        )
        # 7 seats = 70 a month, -30; 21-30 April is 10 days: -30 x 10 / 30 = -10, a credit note, deferred
        credit = amendment.proration_move_id
        self.assertEqual((credit.move_type, credit.amount_untaxed), ("out_refund", 10.0))
        self.assertEqual(credit.invoice_line_ids.account_id, self.deferred)
        # consideration: 400 - 10 + May-December 8 x 70 = 950 (the credit note is deducted once, not twice: 940);
        # 950 - 300 = 650 over April-December: 72.22 x 9 = 649.98, the 2 cents to April and May
        self.assertEqual((revenue.transaction_price, revenue.modification_ids.price_after), (950.0, 950.0))
        self.assertEqual(self._schedule(revenue)[:3], [("2026-04", 72.23), ("2026-05", 72.23), ("2026-06", 72.22)])
        self._invoice(contract, "2026-12-01")
        self._recognise("2026-12-31")
        self.assertTiesOut(contract, revenue, 950.0)

    def test_pause_of_two_months_earns_nothing_while_paused(self):
        contract = self._contract(pause_extends_term=True)
        revenue = contract.revcycle_revenue_contract_ids
        self._invoice(contract, "2026-04-10")  # January to April: 400
        self._recognise("2026-03-31")  # 300
        with freeze_time("2026-04-10"):
            contract.action_pause("2026-05-01", "2026-06-30")
        # May and June skipped, the term ends on 28 February 2027: still 12 months billed, 1,200. The price is
        # unchanged, the schedule moves: 900 left over April and July 2026-February 2027 (9 months), 100 each, no
        # revenue in May or June; recorded as a prospective modification (1,200 -> 1,200)
        modification = revenue.modification_ids
        self.assertEqual((modification.kind, modification.price_before, modification.price_after),
                         ("prospective", 1200.0, 1200.0))
        months = ["2026-04", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02"]
        self.assertEqual(self._schedule(revenue), [(month, 100.0) for month in months])
        self.assertEqual(revenue.obligation_ids.date_end, date(2027, 2, 28))
        with freeze_time("2026-05-01"):
            self.Contract.sudo()._cron_manage_terms()
        with freeze_time("2026-07-01"):
            self.Contract.sudo()._cron_manage_terms()
        self._invoice(contract, "2027-02-01")
        self._recognise("2027-02-28")
        self.assertTiesOut(contract, revenue, 1200.0)

    def test_early_resume_bills_and_earns_the_released_month(self):
        contract = self._contract()
        revenue = contract.revcycle_revenue_contract_ids
        self._invoice(contract, "2026-04-10")
        with freeze_time("2026-04-10"):
            contract.action_pause("2026-05-01", "2026-07-31")
        # May-July skipped, the term stays: 1,200 - 3 x 100 = 900
        self.assertEqual(revenue.transaction_price, 900.0)
        with freeze_time("2026-05-01"):
            self.Contract.sudo()._cron_manage_terms()
        with freeze_time("2026-06-01"):
            contract.action_resume("2026-06-01")
        # June and July bill again: 1,100 (May paused), May earns nothing
        self.assertEqual(revenue.transaction_price, 1100.0)
        self.assertNotIn("2026-05", dict(self._schedule(revenue)))
        self.assertEqual(len(revenue.modification_ids), 2)
        self._invoice(contract, "2026-12-01")
        self._recognise("2026-12-31")
        self.assertTiesOut(contract, revenue, 1100.0)

    def test_termination_after_300_billed_is_a_modification(self):
        contract = self._contract()
        revenue = contract.revcycle_revenue_contract_ids
        self._invoice(contract, "2026-03-10")  # January to March: 300
        with freeze_time("2026-03-10"):
            contract.action_terminate("2026-03-31", reason="Budget cut", override_notice=True)
        # due: 300 billed, nothing left to bill up to 31 March: revenue 300, 100 a month, recorded as a termination
        modification = revenue.modification_ids
        self.assertEqual(
            (modification.kind, modification.price_before, modification.price_after), ("termination", 1200.0, 300.0)
        )
        self._recognise("2026-03-31")
        self.assertTiesOut(contract, revenue, 300.0)

    def test_termination_after_an_amendment_keeps_what_was_billed(self):
        contract = self._contract()
        revenue = contract.revcycle_revenue_contract_ids
        self._invoice(contract, "2026-04-16")  # 400
        self._recognise("2026-03-31")  # 300
        self._amend(contract, "2026-04-16", kind="quantity", quantity=15, proration_behavior="always_invoice")  # +25
        self._invoice(contract, "2026-05-01")  # May at 15 seats: 150
        self._recognise("2026-04-30")  # April: 147.23 (see the first test)
        with freeze_time("2026-05-10"):
            contract.action_terminate("2026-05-31", reason="Moving away", override_notice=True)
        # due: 400 + 25 + 150 = 575 (the current 150 a month over the five months would say 750); 575 - 447.23
        # recognised = 127.77 in May
        self.assertEqual(revenue.transaction_price, 575.0)
        self.assertEqual(self._schedule(revenue), [("2026-05", 127.77)])
        self.assertEqual(revenue.modification_ids.mapped("kind"), ["termination", "prospective"])
        self._recognise("2026-05-31")
        self.assertTiesOut(contract, revenue, 575.0)
