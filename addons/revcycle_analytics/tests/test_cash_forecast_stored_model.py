"""The day's stored learned part of the current cash forecast (models/revcycle_forecast_model.py, docs/domain.md,
Cash forecast: Speed), today frozen on 2024-06-30 10:00 UTC.

History of the customer P: three invoices of 1,000, each paid exactly 10 days after its due date (H1 due 01-31 paid
02-10, H2 due 03-02 paid 03-12, H3 due 03-31 paid 04-10): P's delays (and the company's) are all +10.
Open: O 2024-06-10 due 07-10, 1,000: expected on 07-20, week 3 of the weeks from 07-01 (07-15..07-21).
Nothing was open at the late model's origin (2023-12-31): the model is not fitted, the score is P's late share.
"""

import json
from contextlib import contextmanager
from datetime import date
from unittest.mock import MagicMock, patch

from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st
from odoo.exceptions import AccessError, UserError
from odoo.modules import module as odoo_module
from odoo.tests import BaseCase, new_test_user, tagged

from ..engine import latescore
from ..engine import learned as learned_text
from ..engine.latescore import LateModel
from ..models import revcycle_cash_forecast as forecast_model
from ..models import revcycle_forecast_model as stored_model
from .common import RevcycleForecastCommon

NOW = "2024-06-30 10:00:00"
TODAY_DATE = date(2024, 6, 30)


@tagged("post_install", "-at_install", "revcycle")
class TestLearnedText(BaseCase):
    """engine/learned.py: the text reads back to the same histograms, order and floats (bit for bit)."""

    def test_round_trip_keeps_order_and_every_bit(self):
        history = {"partners": {7: ({10: 0.1 + 0.2, -3: 1e-300}, 2), 3: ({365: 123456789.12345679}, 1)},
                   "company": ({10: 0.30000000000000004, -3: 1e-300, 365: 123456789.12345679}, 3),
                   "usual": {7: 1 / 3, 3: 2.5}}
        model = LateModel((0.1, -2.5e-7) + (0.0,) * 6, -0.7, (1 / 3,) * 8, (1.0,) * 8, True, 42)
        history_back, model_back = learned_text.loads(learned_text.dumps(history, model))
        self.assertEqual(history_back, history)
        self.assertEqual([list(h[0]) for h in history_back["partners"].values()], [[10, -3], [365]])  # order kept
        self.assertEqual(list(history_back["partners"]), [7, 3])
        self.assertEqual(model_back, model)

    @settings(max_examples=30, deadline=None)
    @given(st.dictionaries(st.integers(1, 10**6),
                           st.tuples(st.dictionaries(st.integers(-90, 365),
                                                     st.floats(0, 1e9, allow_nan=False, allow_infinity=False),
                                                     max_size=6), st.integers(0, 10**6)), max_size=5))
    def test_any_histograms_read_back_identical(self, partners):
        history = {"partners": partners, "company": ({}, 0), "usual": {p: h[1] / 3 for p, h in partners.items()}}
        model = LateModel((0.0,) * 8, 0.0, (0.0,) * 8, (1.0,) * 8, False, 0)
        back, _model = learned_text.loads(learned_text.dumps(history, model))
        self.assertEqual(repr(back), repr(history))  # the same values in the same order

    def test_a_payload_of_other_features_is_refused(self):
        """A deploy that changes the late model's features (latescore.FEATURE_KEYS): the day's stored text is not
        read (scoring would raise on weights of other features), the forecast learns live and the row is replaced."""
        model = LateModel((0.0,) * len(latescore.FEATURE_KEYS), 0.0, (0.0,) * len(latescore.FEATURE_KEYS),
                          (1.0,) * len(latescore.FEATURE_KEYS), False, 0)
        text = learned_text.dumps({"partners": {}, "company": ({}, 0), "usual": {}}, model)
        self.assertEqual(json.loads(text)["feature_keys"], list(latescore.FEATURE_KEYS))
        before = learned_text.payload_format()
        with patch.object(latescore, "FEATURE_KEYS", (*latescore.FEATURE_KEYS, "a_new_feature")):
            self.assertNotEqual(learned_text.payload_format(), before)
            with self.assertRaisesRegex(learned_text.LearnedPayloadError, "a_new_feature"):
                learned_text.loads(text)
        old_layout = {**json.loads(text), "version": 1}
        del old_layout["feature_keys"]
        with self.assertRaises(learned_text.LearnedPayloadError):
            learned_text.loads(json.dumps(old_layout))

    def test_not_a_learned_part(self):
        for text in ("{}", "[]", '{"version": 99}', "not json", None):
            with self.assertRaises(learned_text.LearnedPayloadError, msg=text):
                learned_text.loads(text)


@tagged("post_install", "-at_install", "revcycle")
class TestStoredForecastModel(RevcycleForecastCommon):
    TODAY = "2024-06-30"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner_p = cls.env["res.partner"].create({"name": "Stored P", "is_company": True})
        for day, due, paid in (("2024-01-01", "2024-01-31", "2024-02-10"), ("2024-02-01", "2024-03-02", "2024-03-12"),
                               ("2024-03-01", "2024-03-31", "2024-04-10")):
            cls._pay(cls._invoice(cls.partner_p, day, due, 1000), 1000, paid)
        cls.open_invoice = cls._invoice(cls.partner_p, "2024-06-10", "2024-07-10", 1000)
        cls.Stored = cls.env["revcycle.forecast.model"]

    def setUp(self):
        super().setUp()
        # what the scene's commit would run: the bookkeeping of the installed addons (revcycle_dunning rates the
        # customers' credit class, their segment: part of the stored model's key)
        self.env.flush_all()
        self.env.cr.precommit.run()
        self._forget_stored()

    def _today(self, weeks=4, **kwargs):
        with freeze_time(NOW):
            return self.Kpi.get_cash_forecast(self.TODAY, weeks, self.company.ids, **kwargs)

    def _run(self, day=TODAY_DATE):
        with freeze_time(NOW):
            return self.Kpi._revcycle_forecast_run(day, 4, self.company)

    def _stored_rows(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT id, key, trained_at, payload FROM revcycle_forecast_model ORDER BY id")
        return self.env.cr.fetchall()

    def _cron_call(self):
        """One call of the daily job, as the cron runner makes it: (companies it trained, the progress it reported
        through ``ir.cron._notify_progress``)."""
        notify = MagicMock()
        with freeze_time(NOW), patch.object(self.registry["ir.cron"], "_notify_progress", notify):
            trained = self.Stored._cron_revcycle_forecast_train()
        notify.assert_called_once()
        return trained, notify.call_args.kwargs

    def _job_companies(self):
        """How many companies the daily job trains: every active one, whatever the test user may see."""
        return self.env["res.company"].sudo().search_count([("active", "=", True)])  # sudo: counted as the job does

    def _train(self):
        """The daily job run to its end: called again, as the runner does, while a call reports something done and
        companies remaining. Returns how many companies it trained."""
        total = 0
        # the job's last call finds nothing left: one call per company and one more (a margin of one)
        for _call in range(self._job_companies() + 2):
            trained, progress = self._cron_call()
            total += trained
            if not (progress["done"] and progress["remaining"]):
                return total
        return self.fail("the daily job kept reporting work left")

    def _forget_stored(self):
        self.env.cr.execute("DELETE FROM revcycle_forecast_model")
        forecast_model._LEARNED_CACHE.clear()
        stored_model._DECODED.clear()

    @staticmethod
    def _canonical(answer):
        return json.dumps({key: value for key, value in answer.items() if key != "learned_stored"}, sort_keys=True)

    def test_a_forecast_from_the_stored_model_is_the_live_one(self):
        """The first current forecast of the day learns live and stores it (a transaction that wrote nothing:
        patched here, a test writes); the next one reads it: the same answer, to the last digit."""
        with patch.object(type(self.Kpi), "_revcycle_forecast_cache_usable", lambda _self, _transaction: True):
            live = self._today()
        self.assertFalse(live["learned_stored"])
        self.assertEqual(len(self._stored_rows()), 1, self._stored_rows())
        forecast_model._LEARNED_CACHE.clear()
        stored = self._today()
        self.assertTrue(stored["learned_stored"])
        self.assertEqual(stored["learned_at"], live["learned_at"])  # when it was learned: the first call
        self.assertEqual(stored["learned_at"], NOW)
        self.assertEqual(self._canonical(stored), self._canonical(live))
        self.assertEqual([week["expected"] for week in stored["weeks"]], [0.0, 0.0, 1000.0, 0.0])  # O on 07-20
        # a stored model trained by the daily job gives the same answer as one learned live at the same ledger
        self._forget_stored()
        self._train()
        from_cron = self._today()
        self._forget_stored()
        learned_live = self._today()  # this (writing) transaction stores nothing: learned live
        self.assertEqual((from_cron["learned_stored"], learned_live["learned_stored"]), (True, False))
        self.assertEqual(self._canonical(from_cron), self._canonical(learned_live))
        self.assertFalse(self._stored_rows())

    def test_ledger_writes_after_training_change_the_open_items_only(self):
        self._train()
        key = self.Stored._revcycle_forecast_model_key(self._run())
        trained = [row for row in self._stored_rows() if row[1] == key]
        self.assertTrue(trained)
        self._pay(self.open_invoice, 400, "2024-06-28")  # 12 days before its due date
        self.env.invalidate_all()
        answer = self._today()
        # what is owed is read now: 600 left on O, still expected 10 days after its due date (week 3)
        self.assertTrue(answer["learned_stored"])
        self.assertEqual([week["expected"] for week in answer["weeks"]], [0.0, 0.0, 600.0, 0.0])
        self.assertEqual(answer["learned_at"], NOW)
        # the delays are those learned this morning (all +10); learned now they would hold the -12 of the payment
        self.assertEqual(self._run()["distribution"](self.partner_p.commercial_partner_id.id).delays, [10])
        self._forget_stored()
        self.assertEqual(self._run()["distribution"](self.partner_p.id).delays, [-12, 10])

    def test_a_second_and_a_concurrent_run_of_the_daily_job_change_nothing(self):
        self.assertGreater(self._train(), 0)
        first = self._stored_rows()
        self.assertIn(self.Stored._revcycle_forecast_model_key(self._run()), [row[1] for row in first])
        self.assertEqual(self._train(), 0)  # every key stored already: nothing trained
        self.assertEqual(self._stored_rows(), first)
        # a concurrent run: the other one holds the keys' locks (it is training them): this one skips them all
        self._forget_stored()
        with patch.object(type(self.Stored), "_revcycle_try_training_lock", lambda _self, _key: False):
            self.assertEqual(self._train(), 0)
        self.assertFalse(self._stored_rows())
        # two trainers that both learned the key: the second insert keeps the first's row
        run = self._run()
        learned = self.Kpi._revcycle_forecast_learned_live(run)
        self.assertTrue(self.Stored._revcycle_store(run, learned))
        row = self._stored_rows()
        self.assertFalse(self.Stored._revcycle_store(run, {**learned, "learned_at": "2024-06-30 11:00:00"}))
        self.assertEqual(self._stored_rows(), row)

    def test_a_past_date_never_reads_a_stored_model(self):
        self._train()
        with patch.object(type(self.Stored), "_revcycle_stored_learned",
                          side_effect=AssertionError("a past forecast read a stored model")), freeze_time(NOW):
            past = self.Kpi.get_cash_forecast("2024-06-29", 4, self.company.ids)
            backtest = self.Kpi.get_cash_backtest(self.TODAY, 4, 2, self.company.ids)
        self.assertFalse(past["learned_stored"])
        self.assertTrue(backtest["weeks"])
        # and a model stored for a past day (before a midnight) is dropped by the next day's job
        with freeze_time("2024-07-02 10:00:00"):
            self.Stored._cron_revcycle_forecast_train()
        self.assertNotIn("2024-06-30", " ".join(row[1] for row in self._stored_rows()))

    def test_managers_see_and_retrain_today_users_only_see(self):
        self._train()
        record = self.Stored.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(record), 1)
        self.assertEqual((record.as_of, record.company_ids, record.fitted), (TODAY_DATE, self.company, False))
        self.assertGreater(record.size, 0)
        before = record.trained_at
        self._pay(self.open_invoice, 1000, "2024-06-29")
        with freeze_time("2024-06-30 15:00:00"):
            self.assertTrue(record.action_revcycle_retrain())
        record.invalidate_recordset()
        self.assertGreater(record.trained_at, before)
        self.assertEqual(self._today()["learned_at"], "2024-06-30 15:00:00")
        user = new_test_user(self.env, "stored_model_reader", company_id=self.company.id,
                             groups="base.group_user,account.group_account_readonly,"
                                    "revcycle_analytics.group_revcycle_analytics_user")
        self.assertEqual(self.Stored.with_user(user).search([]), record)  # users see the models of their company
        with self.assertRaises(AccessError):
            self.Stored.with_user(user).browse(record.id).read(["payload"])  # not the learned statistics
        with freeze_time(NOW), self.assertRaisesRegex(AccessError, "Analytics / Manager"):
            record.with_user(user).action_revcycle_retrain()
        with freeze_time("2024-07-01 10:00:00"), self.assertRaisesRegex(UserError, "Only today's models"):
            record.action_revcycle_retrain()

    # -- the reviewer's findings (issue 23, s7 review) --
    @contextmanager
    def _key_locked_elsewhere(self, key, single_number=False):
        """Another transaction (a cron, a retraining) holding the training lock of ``key``."""
        other = self.registry.cursor()
        try:
            # try: a lock this test's transaction holds (it trained the key) would wait for the test's end
            if single_number:
                other.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [key])
            else:
                other.execute("SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))",
                              [stored_model.TRAINING_LOCK_CLASS, key])
            self.assertTrue(other.fetchone()[0], "the test itself holds the lock")
            yield
        finally:
            other.rollback()
            other.close()

    def test_a_first_caller_does_not_wait_on_a_key_being_trained(self):
        """The cron holds the key's lock with its row inserted, uncommitted: a first caller's insert would wait for
        the cron's commit, then fail to serialize. It takes the lock first, and when it is held serves what it
        learned live and stores nothing."""
        key = self.Stored._revcycle_forecast_model_key(self._run())
        with self._key_locked_elsewhere(key), \
                patch.object(type(self.Kpi), "_revcycle_forecast_cache_usable", lambda _self, _transaction: True):
            answer = self._today()
        self.assertFalse(answer["learned_stored"])
        self.assertEqual([week["expected"] for week in answer["weeks"]], [0.0, 0.0, 1000.0, 0.0])
        self.assertFalse(self._stored_rows())
        # the cron skips it too, and says so
        with self._key_locked_elsewhere(key), freeze_time(NOW):
            self.assertFalse(self.Stored.with_context(allowed_company_ids=self.company.ids)._revcycle_train(
                TODAY_DATE, self.company))
        self.assertNotIn(key, [row[1] for row in self._stored_rows()])

    def test_the_lock_is_this_features_two_number_lock(self):
        key = self.Stored._revcycle_forecast_model_key(self._run())
        with self._key_locked_elsewhere(key):
            self.assertFalse(self.Stored._revcycle_try_training_lock(key))
        with self._key_locked_elsewhere(key, single_number=True):  # another feature's lock on the same hash
            self.assertTrue(self.Stored._revcycle_try_training_lock(key))

    def test_nothing_commits_by_hand_and_a_stored_key_is_skipped_before_its_features(self):
        """The job, the first caller and the Retrain button never commit (outside tests neither): the cron runner
        commits after each call of the job, the request after the forecast or the button."""
        commit = MagicMock()
        with patch.object(odoo_module, "current_test", False), patch.object(self.env.cr, "commit", commit):
            self.assertEqual(self._cron_call()[0], 1)  # one company trained
            self._forget_stored()
            with patch.object(type(self.Kpi), "_revcycle_forecast_cache_usable", lambda _self, _transaction: True):
                self.assertFalse(self._today()["learned_stored"])  # the first caller learns and stores
            record = self.Stored.search([("company_id", "=", self.company.id)])
            self.assertEqual(len(record), 1)
            with freeze_time(NOW):
                record.action_revcycle_retrain()
        commit.assert_not_called()
        self._train()
        features = MagicMock(return_value={})
        with patch.object(type(self.Kpi), "_revcycle_forecast_partner_features", features):
            self.assertEqual(self._train(), 0)
        features.assert_not_called()  # a stored key costs one lookup: no features read

    # -- the job as the cron runner calls it: one company per call --
    def _companies_a_b_c_left(self):
        """Every company but A (the test's), B and C trained today already; B's training fails (a ValueError in the
        customers' features, after its key's lock is taken). A < B < C are the last three companies by id."""
        self._train()
        self.env.cr.execute("DELETE FROM revcycle_forecast_model WHERE company_id = %s", [self.company.id])
        company_b = self.setup_other_company(name="Stored B")["company"]
        company_c = self.setup_other_company(name="Stored C")["company"]
        self.assertEqual(self.env["res.company"].search([], order="id").ids[-3:],
                         [self.company.id, company_b.id, company_c.id])
        real_features = type(self.Kpi)._revcycle_forecast_partner_features

        def features(kpi, run):
            if run["companies"] == company_b:
                raise ValueError("B's ledger is broken")
            return real_features(kpi, run)

        return company_b, company_c, patch.object(type(self.Kpi), "_revcycle_forecast_partner_features", features)

    def _trained_companies(self):
        """{company id: 'model' or the recorded error} of today's rows of one company (the job's)."""
        self.env.cr.execute("""SELECT company_id, COALESCE(training_error, 'model') FROM revcycle_forecast_model
                                WHERE as_of = %s AND companies = company_id::text""", [TODAY_DATE])
        return dict(self.env.cr.fetchall())

    def test_each_call_of_the_job_trains_one_company_and_a_failure_is_skipped_today(self):
        company_b, company_c, b_fails = self._companies_a_b_c_left()
        before = self._trained_companies()
        self.assertNotIn(self.company.id, before)
        last = self._job_companies() - 1  # the companies after the first
        looked_up = []
        real_train_company = type(self.Stored)._revcycle_cron_train_company

        def train_company(stored, company, today):
            looked_up.append(company)
            return real_train_company(stored, company, today)

        def call():
            looked_up.clear()
            with patch.object(type(self.Stored), "_revcycle_cron_train_company", train_company):
                return self._cron_call()

        with b_fails:
            # 1st call: A, the first company without a row today, looked up first (not after the companies
            # trained already); the others after it, an upper bound
            self.assertEqual(call(), (1, {"done": 1, "remaining": last}))
            self.assertEqual(looked_up, [self.company])
            self.assertEqual(self._trained_companies(), {**before, self.company.id: "model"})
            # 2nd call: B fails: logged, recorded, reported done, nothing of its training kept
            with self.assertLogs(stored_model.__name__, "ERROR") as logs:
                self.assertEqual(call(), (0, {"done": 1, "remaining": last}))
            self.assertEqual(looked_up, [company_b])
            self.assertIn("B's ledger is broken", "\n".join(logs.output))
            # the row says only that it failed: an internal error's text stays in the server log (it can carry
            # SQL or other records' data, and every analytics user of B reads the row)
            self.assertEqual(self._trained_companies()[company_b.id],
                             "An internal error stopped the training (ValueError); the server log has the details.")
            # 3rd call: C, the last company without a row, is trained at once
            self.assertEqual(call(), (1, {"done": 1, "remaining": last}))
            self.assertEqual(looked_up, [company_c])
            self.assertEqual(self._trained_companies()[company_c.id], "model")
            rows = self._stored_rows()
            # the run's last call looks every company up (a row may be of an older key): nothing to do (B is not
            # retried today, failing or not), nothing written: the runner stops
            self.assertEqual(call(), (0, {"done": 0, "remaining": 0}))
            self.assertEqual(len(looked_up), last + 1)
        self.assertEqual(self._cron_call(), (0, {"done": 0, "remaining": 0}))
        self.assertEqual(self._stored_rows(), rows)
        # B's forecast learns live meanwhile and stores its model as the first caller (under the forecast's key);
        # the job still skips B today
        with freeze_time(NOW), \
                patch.object(type(self.Kpi), "_revcycle_forecast_cache_usable", lambda _self, _transaction: True):
            self.assertFalse(self.Kpi.get_cash_forecast(self.TODAY, 4, company_b.ids)["learned_stored"])
            self.assertTrue(self.Kpi.get_cash_forecast(self.TODAY, 4, company_b.ids)["learned_stored"])
        self.assertEqual(self._cron_call(), (0, {"done": 0, "remaining": 0}))
        # a manager's Retrain of the failure row tries again: B's model (re)trained, the failure row gone
        failure = self.Stored.search([("company_id", "=", company_b.id), ("training_error", "!=", False)])
        self.assertEqual(len(failure), 1)
        with freeze_time(NOW):
            failure.action_revcycle_retrain()
        self.assertFalse(failure.exists())
        self.assertEqual(self.Stored.search([("company_id", "=", company_b.id)]).mapped("training_error"), [False])
        # two days later the day's rows, the failure's too, are dropped (the job tries B again then)
        with freeze_time("2024-07-02 04:00:00"):
            self.Stored._cron_revcycle_forecast_train()
        self.assertFalse(self.Stored.search([("as_of", "=", TODAY_DATE)]))

    def test_the_cron_runner_runs_the_job_until_every_company_is_done(self):
        """Through Odoo's cron runner (``ir.cron._process_job``, in the test's transaction: the registry in test
        mode makes its cursors savepoints of it, as Odoo's own cron tests do): one run calls the job 4 times (A
        trained, B failed, C trained, then nothing left), records 3 progress rows of 1 done and one of 0, and
        completes; a second run calls it once, which does nothing."""
        company_b, company_c, b_fails = self._companies_a_b_c_left()
        cron = self.env.ref("revcycle_analytics.ir_cron_forecast_model_train").sudo()  # sudo: a job's fields
        Progress = self.env["ir.cron.progress"].sudo()  # sudo: the runner's own progress rows (no user reads them)
        Progress.search([("cron_id", "=", cron.id)]).unlink()

        def run():
            self.env.flush_all()
            job = {**cron.read(load=None)[0], "done": 0, "remaining": 0, "timed_out_counter": 0}
            self.registry.enter_test_mode(self.env.cr)
            try:
                with freeze_time(NOW):
                    self.registry["ir.cron"]._process_job(self.registry.db_name, self.registry.cursor(), job)
            finally:
                self.registry.leave_test_mode()
            self.env.invalidate_all()
            return Progress.search([("cron_id", "=", cron.id)], order="id").mapped(lambda p: (p.done, p.remaining))

        last = self._job_companies() - 1
        with b_fails, self.assertLogs(stored_model.__name__, "ERROR"):
            # A, B (failed) and C, each first in its call; a last call looks every company up and finds nothing
            self.assertEqual(run(), [(1, last), (1, last), (1, last), (0, 0)])
        self.assertEqual(self._trained_companies()[self.company.id], "model")
        self.assertEqual(self._trained_companies()[company_b.id],
                         "An internal error stopped the training (ValueError); the server log has the details.")
        self.assertEqual(self._trained_companies()[company_c.id], "model")
        self.assertEqual(cron.failure_count, 0)
        rows = self._stored_rows()
        self.assertEqual(run(), [(1, last)] * 3 + [(0, 0)] * 2)  # the second run: one call, nothing done
        self.assertEqual(self._stored_rows(), rows)

    def test_a_row_of_another_format_is_learned_live_and_replaced(self):
        self._train()
        key = self.Stored._revcycle_forecast_model_key(self._run())
        self.env.cr.execute("SELECT payload FROM revcycle_forecast_model WHERE key = %s", [key])
        old_layout = {**json.loads(self.env.cr.fetchone()[0]), "version": 1}
        del old_layout["feature_keys"]
        self.env.cr.execute("UPDATE revcycle_forecast_model SET payload = %s, payload_format = 'v1' WHERE key = %s",
                            [json.dumps(old_layout), key])
        stored_model._DECODED.clear()
        self.assertFalse(self._today()["learned_stored"])  # learned live, not scored with the old row
        self.assertEqual(self._train(), 1)  # the job replaces it
        self.env.cr.execute("SELECT payload_format FROM revcycle_forecast_model WHERE key = %s", [key])
        self.assertEqual(self.env.cr.fetchone()[0], learned_text.payload_format())
        self.assertTrue(self._today()["learned_stored"])

    def test_retrain_says_why_it_cannot(self):
        run = self._run()  # stored without the key's lock, which another transaction holds below
        self.Stored._revcycle_store(run, self.Kpi._revcycle_forecast_learned_live(run))
        record = self.Stored.search([("company_id", "=", self.company.id)])
        with self._key_locked_elsewhere(record.key), freeze_time(NOW), \
                self.assertRaisesRegex(UserError, "being trained right now"):
            record.action_revcycle_retrain()
        grace = self.Kpi._revcycle_forecast_grace_days()
        self.env["ir.config_parameter"].sudo().set_param("revcycle_analytics.forecast_grace_days", grace + 3)
        with freeze_time(NOW), self.assertRaisesRegex(UserError, "cannot be retrained"):
            record.action_revcycle_retrain()

    def test_a_retraining_in_the_same_second_is_read(self):
        """The decoded model's cache follows the payload, not trained_at to the second."""
        self._train()
        self.assertEqual(self._run()["distribution"](self.partner_p.id).delays, [10])  # decoded and cached
        self._pay(self.open_invoice, 400, "2024-06-28")  # 12 days before its due date
        record = self.Stored.search([("company_id", "=", self.company.id)])
        with freeze_time(NOW):  # the same second as the first training
            record.action_revcycle_retrain()
        self.assertEqual(self._run()["distribution"](self.partner_p.id).delays, [-12, 10])

    def test_every_input_of_the_key_changes_it(self):
        """Table: each input the learned part depends on gives another key, and a forecast learned live."""
        company_b = self.setup_other_company(name="Stored B")["company"]
        self._train()
        base_key = self.Stored._revcycle_forecast_model_key(self._run())
        self.assertTrue(self._today()["learned_stored"])
        grace = self.Kpi._revcycle_forecast_grace_days()

        @contextmanager
        def grace_changed():
            self.env["ir.config_parameter"].sudo().set_param("revcycle_analytics.forecast_grace_days", grace + 3)
            try:
                yield
            finally:
                self.env["ir.config_parameter"].sudo().set_param("revcycle_analytics.forecast_grace_days", grace)

        cases = [
            ("grace days", grace_changed, self.company),
            ("a second company", contextmanager(lambda: (yield)), self.company | company_b),
            ("a segment", lambda: patch.object(type(self.Kpi), "_revcycle_forecast_segments",
                                               lambda _self, _run: {self.partner_p.id: "late"}), self.company),
            ("the addons", lambda: patch.object(type(self.Stored), "_revcycle_forecast_extensions_hash",
                                                lambda _self: "00000000"), self.company),
        ]
        for name, change, companies in cases:
            with self.subTest(name), change(), freeze_time(NOW):
                run = self.Kpi._revcycle_forecast_run(TODAY_DATE, 4, companies)
                self.assertNotEqual(self.Stored._revcycle_forecast_model_key(run), base_key)
                self.assertFalse(run["learned_stored"])
        # the same companies in another order: the same key
        with freeze_time(NOW):
            self.assertEqual(
                self.Stored._revcycle_forecast_model_key(self.Kpi._revcycle_forecast_run_inputs(
                    TODAY_DATE, 4, company_b | self.company, with_features=False)),
                self.Stored._revcycle_forecast_model_key(self.Kpi._revcycle_forecast_run_inputs(
                    TODAY_DATE, 4, self.company | company_b, with_features=False)))

    def test_a_user_of_company_a_never_gets_a_model_of_a_and_b(self):
        company_b = self.setup_other_company(name="Stored B")["company"]
        both = self.company | company_b
        with freeze_time(NOW):
            run = self.Kpi._revcycle_forecast_run(TODAY_DATE, 4, both)
        self.assertTrue(self.Stored._revcycle_store(run, self.Kpi._revcycle_forecast_learned_live(run)))
        with freeze_time(NOW):
            self.assertTrue(self.Kpi.get_cash_forecast(self.TODAY, 4, both.ids)["learned_stored"])  # A and B's
        user = new_test_user(self.env, "stored_model_a_only", company_id=self.company.id,
                             company_ids=[(6, 0, self.company.ids)],
                             groups="base.group_user,account.group_account_readonly,"
                                    "revcycle_analytics.group_revcycle_analytics_user")
        with freeze_time(NOW):
            answer = self.Kpi.with_user(user).get_cash_forecast(self.TODAY, 4, self.company.ids)
        self.assertFalse(answer["learned_stored"])  # A alone: not the model of A and B (their histories pooled)
        self.assertEqual(self._canonical(answer), self._canonical(self._today()))
        keys = [row[1] for row in self._stored_rows()]
        self.assertEqual(keys, [self.Stored._revcycle_forecast_model_key(run)])

    def test_a_row_of_a_and_b_is_seen_only_by_users_allowed_in_both(self):
        """The record rule: every company of a row among the user's (not only its main company). A row of A and B
        and a row of A; the user of A alone sees the row of A only (search, read, search_read, browse), the user of
        A and B all three (with B's own row), and the row of A only while working in A alone."""
        company_b = self.setup_other_company(name="Stored B")["company"]
        both = self.company | company_b
        with freeze_time(NOW):
            run_both = self.Kpi._revcycle_forecast_run(TODAY_DATE, 4, both)
        self.assertTrue(self.Stored._revcycle_store(run_both, self.Kpi._revcycle_forecast_learned_live(run_both)))
        self._train()
        row_a = self.Stored.search([("key", "=", self.Stored._revcycle_forecast_model_key(self._run()))])
        row_ab = self.Stored.search([("key", "=", self.Stored._revcycle_forecast_model_key(run_both))])
        row_b = self.Stored.search([("companies", "=", str(company_b.id))])  # B's default forecast (the job's)
        self.assertEqual((row_a.company_ids, row_ab.company_ids, row_b.company_ids), (self.company, both, company_b))
        groups = "base.group_user,account.group_account_readonly,revcycle_analytics.group_revcycle_analytics_user"
        user_a = new_test_user(self.env, "stored_rule_a", company_id=self.company.id,
                               company_ids=[(6, 0, self.company.ids)], groups=groups)
        user_ab = new_test_user(self.env, "stored_rule_ab", company_id=self.company.id,
                                company_ids=[(6, 0, both.ids)], groups=groups)
        as_a = self.Stored.with_user(user_a)
        self.assertEqual(as_a.search([]), row_a)
        self.assertEqual([row["id"] for row in as_a.search_read([], ["key"])], row_a.ids)
        self.assertEqual(as_a.search_count([("company_ids", "in", company_b.ids)]), 0)
        with self.assertRaises(AccessError):
            as_a.browse(row_ab.id).read(["key"])
        with self.assertRaises(AccessError):
            as_a.browse(row_ab.id).key  # noqa: B018 - reading the field is the check
        as_ab = self.Stored.with_user(user_ab)
        self.assertEqual(as_ab.search([]), row_a | row_ab | row_b)
        self.assertEqual(as_ab.browse(row_ab.id).read(["key"])[0]["key"], row_ab.key)
        self.assertEqual(as_ab.with_context(allowed_company_ids=self.company.ids).search([]), row_a)
        # an archived company of the row counts too (the rule names 'active'): still hidden from the user of A
        company_b.active = False
        self.assertEqual(as_a.search([]), row_a)
        company_b.active = True
        # the forecast of A for the user of A still reads A's stored model (its own, by key)
        forecast_model._LEARNED_CACHE.clear()
        with freeze_time(NOW):
            answer = self.Kpi.with_user(user_a).get_cash_forecast(self.TODAY, 4, self.company.ids)
        self.assertTrue(answer["learned_stored"])
        self.assertEqual([week["expected"] for week in answer["weeks"]], [0.0, 0.0, 1000.0, 0.0])  # O on 07-20
