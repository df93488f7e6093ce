"""Contracts' future billing in the cash forecast: a fresh company without payment history (each invoice expected on
its due date, the usual payment term 0 days without invoices), today 2024-06-30; weeks from 07-01, 13 of them
(to 09-29)."""

from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.addons.revcycle_analytics.tests.common import RevcycleForecastCommon
from odoo.tests import tagged

TODAY = "2024-06-30"


@tagged("post_install", "-at_install", "revcycle")
class TestCashForecastContracts(RevcycleForecastCommon):
    TODAY = TODAY

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Forecast Subscriber", "is_company": True})
        cls.product = cls.env["product.product"].create(
            {"name": "Seat", "type": "service", "list_price": 1, "taxes_id": [Command.clear()]})
        cls.tax = cls.env["account.tax"].create({"name": "VAT 10", "amount": 10, "company_id": cls.company.id})
        cls.contract = cls.env["revcycle.contract"].sudo().create({  # the scene, as the superuser
            "partner_id": cls.customer.id, "company_id": cls.company.id, "currency_id": cls.company.currency_id.id,
            "billing_period": "month", "date_start": "2024-07-01", "state": "active",
            "line_ids": [Command.create({"product_id": cls.product.id, "name": "Seats", "price_unit": 1000,
                                         "tax_ids": [Command.set(cls.tax.ids)]})]})

    def test_next_invoices_in_the_horizon_tax_included(self):
        """Monthly 1,000 + 10 % tax = 1,100 from 07-01: 07-01 (week 1), 08-01 (day 32, week 5), 09-01 (day 63,
        week 9); 10-01 is after the horizon. Billing 7 days later: weeks 2, 6 and 10."""
        self.assertEqual(self.contract.next_invoice_date, date(2024, 7, 1))
        with freeze_time(TODAY):
            result = self.Kpi.get_cash_forecast(TODAY, 13, self.company.ids, {"billing_days": 7})
        expected = [0.0] * 13
        for week in (0, 4, 8):
            expected[week] = 1100.0
        self.assertEqual([week["expected"] for week in result["weeks"]], expected)
        self.assertEqual(result["sources"], ["contract"])
        item = result["weeks"][0]["items"][0]
        self.assertEqual((item["model"], item["res_id"], item["source"]), ("revcycle.contract", self.contract.id,
                                                                          "contract"))
        shifted = [week["expected"] for week in result["scenario"]["weeks"]]
        self.assertEqual([index for index, amount in enumerate(shifted) if amount], [1, 5, 9])
        self.assertEqual(sum(shifted), 3300.0)

    def test_contract_ending_and_past_dates(self):
        self.contract.sudo().date_end = "2024-08-15"  # no renewal: July and August only
        with freeze_time(TODAY):
            result = self.Kpi.get_cash_forecast(TODAY, 13, self.company.ids)
            past = self.Kpi.get_cash_forecast("2024-06-01", 13, self.company.ids)
        self.assertEqual(result["total_expected"], 2200.0)
        self.assertEqual(past["total_expected"], 0.0)  # a contract's schedule keeps no history: today only

    def test_usage_recorded_and_not_billed_comes_with_the_next_invoice(self):
        """A postpaid monthly contract from 06-01: Support 1,000 and Storage metered at 0.02 a unit after 1,000
        included, at least 50.00 a month, both taxed 10 %. Its invoices: 07-01 (week 1, June), 08-01 (day 32, week
        5, July), 09-01 (day 63, week 9, August). June's 4,000 units recorded and not billed yet: 3,000 billable x
        0.02 = 60.00 + 10 % = 66.00 on 07-01; July and August have no usage yet: their commitment 50.00 + 10 % =
        55.00. Support 1,100 on each date. Week 1: 1,100 + 66 = 1,166; weeks 5 and 9: 1,155."""
        metered = self.env["product.product"].create({
            "name": "Storage", "type": "service", "list_price": 0.02, "revcycle_recurring": True,
            "revcycle_billing_period": "month", "revcycle_metered": True, "revcycle_charge_model": "per_unit",
            "revcycle_usage_included": 1000, "revcycle_usage_minimum": 50.0, "taxes_id": [Command.clear()]})
        with freeze_time("2024-06-01"):  # signed on its start: usage counted (and committed) from then
            contract = self.env["revcycle.contract"].sudo().create({  # the scene, as the superuser
                "partner_id": self.customer.id, "company_id": self.company.id,
                "currency_id": self.company.currency_id.id, "billing_period": "month", "billing_mode": "postpaid",
                "date_start": "2024-06-01", "state": "active",
                "line_ids": [
                    Command.create({"product_id": self.product.id, "name": "Support", "price_unit": 1000,
                                    "tax_ids": [Command.set(self.tax.ids)]}),
                    Command.create({"product_id": metered.id, "name": "Storage", "price_unit": 0.02,
                                    "tax_ids": [Command.set(self.tax.ids)]})]})
        self.contract.sudo().state = "draft"  # the class's contract out of the way: this one alone
        self.assertEqual(contract.next_invoice_date, date(2024, 7, 1))
        storage = contract.line_ids.filtered("revcycle_metered")
        with freeze_time(TODAY):
            reported = self.env["revcycle.usage.record"].sudo().revcycle_report_usage([  # sudo: the scene
                {"contract_line_id": storage.id, "date": day, "quantity": quantity, "key": key}
                for key, day, quantity in (("u1", "2024-06-10", 2500), ("u2", "2024-06-20", 1500))])
        self.assertEqual(reported["created"], 2)
        result = self._forecast(weeks=13)
        expected = [0.0] * 13
        expected[0], expected[4], expected[8] = 1166.0, 1155.0, 1155.0
        self.assertEqual(self._expected(result), expected)
        self.assertEqual(result["sources"], ["contract", "usage"])
        self.assertEqual(sorted((item["source"], item["amount"]) for item in result["weeks"][0]["items"]),
                         [("contract", 1100.0), ("usage", 66.0)])

    def test_usage_with_a_price_included_tax_is_not_taxed_twice(self):
        """The previous scene's Storage, taxed by a 10 % tax included in its price: June's 3,000 billable units x
        0.02 = 60.00 is what the invoice will total (the tax, 5.45, is inside the 60.00), so the usage item of week
        1 is 60.00; before, the forecast added the tax on top (66.00)."""
        included = self.env["account.tax"].create(
            {"name": "VAT 10 included", "amount": 10, "price_include_override": "tax_included",
             "company_id": self.company.id})
        metered = self.env["product.product"].create({
            "name": "Storage", "type": "service", "list_price": 0.02, "revcycle_recurring": True,
            "revcycle_billing_period": "month", "revcycle_metered": True, "revcycle_charge_model": "per_unit",
            "revcycle_usage_included": 1000, "taxes_id": [Command.clear()]})
        with freeze_time("2024-06-01"):
            contract = self.env["revcycle.contract"].sudo().create({  # the scene, as the superuser
                "partner_id": self.customer.id, "company_id": self.company.id,
                "currency_id": self.company.currency_id.id, "billing_period": "month", "billing_mode": "postpaid",
                "date_start": "2024-06-01", "state": "active",
                "line_ids": [Command.create({"product_id": metered.id, "name": "Storage", "price_unit": 0.02,
                                             "tax_ids": [Command.set(included.ids)]})]})
        self.contract.sudo().state = "draft"  # the class's contract out of the way: this one alone
        storage = contract.line_ids.filtered("revcycle_metered")
        with freeze_time(TODAY):
            self.env["revcycle.usage.record"].sudo().revcycle_report_usage(  # sudo: the scene, as the superuser
                [{"contract_line_id": storage.id, "date": "2024-06-10", "quantity": 4000, "key": "incl"}])
        result = self._forecast(weeks=13)
        usage = [item["amount"] for item in result["weeks"][0]["items"] if item["source"] == "usage"]
        self.assertEqual(usage, [60.0])
