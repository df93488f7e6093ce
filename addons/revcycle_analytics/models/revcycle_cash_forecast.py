"""The 13-week cash-in forecast and its backtest (docs/domain.md, Cash forecast): ``get_cash_forecast`` and
``get_cash_backtest`` on ``revcycle.kpi``.

The ledger's open receivables come from this addon; the bridges add their sources through two hooks:
``_revcycle_forecast_items(run)`` (append items: contract billing and usage from revcycle_analytics_cpq; payment
plans and promises from revcycle_analytics_dunning, which replace the invoices they cover) and
``_revcycle_forecast_adjust(items, run)`` (re-time items: promises to pay and card auto-collection from
revcycle_analytics_dunning). ``_revcycle_forecast_partner_features(run)`` gives the late-payment
model the customers' dunning and card history, ``_revcycle_forecast_segments(run)`` their segment (risk class).

As of a date, only what was known that day is read: items dated on or before it, open by what was reconciled on
or before it; payments after it are unknown. Sources whose records keep no history (promises, contracts' schedule,
card retry state, risk classes) are used only as of today.
"""

import gc
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from datetime import timedelta
from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..engine import forecast as fc
from ..engine import latescore
from .revcycle_forecast_ledger import LEDGER_CHANGE_TABLE

DEFAULT_WEEKS = 13
MAX_WEEKS = 52
HISTORY_DAYS = 365  # the payments the delays are learned from: the last year (recent behaviour, half the reading)
TRAINING_LAG_DAYS = 182  # the late model learns from items open half a year before, whose outcome is known
ITEMS_PER_WEEK = 20  # the drill-down lists the largest items of each week, and counts them all
DEFAULT_GRACE_DAYS = 5
MAX_SHIFT_DAYS = 365
SCENARIO_KEYS = ("delay_days", "billing_days")
BACKTEST_STEP_DAYS = 28
MAX_TRAINING_EXAMPLES = 2000  # the late model learns from an even sample of at most this many items
LEARNED_CACHE_SIZE = 32  # forecasts (database, companies, date...) whose learned delays and late model are kept
LEARNED_CACHE_SECONDS = 600  # and for how long at most (memory: the key changes with the ledger, the age does not)

# What a forecast learned from the ledger (delay distributions, usual amounts, the fitted late model), kept per
# process and keyed by everything it was learned from plus the ledger's version (_revcycle_forecast_cache_key):
# any committed write to the tables it was learned from (journal entries and items, reconciliations, accounts,
# currency rates, a customer's commercial partner) changes the key.
_LEARNED_CACHE = OrderedDict()
_LEARNED_CACHE_LOCK = threading.Lock()

# The forecasts running with Python's cyclic garbage collector suspended (``cyclic_collector_suspended``), whether
# the first of them found it on (then it is switched on again) and since when it is off.
COLLECTOR_MAX_OFF_SECONDS = 30  # overlapping forecasts never keep it off longer (a threaded server's other requests)
_COLLECTOR = {"forecasts": 0, "switched_off": False, "since": 0.0}
_COLLECTOR_LOCK = threading.Lock()


@contextmanager
def cyclic_collector_suspended():
    """Python's cyclic garbage collector off while a forecast computes its answer, on again after. A forecast at
    500k receivable lines keeps a few hundred thousand containers alive for a second (rows, items, their weeks);
    they set off full collections, each traversing every object the Odoo process holds: about 0.4 s of a 3 s
    answer, for no garbage (what the forecast drops is freed by reference counting, it makes no cycles). The switch
    is process-wide: the other threads' cycles made meanwhile wait for the next collection after it. Overlapping
    forecasts share it: the last one out switches the collector on again, only if the first one in found it on, and
    any one ending after it has been off for COLLECTOR_MAX_OFF_SECONDS switches it on whatever still runs."""
    with _COLLECTOR_LOCK:
        _COLLECTOR["forecasts"] += 1  # counted first: nothing between the switch and the count can be lost
        if _COLLECTOR["forecasts"] == 1 and gc.isenabled():
            gc.disable()
            _COLLECTOR.update(switched_off=True, since=time.monotonic())
    try:
        yield
    finally:
        with _COLLECTOR_LOCK:
            _COLLECTOR["forecasts"] -= 1
            too_long = time.monotonic() - _COLLECTOR["since"] > COLLECTOR_MAX_OFF_SECONDS
            if _COLLECTOR["switched_off"] and (not _COLLECTOR["forecasts"] or too_long):
                _COLLECTOR["switched_off"] = False
                gc.enable()


class RevcycleKpi(models.AbstractModel):
    _inherit = "revcycle.kpi"

    # -- public API --
    @api.model
    def get_cash_forecast(self, date, weeks=DEFAULT_WEEKS, company_ids=None, scenario=None):
        """Expected cash-in per week for ``weeks`` weeks after ``date`` (YYYY-MM-DD, not after today), with a
        low / high band and the items behind each week, in the main company's currency. ``scenario``: a dict
        {"delay_days": N, "billing_days": N} (customers pay N days later, contracts bill N days later): the answer
        then also holds each week under the scenario and its difference. Plain data (XML-RPC safe)."""
        self.env["revcycle.access"]._revcycle_require_kpi_reader()
        as_of = self._revcycle_forecast_date(date)
        weeks = self._revcycle_forecast_week_count(weeks)
        scenario = self._revcycle_forecast_scenario(scenario)
        companies = self._revcycle_kpi_companies(company_ids)
        with cyclic_collector_suspended():
            run = self._revcycle_forecast_run(as_of, weeks, companies)
            return self._revcycle_forecast_answer(run, scenario)

    @api.model
    def get_cash_backtest(self, date=None, weeks=DEFAULT_WEEKS, origins=6, company_ids=None):
        """How far to trust the forecast: forecasts made as of ``origins`` past dates (every four weeks, the latest
        ``weeks`` weeks before ``date``, default today) against the receipts that came on their items, WAPE per
        horizon week next to the due-date forecast's, and the AUC of the late-payment scores."""
        self.env["revcycle.access"]._revcycle_require_kpi_reader()
        end = self._revcycle_forecast_date(date or fields.Date.context_today(self))
        weeks = self._revcycle_forecast_week_count(weeks)
        if not isinstance(origins, int) or isinstance(origins, bool) or not 1 <= origins <= 26:
            raise ValidationError(self.env._("Origins is a whole number from 1 to 26, not %(value)r.", value=origins))
        companies = self._revcycle_kpi_companies(company_ids)
        return self._revcycle_backtest(end, weeks, origins, companies)

    # -- inputs --
    @api.model
    def _revcycle_forecast_date(self, value):
        as_of = self.env["revcycle.access"]._revcycle_date(value, self.env._("The forecast date (date)"), upper=False)
        today = fields.Date.context_today(self)
        if as_of > today:
            raise ValidationError(self.env._(
                "The forecast date (date) %(day)s is after today (%(today)s): a forecast is made from what is known, "
                "give today or a past date.", day=fields.Date.to_string(as_of), today=fields.Date.to_string(today)))
        return as_of

    @api.model
    def _revcycle_forecast_week_count(self, weeks):
        if not isinstance(weeks, int) or isinstance(weeks, bool) or not 1 <= weeks <= MAX_WEEKS:
            raise ValidationError(self.env._(
                "weeks is a whole number of weeks from 1 to %(max)s, not %(value)r.", max=MAX_WEEKS, value=weeks))
        return weeks

    @api.model
    def _revcycle_forecast_scenario(self, scenario):
        """None, or {"delay_days": int, "billing_days": int} (missing keys 0) within a year either way."""
        if scenario in (None, False, {}):
            return None
        if not isinstance(scenario, dict) or not set(scenario) <= set(SCENARIO_KEYS):
            raise ValidationError(self.env._(
                "scenario is a dict with the keys %(keys)s (days, e.g. {'delay_days': 10}), not %(value)r.",
                keys=", ".join(SCENARIO_KEYS), value=scenario))
        result = {}
        for key in SCENARIO_KEYS:
            value = scenario.get(key, 0) or 0
            if not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_SHIFT_DAYS:
                raise ValidationError(self.env._(
                    "scenario %(key)s is a whole number of days from -%(max)s to %(max)s, not %(value)r.",
                    key=key, max=MAX_SHIFT_DAYS, value=value))
            result[key] = value
        return result

    @api.model
    def _revcycle_forecast_grace_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(  # sudo: a setting every KPI reader's forecast uses
            "revcycle_analytics.forecast_grace_days", DEFAULT_GRACE_DAYS)
        try:
            return max(0, int(value))
        except (TypeError, ValueError):
            return DEFAULT_GRACE_DAYS

    # -- the run: everything one forecast reads, as of its date --
    @api.model
    def _revcycle_forecast_run(self, as_of, weeks, companies, with_sources=True):
        """The dict every hook receives: as_of, weeks, companies, converter, grace, today's flag, the learned
        distributions and late model, and the items. ``with_sources`` False: the ledger only (the backtest)."""
        run = self._revcycle_forecast_run_inputs(as_of, weeks, companies, with_sources)
        run.update(self._revcycle_forecast_learned(run))  # and the open items when learned: read with the origin's
        if "open" not in run:
            run["open"] = self._revcycle_open_receivables(companies, as_of, run["converter"])
        items = self._revcycle_forecast_items(run)
        if with_sources:
            items = self._revcycle_forecast_adjust(items, run)
        run["items"] = items
        return run

    @api.model
    def _revcycle_forecast_run_inputs(self, as_of, weeks, companies, with_sources=True, with_features=True):
        """The run before anything is learned: what the learned part depends on (the stored model's key) and the
        customers' features as of the date (``with_features`` False: the key's inputs only, for a trainer that may
        skip the key: the features cost a query over the customers)."""
        self.env.flush_all()  # the forecast reads journal items and the siblings' records in SQL
        today = fields.Date.context_today(self)
        run = {
            "as_of": as_of,
            "weeks": weeks,
            "companies": companies,
            "converter": self._revcycle_converter(companies),
            "grace_days": self._revcycle_forecast_grace_days(),
            "current": as_of >= today,  # the sources without history may be read
            "with_sources": with_sources,
        }
        run["segments"] = self._revcycle_forecast_segments(run) if run["current"] else {}
        if with_features:
            run["features"] = self._revcycle_forecast_partner_features(run)
        return run

    # -- what is learned from the ledger, cached --
    @api.model
    def _revcycle_forecast_learned(self, run):
        """The learned part of the run. A current forecast (as of the user's today) reads the day's stored model
        (``revcycle.forecast.model``) whatever the ledger did since it was trained, and when there is none learns
        it live and stores it for the next callers; a forecast as of a past date always learns it exactly, as of
        its date (``_revcycle_forecast_learned_live``): it never reads a model trained later."""
        if not run["current"]:
            return self._revcycle_forecast_learned_live(run)
        stored_models = self.env["revcycle.forecast.model"]
        stored = stored_models._revcycle_stored_learned(run)
        if stored is not None:
            return stored
        learned = self._revcycle_forecast_learned_live(run)
        stored_models._revcycle_store_first(run, learned)
        return learned

    @api.model
    def _revcycle_forecast_learned_live(self, run):
        """The delay distributions, the customers' usual amounts and the late model learned as of the run's date
        (and its training origin): read from the cache when the ledger has not changed since they were learned,
        else learned from one pass over the history (``_revcycle_forecast_histories``) and the items open at the
        origin, then cached. Everything cached is a pure function of the cache key's inputs. When learned, the
        answer also holds the items open at the run's date ("open"), read in the same query as the origin's."""
        key = self._revcycle_forecast_cache_key(run)
        if key is not None:
            with _LEARNED_CACHE_LOCK:
                cached = _LEARNED_CACHE.get(key)
                if cached and time.monotonic() - cached[0] < LEARNED_CACHE_SECONDS:
                    _LEARNED_CACHE.move_to_end(key)
                    return {**cached[1], "learned_from_cache": True}
        as_of = run["as_of"]
        started = time.perf_counter()
        origin = as_of - timedelta(days=TRAINING_LAG_DAYS)
        history, history_then = self._revcycle_forecast_histories(run["companies"], as_of, origin, run["converter"])
        learned = {"history_then": history_then, "usual_amount": history["usual"],
                   "distribution": self._revcycle_forecast_distribution(history, run)}
        if run["current"]:
            learned["history"] = history  # what the day's stored model is written from (not kept for past dates)
        open_items = self._revcycle_open_receivables_at(run["companies"], (as_of, origin), run["converter"])
        learned["model"] = self._revcycle_late_model({**run, **learned, "open_then": open_items[origin]})
        learned.update(learned_at=fields.Datetime.to_string(fields.Datetime.now()), learned_stored=False,
                       learned_seconds=time.perf_counter() - started)
        if key is not None:
            with _LEARNED_CACHE_LOCK:
                _LEARNED_CACHE[key] = (time.monotonic(), learned)
                while len(_LEARNED_CACHE) > LEARNED_CACHE_SIZE:
                    _LEARNED_CACHE.popitem(last=False)
        return {**learned, "learned_from_cache": False, "open": open_items[as_of]}

    @api.model
    def _revcycle_forecast_distribution(self, history, run):
        """customer -> delay distribution from the histograms ``history`` learned as of the run's date."""
        return fc.learned_from_histograms(history["partners"], run["segments"], company=history["company"])[1]

    def _register_hook(self):
        """Each registry build (an install, an update, an uninstall, a bridge added or removed, in every worker)
        empties the process's cache of learned parts: what a late model is fitted with depends on the installed
        modules, and a reinstalled change table counts from 0 again (the key also holds the table's oid)."""
        result = super()._register_hook()
        _LEARNED_CACHE.clear()
        return result

    @api.model
    def _revcycle_forecast_cache_key(self, run):
        """What the learned part of a forecast depends on: the database (its name and oid: one dropped and restored
        under the same name is another), companies, main company (currency), date, grace, segments, and the
        ledger's version (models/revcycle_forecast_ledger.py) with the oid of the table it is counted in (a table
        dropped and created again counts from 0): every write to a table the learned part reads
        changes it when it commits, a rollback leaves it as it was. None (no cache) when this transaction has
        written something: its own changes count in its version and may be rolled back, after which another
        transaction's writes could bring the version to the same number."""
        written, database, change_table = self.env.execute_query(SQL(
            "SELECT txid_current_if_assigned(), (SELECT oid FROM pg_database WHERE datname = current_database()), "
            "to_regclass(%s)::oid", LEDGER_CHANGE_TABLE))[0]
        if not self._revcycle_forecast_cache_usable(written):
            return None
        version, rows = self._revcycle_forecast_ledger_version()
        self._revcycle_forecast_ledger_maybe_compact(rows)
        # "current" (the as-of date is the user's today or later, which follows the user's time zone) decides which
        # features the late model is fitted with: two users asking for the same date can differ in it
        return (self.env.cr.dbname, database, tuple(run["companies"].ids),
                self._revcycle_main_company(run["companies"]).id, run["as_of"], run["current"], run["grace_days"],
                tuple(sorted(run["segments"].items(), key=repr)), change_table, version)

    @api.model
    def _revcycle_forecast_cache_usable(self, transaction_id):
        """The cache is read and written only by a transaction that has written nothing (``transaction_id`` is
        PostgreSQL's txid_current_if_assigned(): None until the transaction writes)."""
        return transaction_id is None

    # -- hooks the bridges extend --
    @api.model
    def _revcycle_forecast_items(self, run):
        """The items bringing cash in (``engine.forecast.ForecastItem``): here the open receivables, each by its
        own due date and its customer's learned delay, scored for lateness. Bridges append theirs (``super()``)
        when ``run["with_sources"]``: contract billing and usage (revcycle_analytics_cpq), payment plans and
        promises in place of the invoices they cover (revcycle_analytics_dunning)."""
        items = []
        distribution = run["distribution"]
        for row in run["open"]:
            probability, reasons = self._revcycle_late_score(row, run)
            items.append(fc.ForecastItem(
                ref=f"account.move.line,{row['line_id']}", source="receivable", amount=row["amount"],
                due=row["due"], distribution=distribution(row["partner_id"]), label=row["move_name"],
                partner_id=row["partner_id"],
                extra={"move_id": row["move_id"], "partner_name": row["partner_name"],
                       "late_probability": probability, "reasons": reasons}))
        return items

    @api.model
    def _revcycle_late_score(self, row, run):
        """(probability of being paid after due + grace, [(reason, weight)]) of an open item: 1 for an item already
        past its due date + grace, else the late model's."""
        overdue = (run["as_of"] - row["due"]).days
        if overdue > run["grace_days"]:
            return 1.0, [("overdue", float(overdue))]
        return run["model"].score(self._revcycle_item_features(row, run))

    @api.model
    def _revcycle_forecast_adjust(self, items, run):
        """Re-time items by what is known of them (a promise to pay, a card charge planned): bridges set an
        item's ``date`` and ``probability``. Nothing here."""
        return items

    @api.model
    def _revcycle_forecast_segments(self, run):
        """{partner id: segment key} the delays of thin histories are pooled toward; none here (the company)."""
        return {}

    @api.model
    def _revcycle_forecast_partner_features(self, run):
        """{partner id: {feature key: value}} known as of ``run["as_of"]`` (dunning notices, broken promises,
        failed card charges, credit class); none here."""
        return {}

    # -- reading the ledger as of a date --
    @api.model
    def _revcycle_open_receivables(self, companies, as_of, converter):
        """The receivable items open at the end of ``as_of`` (``_revcycle_open_receivables_at`` of one date)."""
        return self._revcycle_open_receivables_at(companies, [as_of], converter)[as_of]

    @api.model
    def _revcycle_open_receivables_at(self, companies, days, converter):
        """{day: the receivable items open at the end of that day} for each of ``days``, read in one query (a cold
        forecast needs its date's and the late model's origin's): posted and dated on or before the day, their
        residual then (open today + what was reconciled with them after that day), each customer's credits taken
        off its debits (``engine.forecast.net_credits``); amounts in the main company's currency at the day's
        rate."""
        # the items' residuals are summed first, then joined to their lines by id; the accounts are given as a
        # list so that the planner reads the unreconciled items from Odoo's partial index (3x faster at 500k lines).
        # "company_id + 0": not by the company's index, which the planner otherwise prefers (it does not know that
        # most receivable lines are reconciled) and which reads every line of the company (0.78 s -> 0.38-0.53 s at
        # 500k lines); the company is still filtered, on the few unreconciled items. Several days: the lines and
        # the reconciliations after the earliest day are read once, each counted for the days it belongs to.
        days = sorted(set(days))
        accounts = [row[0] for row in self.env.execute_query(
            SQL("SELECT id FROM account_account WHERE account_type = 'asset_receivable'"))] or [0]
        # per day, an item's residual: its residual today (max_date NULL) + what was reconciled after the day
        residuals = SQL(", ").join(
            SQL("SUM(part.amount) FILTER (WHERE part.max_date IS NULL OR part.max_date > %s) AS %s",
                day, SQL.identifier(f"amount_{index}"))
            for index, day in enumerate(days))
        open_on = [SQL("(ABS(item.%s) > 0.0001 AND line.date <= %s)", SQL.identifier(f"amount_{index}"), day)
                   for index, day in enumerate(days)]
        # a reconciliation after a day changes the residual of that day of an item dated on or before it only; one
        # whose item is dated after every day it follows changes none of them (at 500k lines: 25k of the 190k
        # reconciliations of the half year since the late model's origin). Without the item's date (a row
        # inserted in SQL, not filled yet) it is read.
        def matters(line_date):
            return SQL(" OR ").join([SQL("%s IS NULL", line_date)] + [
                SQL("(max_date > %s AND %s <= %s)", day, line_date, day) for day in days])

        amounts_and_open = SQL(", ").join(
            [SQL("item.%s", SQL.identifier(f"amount_{index}")) for index in range(len(days))] + open_on)
        with self._revcycle_forecast_query_settings():
            rows = self.env.execute_query(SQL(
                """
                WITH item AS (
                    SELECT part.id, %(residuals)s
                      FROM (SELECT line.id, line.amount_residual AS amount, NULL::date AS max_date
                              FROM account_move_line line
                             WHERE line.account_id = ANY(%(accounts)s) AND line.company_id + 0 IN %(companies)s
                               AND line.parent_state = 'posted' AND line.date <= %(last)s
                               -- the condition of Odoo's partial index of the unreconciled items, word for word
                               AND (line.reconciled IS NULL OR line.reconciled = false OR line.reconciled IS NOT true)
                            UNION ALL
                            SELECT debit_move_id, amount, max_date FROM account_partial_reconcile
                             WHERE max_date > %(first)s AND company_id IN %(companies)s AND (%(debit_matters)s)
                            UNION ALL
                            SELECT credit_move_id, -amount, max_date FROM account_partial_reconcile
                             WHERE max_date > %(first)s AND company_id IN %(companies)s AND (%(credit_matters)s)
                            ) AS part
                  GROUP BY part.id
                )
                SELECT line.id, line.move_id, move.name, COALESCE(partner.commercial_partner_id, line.partner_id),
                       partner.name, line.company_id, COALESCE(line.date_maturity, line.date),
                       COALESCE(move.invoice_date, line.date), %(amounts_and_open)s
                  FROM item
                  JOIN account_move_line line ON line.id = item.id
                  JOIN account_move move ON move.id = line.move_id
             LEFT JOIN res_partner partner ON partner.id = line.partner_id
                 WHERE line.account_id = ANY(%(accounts)s) AND line.company_id IN %(companies)s
                   AND line.parent_state = 'posted' AND (%(open_on_a_day)s)
                """,
                residuals=residuals, amounts_and_open=amounts_and_open, open_on_a_day=SQL(" OR ").join(open_on),
                debit_matters=matters(SQL("revcycle_debit_date")), credit_matters=matters(SQL("revcycle_credit_date")),
                accounts=accounts,
                companies=tuple(companies.ids), first=days[0], last=days[-1]))
        by_day = {day: [] for day in days}
        count = len(days)
        for row in rows:
            amounts, opened = row[8:8 + count], row[8 + count:]
            for day, amount, is_open in zip(days, amounts, opened, strict=True):
                if is_open:  # dated on or before the day, something left on it then
                    by_day[day].append((*row[:8], amount))
        return {day: self._revcycle_open_rows(by_day[day], day, converter) for day in days}

    @api.model
    def _revcycle_open_rows(self, rows, as_of, converter):
        """The open items of one day from the query's rows (line, move, move name, customer, its name, company,
        due, invoice date, residual): credits netted per customer and company in the company's currency, before
        any conversion."""
        rows = sorted(rows)  # by line: a customer's credits are summed in the same order whatever the plan
        by_line = {}
        for line_id, move_id, move_name, partner_id, partner_name, company_id, due, invoiced, _amount in rows:
            by_line[line_id] = {
                "line_id": line_id, "move_id": move_id, "move_name": move_name or "", "partner_id": partner_id,
                "partner_name": partner_name or "", "company_id": company_id, "due": due, "invoice_date": invoiced}
        netted = fc.net_credits([(line_id, (row["partner_id"] or 0, row["company_id"]), row["due"], amount)
                                 for line_id, row, amount in ((r[0], by_line[r[0]], r[8]) for r in rows)])
        return [{**by_line[line_id], "raw_amount": remaining,
                 "amount": converter.company(remaining, by_line[line_id]["company_id"], as_of)}
                for line_id, _partner, _due, remaining in netted]

    @contextmanager
    def _revcycle_forecast_query_settings(self):
        """PostgreSQL's settings for the forecast's heavy queries, set for them only and restored after: no JIT
        (compiling the expressions took about 0.2 s of the history query, which runs once per cache fill) and
        enough work memory to group the year's payments in memory (with the default 4 MB the aggregate spilled to
        disk in 21 batches at 500k lines)."""
        settings = {"jit": "off", "work_mem": "64MB"}
        cr = self.env.cr
        cr.execute(SQL("SELECT %s", SQL(", ").join(SQL("current_setting(%s)", name) for name in settings)))
        before = dict(zip(settings, cr.fetchone(), strict=True))
        cr.execute(SQL("SELECT %s", SQL(", ").join(SQL("set_config(%s, %s, true)", name, value)
                                                    for name, value in settings.items())))
        yield
        # not on an error: the transaction (or the savepoint) rolled back then takes the settings back with it
        cr.execute(SQL("SELECT %s", SQL(", ").join(SQL("set_config(%s, %s, true)", name, value)
                                                    for name, value in before.items())))

    @api.model
    def _revcycle_forecast_histories(self, companies, as_of, origin, converter):
        """The cash payments of receivables known as of ``as_of`` and as of ``origin`` (an earlier date, the late
        model's), each over the year before its date, read in one query as histograms (``_revcycle_forecast_
        histogram_rows``). For each date: {"partners": {customer: ({delay: amount}, payments)}, "company": the same
        for all customers together, "usual": {customer: amount paid / payments}}, amounts in the main company's
        currency at that date's rate."""
        windows = ((as_of - timedelta(days=HISTORY_DAYS), as_of), (origin - timedelta(days=HISTORY_DAYS), origin))
        days = (as_of, origin)
        histories = [{"partners": {}, "company": ({}, 0), "usual": {}} for _day in days]
        totals = [{} for _day in days]
        for window, partner, company_id, delays, amounts, payments, total in self._revcycle_forecast_histogram_rows(
                companies, windows):
            factor = converter.company(1.0, company_id, days[window])
            if factor != 1.0:
                amounts = [amount * factor for amount in amounts]
                total *= factor
            history = histories[window]
            if partner is None:
                history["company"] = self._revcycle_histogram_add(history["company"], delays, amounts, payments)
                continue
            history["partners"][partner] = self._revcycle_histogram_add(
                history["partners"].get(partner), delays, amounts, payments)
            paid = totals[window].get(partner)
            totals[window][partner] = (total, payments) if paid is None else (paid[0] + total, paid[1] + payments)
        for history, paid in zip(histories, totals, strict=True):
            history["usual"] = {partner: amount / count for partner, (amount, count) in paid.items() if count}
        return histories

    @api.model
    def _revcycle_histogram_add(self, histogram, delays, amounts, payments):
        """``histogram`` ({delay: amount}, payments) or None, plus one company's rows of the same customer."""
        if histogram is None:
            return dict(zip(delays, amounts, strict=True)), payments
        weights, count = histogram
        for delay, amount in zip(delays, amounts, strict=True):
            weights[delay] = weights.get(delay, 0.0) + amount
        return weights, count + payments

    @api.model
    def _revcycle_forecast_histogram_rows(self, companies, windows):
        """The payment histograms of ``windows`` [(after, until)], grouped in SQL by window, customer (its commercial
        partner), company and delay, by the engine's rule (``engine.forecast.payment_histograms``): a payment's delay
        is its reconciliation date (``max_date``, the later of the two lines' dates, so both lines existed then) -
        the receivable's due date, clipped to [MIN_DELAY, MAX_DELAY], weighted by the amount reconciled; it is known
        in a window when reconciled after its start and on or before its end (a reconciliation undone is deleted: it
        is no payment). A credit note settling an invoice is no payment: only reconciliations with something other
        than an invoice or credit note count. Rows: (window index, customer or None for all customers together,
        company, [delays] ascending, [amounts in the company's currency], payments, amount paid). The receivable's
        customer, company, due date and account and whether it is a payment are read from the reconciliation itself
        (models/account_partial_reconcile.py: kept there by the ORM), not joined from its two journal items and the
        settling entry; the customer's commercial partner is read when the forecast runs."""
        # the windows overlap (the forecast's year and the origin's share half a year): each reconciliation is read
        # once, counted in each window it falls in (the calendar cut at the windows' bounds: the windows of each
        # part, an expression, so that the planner knows how many rows it groups and groups them by hashing; joined
        # to the parts' rows, it grouped them by sorting, 0.45 s of 0.6 s at 500k receivable lines)
        bounds = sorted({day for window in windows for day in window})
        windows_of = SQL("CASE %s END", SQL(" ").join(
            SQL("WHEN partial.max_date <= %s::date THEN %s::int[]", until,
                [span for span, (start, end) in enumerate(windows) if start <= since and until <= end])
            for since, until in pairwise(bounds)))
        with self._revcycle_forecast_query_settings():
            return self.env.execute_query(SQL(
                """
                WITH payment AS (
                    SELECT COALESCE(partner.commercial_partner_id, partial.revcycle_debit_partner_id) AS partner_id,
                           partial.revcycle_debit_company_id AS company_id,
                           LEAST(GREATEST(partial.max_date - partial.revcycle_debit_due, %(min_delay)s),
                                 %(max_delay)s) AS delay,
                           partial.amount, %(windows_of)s AS spans
                      FROM account_partial_reconcile partial
                 LEFT JOIN res_partner partner ON partner.id = partial.revcycle_debit_partner_id
                     WHERE partial.company_id IN %(companies)s
                       AND partial.max_date > %(first)s AND partial.max_date <= %(last)s
                       AND partial.revcycle_debit_account_id IN %(accounts)s
                       AND partial.revcycle_is_payment
                       AND partial.revcycle_debit_partner_id IS NOT NULL
                ),
                per_delay AS (  -- partner_id NULL: the grouping set of all customers together (payment has none)
                    SELECT span, partner_id, company_id, delay, SUM(amount) AS amount, COUNT(*) AS payments
                      FROM payment CROSS JOIN LATERAL unnest(payment.spans) AS span
                  GROUP BY GROUPING SETS ((span, partner_id, company_id, delay), (span, company_id, delay))
                    HAVING SUM(amount) > 0
                )
                SELECT span, partner_id, company_id, array_agg(delay ORDER BY delay),
                       array_agg(amount::float8 ORDER BY delay), SUM(payments)::int, SUM(amount)::float8
                  FROM per_delay
              GROUP BY span, partner_id, company_id
              ORDER BY span, partner_id, company_id
                """,
                windows_of=windows_of, companies=tuple(companies.ids),
                accounts=self._revcycle_receivable_accounts(), first=bounds[0], last=bounds[-1],
                min_delay=fc.MIN_DELAY, max_delay=fc.MAX_DELAY))

    @api.model
    def _revcycle_usual_term_days(self, companies, as_of):
        """The median payment term of the invoices of the last year (invoice date to due date): when a future
        invoice (a contract's next one) falls due."""
        rows = self.env.execute_query(SQL(
            """
            SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY line.date_maturity - move.invoice_date)
              FROM account_move_line line JOIN account_move move ON move.id = line.move_id
             WHERE line.account_id IN %(accounts)s AND line.company_id IN %(companies)s
               AND move.move_type = 'out_invoice' AND line.parent_state = 'posted'
               AND line.date <= %(as_of)s AND line.date > %(since)s AND line.date_maturity IS NOT NULL
            """,
            accounts=self._revcycle_receivable_accounts(), companies=tuple(companies.ids), as_of=as_of,
            since=as_of - timedelta(days=365)))
        return int(rows[0][0] or 0) if rows else 0

    # -- the late-payment model --
    @api.model
    def _revcycle_item_features(self, row, run, as_of=None, distribution=None, features=None):
        """The features of one open item (engine/latescore.py FEATURES) as of ``as_of`` (default the run's)."""
        as_of = as_of or run["as_of"]
        distribution = distribution or run["distribution"]
        partner_features = (features if features is not None else run["features"]).get(row["partner_id"], {})
        usual = run["usual_amount"].get(row["partner_id"])
        return {
            "past_lateness": self._revcycle_past_lateness(row["partner_id"], run, distribution),
            "amount_ratio": latescore.amount_ratio(row["amount"], usual),
            "term_days": max(0, (row["due"] - row["invoice_date"]).days) / 30.0,
            "days_to_due": (row["due"] - as_of).days / 30.0,
            "dunning": partner_features.get("dunning", 0.0),
            "broken_promises": partner_features.get("broken_promises", 0.0),
            "failed_charges": partner_features.get("failed_charges", 0.0),
            "risk_class": partner_features.get("risk_class", 0.0),
        }

    @api.model
    def _revcycle_past_lateness(self, partner_id, run, distribution):
        """The customer's late share by ``distribution`` (the run's or the late model's training one), read once per
        customer and distribution: a customer has many open items."""
        cache = run.setdefault("past_lateness", {})
        key = (id(distribution), partner_id)
        if key not in cache:
            past = distribution(partner_id)
            cache[key] = past.late_share(run["grace_days"]) or 0.0 if past else 0.0
        return cache[key]

    @api.model
    def _revcycle_late_model(self, run):
        """The late model fitted on the items open half a year before the as-of date and not late yet then (features
        as of then, from the history known then) whose fate is known as of the as-of date: late when not settled
        by due + grace. An item already late is late: it needs no score (``_revcycle_late_score``)."""
        as_of, grace = run["as_of"], run["grace_days"]
        origin = as_of - timedelta(days=TRAINING_LAG_DAYS)
        converter, companies = run["converter"], run["companies"]
        history = run["history_then"]
        _company, distribution = fc.learned_from_histograms(history["partners"], run["segments"],
                                                            company=history["company"])
        past_run = {**run, "as_of": origin, "usual_amount": history["usual"]}
        features = self._revcycle_forecast_partner_features(past_run)
        open_then = run.get("open_then")
        if open_then is None:
            open_then = self._revcycle_open_receivables(companies, origin, converter)
        open_then = [row for row in open_then if origin < row["due"] + timedelta(days=grace) <= as_of]
        stride = -(-len(open_then) // MAX_TRAINING_EXAMPLES)  # ceil: every item up to the cap, then an even sample
        open_then = open_then[::max(1, stride)]
        settled = self._revcycle_settled_by(open_then, origin, as_of, grace)
        examples = [(self._revcycle_item_features(row, past_run, origin, distribution, features),
                     settled.get(row["line_id"], 0.0) < row["raw_amount"] - 0.005)
                    for row in open_then]
        return latescore.fit(examples)

    @api.model
    def _revcycle_settled_by(self, rows, origin, as_of, grace):
        """For each item open at ``origin``: what was settled on it after ``origin`` and by its due date + grace
        (known as of ``as_of``), in the company's currency as ``raw_amount``."""
        if not rows:
            return {}
        due_of = {row["line_id"]: row["due"] + timedelta(days=grace) for row in rows}
        result = self.env.execute_query(SQL(
            """
            SELECT side.line_id, side.max_date, SUM(side.amount)
              FROM (SELECT debit_move_id AS line_id, max_date, amount FROM account_partial_reconcile
                     WHERE debit_move_id = ANY(%(ids)s) AND max_date > %(origin)s AND max_date <= %(as_of)s
                    UNION ALL
                    SELECT credit_move_id, max_date, -amount FROM account_partial_reconcile
                     WHERE credit_move_id = ANY(%(ids)s) AND max_date > %(origin)s AND max_date <= %(as_of)s) side
          GROUP BY 1, 2
            """, ids=list(due_of), origin=origin, as_of=as_of))
        settled = {}
        for line_id, day, amount in result:
            if day <= due_of[line_id]:
                settled[line_id] = settled.get(line_id, 0.0) + amount
        return settled

    # -- the answer --
    @api.model
    def _revcycle_forecast_answer(self, run, scenario):
        as_of, weeks, companies = run["as_of"], run["weeks"], run["companies"]
        currency = self._revcycle_main_company(companies).currency_id
        digits = currency.decimal_places
        computed, beyond = fc.forecast_weeks(run["items"], as_of, weeks, top=ITEMS_PER_WEEK)
        naive = fc.naive_weeks(run["items"], as_of, weeks)
        labels = dict(self._revcycle_feature_labels())
        result_weeks = []
        for week, due_date_figure in zip(computed, naive, strict=True):
            result_weeks.append({
                "week": week["week"],
                "date_from": week["date_from"].isoformat(),
                "date_to": week["date_to"].isoformat(),
                "expected": self._revcycle_json_ready(week["expected"], digits),
                "low": self._revcycle_json_ready(week["low"], digits),
                "high": self._revcycle_json_ready(week["high"], digits),
                "due_date_forecast": self._revcycle_json_ready(due_date_figure, digits),
                "item_count": week["item_count"],
                "items": [self._revcycle_forecast_item_dict(expected, share, item, labels, digits)
                          for expected, share, item in week["items"][:ITEMS_PER_WEEK]],
            })
        model = run["model"]
        result = {
            "date": as_of.isoformat(),
            "weeks_count": weeks,
            "company_ids": companies.ids,
            "currency": currency.name,
            "currency_id": currency.id,
            "currency_digits": digits,
            "weeks": result_weeks,
            "total_expected": self._revcycle_json_ready(sum(week["expected"] for week in computed), digits),
            "beyond_horizon": self._revcycle_json_ready(beyond, digits),
            "open_items": len(run["items"]),
            "sources": sorted({item.source for item in run["items"]}),
            "model": {"fitted": model.fitted, "examples": model.examples, "grace_days": run["grace_days"],
                      "prior_weight": fc.PRIOR_WEIGHT},
            # when the learned part (delays, usual amounts, late model) was learned, UTC, and whether it came from
            # the day's stored model (then the ledger may have changed since: the open items are always read now)
            "learned_at": run["learned_at"],
            "learned_stored": run["learned_stored"],
            "scenario": False,
        }
        if scenario:
            shifted, shifted_beyond = fc.forecast_weeks(
                run["items"], as_of, weeks, scenario["delay_days"], scenario["billing_days"], detail=False)
            result["scenario"] = {
                **scenario,
                "beyond_horizon": self._revcycle_json_ready(shifted_beyond, digits),
                "weeks": [{"week": week["week"],
                           "expected": self._revcycle_json_ready(week["expected"], digits),
                           "difference": self._revcycle_json_ready(week["expected"] - base["expected"], digits)}
                          for week, base in zip(shifted, computed, strict=True)],
            }
        return result

    @api.model
    def _revcycle_forecast_item_dict(self, expected, share, item, labels, digits):
        extra = item.extra
        model, _sep, res_id = item.ref.partition(",")
        return {
            "ref": item.ref,
            "model": model,
            "res_id": int(res_id) if res_id.isdigit() else False,
            "move_id": extra.get("move_id") or False,
            "source": item.source,
            "label": item.label,
            "partner_id": item.partner_id or False,
            "partner_name": extra.get("partner_name", ""),
            "amount": self._revcycle_json_ready(item.amount, digits),
            "expected": self._revcycle_json_ready(expected, digits),
            "probability": self._revcycle_json_ready(share, 4),
            "due": item.due.isoformat() if item.due else False,
            "date": item.date.isoformat() if item.date else False,
            "late_probability": self._revcycle_json_ready(extra["late_probability"], 4)
            if "late_probability" in extra else False,
            "reasons": [{"key": key, "label": labels.get(key, key), "weight": self._revcycle_json_ready(value, 3)}
                        for key, value in extra.get("reasons", [])],
        }

    @api.model
    def _revcycle_feature_labels(self):
        return [
            ("past_lateness", self.env._("Paid late before")),
            ("amount_ratio", self.env._("Larger than the customer's usual invoice")),
            ("term_days", self.env._("Long payment term")),
            ("days_to_due", self.env._("Far from its due date")),
            ("dunning", self.env._("Dunning notices received")),
            ("broken_promises", self.env._("Promises to pay broken")),
            ("failed_charges", self.env._("Failed card charges")),
            ("risk_class", self.env._("Weak credit class")),
            ("overdue", self.env._("Already overdue beyond the grace (days)")),
        ]

    # -- backtest --
    @api.model
    def _revcycle_backtest(self, end, weeks, origins, companies):
        """Forecasts of the ledger's open items made as of past dates, against the receipts that came on those
        items (docs/domain.md, Cash forecast: Backtest)."""
        horizon = timedelta(days=7 * weeks)
        origin_dates = sorted(end - horizon - timedelta(days=BACKTEST_STEP_DAYS * i) for i in range(origins))
        per_week = {"actual": [[] for _w in range(weeks)], "learned": [[] for _w in range(weeks)],
                    "naive": [[] for _w in range(weeks)]}
        scores, outcomes = [], []
        for origin in origin_dates:
            run = self._revcycle_forecast_run(origin, weeks, companies, with_sources=False)
            learned, _beyond = fc.forecast_weeks(run["items"], origin, weeks, detail=False)
            naive = fc.naive_weeks(run["items"], origin, weeks)
            actual = self._revcycle_actual_receipts(run, end)
            for k in range(weeks):
                per_week["actual"][k].append(actual[k])
                per_week["learned"][k].append(learned[k]["expected"])
                per_week["naive"][k].append(naive[k])
            late = self._revcycle_late_outcomes(run, end)
            for item in run["items"]:
                line_id = int(item.ref.split(",")[1])
                if line_id in late:
                    scores.append(item.extra["late_probability"])
                    outcomes.append(late[line_id])
        actual_all = [a for week in per_week["actual"] for a in week]
        rows = [{"week": k + 1,
                 "actual": self._revcycle_json_ready(sum(per_week["actual"][k]), 2),
                 "wape": self._revcycle_json_ready(fc.wape(per_week["actual"][k], per_week["learned"][k]), 1),
                 "wape_due_date": self._revcycle_json_ready(fc.wape(per_week["actual"][k], per_week["naive"][k]), 1)}
                for k in range(weeks)]
        wape_all = fc.wape(actual_all, [f for week in per_week["learned"] for f in week])
        naive_all = fc.wape(actual_all, [f for week in per_week["naive"] for f in week])
        return {
            "date": end.isoformat(),
            "origins": [origin.isoformat() for origin in origin_dates],
            "weeks_count": weeks,
            "company_ids": companies.ids,
            "weeks": rows,
            "wape": self._revcycle_json_ready(wape_all, 1),
            "wape_due_date": self._revcycle_json_ready(naive_all, 1),
            "improvement": self._revcycle_json_ready(
                (1 - wape_all / naive_all) * 100 if wape_all is not None and naive_all else None, 1),
            "auc": self._revcycle_json_ready(fc.auc(scores, outcomes), 3),
            "scored_items": len(scores),
        }

    @api.model
    def _revcycle_actual_receipts(self, run, end):
        """What was received per forecast week on the run's items (reconciled in that week, known by ``end``),
        converted as the forecast's amounts."""
        origin, weeks = run["as_of"], run["weeks"]
        amounts = {int(item.ref.split(",")[1]): item for item in run["items"]}
        totals = [0.0] * weeks
        if not amounts:
            return totals
        rows = self.env.execute_query(SQL(
            """
            SELECT line.id, line.company_id, partial.max_date, SUM(partial.amount)
              FROM account_partial_reconcile partial
              JOIN account_move_line line ON line.id = partial.debit_move_id
              JOIN account_move_line credit ON credit.id = partial.credit_move_id
              JOIN account_move credit_move ON credit_move.id = credit.move_id
             WHERE partial.debit_move_id = ANY(%(ids)s) AND partial.max_date > %(origin)s
               AND partial.max_date <= %(last)s AND credit_move.move_type NOT IN ('out_invoice', 'out_refund')
          GROUP BY 1, 2, 3
            """, ids=list(amounts), origin=origin, last=min(end, origin + timedelta(days=7 * weeks))))
        converter = run["converter"]
        received = {}
        for line_id, company_id, day, amount in rows:
            received.setdefault(line_id, []).append((day, converter.company(amount, company_id, origin)))
        for line_id, payments in received.items():
            cap = amounts[line_id].amount  # never more than what the forecast had open on the item
            for day, amount in sorted(payments):
                taken = min(amount, cap)
                cap -= taken
                totals[((day - origin).days - 1) // 7] += taken
        return totals

    @api.model
    def _revcycle_late_outcomes(self, run, end):
        """{line id: late} for the run's items not late yet at its date whose due date + grace had passed by ``end``
        (the items the score is for: one already late needs no forecast of it)."""
        grace = run["grace_days"]
        rows = [row for row in run["open"] if run["as_of"] < row["due"] + timedelta(days=grace) <= end]
        settled = self._revcycle_settled_by(rows, run["as_of"], end, grace)
        return {row["line_id"]: settled.get(row["line_id"], 0.0) < row["raw_amount"] - 0.005 for row in rows}

