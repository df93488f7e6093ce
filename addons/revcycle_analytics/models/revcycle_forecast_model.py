"""The day's stored learned part of the current cash forecast (docs/domain.md, Cash forecast: Speed).

As Odoo's predictive lead scoring learns its frequency table in a daily cron and scores from the stored table, the
current forecast (as of the user's today) reads the delay distributions, usual amounts and late model learned once
that day: by the daily cron for each company's default forecast, or by the first current forecast of the day that
finds none. The open items are always read live; only the learned statistics are as of their training that day. A
forecast as of a past date never reads a stored model (it learns exactly as of its date).

One row per key (companies, main company, as-of day, grace, segments, current flag, the addons extending the
forecast), unique in the database: a second trainer of the same key (a second cron run, a concurrent first caller)
inserts nothing (ON CONFLICT DO NOTHING), a manager's retraining replaces the row. The row's companies are also
stored as a Many2many (written in the insert's own statement) for the record rule: a user sees a row only when
allowed in every one of its companies. Nothing here commits: the cron runner commits after each call of the job,
the forecast and the Retrain button with their request.
"""

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine import learned as learned_text

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "revcycle_analytics.group_revcycle_analytics_manager"
KEEP_DAYS = 1  # a past day's model is never read again: kept a day for the time zones ahead of the server's
DECODED_CACHE_SIZE = 8  # stored models kept decoded per process (the text of one is ~1-3 MB at 500k lines)
# the first number of the two-number advisory lock of a key's training ("RCFM"): the second is the key's hash, so
# the lock cannot collide with another feature's single-number advisory locks
TRAINING_LOCK_CLASS = 0x5243464D

# decoded stored models per process, keyed by database, row id and the payload's hash (a retraining changes it)
_DECODED = OrderedDict()
_DECODED_LOCK = threading.Lock()


class RevcycleForecastModel(models.Model):
    _name = "revcycle.forecast.model"
    _description = "Cash forecast: the day's stored learned part"
    _order = "as_of desc, trained_at desc, id desc"
    _rec_name = "key"
    _log_access = False  # trained_at says when; only the cron and the forecast write rows, never a user

    key = fields.Char(required=True, readonly=True, index=True,
                      help="What the learned part depends on: companies, main company, as-of day, grace days, "
                           "segments and the addons extending the forecast.")
    company_id = fields.Many2one("res.company", string="Main Company", required=True, readonly=True,
                                 ondelete="cascade", help="The company whose currency the forecast is stated in.")
    companies = fields.Char(string="Company IDs", required=True, readonly=True,
                            help="The ids of the companies forecast together, comma-separated.")
    # stored for the record rule (every company of the row among the user's); written with the row, in its insert
    company_ids = fields.Many2many("res.company", "revcycle_forecast_model_company_rel", "model_id", "company_id",
                                   string="Companies", readonly=True,
                                   help="The companies forecast together: the row is visible only to users allowed "
                                        "in all of them.")
    as_of = fields.Date(string="As-of Day", required=True, readonly=True)
    current = fields.Boolean(readonly=True, help="Learned for a forecast as of the day it was trained on.")
    grace_days = fields.Integer(readonly=True)
    trained_at = fields.Datetime(required=True, readonly=True)
    train_seconds = fields.Float(string="Seconds", digits=(16, 2), readonly=True,
                                 help="How long learning it took.")
    size = fields.Integer(string="Size (bytes)", readonly=True)
    examples = fields.Integer(readonly=True, help="The items the late-payment model was fitted on.")
    fitted = fields.Boolean(readonly=True, help="Whether the late-payment model was fitted (enough examples).")
    payload = fields.Text(readonly=True, prefetch=False, groups="base.group_system",
                          help="The learned part as JSON (engine/learned.py).")
    payload_hash = fields.Char(readonly=True, help="A hash of the payload: changes with every training.")
    payload_format = fields.Char(readonly=True,
                                 help="The payload's layout version and late-model features: a row of another "
                                      "format is not read, it is learned again and replaced.")
    training_error = fields.Char(readonly=True,
                                 help="Set on the row recording that the daily job failed to train this company's "
                                      "model today: the job skips the company until tomorrow, its forecasts learn "
                                      "live meanwhile, and Retrain tries again.")

    _sql_constraints = [
        ("key_unique", "UNIQUE(key)", "There is one stored learned part per forecast key."),
    ]

    def _register_hook(self):
        result = super()._register_hook()
        _DECODED.clear()  # a reinstalled table numbers its rows from 1 again
        return result

    # -- the key --
    @api.model
    def _revcycle_forecast_model_key(self, run):
        """The key of a run's learned part: everything it is learned from but the ledger (its companies, main company
        and currency, as-of day, grace days, segments, current flag, and the addons extending the forecast: a bridge
        installed later fits the late model with more features)."""
        kpi = self.env["revcycle.kpi"]
        main = kpi._revcycle_main_company(run["companies"])
        segments = hashlib.sha256(repr(sorted(run["segments"].items(), key=repr)).encode()).hexdigest()[:16]
        extensions = self._revcycle_forecast_extensions_hash()
        return (f"companies {self._revcycle_company_list(run['companies'])} | main {main.id} "
                f"{main.currency_id.name} | {run['as_of'].isoformat()} | grace {run['grace_days']} | "
                f"segments {segments} | {'current' if run['current'] else 'past'} | addons {extensions}")

    @api.model
    def _revcycle_forecast_extensions_hash(self):
        """A hash of the addons extending the forecast (``revcycle.kpi``): one installed later changes the key."""
        addons = sorted({getattr(cls, "_module", None) or "" for cls in type(self.env["revcycle.kpi"]).__mro__} - {""})
        return hashlib.sha256(",".join(addons).encode()).hexdigest()[:8]

    @api.model
    def _revcycle_company_list(self, companies):
        return ",".join(str(i) for i in sorted(companies.ids))  # the same set in any order: the same key

    # -- reading --
    @api.model
    def _revcycle_stored_learned(self, run):
        """The learned part of a current run from the day's stored model, or None when there is none (or it is not
        readable: then it is learned live)."""
        key = self._revcycle_forecast_model_key(run)
        rows = self.env.execute_query(SQL(
            "SELECT id, trained_at, payload_hash, payload_format FROM revcycle_forecast_model WHERE key = %s", key))
        if not rows:
            return None
        row_id, trained_at, payload_hash, payload_format = rows[0]
        if payload_format != learned_text.payload_format():
            # written by other code (a deploy changed the features): learned live, and the row replaced
            _logger.info("The stored cash forecast model %s is of format %s: learned live", key, payload_format)
            return None
        cache_key = (self.env.cr.dbname, row_id, payload_hash, key)
        with _DECODED_LOCK:
            decoded = _DECODED.get(cache_key)
            if decoded is not None:
                _DECODED.move_to_end(cache_key)
        if decoded is None:
            text = self.env.execute_query(SQL("SELECT payload FROM revcycle_forecast_model WHERE id = %s", row_id))
            try:
                history, model = learned_text.loads(text[0][0] if text else None)
            except learned_text.LearnedPayloadError:
                _logger.warning("The stored cash forecast model %s is not readable: learned live", key, exc_info=True)
                return None
            decoded = {
                "history": history, "usual_amount": history["usual"], "model": model,
                "distribution": self.env["revcycle.kpi"]._revcycle_forecast_distribution(history, run),
                "learned_at": fields.Datetime.to_string(trained_at),
            }
            with _DECODED_LOCK:
                _DECODED[cache_key] = decoded
                while len(_DECODED) > DECODED_CACHE_SIZE:
                    _DECODED.popitem(last=False)
        return {**decoded, "learned_stored": True, "learned_from_cache": True}

    # -- writing --
    @api.model
    def _revcycle_store_first(self, run, learned):
        """Store the learned part of the first current forecast of the day that found none, for the next callers,
        when this transaction has written nothing before (else what it learned may hold its own writes, which may
        be rolled back): in a savepoint of the caller's transaction, committed with it (its snapshot is what was
        learned from). A failure is logged: the caller's answer does not depend on it."""
        written = self.env.execute_query(SQL("SELECT txid_current_if_assigned()"))[0][0]
        if not self.env["revcycle.kpi"]._revcycle_forecast_cache_usable(written):
            return False
        # another transaction (the cron, a retraining, a concurrent first caller) is training the key: its row may
        # be inserted uncommitted, and an insert here would wait for its commit (up to its whole batch) and then
        # fail to serialize; this caller serves what it learned and stores nothing
        if not self._revcycle_try_training_lock(self._revcycle_forecast_model_key(run)):
            return False
        try:
            with self.env.cr.savepoint():
                return self._revcycle_store(run, learned)
        except Exception:  # an optimisation: the next caller learns it again
            _logger.warning("The cash forecast's learned part was not stored this time", exc_info=True)
            return False

    @api.model
    def _revcycle_store(self, run, learned, replace=False):
        """Insert the run's learned part under its key (``replace``: over the row there), in this cursor. Returns
        whether a row was written: a row already there is kept unless ``replace`` or it is of another format
        (written by other code: it is not read) (a second trainer changes nothing)."""
        text = learned_text.dumps(learned["history"], learned["model"])
        model = learned["model"]
        on_conflict = SQL(
            "DO UPDATE SET trained_at = EXCLUDED.trained_at, train_seconds = EXCLUDED.train_seconds, "
            "size = EXCLUDED.size, examples = EXCLUDED.examples, fitted = EXCLUDED.fitted, "
            "payload = EXCLUDED.payload, payload_hash = EXCLUDED.payload_hash, "
            "payload_format = EXCLUDED.payload_format %s", SQL() if replace else SQL(
                "WHERE revcycle_forecast_model.payload_format IS DISTINCT FROM EXCLUDED.payload_format"))
        main = self.env["revcycle.kpi"]._revcycle_main_company(run["companies"])
        return self._revcycle_insert_row({
            "key": self._revcycle_forecast_model_key(run), "company_id": main.id,
            "companies": self._revcycle_company_list(run["companies"]), "as_of": run["as_of"],
            "current": run["current"], "grace_days": run["grace_days"], "trained_at": learned["learned_at"],
            "train_seconds": learned.get("learned_seconds", 0.0), "size": len(text.encode()),
            "examples": model.examples, "fitted": model.fitted, "payload": text,
            "payload_hash": hashlib.sha256(text.encode()).hexdigest()[:16],
            "payload_format": learned_text.payload_format(),
        }, run["companies"], on_conflict)

    @api.model
    def _revcycle_insert_row(self, values, companies, on_conflict):
        """Insert a row (``values``: column -> value) and its companies' relation rows (``company_ids``, what the
        record rule reads) in one statement: the relation rows are written for exactly the row the insert wrote or
        replaced (none when the conflict kept the row there), so a stored row never lacks its companies. Returns
        whether a row was written."""
        rows = self.env.execute_query(SQL(
            """
            WITH stored AS (
                INSERT INTO revcycle_forecast_model (%(columns)s) VALUES (%(values)s)
                ON CONFLICT (key) %(on_conflict)s
                  RETURNING id
            ), linked AS (
                INSERT INTO revcycle_forecast_model_company_rel (model_id, company_id)
                     SELECT stored.id, company.id FROM stored, unnest(%(companies)s::int4[]) AS company(id)
                ON CONFLICT DO NOTHING
            )
            SELECT id FROM stored
            """,
            columns=SQL(", ").join(SQL.identifier(column) for column in values),
            values=SQL(", ").join(SQL("%s", value) for value in values.values()),
            on_conflict=on_conflict, companies=list(companies.ids)))
        return bool(rows)

    @api.model
    def _revcycle_train(self, as_of, companies, replace=False):
        """Learn and store the current forecast's learned part of ``companies`` as of ``as_of`` (today) with this
        environment's company as the main one, in this transaction. Skipped (False) when the key's model is
        stored already in this code's format (unless ``replace``) or another transaction is training the same key
        now. The key is computed before the customers' features: a skipped key costs one lookup."""
        run = self._revcycle_train_inputs(as_of, companies)
        key = self._revcycle_forecast_model_key(run)
        if not replace and self.env.execute_query(SQL(
                "SELECT 1 FROM revcycle_forecast_model WHERE key = %s AND payload_format = %s",
                key, learned_text.payload_format())):
            return False
        if not self._revcycle_try_training_lock(key):
            _logger.info("The cash forecast model %s is being trained by another transaction: skipped", key)
            return False
        return self._revcycle_train_run(run, replace=replace)

    @api.model
    def _revcycle_train_inputs(self, as_of, companies):
        return self.env["revcycle.kpi"]._revcycle_forecast_run_inputs(as_of, 13, companies, with_features=False)

    @api.model
    def _revcycle_train_run(self, run, replace=False):
        """Learn the run's part (its key's lock held) and store it."""
        kpi = self.env["revcycle.kpi"]
        run["features"] = kpi._revcycle_forecast_partner_features(run)
        learned = kpi._revcycle_forecast_learned_live(run)
        return self._revcycle_store(run, learned, replace=replace)

    @api.model
    def _revcycle_try_training_lock(self, key):
        """One trainer of a key at a time: a transaction-level advisory lock on the key (two numbers: this
        feature's class, the key's hash), or False when another transaction (a concurrent cron, a retraining, a
        first caller) holds it: that one is training the key, this one skips it."""
        return self.env.execute_query(SQL(
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", TRAINING_LOCK_CLASS, key))[0][0]

    @api.model
    def _cron_revcycle_forecast_train(self):
        """Daily: drop the past days' models, then train the default forecast (as of today, the company alone) of
        ONE company: the first, in the order of ``_revcycle_cron_companies``, that has neither a model of today's
        key nor a failure recorded today. Each call
        reports its progress and commits nothing itself: the cron runner commits after each call and calls the job
        again while a call did something and companies remain (10 calls per run, then it is rescheduled at once),
        so each company's row and its key's lock are committed (and released) as soon as it is trained. Returns
        how many companies this call trained (0 or 1).

        The training is in a savepoint that catches and logs; a failure is recorded as today's failure row of the
        company (``_revcycle_record_failure``), so the next call goes on with the next company instead of failing
        on this one again and again. Run twice or in parallel, it changes nothing: a stored key and a recorded
        failure are skipped, a key being trained elsewhere is skipped (its advisory lock), the inserts keep the
        row there."""
        today = fields.Date.context_today(self)
        self.env.execute_query(SQL("DELETE FROM revcycle_forecast_model WHERE as_of < %s",
                                   today - timedelta(days=KEEP_DAYS)))
        # reconciliations inserted in SQL (an import, a migration) get the payment facts the history reads; a
        # partial index finds them, so this costs nothing when there are none
        self.env["account.partial.reconcile"]._revcycle_fill_payment_facts(only_missing=True)
        companies = self._revcycle_cron_companies(today)
        for position, company in enumerate(companies):
            outcome = self._revcycle_cron_train_company(company, today)
            if outcome != "skipped":
                # remaining: the companies after this one, an upper bound (the next call skips the stored ones at a
                # lookup each, and reports nothing done when none is left)
                self.env["ir.cron"]._notify_progress(done=1, remaining=len(companies) - position - 1)
                return 1 if outcome == "trained" else 0
        self.env["ir.cron"]._notify_progress(done=0, remaining=0)
        return 0

    @api.model
    def _revcycle_cron_companies(self, today):
        """The active companies in the order the job looks at them: first those with no row of their own today
        (no model, no failure: each most likely needs training), then the others (a row there may be of an older
        key: each is looked up), each group by id. Without that order, each call would look up every company
        trained before the one it trains: N²/2 key lookups a day for N companies; with it, a call finds its company
        at once, and the run's last call (the one that finds nothing left) looks every company up: about 2N. The
        progress reported (the companies after the one trained, an upper bound) no longer counts down."""
        Company = self.env["res.company"].sudo()  # sudo: the job trains every company (there is no caller to check)
        companies = Company.search([("active", "=", True)], order="id")
        with_row = {company_id for (company_id,) in self.env.execute_query(SQL(
            """SELECT DISTINCT company_id FROM revcycle_forecast_model
                WHERE as_of = %s AND current AND companies = company_id::text""", today))}
        return companies.sorted(lambda company: (company.id in with_row, company.id))

    @api.model
    def _revcycle_cron_train_company(self, company, today):
        """Train the company's default forecast for the job: "trained", "failed" (recorded) or "skipped" (stored
        already, failed earlier today, or being trained by another transaction now)."""
        if self.env.execute_query(SQL("SELECT 1 FROM revcycle_forecast_model WHERE key = %s",
                                      self._revcycle_failure_key(company, today))):
            return "skipped"
        trainer = self.sudo()  # sudo: the cron trains every company's default forecast (no caller)
        trainer = trainer.with_company(company).with_context(allowed_company_ids=company.ids)
        started = time.perf_counter()
        try:
            with self.env.cr.savepoint():
                stored = trainer._revcycle_train(today, company)
        except Exception as error:  # any failure: recorded, the job goes on with the next company
            _logger.exception("The cash forecast model of %s was not trained", company.name)
            self._revcycle_record_failure(company, today, error, time.perf_counter() - started)
            return "failed"
        if not stored:
            return "skipped"
        _logger.info("Trained the cash forecast model of %s in %.1f s", company.name, time.perf_counter() - started)
        return "trained"

    @api.model
    def _revcycle_failure_key(self, company, as_of):
        return f"training failed | company {company.id} | {as_of.isoformat()}"

    @api.model
    def _revcycle_record_failure(self, company, as_of, error, seconds):
        """Record that the job failed to train ``company``'s default forecast today: a row of its own key (no
        payload: no forecast reads it) that the job skips for the rest of the day. Why: the job trains the first
        company without a model, so without a record the next call would pick the failing company again; reporting
        it done, the runner would call the job on it 10 times a run and reschedule it at once, forever; reporting
        nothing done, the runner would stop and the companies after it would never be trained by the job. In the
        database, not in memory, so that every worker, the next run and a parallel run see it; dropped with the
        day's models (tomorrow's job tries again). Meanwhile the company's forecasts learn their part live and
        store it as usual (the first caller's row, under the forecast's key), and a manager's Retrain of the row
        tries the training again."""
        self._revcycle_insert_row({
            "key": self._revcycle_failure_key(company, as_of), "company_id": company.id,
            "companies": self._revcycle_company_list(company), "as_of": as_of, "current": True,
            "trained_at": fields.Datetime.now(), "train_seconds": seconds,
            "training_error": self._revcycle_training_error_text(error),
        }, company, SQL("DO NOTHING"))

    def _revcycle_training_error_text(self, error):
        """What every reader of the row may see: a refusal's own message (a UserError or one of its kinds, written
        for users), otherwise only that it failed: an internal error's text can carry SQL or other records' data,
        and the server log has it."""
        if isinstance(error, UserError):
            return str(error)[:500]
        return self.env._("An internal error stopped the training (%(kind)s); the server log has the details.",
                          kind=type(error).__name__)

    # -- the manager's button --
    def action_revcycle_retrain(self):
        """Learn today's models again now (a manager, e.g. after correcting the ledger). Only today's: a past day's
        forecast learns live, exactly, and never reads one."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._(
                "%(user)s may not retrain the cash forecast: it needs the 'Revenue Cycle: Analytics / Manager' group.",
                user=self.env.user.name))
        self.env["revcycle.access"]._revcycle_require_kpi_reader()
        self.check_access("read")
        today = fields.Date.context_today(self)
        past = self.filtered(lambda record: record.as_of != today or not record.current)
        if past:
            raise UserError(self.env._(
                "Only today's models can be retrained (%(keys)s is not): a forecast as of a past day learns its "
                "part live from the ledger as it was then.", keys=", ".join(past.mapped("key"))))
        for record in self:
            companies = record.company_ids & self.env.user.company_ids
            if companies != record.company_ids:
                raise AccessError(self.env._(
                    "%(user)s may not retrain %(key)s: it covers companies they do not work in.",
                    user=self.env.user.name, key=record.key))
            # only training writes the rows
            trainer = self.sudo()  # sudo: the caller is a manager of these companies (checked above)
            trainer = trainer.with_company(record.company_id).with_context(allowed_company_ids=companies.ids)
            run = trainer._revcycle_train_inputs(today, companies)
            key = trainer._revcycle_forecast_model_key(run)
            if record.training_error:
                # the job's failure row of the company: train its default forecast (what the job failed to), then
                # drop the failure; a failure again is raised to the manager, and the row stays
                record._revcycle_retry_failed(trainer, run, key)
                continue
            if key != record.key:
                raise UserError(self.env._(
                    "%(key)s cannot be retrained: what it was learned from has changed since (now %(now)s: the grace "
                    "days, the customers' segments or the installed addons). The next forecast learns the new key.",
                    key=record.key, now=key))
            if not trainer._revcycle_try_training_lock(key):
                raise UserError(self.env._(
                    "%(key)s is being trained right now by another job or user: try again in a minute.",
                    key=record.key))
            trainer._revcycle_train_run(run, replace=True)
        return True

    def _revcycle_retry_failed(self, trainer, run, key):
        """Train (replace) the default forecast the job failed to train (``run``: its company alone, today), under
        its key's lock, then drop this failure row: the job would skip the company until tomorrow."""
        if not trainer._revcycle_try_training_lock(key):
            raise UserError(self.env._(
                "%(key)s is being trained right now by another job or user: try again in a minute.", key=key))
        trainer._revcycle_train_run(run, replace=True)
        self.env.execute_query(SQL("DELETE FROM revcycle_forecast_model WHERE id = %s", self.id))
