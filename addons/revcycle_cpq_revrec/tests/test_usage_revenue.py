"""Usage billing (issue 22) meets revenue recognition: a metered line's fixed consideration is its commitment, the
usage billed above it is revenue of the period it was used in."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from odoo import Command, fields
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


class UsageRevenueCase(SubscriptionRevenueCase):
    """A platform at 100 a month (prepaid) and API calls at 0.10 a call, at least 50.00 a month, no allowance, 2026,
    both weighed by their prices (no SSP). January's usage is billed on 1 February, in arrears."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.platform = cls._recurring("Platform", "ratable_monthly", 100.0, 0.0, "month")
        cls.calls = cls._recurring("API calls", "ratable_monthly", 0.10, 0.0, "month")
        cls.calls.write({"revcycle_metered": True, "revcycle_charge_model": "per_unit", "revcycle_usage_included": 0,
                         "revcycle_usage_minimum": 50.0})

    def setUp(self):
        super().setUp()
        self.contract = self._subscription(((self.platform, 1, 100.0), (self.calls, 1, 0.10)), "month")
        self.revenue = self.contract.revcycle_revenue_contract_ids
        self.metered = self.revenue.obligation_ids.filtered(lambda ob: ob.product_id == self.calls)
        self.fixed = self.revenue.obligation_ids - self.metered

    def _report(self, *records):
        """``records``: (key, date, quantity) of the calls line; a correction names the key it corrects instead of
        a date (it belongs to that record's period)."""
        line = self.contract.line_ids.filtered("revcycle_metered")
        result = self.env["revcycle.usage.record"].revcycle_report_usage([
            {"contract_line_id": line.id, "key": key, "quantity": quantity,
             **({"corrects": day[len("corrects "):]} if day.startswith("corrects ") else {"date": day})}
            for key, day, quantity in records
        ])
        self.assertFalse(result["refused"], result)

    def _invoice(self, day):
        with freeze_time(day):
            return self.contract._revcycle_invoice_periods(fields.Date.to_date(day))

    def _recognise(self, day):
        with freeze_time(fields.Date.to_date(day) + timedelta(days=1)):
            return self.Revenue.recognize_until(day)

    def _income(self, month):
        """Revenue recognised in ``month`` (YYYY-MM) by the income account, read from the ledger."""
        first = fields.Date.to_date(f"{month}-01")
        last = first + relativedelta(day=31)
        return -self.company.currency_id.round(self._balances(last).get(self.income, 0.0)
                                               - self._balances(first - timedelta(days=1)).get(self.income, 0.0))

    def _variable(self):
        return [(line.date, line.amount, line.state)
                for line in self.metered.line_ids.filtered(lambda rl: rl.kind == "variable").sorted("id")]


@tagged("post_install", "-at_install", "revcycle")
class TestUsageRecognisedInItsPeriod(UsageRevenueCase):
    """Usage billed above the commitment is variable consideration of the period it was used in (ASC 606-10-32-40)."""

    def test_usage_above_the_commitment_is_revenue_of_its_own_month(self):
        # at activation the calls are worth their commitment: 12 x 50 = 600, the platform 1,200
        self.assertEqual((self.revenue.transaction_price, self.metered.allocated_amount), (1800.0, 600.0))
        self._invoice("2026-01-01")
        self._report(("j1", "2026-01-10", 500), ("j2", "2026-01-31 23:00:00", 300))
        # January's close, before its usage is invoiced (1 February): 800 calls rated as the invoice will rate them,
        # 800 x 0.10 = 80.00, the commitment's 50.00 plus 30.00 of variable consideration, allocated to the calls
        # alone (not a third of it to the platform by relative price) and to January
        self._recognise("2026-01-31")
        self.assertEqual(self._variable(), [(date(2026, 1, 31), 30.0, "posted")])
        self.assertEqual((self.metered.allocated_amount, self.fixed.allocated_amount), (630.0, 1200.0))
        self.assertEqual(self.revenue.transaction_price, 1830.0)
        self.assertFalse(self.revenue.modification_ids, "variable consideration is no contract modification")
        # January's revenue: 100 platform + 50 commitment + 30 usage = 180, not 150 in January and 30 in February
        self.assertEqual(self._income("2026-01"), 180.0)
        # the invoice of 1 February bills the 80.00 the close estimated: nothing changes
        self._invoice("2026-02-01")
        self.assertEqual(len(self._variable()), 1)
        # February: no calls, the whole 50.00 commitment billed as a shortfall on 1 March: nothing variable
        self._recognise("2026-02-28")
        self._invoice("2026-03-01")
        self.assertEqual(self._income("2026-02"), 150.0)
        self.assertEqual(len(self._variable()), 1)
        # the rule ties out: billed 100 (Jan) + 180 (Feb) + 150 (Mar) = 430; recognised 330; the March platform
        # month, billed in advance, is the 100 of deferred revenue
        self.revenue.invalidate_recordset()
        self.assertEqual(self.revenue.recognized_amount, 330.0)
        self.assertEqual(self.revenue.contract_liability - self.revenue.contract_asset, 100.0)

    def test_a_change_to_a_closed_month_is_revenue_of_the_month_it_is_made_in(self):
        self._invoice("2026-01-01")
        self._report(("j1", "2026-01-10", 800))
        self._recognise("2026-01-31")  # January closed at 180: 30.00 of usage estimated at the close
        self._invoice("2026-02-01")  # January billed 80.00, as estimated
        # 200 more January calls reported in February: 1 March's invoice bills January adjusted by +20.00. January
        # is closed: the change of estimate is revenue of March, the month it is made in (ASC 606-10-32-43)
        self._report(("late", "2026-01-20", 200))
        self._recognise("2026-02-28")
        self._invoice("2026-03-01")
        self.assertEqual(self._variable()[-1], (date(2026, 3, 1), 20.0, "planned"))
        self.assertEqual(
            self.metered.line_ids.filtered(lambda rl: rl.kind == "variable").mapped("variable_period_end"),
            [date(2026, 1, 31)] * 2,
        )
        self._recognise("2026-03-31")
        self.assertEqual(self._income("2026-01"), 180.0)  # never restated
        self.assertEqual(self._income("2026-03"), 170.0)  # 100 + 50 + the 20.00
        # 700 of January's calls were a mistake: January re-rated at 300 calls = 30.00, below the commitment, so
        # 50.00 is due for January: 100.00 billed, a credit note of 50.00 on 1 April; January's variable part, 50.00,
        # is taken back in April (a -50.00 line), not spread over the months left
        self._report(("fix", "corrects j1", -700))
        self._invoice("2026-04-01")
        credit = self.env["account.move"].search([("move_type", "=", "out_refund"),
                                                  ("invoice_origin", "=", self.contract.name)])
        self.assertEqual(credit.amount_untaxed, 50.0)
        self._recognise("2026-04-30")
        self.assertEqual(self._variable()[-1], (date(2026, 4, 1), -50.0, "posted"))
        self.assertEqual(self._income("2026-04"), 100.0)  # 150 - 50
        self.assertEqual((self.metered.allocated_amount, self.revenue.transaction_price), (600.0, 1800.0))
        # the rest of the schedule was not touched: May to December still 50 a month for the calls
        planned = self.metered.line_ids.filtered(lambda rl: rl.state == "planned")
        self.assertEqual(sorted(set(planned.mapped("amount"))), [50.0])
        self.assertEqual(len(planned), 8)

    def test_a_locked_month_is_never_posted_into(self):
        # January is locked before its usage is known to revenue (no close ran): the 30.00 invoiced on 1 February
        # for January is recognised on the first open day, never in the locked month
        self._invoice("2026-01-01")
        self._report(("j1", "2026-01-10", 800))
        self.company.sudo().fiscalyear_lock_date = date(2026, 1, 31)
        self._invoice("2026-02-01")
        self.assertEqual(self._variable(), [(date(2026, 2, 1), 30.0, "planned")])
        self._recognise("2026-02-28")
        self.assertEqual(self._variable()[0][2], "posted")
        self.assertGreater(self.metered.line_ids.filtered(lambda rl: rl.kind == "variable").move_id.date,
                           date(2026, 1, 31))

    def test_a_second_posting_or_close_adds_nothing(self):
        self._report(("j1", "2026-01-10", 800))
        self._recognise("2026-01-31")
        self._recognise("2026-01-31")  # the close run again: the period holds its estimate already
        (_january, february) = self._invoice("2026-02-01")
        # the same invoice's revenue followed again (a retried job, a second call): the period is allocated once
        self.contract._revcycle_recognise_usage(date(2026, 2, 1))
        february._revcycle_after_post()
        self.assertEqual(self._variable(), [(date(2026, 1, 31), 30.0, "posted")])
        self.assertEqual(self.revenue.transaction_price, 1830.0)

    def test_a_price_included_tax_is_taken_out_of_usage_and_commitment(self):
        tax = self.env["account.tax"].create({"name": "VAT 20 % incl.", "amount": 20.0, "price_include_override":
                                              "tax_included", "company_id": self.company.id})
        self.contract.line_ids.filtered("revcycle_metered").tax_ids = tax
        self._report(("j1", "2026-01-10", 800))
        self._invoice("2026-02-01")
        # 80.00 and the 50.00 commitment include 20 % VAT: 66.67 and 41.67 without it, 25.00 of variable revenue
        # (not 80.00 - 50.00 = 30.00, nor 66.67 - 50.00)
        self.assertEqual(self._variable(), [(date(2026, 1, 31), 25.0, "planned")])

    def test_foreign_currency_usage_is_allocated_in_the_contract_currency(self):
        # 1 USD = 2 EUR in January, 1 USD = 2.5 EUR from 1 February (the company's currency is USD)
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0), ("2026-02-01", 2.5)])
        self.contract = self._subscription(((self.platform, 1, 100.0), (self.calls, 1, 0.10)), "month",
                                           currency_id=eur.id)
        self.revenue = self.contract.revcycle_revenue_contract_ids
        self.metered = self.revenue.obligation_ids.filtered(lambda ob: ob.product_id == self.calls)
        # the commitment of 50.00 USD is 125.00 EUR on the contract (converted at the latest rate when the line was
        # made, 2.5)
        self.assertEqual(self.contract.line_ids.filtered("revcycle_metered").usage_minimum_amount, 125.0)
        self._report(("e1", "2026-01-10", 2000))
        self._invoice("2026-02-01")
        # 2,000 x 0.10 = 200.00 EUR billed for January: 75.00 EUR of variable consideration, in the contract's
        # currency, allocated to the calls and to January
        self.assertEqual(self._variable(), [(date(2026, 1, 31), 75.0, "planned")])
        self.assertEqual(self.metered.allocated_amount, 1575.0)  # 12 x 125.00 + 75.00 EUR
        self._recognise("2026-01-31")
        self._recognise("2026-02-28")
        variable = self.metered.line_ids.filtered(lambda rl: rl.kind == "variable")
        self.assertEqual((variable.state, variable.move_id.date), ("posted", date(2026, 1, 31)))
        # recognised on 31 January, before its invoice of 1 February: earned and not yet billed then (a contract
        # asset), so booked at January's rate, 75.00 / 2 = 37.50 USD; billed at 2.5 (30.00 USD), the asset clears
        # with an exchange difference, as a receivable would
        self.assertEqual(variable.amount_company, 37.5)
        # every contract ties out in USD: recognised + exchange + deferred - asset = billed
        self.assertContractsTieOut("2026-02-28")

    def test_a_catch_up_modification_leaves_the_usage_in_its_month(self):
        # the platform is one service whose months are not distinct (an implementation): a change catches up
        self.platform.revcycle_distinct_periods = False
        self._report(("j1", "2026-01-10", 800))
        self._invoice("2026-02-01")  # January's calls: 80.00, 30.00 of it variable
        self._recognise("2026-01-31")  # January: 100 + 50 + 30 = 180
        with freeze_time("2026-02-01"):
            preview = self.contract.action_amend({
                "kind": "quantity", "line_id": self.contract.line_ids.filtered(
                    lambda line: line.product_id == self.platform).id,
                "quantity": 2, "effective_date": "2026-02-01", "proration_behavior": "none"})
            self.env["revcycle.contract.amendment"].browse(preview["amendment_id"]).action_apply()
        self.assertEqual(self.revenue.modification_ids.mapped("kind"), ["catch_up"])
        # 2 seats of the platform from February, not prorated: January and February billed at 100 (February's
        # invoice was made on 1 February), March-December 10 x 200: 2,200; the calls 12 x 50 = 600 fixed + 30
        # variable; 2,830 in all. Only the fixed 2,800 is allocated by relative price (2,200 : 600, the calls
        # weighed without their usage): 2,200 and 600; the 30.00 stays on the calls and in January
        self.assertEqual(self.revenue.transaction_price, 2830.0)
        self.assertEqual(self.metered.allocated_amount, 630.0)
        self.assertEqual(self.fixed.allocated_amount, 2200.0)
        self.assertEqual(self._variable(), [(date(2026, 1, 31), 30.0, "posted")])
        self.assertEqual(sum(self.metered.line_ids.mapped("amount")), 630.0)
