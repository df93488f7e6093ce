"""The ledger's version: what the cash forecast's cache of learned delays and late model is keyed by
(docs/domain.md, Cash forecast: Speed).

A statement-level trigger on every table the learned part reads (journal entries and items, reconciliations,
accounts, currency rates, and what the bridges add) counts each transaction that writes to them in one row of
``revcycle_analytics_ledger_change`` (its transaction id, and 1 — or more when a savepoint that counted it was
rolled back and a later statement counted it again). The version a transaction sees is the sum of the rows its
snapshot sees:

- a write, by the ORM or raw SQL, is a statement: the first of its transaction adds the transaction's row, visible
  to the others when the transaction commits, never before; a rollback (or a savepoint's) takes the row back with
  the data, and the transaction-local setting that spares the later statements the upsert with it;
- two snapshots see nested sets of committed transactions (a later one sees every transaction an earlier one saw),
  so they see the same sum exactly when they see the same writes;
- reading it is a sum over a few rows (``_revcycle_forecast_ledger_compact`` folds the committed rows into one,
  keeping the sum, once there are more than LEDGER_COMPACT_ROWS), where the former fingerprint counted and scanned
  every journal entry of the companies (about 0.5 s at 520k entries).

Writers never wait for one another: each transaction inserts and updates its own row only.
"""

import logging

from odoo import api, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

LEDGER_CHANGE_TABLE = "revcycle_analytics_ledger_change"
LEDGER_CHANGE_FUNCTION = "revcycle_analytics_ledger_changed"
LEDGER_CHANGE_TRIGGER = "revcycle_analytics_ledger_changed"
LEDGER_CHANGED_SETTING = "revcycle.ledger_changed_in"  # the transaction that has counted itself already
LEDGER_COMPACT_ROWS = 500
LEDGER_COMPACT_LOCK = 0x52435F4C45444752  # the advisory lock one compaction at a time holds ("RC_LEDGR")


class RevcycleKpi(models.AbstractModel):
    _inherit = "revcycle.kpi"

    def init(self):
        result = super().init()
        self._revcycle_forecast_install_ledger_triggers()
        return result

    @api.model
    def _revcycle_forecast_watched_tables(self):
        """The tables whose every write changes the ledger's version: what the learned part of a forecast reads
        (the history of payments, the items open at the late model's origin, the rates converting them). Bridges
        add theirs (``super()``): revcycle_analytics_dunning the notices and card tries the late model learns from.
        res_partner is watched apart, only when a commercial partner changes (the histories are per customer)."""
        return ["account_move", "account_move_line", "account_partial_reconcile", "account_account",
                "res_currency_rate"]

    @api.model
    def _revcycle_forecast_install_ledger_triggers(self):
        """Create the change table, the trigger function and the triggers (again at each update: a bridge installed
        later adds its tables). ENABLE ALWAYS: they fire also under session_replication_role = replica."""
        cr = self.env.cr
        cr.execute(SQL(
            """
            CREATE TABLE IF NOT EXISTS %(table)s (
                transaction_id bigint PRIMARY KEY,
                changes bigint NOT NULL
            );
            CREATE OR REPLACE FUNCTION %(function)s() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
                -- once per transaction (and again after a rolled-back savepoint, which takes the setting back
                -- with the row): a transaction-local setting remembers it, so the statements after the first cost
                -- a setting read, not an upsert
                IF current_setting(%(flag)s, true) IS DISTINCT FROM txid_current()::text THEN
                    INSERT INTO %(table)s AS change (transaction_id, changes) VALUES (txid_current(), 1)
                    ON CONFLICT (transaction_id) DO UPDATE SET changes = change.changes + 1;
                    PERFORM set_config(%(flag)s, txid_current()::text, true);
                END IF;
                RETURN NULL;
            END
            $body$;
            """,
            table=SQL.identifier(LEDGER_CHANGE_TABLE), function=SQL.identifier(LEDGER_CHANGE_FUNCTION),
            flag=LEDGER_CHANGED_SETTING))
        trigger, function = SQL.identifier(LEDGER_CHANGE_TRIGGER), SQL.identifier(LEDGER_CHANGE_FUNCTION)
        # created only where missing: CREATE/DROP TRIGGER and ALTER TABLE lock the busiest accounting tables against
        # writers (DROP against readers too), which an update of a live database must not do for nothing; one that
        # exists but was disabled is enabled again (a disabled trigger would leave the cache stale)
        existing = self._revcycle_forecast_ledger_triggered_tables()
        creates = {
            table: SQL("CREATE TRIGGER %(trigger)s AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %(table)s "
                       "FOR EACH STATEMENT EXECUTE FUNCTION %(function)s()",
                       trigger=trigger, table=SQL.identifier(table), function=function)
            for table in self._revcycle_forecast_watched_tables()}
        creates["res_partner"] = SQL(
            "CREATE TRIGGER %(trigger)s AFTER UPDATE OF commercial_partner_id ON res_partner FOR EACH ROW "
            "WHEN (OLD.commercial_partner_id IS DISTINCT FROM NEW.commercial_partner_id) "
            "EXECUTE FUNCTION %(function)s()", trigger=trigger, function=function)
        for table, create in creates.items():
            if existing.get(table) == "A":
                continue
            if table not in existing:
                cr.execute(create)
            cr.execute(SQL("ALTER TABLE %s ENABLE ALWAYS TRIGGER %s", SQL.identifier(table), trigger))

    @api.model
    def _revcycle_forecast_ledger_triggered_tables(self):
        """{table: how its ledger trigger is enabled (pg_trigger.tgenabled, "A" = always)} where it exists."""
        return dict(self.env.execute_query(SQL(
            "SELECT tgrelid::regclass::text, tgenabled FROM pg_trigger WHERE tgname = %s", LEDGER_CHANGE_TRIGGER)))

    @api.model
    def _cron_revcycle_forecast_ledger_compact(self):
        """Daily: fold the change table's committed rows into one, so it stays a few rows also where nobody reads
        a forecast for months (a forecast compacts it too, past LEDGER_COMPACT_ROWS rows)."""
        self._revcycle_forecast_ledger_compact(self.env.cr)

    @api.model
    def _revcycle_forecast_drop_ledger_triggers(self):
        """The uninstall hook's: the function goes with every trigger calling it (CASCADE), then the table."""
        self.env.cr.execute(SQL("DROP FUNCTION IF EXISTS %s() CASCADE; DROP TABLE IF EXISTS %s",
                                SQL.identifier(LEDGER_CHANGE_FUNCTION), SQL.identifier(LEDGER_CHANGE_TABLE)))

    @api.model
    def _revcycle_forecast_ledger_version(self):
        """(version, rows): the count of writing transactions on the watched tables this transaction's snapshot
        sees, and the rows they are counted in."""
        return tuple(self.env.execute_query(SQL(
            "SELECT COALESCE(SUM(changes), 0), COUNT(*) FROM %s", SQL.identifier(LEDGER_CHANGE_TABLE)))[0])

    @api.model
    def _revcycle_forecast_ledger_compact(self, cr):
        """Fold the committed rows ``cr`` sees into one row holding their sum, in ``cr``'s transaction (its own
        cursor, committed by the caller): every snapshot sees the same sum before and after, and writers are not
        touched (their rows are uncommitted, or committed after this snapshot: left as they are). One compaction
        at a time (an advisory lock; another one meanwhile skips)."""
        cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", LEDGER_COMPACT_LOCK))
        if not cr.fetchone()[0]:
            return False
        cr.execute(SQL(
            """
            WITH gone AS (DELETE FROM %(table)s RETURNING changes)
            INSERT INTO %(table)s (transaction_id, changes)
                 SELECT txid_current(), SUM(changes) FROM gone HAVING COUNT(*) > 0
            """, table=SQL.identifier(LEDGER_CHANGE_TABLE)))
        return True

    @api.model
    def _revcycle_forecast_ledger_maybe_compact(self, rows):
        """Compact in a cursor of its own when the table has grown past LEDGER_COMPACT_ROWS rows; a failure (a
        concurrent compaction committed meanwhile) is logged and left for the next forecast."""
        if rows <= LEDGER_COMPACT_ROWS:
            return
        try:
            with self.env.registry.cursor() as cr:
                self.with_env(self.env(cr=cr))._revcycle_forecast_ledger_compact(cr)
        except Exception:  # an optimisation: the forecast's answer does not depend on it
            _logger.info("The cash forecast's ledger change table was not compacted this time", exc_info=True)
