"""Usage after a contract's end (issue 22): usage of the term reported after its final usage invoice is billed by
the invoicing job on another final usage invoice, once; usage dated after the end is refused at ingestion, nothing
written. Expected figures are computed by hand in the comments."""

import threading
from datetime import date, datetime, time, timedelta
from unittest.mock import patch

import psycopg2.errors
import psycopg2.extensions
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from odoo import Command, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import ContractCase


@tagged("post_install", "-at_install", "revcycle")
class TestUsageAfterTheEnd(ContractCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 0.10 a unit, nothing included, no commitment: every figure below is units x 0.10
        cls.metered = cls.env["product.product"].create(
            {
                "name": "API calls",
                "type": "service",
                "list_price": 0.10,
                "revcycle_recurring": True,
                "revcycle_billing_period": "month",
                "revcycle_metered": True,
                "revcycle_charge_model": "per_unit",
                "taxes_id": [Command.clear()],
            }
        )
        cls.Usage = cls.env["revcycle.usage.record"]
        cls.Rating = cls.env["revcycle.usage.rating"]

    def _usage_contract(self, **values):
        """Support at 310.00 a month and API calls at 0.10, prepaid monthly from 1 January 2026, ending 30 April,
        not renewed; January to April invoiced on 1 April."""
        values.setdefault("date_end", date(2026, 4, 30))
        contract = self._active(
            line_ids=[
                Command.create({"product_id": self.service.id, "name": "Support", "quantity": 1, "price_unit": 310.0}),
                Command.create({"product_id": self.metered.id, "name": "Calls", "quantity": 1, "price_unit": 0.10}),
            ],
            **values,
        )
        with freeze_time("2026-04-01"):
            contract._revcycle_invoice_due_periods(date(2026, 4, 1))
        return contract, contract.line_ids.filtered("revcycle_metered")

    def _report(self, line, *records):
        return self.Usage.revcycle_report_usage(
            [
                {"contract_line_id": line.id, "date": day, "quantity": quantity, "key": key}
                for key, day, quantity in records
            ]
        )

    def _moves(self, contract, day, move_type="out_invoice"):
        return self.env["account.move"].search(
            [("invoice_origin", "=", contract.name), ("invoice_date", "=", day), ("move_type", "=", move_type)]
        )

    def _run_invoicing(self, day):
        with freeze_time(day):
            self.Contract._cron_generate_invoices()

    def _assert_refused_after_the_end(self, line, end):
        # usage of the day after the end (from its first second) is no part of the contract: refused with the date
        # and the end named, nothing written
        result = self._report(line, ("day-after", "2026-05-01 00:00:00", 5), ("two-days-after", "2026-05-02", 7))
        self.assertEqual(result["created"], 0)
        reasons = {item["key"]: item["reason"] for item in result["refused"]}
        self.assertEqual(sorted(reasons), ["day-after", "two-days-after"])
        self.assertIn(f"not active on 2026-05-02: the contract's term ends on {end}", reasons["two-days-after"])
        self.assertIn("not active on 2026-05-01", reasons["day-after"])
        self.assertFalse(self.Usage.search_count([("idempotency_key", "in", ["day-after", "two-days-after"])]))

    def test_late_usage_of_an_expired_contract_is_billed_once_by_the_invoicing_job(self):
        contract, line = self._usage_contract()
        self._report(line, ("march", "2026-03-15", 300))
        with freeze_time("2026-05-01"):
            self.Contract._cron_manage_terms()
        self.assertEqual(contract.state, "expired")
        # the final usage invoice on 1 May: March was billed 0.00 on 1 April, before its 300 calls were reported,
        # so +300 x 0.10 = 30.00; April has no usage yet: 0.00. 30.00 in all
        self.assertAlmostEqual(self._moves(contract, date(2026, 5, 1)).amount_untaxed, 30.0)
        # 3 May: the meter reports 1,200 calls of 28 April; one of 2 May and one of 1 May are refused
        with freeze_time("2026-05-03"):
            result = self._report(line, ("late", "2026-04-28 10:00:00", 1200))
            self.assertEqual((result["created"], result["refused"]), (1, []))
            self._assert_refused_after_the_end(line, "2026-04-30")
        self._run_invoicing("2026-05-03")
        # April re-rated with them: 1,200 x 0.10 = 120.00, 0.00 billed before: another final usage invoice of
        # 120.00, dated the day the job ran, its line labelled with April
        late = self._moves(contract, date(2026, 5, 3))
        self.assertEqual(len(late), 1)
        self.assertAlmostEqual(late.amount_untaxed, 120.0)
        self.assertEqual(late.state, "posted")
        self.assertEqual(
            (late.invoice_line_ids.revcycle_service_start, late.invoice_line_ids.revcycle_service_end),
            (date(2026, 4, 1), date(2026, 4, 30)),
        )
        self.assertIn("adjusted", late.invoice_line_ids.name)
        records = self.Usage.search([("contract_line_id", "=", line.id)])
        self.assertEqual(len(records), 2)
        self.assertTrue(all(records.mapped("rating_id")), "every record of the term is billed")
        invoices_before = contract.invoice_ids
        ratings_before = self.Rating.search_count([("contract_id", "=", contract.id)])
        # a second run, the same day or later, bills nothing more
        self._run_invoicing("2026-05-03")
        self._run_invoicing("2026-05-04")
        contract.invalidate_recordset()
        self.assertEqual(contract.invoice_ids, invoices_before)
        self.assertEqual(self.Rating.search_count([("contract_id", "=", contract.id)]), ratings_before)
        self.assertNotIn(contract.id, self._late_contract_ids())

    def test_late_usage_after_a_termination_with_notice_and_its_correction(self):
        contract, line = self._usage_contract(notice_days=20, date_end=date(2026, 12, 31))
        with freeze_time("2026-04-01"):
            contract.action_terminate(date(2026, 4, 30))  # 20 days' notice: the earliest end is 21 April
        self.assertEqual((contract.state, contract.date_end), ("pending_termination", date(2026, 4, 30)))
        self._report(line, ("april", "2026-04-10", 500))
        with freeze_time("2026-05-01"):
            self.Contract._cron_manage_terms()
        self.assertEqual(contract.state, "terminated")
        # the end of the termination bills April: 500 x 0.10 = 50.00
        self.assertAlmostEqual(self._moves(contract, date(2026, 5, 1)).amount_untaxed, 50.0)
        self._assert_refused_after_the_end(line, "2026-04-30")
        # the termination date's last second is still inside the term
        self._report(line, ("late", "2026-04-28", 1200), ("last-second", "2026-04-30 23:59:59", 1))
        self._run_invoicing("2026-05-03")
        # April re-rated: (500 + 1,200 + 1) x 0.10 = 170.10, 50.00 billed before: +120.10
        self.assertAlmostEqual(self._moves(contract, date(2026, 5, 3)).amount_untaxed, 120.10)
        # a correction taking back 200 of the 10 April calls, sent after that: April re-rated at 1,501 x 0.10 =
        # 150.10, 170.10 billed: a credit note of 20.00 from the next run, and nothing more after it
        result = self.Usage.revcycle_report_usage(
            [{"contract_line_id": line.id, "quantity": -200, "key": "fix-april", "corrects": "april"}]
        )
        self.assertEqual(result["created"], 1, result["refused"])
        self._run_invoicing("2026-05-05")
        credit = self._moves(contract, date(2026, 5, 5), "out_refund")
        self.assertAlmostEqual(credit.amount_untaxed, 20.0)
        self._run_invoicing("2026-05-06")
        self.assertFalse(
            self._moves(contract, date(2026, 5, 6)) | self._moves(contract, date(2026, 5, 6), "out_refund")
        )
        billed = sum(rating.amount for rating in self.Rating.search([("contract_line_id", "=", line.id)]))
        self.assertAlmostEqual(billed, 150.10)  # January to March 0.00 each, April 150.10 in all

    def test_foreign_currency_contract_late_usage_is_billed_in_its_currency(self):
        eur = self.setup_other_currency("EUR")  # 2 EUR for 1 USD (the company's currency)
        contract, line = self._usage_contract(currency_id=eur.id)
        with freeze_time("2026-05-01"):
            self.Contract._cron_manage_terms()
        self._report(line, ("late", "2026-04-28", 1200))
        self._run_invoicing("2026-05-03")
        # the line's rate is in the contract's currency: 1,200 x 0.10 EUR = 120.00 EUR, no conversion
        late = self._moves(contract, date(2026, 5, 3))
        self.assertEqual(late.currency_id, eur)
        self.assertAlmostEqual(late.amount_untaxed, 120.0)
        self.assertAlmostEqual(late.amount_untaxed_signed, 60.0)  # 60.00 USD in the books at 2 EUR a dollar

    def test_a_failing_contract_is_flagged_and_the_others_billed(self):
        broken, broken_line = self._usage_contract()
        # another customer (the first one's invoices of 1 April are overdue by the real today: with credit
        # control installed a second contract of theirs would not be activated)
        other, other_line = self._usage_contract(partner_id=self.env["res.partner"].create({"name": "Other"}).id)
        with freeze_time("2026-05-01"):
            self.Contract._cron_manage_terms()
        self._report(broken_line, ("late-broken", "2026-04-28", 100))
        self._report(other_line, ("late-other", "2026-04-28", 100))
        original = type(self.Contract)._revcycle_invoice_final_usage

        def final_usage(contract, on_date):
            # a fault of one contract only (a tax a user archived, a partner without an account)
            if contract == broken:
                raise ValueError("no receivable account")
            return original(contract, on_date)

        with (
            patch.object(type(self.Contract), "_revcycle_invoice_final_usage", final_usage),
            mute_logger("odoo.addons.revcycle_cpq.models.revcycle_contract_usage"),
        ):
            self._run_invoicing("2026-05-03")
        self.assertAlmostEqual(self._moves(other, date(2026, 5, 3)).amount_untaxed, 10.0)  # 100 x 0.10
        self.assertIn("no receivable account", broken.invoicing_error)
        self.assertFalse(self._moves(broken, date(2026, 5, 3)), "its savepoint took its invoice back")
        self.assertNotIn(broken.id, self._late_contract_ids(), "flagged: left for a user to fix")
        broken.action_revcycle_retry_invoicing()
        self._run_invoicing("2026-05-04")
        self.assertAlmostEqual(self._moves(broken, date(2026, 5, 4)).amount_untaxed, 10.0)

    def _late_contract_ids(self, today=date(2026, 6, 1)):
        self.env.flush_all()
        query = self.Contract._revcycle_late_usage_contracts_query(today, 10000)
        return [row[0] for row in self.env.execute_query(query)]


@tagged("post_install", "-at_install", "revcycle")
class TestUsageInvoicingConcurrency(TransactionCase):
    """Two invoicing runs at once on real cursors (threads, each transaction committed as the scheduler commits a
    job's call), on the same contracts with usage: every usage record billed once, every period invoiced and rated
    once, and a run after them changes nothing. No frozen clock (it would stall the workers' waits): the contracts
    start on the first of last month."""

    def _setup(self, env, today):
        first_of_last_month = today + relativedelta(months=-1, day=1)
        used_on = datetime.combine(first_of_last_month + timedelta(days=9), time(10))
        product = env["product.product"].create({"name": "conc fixed", "type": "service", "list_price": 10.0})
        metered = env["product.product"].create(
            {
                "name": "conc calls",
                "type": "service",
                "list_price": 0.10,
                "revcycle_recurring": True,
                "revcycle_metered": True,
                "revcycle_charge_model": "per_unit",
                "taxes_id": [Command.clear()],
            }
        )
        partner = env["res.partner"].create({"name": "conc usage customer"})

        def contract_vals(date_end):
            return {
                "partner_id": partner.id,
                "date_start": first_of_last_month,
                "date_end": date_end,
                "line_ids": [
                    Command.create({"product_id": product.id, "name": "Fixed", "quantity": 1, "price_unit": 10.0}),
                    Command.create({"product_id": metered.id, "name": "Calls", "quantity": 1, "price_unit": 0.10}),
                ],
            }

        # six contracts due for last month and this month (prepaid: this month's invoice bills last month's usage)
        due = env["revcycle.contract"].create(
            [contract_vals(first_of_last_month + relativedelta(years=1, days=-1)) for _ in range(6)]
        )
        # two contracts that ended last month: invoiced, expired (their final usage invoice billed no usage), then
        # their meter reports usage of last month
        end_of_last_month = today + relativedelta(day=1, days=-1)
        ended = env["revcycle.contract"].create([contract_vals(end_of_last_month) for _ in range(2)])
        (due | ended).action_sign()
        (due | ended).action_activate()
        for contract in ended:
            contract._revcycle_invoice_due_periods(today)
            contract._revcycle_expire()
        Usage = env["revcycle.usage.record"]
        # due contract i (from 1) uses 100 x i calls in two records, 40 x i and 60 x i; ended contract i 50 x i
        quantities = [(contract, part * (index + 1)) for index, contract in enumerate(due) for part in (40, 60)]
        quantities += [(contract, 50 * (index + 1)) for index, contract in enumerate(ended)]
        result = Usage.revcycle_report_usage(
            [
                {
                    "contract_line_id": contract.line_ids.filtered("revcycle_metered").id,
                    "date": str(used_on),
                    "quantity": quantity,
                    "key": f"conc-usage-{contract.id}-{number}",
                }
                for number, (contract, quantity) in enumerate(quantities)
            ]
        )
        self.assertEqual((result["created"], result["refused"]), (14, []))
        return due, ended, (product | metered), partner

    def _work(self, same_ids, outcome, barrier):
        """One worker: first the invoicing of the same two contracts the other worker invoices at that moment
        (called directly, as a user's action would: no SKIP LOCKED to keep them apart, only the database's unique
        keys), then the invoicing job in batches of 2 until it finds nothing, each call its own transaction; a call
        the database refuses (a unique key, a serialization failure or a deadlock between the two) is rolled back
        and, for the job, made again, as the scheduler would."""
        registry = self.registry
        try:
            barrier.wait(timeout=60)
            try:
                with registry.cursor() as cr:
                    contracts = self.env(cr=cr)["revcycle.contract"].browse(same_ids)
                    outcome["same"] = len(contracts._revcycle_invoice_due_periods(fields.Date.today()))
            except (psycopg2.IntegrityError, psycopg2.extensions.TransactionRollbackError) as error:
                outcome["same"] = type(error).__name__
            for _ in range(40):
                try:
                    with registry.cursor() as cr:
                        done = self.env(cr=cr)["revcycle.contract"]._cron_generate_invoices(batch_size=2)
                except psycopg2.extensions.TransactionRollbackError:
                    outcome["retries"] += 1
                    continue
                if not done:
                    break
                outcome["handled"] += done
        except Exception as error:  # reported to the test's thread, which fails on it
            outcome["error"] = repr(error)

    def test_concurrent_invoicing_runs_bill_usage_once(self):
        registry = self.registry
        today = fields.Date.today()
        with registry.cursor() as cr:
            env = self.env(cr=cr)
            due, ended, products, partner = self._setup(env, today)
            ids, due_ids, ended_ids, names = (due | ended).ids, due.ids, ended.ids, (due | ended).mapped("name")
            product_ids, partner_id = products.ids, partner.id
            # the two workers run on cursors of their own: they see only committed contracts and usage
            cr.commit()  # pylint: disable=invalid-commit
        try:
            outcomes = {name: {"same": None, "handled": 0, "retries": 0, "error": None} for name in ("a", "b")}
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(target=self._work, args=(due_ids[:2], outcomes[name], barrier)) for name in outcomes
            ]
            # the refusals of the database (a unique key, a serialization failure) are logged by odoo.sql_db: expected
            with mute_logger("odoo.sql_db"):
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=300)
            self.assertEqual([outcome["error"] for outcome in outcomes.values()], [None, None], outcomes)
            # the two contracts invoiced directly by both workers at once: one worker made their 4 invoices (2
            # contracts x 2 periods); the other found them invoiced (0) or was refused by the database
            same = sorted((outcome["same"] for outcome in outcomes.values()), key=str)
            self.assertIn(4, same, outcomes)
            same.remove(4)
            self.assertIn(same[0], (0, "UniqueViolation", "SerializationFailure", "DeadlockDetected"), outcomes)
            with registry.cursor() as cr:
                env = self.env(cr=cr)
                self._assert_billed_once(env, today, due_ids, ended_ids)
                moves = env["account.move"].search_count([("invoice_origin", "in", names)])
                self.assertEqual(moves, 6 * 2 + 2 * 3)
                # a run after them: nothing due, no late usage left, nothing made
                env["revcycle.contract"]._cron_generate_invoices()
                self.assertEqual(env["account.move"].search_count([("invoice_origin", "in", names)]), moves)
                late = env.execute_query(env["revcycle.contract"]._revcycle_late_usage_contracts_query(today, 10000))
                self.assertFalse(set(ids) & {row[0] for row in late})
        finally:
            with registry.cursor() as cr:
                env = self.env(cr=cr)
                contracts = env["revcycle.contract"].browse(ids)
                # the usage and its ratings are evidence, never deleted through the ORM: removed here by SQL, the
                # test's own rows only
                cr.execute("DELETE FROM revcycle_usage_record WHERE contract_id = ANY(%s)", [ids])
                cr.execute("DELETE FROM revcycle_usage_rating WHERE contract_id = ANY(%s)", [ids])
                moves = env["account.move"].search([("invoice_origin", "in", contracts.mapped("name"))])
                moves.filtered(lambda move: move.state == "posted").button_draft()
                moves.with_context(force_delete=True).unlink()
                contracts.unlink()
                env["product.product"].browse(product_ids).unlink()
                env["res.partner"].browse(partner_id).unlink()

    def _assert_billed_once(self, env, today, due_ids, ended_ids):
        first_of_this_month = today + relativedelta(day=1)
        first_of_last_month = today + relativedelta(months=-1, day=1)
        Rating = env["revcycle.usage.rating"]
        Usage = env["revcycle.usage.record"]
        contracts = env["revcycle.contract"].browse(due_ids + ended_ids)
        self.assertFalse(any(contracts.mapped("invoicing_error")), contracts.mapped("invoicing_error"))
        for index, contract in enumerate(env["revcycle.contract"].browse(due_ids)):
            # last month and this month invoiced, once each: 10.00 fixed; this month's also bills last month's
            # usage, 100 x i calls x 0.10 = 10.00 x i
            self.assertEqual(
                sorted(contract.period_ids.mapped("date_start")), [first_of_last_month, first_of_this_month]
            )
            invoices = env["account.move"].search([("invoice_origin", "=", contract.name)], order="invoice_date")
            self.assertEqual(invoices.mapped("invoice_date"), [first_of_last_month, first_of_this_month])
            self.assertEqual(invoices.mapped("amount_untaxed"), [10.0, 10.0 + 10.0 * (index + 1)])
            ratings = Rating.search([("contract_id", "=", contract.id)])
            self.assertEqual(
                [(rating.kind, rating.period_start, rating.quantity, rating.amount) for rating in ratings],
                [("period", first_of_last_month, 100.0 * (index + 1), 10.0 * (index + 1))],
            )
            records = Usage.search([("contract_id", "=", contract.id)])
            self.assertEqual((len(records), records.rating_id), (2, ratings), "each record billed, by one rating")
        for index, contract in enumerate(env["revcycle.contract"].browse(ended_ids)):
            # last month 10.00; its final usage invoice 0.00 at expiry; the late 50 x i calls x 0.10 = 5.00 x i on
            # one more final usage invoice, once
            invoices = env["account.move"].search([("invoice_origin", "=", contract.name)], order="id")
            self.assertEqual(invoices.mapped("amount_untaxed"), [10.0, 0.0, 5.0 * (index + 1)])
            ratings = Rating.search([("contract_id", "=", contract.id)], order="id")
            self.assertEqual(
                [(rating.kind, rating.quantity, rating.amount) for rating in ratings],
                [("period", 0.0, 0.0), ("adjustment", 50.0 * (index + 1), 5.0 * (index + 1))],
            )
            self.assertEqual(Usage.search([("contract_id", "=", contract.id)]).rating_id, ratings[1])
