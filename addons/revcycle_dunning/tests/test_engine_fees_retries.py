"""Late fee arithmetic, decline classification and the retry schedule on tables of cases: no database."""
from datetime import datetime, timedelta

from odoo.tests import BaseCase, tagged

from ..engine import (
    HARD,
    PROCESSING,
    SOFT,
    DunningLevel,
    FeeError,
    OverdueItem,
    RetrySettings,
    classify,
    decline_offsets,
    late_fee,
    next_level,
    next_try,
)


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestFeeEngine(BaseCase):
    def test_fee_table(self):
        cases = [
            # items (amount, days), fixed, percent, interest p.a., expected (fixed, percent, interest, total)
            ([(1000.0, 30)], 15.0, 0.0, 0.0, (15.0, 0.0, 0.0, 15.0)),
            ([(1000.0, 30)], 0.0, 2.0, 0.0, (0.0, 20.0, 0.0, 20.0)),
            ([(1000.0, 30), (500.0, 10)], 10.0, 1.0, 0.0, (10.0, 15.0, 0.0, 25.0)),  # fixed once per notice
            ([(1000.0, 365)], 0.0, 0.0, 10.0, (0.0, 0.0, 100.0, 100.0)),  # a full year at 10 %
            ([(1000.0, 73)], 0.0, 0.0, 10.0, (0.0, 0.0, 20.0, 20.0)),  # 73/365 of a year
            ([(333.33, 1)], 0.0, 0.0, 8.0, (0.0, 0.0, 0.07, 0.07)),  # 0.0730 rounds to the cent
            ([(100.0, -3)], 5.0, 1.0, 8.0, (5.0, 1.0, 0.0, 6.0)),  # before the due date: no interest
            ([(0.0, 40)], 15.0, 2.0, 8.0, (0.0, 0.0, 0.0, 0.0)),  # nothing open: no fee at all
        ]
        for items, fixed, percent, rate, expected in cases:
            with self.subTest(items=items, fixed=fixed, percent=percent, rate=rate):
                fee = late_fee([OverdueItem(*item) for item in items], fixed, percent, rate)
                self.assertEqual((fee.fixed, fee.percent, fee.interest, round(fee.total, 2)), expected)

    def test_parts_are_rounded_per_invoice(self):
        # 0.15 % of 10.00 is 0.015 -> 0.02 per invoice (half up), so three invoices make 0.06, not 0.05
        fee = late_fee([OverdueItem(10.0, 5)] * 3, 0.0, 0.15)
        self.assertAlmostEqual(fee.percent, 0.06)
        self.assertEqual(late_fee([OverdueItem(10.0, 5)], 0.0, 0.15, precision_digits=0).percent, 0.0)

    def test_negative_settings_refused(self):
        for fixed, percent, rate in ((-1.0, 0.0, 0.0), (0.0, -0.5, 0.0), (0.0, 0.0, -3.0)):
            with self.subTest(fixed=fixed, percent=percent, rate=rate), self.assertRaisesRegex(
                    FeeError, "cannot be negative"):
                late_fee([OverdueItem(100.0, 10)], fixed, percent, rate)

    def test_next_level(self):
        ladder = [DunningLevel(1, 10, -3), DunningLevel(2, 20, 7), DunningLevel(3, 30, 21)]
        self.assertEqual(next_level(ladder, None).key, 1)
        self.assertEqual(next_level(ladder, 1).key, 2)
        self.assertIsNone(next_level(ladder, 3))
        self.assertIsNone(next_level(ladder, 99))


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestRetryEngine(BaseCase):
    def test_classification_table(self):
        cases = [
            # error code, decline code, HTTP status, expected
            ("card_declined", "insufficient_funds", 402, SOFT),
            ("card_declined", "generic_decline", 402, SOFT),
            ("card_declined", "do_not_honor", 402, SOFT),
            ("card_declined", None, 402, SOFT),  # no decline code: a generic decline
            ("card_declined", "lost_card", 402, HARD),
            ("card_declined", "stolen_card", 402, HARD),
            ("card_declined", "fraudulent", 402, HARD),
            ("card_declined", "pickup_card", 402, HARD),
            ("card_declined", "do_not_try_again", 402, HARD),
            ("expired_card", None, 402, HARD),
            ("incorrect_number", None, 402, HARD),
            ("authentication_required", None, 402, HARD),  # off-session: the customer has to be there
            ("card_declined", "processing_error", 402, PROCESSING),
            ("processing_error", None, 402, PROCESSING),
            ("card_declined", "issuer_not_available", 402, PROCESSING),
            (None, None, None, PROCESSING),  # no answer at all (network)
            (None, None, 500, PROCESSING),
            (None, None, 503, PROCESSING),
            ("rate_limit", None, 429, PROCESSING),
            (None, None, 429, PROCESSING),
            (None, None, 402, SOFT),
            ("parameter_invalid_integer", None, 400, HARD),  # our request is wrong: retrying will not help
            (None, None, 401, HARD),
        ]
        for error_code, decline_code, status, expected in cases:
            with self.subTest(error_code=error_code, decline_code=decline_code, status=status):
                self.assertEqual(classify(error_code, decline_code, status), expected)

    def test_default_schedule_is_8_tries_in_14_days(self):
        offsets = decline_offsets()
        self.assertEqual(offsets, [2, 4, 6, 8, 10, 12, 14])
        self.assertEqual(len(offsets) + 1, 8)
        self.assertEqual(decline_offsets(RetrySettings(max_tries=4, window_days=7)), [2, 5, 7])
        self.assertEqual(decline_offsets(RetrySettings(max_tries=1, window_days=0)), [])
        for bad in (RetrySettings(max_tries=0), RetrySettings(window_days=-1), RetrySettings(max_tries=3,
                                                                                           window_days=0)):
            with self.subTest(settings=bad), self.assertRaises(ValueError):
                decline_offsets(bad)

    def test_soft_declines_follow_the_schedule(self):
        first = datetime(2025, 3, 1, 9, 0)
        cases = [
            # failures so far (this one included), now, expected retry (days after first) or stop reason
            (1, first, 2),
            (2, first + timedelta(days=2), 4),
            (7, first + timedelta(days=12), 14),
            (8, first + timedelta(days=14), "schedule_exhausted"),
            (2, first + timedelta(days=5), 6),  # a late run moves on to the next slot still ahead
            (3, first + timedelta(days=20), "schedule_exhausted"),  # nothing left in the window
        ]
        for failures, now, expected in cases:
            with self.subTest(failures=failures, now=now):
                step = next_try(SOFT, first, now, decline_failures=failures, processing_failures=0)
                if isinstance(expected, str):
                    self.assertIsNone(step.retry_at)
                    self.assertEqual(step.stop_reason, expected)
                else:
                    self.assertEqual(step.retry_at, first + timedelta(days=expected))

    def test_hard_decline_stops(self):
        now = datetime(2025, 3, 1)
        step = next_try(HARD, now, now, decline_failures=0, processing_failures=0)
        self.assertEqual((step.retry_at, step.stop_reason), (None, "hard_decline"))

    def test_processing_errors_back_off(self):
        now = datetime(2025, 3, 1, 9, 0)
        settings = RetrySettings(processing_base_minutes=10, processing_max_tries=6, processing_max_minutes=60,
                                 processing_factor=2)
        expected = {1: 10, 2: 20, 3: 40, 4: 60, 5: 60}
        for failures, minutes in expected.items():
            with self.subTest(failures=failures):
                step = next_try(PROCESSING, now, now, 0, failures, settings)
                self.assertEqual(step.retry_at, now + timedelta(minutes=minutes))
        step = next_try(PROCESSING, now, now, 0, 6, settings)
        self.assertEqual((step.retry_at, step.stop_reason), (None, "processing_exhausted"))
