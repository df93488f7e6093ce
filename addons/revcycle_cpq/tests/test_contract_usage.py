"""Usage billing on contracts: metered lines, ingestion, rating inside the invoicing run, late usage, corrections,
foreign currency. Expected figures are computed by hand in the comments."""

from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import ContractCase


@tagged("post_install", "-at_install", "revcycle")
class TestContractUsage(ContractCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.metered = cls._metered_storage()
        cls.Usage = cls.env["revcycle.usage.record"]
        cls.Rating = cls.env["revcycle.usage.rating"]

    def _usage_contract(self, **values):
        lines = [
            Command.create({"product_id": self.service.id, "name": "Support", "quantity": 1, "price_unit": 310.0}),
            Command.create({"product_id": self.metered.id, "name": "Storage", "quantity": 1, "price_unit": 0.02}),
        ]
        contract = self._active(line_ids=lines, **values)
        return contract, contract.line_ids.filtered("revcycle_metered")

    def _report(self, line, *records):
        return self.Usage.revcycle_report_usage(
            [
                {"contract_line_id": line.id, "date": day, "quantity": quantity, "key": key}
                for key, day, quantity in records
            ]
        )

    def _invoice(self, contract, day):
        with freeze_time(day):
            return contract._revcycle_invoice_due_periods(date.fromisoformat(day))

    def _usage_lines(self, move):
        return move.invoice_line_ids.filtered(lambda line: line.product_id == self.metered)

    # -- metered lines ---------------------------------------------------------------------------------------------
    def test_metered_line_counts_only_its_commitment_in_mrr(self):
        contract, line = self._usage_contract()
        # the product's terms are copied to the line; its amount per period is its minimum commitment
        self.assertEqual((line.usage_included_quantity, line.usage_minimum_amount), (1000, 50.0))
        self.assertAlmostEqual(line.price_subtotal, 50.0)
        # recurring amount and MRR: 310 fixed + 50 committed = 360 a month; the rate 0.02 adds nothing by itself
        self.assertAlmostEqual(contract.recurring_total, 360.0)
        self.assertAlmostEqual(contract._revcycle_mrr(), 360.0)
        with self.assertRaisesRegex(ValidationError, "without a discount"):
            line.discount = 10

    def test_quote_shows_a_rate_not_an_amount(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": self.metered.id, "product_uom_qty": 1, "price_unit": 0.02}),
                    Command.create(
                        {
                            "product_id": self.service.id,
                            "product_uom_qty": 1,
                            "price_unit": 310.0,
                            "tax_id": [Command.clear()],
                        }
                    ),
                ],
            }
        )
        metered_line = order.order_line.filtered(lambda line: line.product_id == self.metered)
        self.assertAlmostEqual(metered_line.price_unit, 0.02)  # the rate is shown
        self.assertAlmostEqual(metered_line.price_subtotal, 0.0)  # but is no amount of the quote
        self.assertAlmostEqual(order.amount_untaxed, 310.0)
        # confirmed, the contract's metered line carries the rate and the product's allowance and commitment
        order.action_confirm()
        line = order.revcycle_contract_ids.line_ids.filtered("revcycle_metered")
        self.assertEqual((line.price_unit, line.usage_included_quantity, line.usage_minimum_amount), (0.02, 1000, 50))

    # -- ingestion -------------------------------------------------------------------------------------------------
    def test_report_usage_writes_valid_records_and_returns_the_others(self):
        contract, line = self._usage_contract()
        fixed_line = contract.line_ids - line
        result = self.Usage.revcycle_report_usage(
            [
                {"contract_line_id": line.id, "date": "2026-01-05 10:00:00", "quantity": 100, "key": "a"},
                {"contract_line_id": line.id, "date": "2026-01-06", "quantity": 2.5, "key": "b", "source": "meter"},
                {"contract_line_id": line.id, "date": "2026-01-07", "quantity": 7, "key": "a"},  # repeated key
                {"contract_line_id": line.id, "date": "2026-01-07", "quantity": -1, "key": "neg"},
                {"contract_line_id": 999999999, "date": "2026-01-07", "quantity": 1, "key": "unknown"},
                {"contract_line_id": fixed_line.id, "date": "2026-01-07", "quantity": 1, "key": "fixed"},
                {"contract_line_id": line.id, "date": "2025-12-31", "quantity": 1, "key": "before-start"},
                {"contract_line_id": line.id, "date": "2026-01-07", "quantity": "12", "key": "text"},
                {"contract_line_id": line.id, "date": "yesterday", "quantity": 1, "key": "bad-date"},
                {"contract_line_id": line.id, "date": "2026-01-07", "quantity": float("nan"), "key": "nan"},
                {"contract_line_id": line.id, "date": "2026-01-07", "quantity": 1, "key": "x" * 300},
                {"contract_line_id": line.id, "date": "2026-01-07", "quantity": 1, "key": "extra", "price": 0},
                "not a dict",
            ]
        )
        self.assertEqual(result["created"], 2)
        self.assertEqual(result["duplicates"], ["a"])
        reasons = {item["index"]: item["reason"] for item in result["refused"]}
        self.assertEqual(sorted(reasons), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        self.assertIn("is negative", reasons[3])
        self.assertIn("not a contract line you can report usage on", reasons[4])
        self.assertIn("is not metered", reasons[5])
        self.assertIn("is not active on 2025-12-31", reasons[6])
        self.assertIn("quantity must be a finite number", reasons[7])
        self.assertIn("is not a date", reasons[8])
        self.assertIn("quantity must be a finite number", reasons[9])
        self.assertIn("key must be", reasons[10])
        self.assertIn("Unknown fields price", reasons[11])
        self.assertIn("is a dict", reasons[12])
        records = self.Usage.search([("contract_line_id", "=", line.id)])
        self.assertEqual(sorted(records.mapped("idempotency_key")), ["a", "b"])
        self.assertAlmostEqual(sum(records.mapped("quantity")), 102.5)  # the repeated "a" (7) is not counted
        # the same batch again: everything is a duplicate, nothing doubled
        again = self._report(line, ("a", "2026-01-05", 100), ("b", "2026-01-06", 2.5))
        self.assertEqual((again["created"], again["duplicates"], again["refused"]), (0, ["a", "b"], []))
        self.assertEqual(self.Usage.search_count([("contract_line_id", "=", line.id)]), 2)

    def test_usage_in_a_locked_period_is_refused(self):
        contract, line = self._usage_contract()
        contract.company_id.fiscalyear_lock_date = date(2026, 1, 31)
        result = self._report(line, ("locked", "2026-01-31 23:00:00", 5), ("open", "2026-02-01", 5))
        self.assertEqual(result["created"], 1)
        self.assertIn("closed period", result["refused"][0]["reason"])
        self.assertFalse(self.Usage.search([("idempotency_key", "=", "locked")]))

    def test_usage_in_a_pause_is_refused(self):
        contract, line = self._usage_contract()
        with freeze_time("2026-01-10"):
            contract.action_pause(date(2026, 3, 1), date(2026, 3, 31))
        result = self._report(line, ("paused", "2026-03-15", 5), ("after", "2026-04-01", 5))
        self.assertEqual(result["created"], 1)
        self.assertIn("not active on 2026-03-15", result["refused"][0]["reason"])

    def test_records_are_append_only(self):
        _contract, line = self._usage_contract()
        self._report(line, ("k", "2026-01-05", 10))
        record = self.Usage.search([("idempotency_key", "=", "k")])
        with self.assertRaisesRegex(AccessError, "report a correction record"):
            record.quantity = 1
        record.source = "renamed"  # the source is a label, not a billed figure

    def test_create_and_csv_import_go_through_the_same_checks(self):
        _contract, line = self._usage_contract()
        with self.assertRaisesRegex(ValidationError, "is negative"):
            self.Usage.create(
                {"contract_line_id": line.id, "date": "2026-01-05 00:00:00", "quantity": -3, "idempotency_key": "form"}
            )
        result = self.Usage.load(
            ["contract_line_id/.id", "date", "quantity", "idempotency_key"],
            [[str(line.id), "2026-01-05 08:00:00", "5", "csv-1"], [str(line.id), "2025-06-01 08:00:00", "5", "csv-2"]],
        )
        self.assertTrue(any("not active" in message["message"] for message in result["messages"]))
        self.assertFalse(self.Usage.search([("idempotency_key", "like", "csv-")]))  # the import wrote nothing
        result = self.Usage.load(
            ["contract_line_id/.id", "date", "quantity", "idempotency_key"],
            [[str(line.id), "2026-01-05 08:00:00", "5", "csv-1"]],
        )
        self.assertFalse(result["messages"])
        record = self.Usage.search([("idempotency_key", "=", "csv-1")])
        self.assertEqual(
            (record.quantity, record.company_id, record.contract_id), (5, line.company_id, line.contract_id)
        )

    # -- rating in the invoicing run -------------------------------------------------------------------------------
    def test_prepaid_contract_bills_usage_in_arrears_with_a_shortfall_line(self):
        contract, line = self._usage_contract()
        self._report(
            line,
            ("j1", "2026-01-10 09:00:00", 1000),
            ("j2", "2026-01-31 23:59:59", 1500),
            ("f1", "2026-02-01 00:00:00", 400),
        )  # February's: not billed yet
        moves = self._invoice(contract, "2026-02-01")
        january, february = moves.sorted("invoice_date")
        # January's invoice (1 January) bills no usage: no period has closed yet
        self.assertFalse(self._usage_lines(january))
        self.assertAlmostEqual(january.amount_untaxed, 310.0)
        # February's invoice bills January's usage: 2,500 used, 1,000 included, 1,500 x 0.02 = 30.00, and the
        # commitment of 50.00 is 20.00 short: 310 + 30 + 20 = 360
        usage, shortfall = self._usage_lines(february)
        self.assertAlmostEqual(usage.price_subtotal, 30.0)
        self.assertIn("1,500.00 at 0.02", usage.name)
        self.assertAlmostEqual(shortfall.price_subtotal, 20.0)
        self.assertIn("shortfall", shortfall.name)
        self.assertEqual(
            (usage.revcycle_service_start, usage.revcycle_service_end), (date(2026, 1, 1), date(2026, 1, 31))
        )
        self.assertAlmostEqual(february.amount_untaxed, 360.0)
        rating = self.Rating.search([("contract_line_id", "=", line.id)])
        self.assertEqual(
            (rating.kind, rating.period_start, rating.quantity, rating.amount, rating.move_id),
            ("period", date(2026, 1, 1), 2500, 50.0, february),
        )
        self.assertEqual(sorted(rating.record_ids.mapped("idempotency_key")), ["j1", "j2"])
        # a second run on the same day changes nothing; February's usage waits for its period to close
        self.assertFalse(self._invoice(contract, "2026-02-01"))
        self.assertEqual(self.Rating.search_count([("contract_id", "=", contract.id)]), 1)
        self.assertFalse(self.Usage.search([("idempotency_key", "=", "f1")]).rating_id)

    def test_postpaid_contract_bills_the_period_own_usage(self):
        contract, line = self._usage_contract(billing_mode="postpaid")
        self._report(line, ("p1", "2026-01-15", 2500))
        (january,) = self._invoice(contract, "2026-02-01")
        # January's invoice, dated 1 February, bills January: 310 + 30.00 usage + 20.00 shortfall
        self.assertEqual(january.invoice_date, date(2026, 2, 1))
        self.assertAlmostEqual(january.amount_untaxed, 360.0)

    def test_a_period_is_rated_once_in_the_database(self):
        contract, line = self._usage_contract()
        self._invoice(contract, "2026-02-01")
        rating = self.Rating.search([("contract_line_id", "=", line.id)])
        # a concurrent run that read before this one committed would insert the same period's rating: refused
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.Rating.sudo().create(rating.copy_data()[0])

    def test_late_usage_goes_on_the_next_invoice_with_its_period(self):
        contract, line = self._usage_contract()
        self._report(line, ("j1", "2026-01-10", 2500))
        self._invoice(contract, "2026-02-01")  # January: 30.00 usage + 20.00 shortfall = 50.00
        # 2,000 more January calls arrive in February, after January was billed
        self._report(line, ("late", "2026-01-20", 2000))
        (march,) = self._invoice(contract, "2026-03-01")
        # January re-rated: 4,500 used, 3,500 x 0.02 = 70.00, no shortfall: 20.00 more than the 50.00 billed.
        # February: no usage, 0.00 usage + the whole 50.00 commitment short. 310 + 0 + 50 + 20 = 380
        adjustment = self._usage_lines(march).filtered(lambda item: "adjusted" in item.name)
        self.assertAlmostEqual(adjustment.price_subtotal, 20.0)
        self.assertEqual(adjustment.revcycle_service_start, date(2026, 1, 1))
        self.assertAlmostEqual(march.amount_untaxed, 380.0)
        late = self.Rating.search([("kind", "=", "adjustment")])
        # the 20.00: 40.00 more usage, the 20.00 shortfall taken back
        self.assertEqual((late.quantity, late.usage_amount, late.shortfall_amount, late.amount), (2000, 40, -20, 20))
        self.assertEqual(late.record_ids.idempotency_key, "late")

    def test_correction_after_invoicing_gives_a_credit_note(self):
        contract, line = self._usage_contract()
        self._report(line, ("big", "2026-01-10", 4000), ("small", "2026-01-11", 1000))
        self._invoice(contract, "2026-02-01")  # January: 4,000 x 0.02 = 80.00, over the commitment
        # too much taken back, or a key of nothing: refused, nothing written
        refused = self.Usage.revcycle_report_usage(
            [
                {"contract_line_id": line.id, "quantity": -4001, "key": "fix-too-much", "corrects": "big"},
                {"contract_line_id": line.id, "quantity": -1, "key": "fix-nothing", "corrects": "nope"},
            ]
        )
        self.assertEqual([item["index"] for item in refused["refused"]], [0, 1])
        result = self.Usage.revcycle_report_usage(
            [
                {"contract_line_id": line.id, "quantity": -3000, "key": "fix-big", "corrects": "big"},
            ]
        )
        self.assertEqual(result["created"], 1)
        correction = self.Usage.search([("idempotency_key", "=", "fix-big")])
        self.assertEqual(correction.date.date(), date(2026, 1, 10))  # it belongs to the period it corrects
        march = self._invoice(contract, "2026-03-01")
        # January re-rated: 2,000 used, 1,000 x 0.02 = 20.00 + 30.00 short = 50.00, 30.00 less than the 80.00
        # billed: a credit note of 30.00; March's invoice has no January line (never a duplicate)
        self.assertFalse(self._usage_lines(march).filtered(lambda item: "adjusted" in item.name))
        credit = self.env["account.move"].search(
            [("move_type", "=", "out_refund"), ("invoice_origin", "=", contract.name)]
        )
        self.assertAlmostEqual(credit.amount_untaxed, 30.0)
        self.assertEqual(correction.rating_id.move_id, credit)
        # a second run bills nothing more
        self.assertFalse(self._invoice(contract, "2026-03-01"))
        self.assertEqual(
            self.env["account.move"].search_count(
                [("move_type", "=", "out_refund"), ("invoice_origin", "=", contract.name)]
            ),
            1,
        )

    def test_foreign_currency_contract_is_rated_in_its_currency(self):
        eur = self.setup_other_currency("EUR")  # 2 EUR for 1 USD (the company's currency) since 2017
        tiered = self.env["product.product"].create(
            {
                "name": "Calls",
                "type": "service",
                "revcycle_recurring": True,
                "revcycle_metered": True,
                "revcycle_charge_model": "graduated",
                "taxes_id": [Command.clear()],
                "company_id": self.company_data["company"].id,
            }
        )
        self.env["revcycle.price.tier"].create(
            [
                {"product_tmpl_id": tiered.product_tmpl_id.id, "min_quantity": 0, "price": 0.10},
                {"product_tmpl_id": tiered.product_tmpl_id.id, "min_quantity": 101, "price": 0.08},
            ]
        )
        contract = self._active(
            currency_id=eur.id,
            line_ids=[
                Command.create({"product_id": tiered.id, "name": "Calls", "quantity": 1, "price_unit": 0.0}),
            ],
        )
        self._report(contract.line_ids, ("eur", "2026-01-10", 150))
        moves = self._invoice(contract, "2026-02-01")
        february = moves.sorted("invoice_date")[-1]
        # tiers in EUR: 0.20 and 0.16; 100 x 0.20 + 50 x 0.16 = 20.00 + 8.00 = 28.00 EUR
        self.assertEqual(february.currency_id, eur)
        self.assertAlmostEqual(february.amount_untaxed, 28.0)
        # the first invoice of a usage-only contract says when usage is billed (an invoice needs a line)
        self.assertAlmostEqual(moves.sorted("invoice_date")[0].amount_untaxed, 0.0)

    def test_last_period_usage_is_billed_when_the_term_ends(self):
        contract, line = self._usage_contract(date_end=date(2026, 3, 31))
        self._report(line, ("march", "2026-03-20", 2500))
        self._invoice(contract, "2026-03-01")  # January, February and March invoiced (prepaid)
        with freeze_time("2026-04-01"):
            contract._revcycle_expire()
        final = self.env["account.move"].search(
            [("invoice_origin", "=", contract.name), ("invoice_date", "=", date(2026, 4, 1))]
        )
        # no period's invoice follows March: its usage goes on a usage-only invoice the day after the term,
        # 1,500 x 0.02 = 30.00 + 20.00 short of the commitment = 50.00
        self.assertAlmostEqual(final.amount_untaxed, 50.0)
        self.assertEqual(contract.state, "expired")
        self.assertEqual(self.Rating.search_count([("contract_id", "=", contract.id)]), 3)  # January to March once

    @freeze_time("2026-02-10")
    def test_usage_tab_estimates_the_current_period(self):
        contract, line = self._usage_contract()
        self._report(line, ("now", "2026-02-03", 1500))
        # February so far: 500 over the allowance x 0.02 = 10.00, 40.00 short of the commitment: 50.00
        contract.invalidate_recordset()
        self.assertEqual(
            (contract.usage_period_start, contract.usage_period_end), (date(2026, 2, 1), date(2026, 2, 28))
        )
        self.assertAlmostEqual(contract.usage_quantity, 1500)
        self.assertAlmostEqual(contract.usage_estimate, 50.0)
        with Form(contract) as form:  # the tab renders
            self.assertAlmostEqual(form.usage_estimate, 50.0)

    def test_rated_usage_is_not_deleted(self):
        contract, line = self._usage_contract()
        self._report(line, ("r", "2026-01-10", 10))
        self._invoice(contract, "2026-02-01")
        with self.assertRaisesRegex(UserError, "not deleted"):
            self.Usage.search([("idempotency_key", "=", "r")]).unlink()
