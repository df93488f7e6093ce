"""Usage billing at volume (issue 22): the CSV form of ingestion (read in Python, then the dict form's short path and
COPY insert) agrees with the record-by-record checks; the usage table's one composite foreign key keeps each record's
contract and company its line's; the rating's one aggregate per (line, period) agrees with the records summed
through the ORM. Expected figures are computed by hand in the comments."""

from datetime import date, datetime, timedelta
from unittest.mock import patch

import psycopg2.errors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odoo import Command
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.revcycle_usage_record import RevcycleUsageRecord
from .common import ContractCase


@tagged("post_install", "-at_install", "revcycle")
class TestUsageBulk(ContractCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.metered = cls.env["product.product"].create(
            {
                "name": "API calls (bulk)",
                "type": "service",
                "list_price": 0.01,
                "revcycle_recurring": True,
                "revcycle_billing_period": "month",
                "revcycle_metered": True,
                "revcycle_charge_model": "per_unit",
                "taxes_id": [Command.clear()],
            }
        )
        cls.Usage = cls.env["revcycle.usage.record"]
        # an active 2026 contract with a metered line; its company locked until 2026-01-31
        cls.contract = cls._active_with_metered(date(2026, 1, 1))
        cls.line = cls.contract.line_ids.filtered("revcycle_metered")
        cls.fixed_line = cls.contract.line_ids - cls.line
        cls.contract.company_id.fiscalyear_lock_date = date(2026, 1, 31)

    @classmethod
    def _active_with_metered(cls, start, **values):
        contract = cls.env["revcycle.contract"].create(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.company_data["company"].id,
                "currency_id": cls.company_data["currency"].id,
                "date_start": start,
                "date_end": start + timedelta(days=364),
                "line_ids": [
                    Command.create({"product_id": cls.service.id, "name": "Support", "quantity": 1, "price_unit": 9}),
                    Command.create({"product_id": cls.metered.id, "name": "Calls", "quantity": 1, "price_unit": 0.01}),
                ],
                **values,
            }
        )
        contract.action_sign()
        contract.action_activate()
        return contract

    def _csv(self, *rows, header="contract_line_id,date,quantity,key,source"):
        return self.Usage.revcycle_report_usage_csv("\n".join([header, *rows]) + "\n")

    # -- CSV ingestion ---------------------------------------------------------------------------------------------
    def test_csv_rows_are_written_skipped_or_refused_one_by_one(self):
        line = self.line.id
        result = self._csv(
            f"{line},2026-02-03 10:00:00,100,a,meter",
            f"{line},2026-02-03 11:00:00,2.5,b,",
            f"{line},2026-02-04 10:00:00,7,a,",  # repeated key: the first one counts
            f'{line},2026-02-04,4,"c,quoted",',  # a date without its time: read by the full checks, accepted
            f"{line},2026-02-04 10:00:00,-1,neg,",
            "99999999,2026-02-04 10:00:00,1,unknown,",
            f"{self.fixed_line.id},2026-02-04 10:00:00,1,fixed,",
            f"{line},2026-01-31 23:00:00,1,locked,",
            f"{line},2026-02-30 10:00:00,1,no-such-day,",
            f"{line},2026-02-04 10:00:00,nan,nan,",
            f"{line},2026-02-04 10:00:00,1,   ,",
            f"{line},2026-02-04 10:00:00,1e2,exponent,",  # Python reads it (100): accepted
        )
        self.assertEqual(result["created"], 4)
        self.assertEqual(result["duplicates"], ["a"])
        reasons = {item["index"]: item["reason"] for item in result["refused"]}
        self.assertEqual(sorted(reasons), [4, 5, 6, 7, 8, 9, 10])
        self.assertIn("is negative", reasons[4])
        self.assertIn("not a contract line you can report usage on", reasons[5])
        self.assertIn("is not metered", reasons[6])
        self.assertIn("closed period", reasons[7])
        self.assertIn("is not a date", reasons[8])
        self.assertIn("quantity must be a finite number", reasons[9])
        self.assertIn("key must be", reasons[10])
        self.assertEqual(result["refused"][0]["key"], "neg")
        records = self.Usage.search([("contract_line_id", "=", self.line.id)])
        by_key = {record.idempotency_key: record for record in records}
        self.assertEqual(sorted(by_key), ["a", "b", "c,quoted", "exponent"])
        # 100 + 2.5 + 4 + 100; the repeated "a" (7) is not counted
        self.assertAlmostEqual(sum(records.mapped("quantity")), 206.5)
        self.assertEqual(by_key["a"].date, datetime(2026, 2, 3, 10, 0))
        self.assertEqual((by_key["a"].source, by_key["b"].source), ("meter", False))
        self.assertEqual(by_key["c,quoted"].date, datetime(2026, 2, 4))
        self.assertEqual((by_key["a"].contract_id, by_key["a"].company_id), (self.contract, self.contract.company_id))
        # the same rows again: all duplicates, nothing doubled
        again = self._csv(f"{line},2026-02-03 10:00:00,100,a,meter", f"{line},2026-02-03 11:00:00,2.5,b,")
        self.assertEqual((again["created"], again["duplicates"], again["refused"]), (0, ["a", "b"], []))

    def test_csv_corrections_go_through_the_full_checks(self):
        line = self.line.id
        self._csv(f"{line},2026-03-10 08:00:00,500,big,")
        result = self._csv(
            f"{line},,-200,fix-big,,big",
            f"{line},,-400,fix-too-much,,big",  # 300 left of "big": refused
            header="contract_line_id,date,quantity,key,source,corrects",
        )
        self.assertEqual(result["created"], 1)
        self.assertEqual([item["index"] for item in result["refused"]], [1])
        correction = self.Usage.search([("idempotency_key", "=", "fix-big")])
        self.assertEqual((correction.quantity, correction.date), (-200, datetime(2026, 3, 10, 8, 0)))
        self.assertEqual(correction.corrected_id.idempotency_key, "big")

    def test_a_csv_correction_may_name_a_record_of_the_same_call(self):
        """Corrections are written after the call's other rows: row 1 takes back 30 of row 0's 100 (reported in the
        same call), row 2 asks 80 of the 70 left and is refused; row 3, after them in the file, is an ordinary row."""
        line = self.line.id
        result = self._csv(
            f"{line},2026-03-11 08:00:00,100,same-call,,",
            f"{line},,-30,same-call-fix,,same-call",
            f"{line},,-80,same-call-too-much,,same-call",
            f"{line},2026-03-12 08:00:00,5,after,,",
            header="contract_line_id,date,quantity,key,source,corrects",
        )
        self.assertEqual((result["created"], result["duplicates"]), (3, []))
        self.assertEqual([item["index"] for item in result["refused"]], [2])
        fix = self.Usage.search([("idempotency_key", "=", "same-call-fix")])
        self.assertEqual((fix.quantity, fix.corrected_id.idempotency_key), (-30, "same-call"))
        # 100 - 30 + 5 = 75 on the line
        self.assertAlmostEqual(sum(self.Usage.search([("contract_line_id", "=", line)]).mapped("quantity")), 75)

    @mute_logger("odoo.sql_db")
    def test_the_database_keeps_a_record_on_its_line_contract_and_company(self):
        """One composite foreign key (line, contract, company) to the line replaces the three single ones: a record
        naming another contract than its line's is refused by the database itself, as is moving a line with usage
        to another contract; the record keeps when it was reported, not who (no log columns on a table this large)."""
        line = self.line.id
        self._csv(f"{line},2026-03-13 08:00:00,1,kept,")
        record = self.Usage.search([("idempotency_key", "=", "kept")])
        self.assertTrue(record.create_date)
        self.assertNotIn("create_uid", self.Usage._fields)
        other = self._active_with_metered(date(2026, 1, 1))
        with self.assertRaises(psycopg2.errors.ForeignKeyViolation) as refused, self.env.cr.savepoint():
            self.env.cr.execute(
                """INSERT INTO revcycle_usage_record
                       (company_id, contract_id, contract_line_id, date, quantity, idempotency_key)
                   VALUES (%s, %s, %s, '2026-03-13', 1, 'wrong-contract')""",
                [self.contract.company_id.id, other.id, line],
            )
        self.assertEqual(refused.exception.diag.constraint_name, "revcycle_usage_record_line_fkey")
        with self.assertRaises(psycopg2.errors.ForeignKeyViolation) as refused, self.env.cr.savepoint():
            self.env.cr.execute("UPDATE revcycle_contract_line SET contract_id = %s WHERE id = %s", [other.id, line])
        self.assertEqual(refused.exception.diag.constraint_name, "revcycle_usage_record_line_fkey")
        # through the ORM (the web client, XML-RPC) the contract's move to another company is refused by name first
        elsewhere = self.env["res.company"].create({"name": "Usage elsewhere"})
        with self.assertRaisesRegex(ValidationError, "Company: .* has usage records"), self.env.cr.savepoint():
            self.contract.write({"company_id": elsewhere.id})
        self.assertEqual(self.contract.company_id, self.env.company)
        self.env.cr.execute(
            """SELECT count(*) FROM pg_constraint
                WHERE conrelid = 'revcycle_usage_record'::regclass AND contype = 'f'
                  AND conkey && ARRAY(SELECT attnum FROM pg_attribute WHERE attrelid = 'revcycle_usage_record'::regclass
                                       AND attname IN ('contract_line_id', 'contract_id', 'company_id'))"""
        )
        self.assertEqual(self.env.cr.fetchone()[0], 1)

    def test_a_key_repeated_in_one_call_keeps_its_first_row_in_both_forms(self):
        """The first row of a key wins, in file order, whichever path each row takes: row 0 has a date without its
        time (full checks), row 1 the same key with a full timestamp (the statement's short path). The dict form
        keeps row 0's 10 units and calls row 1 a duplicate; the CSV form must do the same, not store row 1's 99."""
        line = self.line.id
        result = self._csv(f"{line},2026-02-05,10,twice,", f"{line},2026-02-06 10:00:00,99,twice,")
        self.assertEqual((result["created"], result["duplicates"], result["refused"]), (1, ["twice"], []))
        kept = self.Usage.search([("idempotency_key", "=", "twice")])
        self.assertEqual((kept.quantity, kept.date), (10, datetime(2026, 2, 5)))
        by_dicts = self.Usage.revcycle_report_usage(
            [
                {"contract_line_id": line, "date": "2026-02-05", "quantity": 10, "key": "twice-d"},
                {"contract_line_id": line, "date": "2026-02-06 10:00:00", "quantity": 99, "key": "twice-d"},
            ]
        )
        self.assertEqual((by_dicts["created"], by_dicts["duplicates"]), (1, ["twice-d"]))
        self.assertEqual(self.Usage.search([("idempotency_key", "=", "twice-d")]).quantity, 10)

    def test_a_date_with_a_utc_offset_is_converted_on_both_paths(self):
        """"2026-02-03 00:30+01" has the 19 characters of an ordinary timestamp, but it is 2 February 23:30 UTC:
        stored as such whether sent as a dict or as CSV (never as 3 February 00:30 with its offset dropped)."""
        line = self.line.id
        self.Usage.revcycle_report_usage(
            [{"contract_line_id": line, "date": "2026-02-03 00:30+01", "quantity": 1, "key": "tz-dict"}]
        )
        self._csv(f"{line},2026-02-03 00:30+01,1,tz-csv,")
        for key in ("tz-dict", "tz-csv"):
            self.assertEqual(self.Usage.search([("idempotency_key", "=", key)]).date, datetime(2026, 2, 2, 23, 30))

    def test_malformed_csv_is_refused_whole(self):
        line = self.line.id
        cases = [
            ("contract_line_id,date,quantity", "header must name"),  # no key column
            ("contract_line_id,date,quantity,key,price", "header must name"),
            ("contract_line_id,date,quantity,key,key", "header must name"),
            (f"contract_line_id,date,quantity,key\n{line},2026-02-03 10:00:00,1,k,extra", "cannot be read"),
            (f'contract_line_id,date,quantity,key\n{line},2026-02-03 10:00:00,1,"open', "cannot be read"),
            (f"contract_line_id,date,quantity,key\n{line},2026-02-03 10:00:00,1", "cannot be read"),
        ]
        for text, message in cases:
            with self.subTest(text=text), self.assertRaisesRegex(ValidationError, message):
                self.Usage.revcycle_report_usage_csv(text)
        with self.assertRaisesRegex(ValidationError, "must be CSV text"):
            self.Usage.revcycle_report_usage_csv([{"contract_line_id": line}])
        # a valid row before the broken one is not written either
        with self.assertRaises(ValidationError):
            self.Usage.revcycle_report_usage_csv(
                f"contract_line_id,date,quantity,key\n{line},2026-02-03 10:00:00,1,first\n{line},x"
            )
        self.assertFalse(self.Usage.search([("idempotency_key", "=", "first")]))

    def test_ordinary_rows_take_the_short_path_only(self):
        """Ordinary rows are passed by the short path (``_ordinary_row``); only the others reach the
        record-by-record checks."""
        line = self.line.id
        rows = [f"{line},2026-02-{day:02d} 12:00:00,{day},ordinary-{day}," for day in range(1, 29)]
        with patch.object(
            RevcycleUsageRecord, "_revcycle_check_record", autospec=True, side_effect=AssertionError
        ) as full_checks:
            result = self._csv(*rows)
        full_checks.assert_not_called()
        # 1 + 2 + ... + 28 = 406
        self.assertEqual(result["created"], 28)
        self.assertAlmostEqual(sum(self.Usage.search([("contract_line_id", "=", line)]).mapped("quantity")), 406)

    @settings(
        max_examples=25,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        day=st.sampled_from(
            [
                "2026-02-03 10:00:00",
                "2026-02-29 10:00:00",
                "2026-12-31 23:59:59",
                "2027-01-01 00:00:00",
                "2026-01-31 12:00:00",
                "2026-04-31 00:00:00",
                "2026-02-03 24:00:00",
                "2026-02-03 10:60:00",
                "2026-02-03",
                "2026-02-03T10:00:00",
                "2026-02-03 00:30+01",  # 19 characters with an offset: 2 February 23:30 UTC
                " 2026-02-03 10:00:00",
                "1899-12-31 00:00:00",
                "",
            ]
        ),
        quantity=st.sampled_from(
            [
                "0",
                "1",
                "2.5",
                "0001.50",
                "1000000000000",
                "1000000000000.5",
                "-1",
                "1e3",
                "inf",
                "nan",
                "",
                "abc",
                "12345678901234",
                " 3",
            ]
        ),
        key=st.sampled_from(["k", "  ", "é", "key with spaces", "x" * 255, "x" * 256, ""]),
        line_text=st.sampled_from(["{line}", "{fixed}", "0", "abc", " {line}", "99999999999"]),
    )
    def test_database_checks_agree_with_the_record_checks(self, day, quantity, key, line_text):
        """Property: for any row, the CSV call writes it exactly when the record-by-record checks accept it, with
        the same line, date and quantity (the statement only ever passes what those checks accept)."""
        line_value = line_text.format(line=self.line.id, fixed=self.fixed_line.id)
        record = {"contract_line_id": line_value, "date": day, "quantity": quantity, "key": key}
        stripped = line_value.strip()
        if stripped.isascii() and stripped.isdigit():
            record["contract_line_id"] = int(stripped)
        with self.env.cr.savepoint(flush=False) as savepoint:
            # the reference is the full checks alone (no short path), so a short path that passed what they refuse or
            # read a value differently would show here
            with patch(f"{RevcycleUsageRecord.__module__}._ordinary_row", return_value=None):
                rows, _refused = self.Usage._revcycle_check_batch([record], numbers_as_text=True)
            quoted_key = '"' + key.replace('"', '""') + '"'
            result = self._csv(f'"{line_value}","{day}","{quantity}",{quoted_key},')
            written = self.Usage.search([("idempotency_key", "=", key), ("contract_line_id", "=", self.line.id)])
            self.assertEqual(result["created"], len(rows), record)
            if rows:
                self.assertEqual(
                    (written.contract_line_id.id, written.date, written.quantity),
                    (rows[0]["contract_line_id"], rows[0]["date"], rows[0]["quantity"]),
                )
            savepoint.rollback()

    # -- the rating's aggregate ------------------------------------------------------------------------------------
    def test_period_aggregate_agrees_with_the_records(self):
        """``_revcycle_period_usage`` (one statement, by line and period) against the unrated records of each
        (line, period) summed through the ORM, on a table of cases: the periods' edges, a correction, a rated record,
        two schedules (contracts started on different days), usage outside the periods asked."""
        other = self._active_with_metered(date(2026, 2, 15))
        other_line = other.line_ids.filtered("revcycle_metered")
        line = self.line.id
        self._csv(
            f"{line},2026-02-01 00:00:00,1,p2-first-second,",  # February's first second
            f"{line},2026-02-28 23:59:59,2,p2-last-second,",  # February's last second
            f"{line},2026-03-01 00:00:00,4,p3-first-second,",  # March
            f"{line},2026-03-15 12:00:00,8,p3-rated,",  # March, rated below: left out
            f"{line},2026-04-02 00:00:00,16,p4,",  # April: after the periods asked, left out
            f"{other_line.id},2026-02-15 00:00:00,32,o1-first,",  # other: 15 Feb - 14 Mar
            f"{other_line.id},2026-03-14 23:59:59,64,o1-last,",
            f"{other_line.id},2026-03-15 00:00:00,128,o2-first,",  # other: 15 Mar - 14 Apr
        )
        self.Usage._revcycle_report(
            [{"contract_line_id": line, "quantity": -1.5, "key": "fix-p3", "corrects": "p3-first-second"}]
        )
        rating = (
            self.env["revcycle.usage.rating"]
            .sudo()
            .create(
                {
                    "contract_id": self.contract.id,
                    "contract_line_id": line,
                    "company_id": self.contract.company_id.id,
                    "currency_id": self.contract.currency_id.id,
                    "kind": "adjustment",
                    "period_start": date(2026, 3, 1),
                    "period_end": date(2026, 3, 31),
                }
            )
        )
        self.Usage.search([("idempotency_key", "=", "p3-rated")])._revcycle_rating_write({"rating_id": rating.id})

        def schedule(contract, until):
            return [
                period
                for period in period_engine.periods(contract.date_start, "month", contract.date_end, until=until)
                if period.end < until
            ]

        schedules = {line: schedule(self.contract, date(2026, 4, 1)), other_line.id: schedule(other, date(2026, 4, 15))}
        aggregate = self.env["revcycle.contract"]._revcycle_period_usage(schedules)
        expected = {}
        for line_id, periods in schedules.items():
            for period in periods:
                records = self.Usage.search(
                    [
                        ("contract_line_id", "=", line_id),
                        ("rating_id", "=", False),
                        ("date", ">=", datetime.combine(period.start, datetime.min.time())),
                        ("date", "<", datetime.combine(period.end + timedelta(days=1), datetime.min.time())),
                    ]
                )
                if records:
                    expected[(line_id, period.start)] = (sum(records.mapped("quantity")), len(records))
        self.assertEqual(aggregate, expected)
        # by hand: February 1 + 2; March 4 - 1.5 (the correction) without the rated 8; other: 32 + 64, then 128
        self.assertEqual(
            expected,
            {
                (line, date(2026, 2, 1)): (3, 2),
                (line, date(2026, 3, 1)): (2.5, 2),
                (other_line.id, date(2026, 2, 15)): (96, 2),
                (other_line.id, date(2026, 3, 15)): (128, 1),
            },
        )
        # with the rated usage (the month-end's estimate of a period whose invoice is not posted): March also counts
        # the rated 8, 2.5 + 8 = 10.5 over 3 records; the other periods had nothing rated
        everything = self.env["revcycle.contract"]._revcycle_period_usage(schedules, include_rated=True)
        self.assertEqual(everything, {**expected, (line, date(2026, 3, 1)): (10.5, 3)})
