"""The day's stored learned part of the current cash forecast (models/revcycle_forecast_model.py, docs/domain.md,
Cash forecast: Speed), today frozen on 2024-06-30 10:00 UTC.

History of the customer P: three invoices of 1,000, each paid exactly 10 days after its due date (H1 due 01-31 paid
02-10, H2 due 03-02 paid 03-12, H3 due 03-31 paid 04-10): P's delays (and the company's) are all +10.
Open: O 2024-06-10 due 07-10, 1,000: expected on 07-20, week 3 of the weeks from 07-01 (07-15..07-21).
Nothing was open at the late model's origin (2023-12-31): the model is not fitted, the score is P's late share.
"""

import json
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st
from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, new_test_user, tagged

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

    def _train(self):
        with freeze_time(NOW):
            return self.Stored._cron_revcycle_forecast_train()

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
        with freeze_time(NOW):
            self.env.ref("revcycle_analytics.ir_cron_forecast_model_train").sudo().method_direct_trigger()
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
        # a company whose training fails is logged and skipped, the others are trained
        self._forget_stored()
        real_train = type(self.Stored)._revcycle_train

        def failing(model, as_of, companies, replace=False):
            if companies == self.company:
                raise ValueError("boom")
            return real_train(model, as_of, companies, replace)

        with patch.object(type(self.Stored), "_revcycle_train", failing), \
                self.assertLogs(stored_model.__name__, "ERROR"):
            self._train()
        keys = [row[1] for row in self._stored_rows()]
        self.assertTrue(keys)
        self.assertNotIn(self.Stored._revcycle_forecast_model_key(self._run()), keys)

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
