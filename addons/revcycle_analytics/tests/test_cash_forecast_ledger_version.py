"""The ledger's version the cash forecast's cache is keyed by (models/revcycle_forecast_ledger.py): every kind of
write to a watched table changes it, by the ORM or in raw SQL; a write is seen by the others once committed, never
before; a rollback leaves the version as it was; compacting the change table keeps it.

The writes of the second part run on cursors of their own (real transactions beside the test's): statements that
change no row (``UPDATE ... WHERE false``) fire the statement-level triggers all the same, so nothing of the
database is changed. One test commits such a statement: it leaves one change counted, which changes nothing else.
"""

from contextlib import closing
from datetime import date
from unittest.mock import patch

from odoo import sql_db
from odoo.tests import TransactionCase, tagged

from ..models import revcycle_cash_forecast as forecast_model
from ..models.revcycle_forecast_ledger import LEDGER_CHANGE_TABLE
from .common import RevcycleForecastCommon

# one statement per kind of write and watched table: it writes no row, its trigger fires all the same
NO_ROW_WRITES = [
    f"{verb} {table} {tail}"
    for table in ("account_move", "account_move_line", "account_partial_reconcile", "account_account",
                  "res_currency_rate")
    for verb, tail in (("UPDATE", "SET id = id WHERE false"), ("DELETE FROM", "WHERE false"))
] + [f"INSERT INTO {table} SELECT * FROM {table} WHERE false"
     for table in ("account_move", "account_move_line", "account_partial_reconcile")]


def version(cr):
    cr.execute(f"SELECT COALESCE(SUM(changes), 0), COUNT(*) FROM {LEDGER_CHANGE_TABLE}")  # a constant
    return cr.fetchone()


@tagged("post_install", "-at_install", "revcycle")
class TestLedgerVersionTransactions(TransactionCase):
    """Each write in a transaction of its own, beside the test's."""

    def _cursor(self):
        return closing(sql_db.db_connect(self.env.cr.dbname).cursor())

    def test_each_kind_of_write_counts_and_a_rollback_takes_it_back(self):
        with self._cursor() as cr:
            before = version(cr)[0]
            for statement in NO_ROW_WRITES:
                cr.execute("SAVEPOINT one_write")
                cr.execute(statement)
                self.assertEqual(version(cr)[0], before + 1, statement)  # seen by its own transaction
                cr.execute("ROLLBACK TO SAVEPOINT one_write")
                self.assertEqual(version(cr)[0], before, statement)  # the savepoint's rollback takes it back
            for statement in NO_ROW_WRITES:
                cr.execute(statement)
            # a transaction counts once: its later statements read the transaction-local setting, not upsert
            self.assertEqual(version(cr)[0], before + 1)
            cr.rollback()
            self.assertEqual(version(cr)[0], before)  # rolled back: as it was

    def test_a_customer_moved_to_another_commercial_partner_counts(self):
        """The histories are per commercial partner: changing it counts, another write of the partner does not."""
        with self._cursor() as cr:
            cr.execute("SELECT id, commercial_partner_id FROM res_partner WHERE commercial_partner_id IS NOT NULL "
                       "ORDER BY id LIMIT 1")
            partner, commercial = cr.fetchone()
            before = version(cr)[0]
            cr.execute("UPDATE res_partner SET name = name, commercial_partner_id = %s WHERE id = %s",
                       [commercial, partner])
            self.assertEqual(version(cr)[0], before)  # nothing the forecast reads has changed
            cr.execute("UPDATE res_partner SET commercial_partner_id = NULL WHERE id = %s", [partner])
            self.assertEqual(version(cr)[0], before + 1)
            cr.rollback()

    def test_others_see_a_write_once_committed_never_before(self):
        with self._cursor() as writer, self._cursor() as reader, self._cursor() as old_reader:
            before = version(reader)[0]
            self.assertEqual(version(old_reader)[0], before)  # its snapshot is taken: repeatable read
            writer.execute("DELETE FROM account_partial_reconcile WHERE false")
            reader.rollback()
            self.assertEqual(version(reader)[0], before)  # uncommitted: not seen
            writer.rollback()
            reader.rollback()
            self.assertEqual(version(reader)[0], before)  # rolled back: never seen
            writer.execute("DELETE FROM account_partial_reconcile WHERE false")
            writer.commit()
            reader.rollback()
            self.assertEqual(version(reader)[0], before + 1)  # committed: seen by a new snapshot
            # an older snapshot reads the ledger as it was, and the version it was with it
            self.assertEqual(version(old_reader)[0], before)

    def test_compacting_keeps_the_version_and_leaves_writers_alone(self):
        Kpi = self.env["revcycle.kpi"]
        with self._cursor() as writer, self._cursor() as compactor:
            writer.execute("UPDATE account_move_line SET id = id WHERE false")  # uncommitted: left alone
            before = version(compactor)
            self.assertTrue(Kpi._revcycle_forecast_ledger_compact(compactor))
            after = version(compactor)
            self.assertEqual(after[0], before[0])  # the same sum, seen by the compaction's own transaction
            self.assertEqual(after[1], 1 if before[1] else 0)
            compactor.rollback()  # not kept: the test database stays as it was
            writer.rollback()


@tagged("post_install", "-at_install", "revcycle")
class TestLedgerVersionOrm(RevcycleForecastCommon):
    """The cache key follows the ORM's writes of a forecast's inputs (in the test's own transaction, where they
    are seen at once), and an answer read from the cache is the answer computed afresh."""

    TODAY = "2024-06-30"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({"name": "Version P", "is_company": True})
        cls.invoice = cls._invoice(cls.partner, "2024-03-01", "2024-03-31", 1000)
        cls._pay(cls._invoice(cls.partner, "2024-01-01", "2024-01-31", 500), 500, "2024-02-10")

    def _cache_allowed(self):
        """A test's transaction has written (its scene): let it use the cache all the same."""
        return patch.object(type(self.Kpi), "_revcycle_forecast_cache_usable", lambda _self, _transaction: True)

    def _version(self):
        self.env.flush_all()
        return self.Kpi._revcycle_forecast_ledger_version()[0]

    def assertCounts(self, write, label):
        before = self._version()
        self._as_if_a_new_transaction()
        write()
        self.assertGreater(self._version(), before, label)

    def test_orm_writes_count(self):
        receivable = self.invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        self.assertCounts(lambda: self._pay(self.invoice, 300, "2024-04-05"), "a payment")
        self.assertCounts(lambda: receivable.remove_move_reconcile(), "a reconciliation undone")
        self.assertCounts(lambda: self._invoice(self.partner, "2023-12-01", "2023-12-31", 50), "a backdated entry")
        self.assertCounts(lambda: receivable.write({"date_maturity": "2024-04-15"}), "a due date moved")
        self.assertCounts(lambda: self.env["res.currency.rate"].create(
            {"currency_id": self.env.ref("base.EUR").id, "name": "2024-05-01", "rate": 0.9,
             "company_id": self.company.id}), "a currency rate")
        contact = self.env["res.partner"].create({"name": "Version contact", "parent_id": self.partner.id})
        self.assertCounts(lambda: contact.write({"parent_id": False}), "a contact leaving its company")

    def test_cached_answer_is_the_fresh_one(self):
        """With the cache allowed in this (writing) transaction: after a payment, a reconciliation undone, a
        backdated entry or a raw SQL write the key changes, and what the forecast answers from the cache is what
        it computes with the cache emptied."""
        as_of = "2024-05-31"

        def check(label, write):
            self._as_if_a_new_transaction()
            write()
            self.env.invalidate_all()
            cached_run = self._forecast_run(date(2024, 5, 31))
            self.assertFalse(cached_run["learned_from_cache"], label)  # the write changed the key
            from_cache = self._forecast(as_of, 6)
            forecast_model._LEARNED_CACHE.clear()
            self.assertEqual(from_cache, self._forecast(as_of, 6), label)

        receivable = self.invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        forecast_model._LEARNED_CACHE.clear()
        with self._cache_allowed():
            self._forecast(as_of, 6)
            check("a payment", lambda: self._pay(self.invoice, 300, "2024-04-05"))
            check("a reconciliation undone", receivable.remove_move_reconcile)
            check("a backdated entry", lambda: self._pay(
                self._invoice(self.partner, "2023-12-01", "2023-12-31", 50), 50, "2024-01-20"))
            def raw_sql_write():
                self.env.cr.execute("UPDATE account_move_line SET date_maturity = date_maturity - 20 WHERE id IN %s",
                                    [tuple(receivable.ids)])
                # what a SQL writer of journal items does after it (models/account_partial_reconcile.py): the
                # reconciliations' payment facts as the ORM would have kept them
                self.env["account.partial.reconcile"]._revcycle_fill_payment_facts()

            check("a raw SQL write", raw_sql_write)
            # a savepoint rolled back takes its write and its count back: the cache is right to answer
            self._forecast(as_of, 6)
            before = self._version()
            self._as_if_a_new_transaction()
            with self.assertRaises(RuntimeError), self.env.cr.savepoint():
                self.env.cr.execute("UPDATE account_move_line SET date_maturity = NULL WHERE id IN %s",
                                    [tuple(receivable.ids)])
                self.assertEqual(self._version(), before + 1)  # counted inside the savepoint
                raise RuntimeError("rolled back")
            self.assertEqual(self._version(), before)  # and taken back with it
            self.env.invalidate_all()
            self.assertTrue(self._forecast_run(date(2024, 5, 31))["learned_from_cache"])
            from_cache = self._forecast(as_of, 6)
            forecast_model._LEARNED_CACHE.clear()
            self.assertEqual(from_cache, self._forecast(as_of, 6))

    def test_a_change_table_made_again_and_a_registry_build_empty_the_cache(self):
        """An uninstall drops the change table and a reinstall counts from 0 again: the same version number then
        means another ledger, so the key holds the table's oid; and every registry build (a bridge added or
        removed changes what the late model is fitted with) empties the process's cache."""
        as_of = date(2024, 5, 31)
        forecast_model._LEARNED_CACHE.clear()
        with self._cache_allowed():
            self._forecast_run(as_of)
            self.assertTrue(self._forecast_run(as_of)["learned_from_cache"])
            before = self._version()
            self.Kpi._revcycle_forecast_drop_ledger_triggers()  # the uninstall hook
            self.Kpi._revcycle_forecast_install_ledger_triggers()  # a reinstall's init
            self.env.cr.execute(f"INSERT INTO {LEDGER_CHANGE_TABLE} VALUES (1, %s)", [before])
            self.assertEqual(self._version(), before)
            self.assertFalse(self._forecast_run(as_of)["learned_from_cache"])  # same count, another table
            self.assertTrue(self._forecast_run(as_of)["learned_from_cache"])
            self.Kpi._register_hook()
            self.assertFalse(forecast_model._LEARNED_CACHE)

    def test_the_daily_job_compacts_the_change_table(self):
        self.env.cr.execute(f"INSERT INTO {LEDGER_CHANGE_TABLE} VALUES (-1, 2), (-2, 3)")  # two committed-like rows
        before, rows = self.Kpi._revcycle_forecast_ledger_version()
        self.assertGreaterEqual(rows, 2)
        self.env.ref("revcycle_analytics.ir_cron_forecast_ledger_compact").method_direct_trigger()
        self.assertEqual(self.Kpi._revcycle_forecast_ledger_version(), (before, 1))  # one row, the same sum

    def test_an_update_enables_a_disabled_trigger_and_leaves_the_others(self):
        """An update (init) creates no trigger that exists (no lock taken on the accounting tables for nothing) and
        enables again one that was disabled: without it the version would miss that table's writes."""
        self.env.cr.execute("ALTER TABLE account_partial_reconcile DISABLE TRIGGER revcycle_analytics_ledger_changed")
        self.assertEqual(self.Kpi._revcycle_forecast_ledger_triggered_tables()["account_partial_reconcile"], "D")
        self.Kpi._revcycle_forecast_install_ledger_triggers()
        states = self.Kpi._revcycle_forecast_ledger_triggered_tables()
        self.assertEqual(set(states), {*self.Kpi._revcycle_forecast_watched_tables(), "res_partner"})
        self.assertEqual(set(states.values()), {"A"})
