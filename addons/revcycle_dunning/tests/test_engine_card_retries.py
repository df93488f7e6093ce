"""Issue 18: card retries that wait out outages over days, aim insufficient funds at pay days and heed the networks'
advice. Tables of cases, no database."""
from datetime import date, datetime, timedelta

from odoo.tests import BaseCase, tagged

from ..engine import HARD, PROCESSING, SOFT, classify, next_try
from ..engine.retries import next_pay_day


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestCardRetryEngine(BaseCase):
    def test_processing_errors_back_off_over_days(self):
        # found (reproduced): six processing errors in a row, a few hours of gateway outage (10 minutes doubling:
        # 10 + 20 + 40 + 80 + 160 = 310 minutes), stopped collection for good. Now 1 h growing fourfold, capped at
        # 4 days: 1 h, 4 h, 16 h, 64 h, 96 h before the sixth error gives up, 181 hours (7.5 days) later.
        now = datetime(2025, 3, 1, 9, 0)
        waits = []
        for failures in range(1, 6):
            step = next_try(PROCESSING, now, now, 0, failures)
            waits.append(step.retry_at - now)
        self.assertEqual(waits, [timedelta(hours=hours) for hours in (1, 4, 16, 64, 96)])
        self.assertEqual(sum(waits, timedelta()), timedelta(hours=181))
        step = next_try(PROCESSING, now, now, 0, 6)
        self.assertEqual((step.retry_at, step.stop_reason), (None, "processing_exhausted"))

    def test_next_pay_day(self):
        cases = [
            # after, next pay day (1st, 15th, last working day of the month)
            (date(2025, 3, 3), date(2025, 3, 15)),
            (date(2025, 3, 15), date(2025, 3, 31)),  # Monday 31 March: the last working day
            (date(2025, 3, 31), date(2025, 4, 1)),
            (date(2025, 5, 15), date(2025, 5, 30)),  # 31 May 2025 is a Saturday: Friday the 30th
            (date(2025, 5, 30), date(2025, 6, 1)),
            (date(2025, 8, 16), date(2025, 8, 29)),  # 30 and 31 August 2025: a weekend
            (date(2025, 12, 31), date(2026, 1, 1)),
            (date(2024, 2, 15), date(2024, 2, 29)),  # leap year, a Thursday
        ]
        for after, expected in cases:
            with self.subTest(after=after):
                self.assertEqual(next_pay_day(after), expected)

    def test_insufficient_funds_retries_on_pay_days(self):
        # found (reproduced): insufficient_funds was retried every 2 days regardless of pay cycles
        first = datetime(2025, 3, 3, 9, 30)
        cases = [
            # failures so far, now, expected retry (or stop reason)
            (1, first, datetime(2025, 3, 15, 9, 30)),
            (2, datetime(2025, 3, 15, 9, 30), datetime(2025, 3, 31, 9, 30)),
            (3, datetime(2025, 3, 31, 9, 30), datetime(2025, 4, 1, 9, 30)),
            (4, datetime(2025, 4, 1, 9, 30), "schedule_exhausted"),  # 15 April is 43 days after: past 35
            (8, datetime(2025, 3, 15, 9, 30), "schedule_exhausted"),  # the tries are used up
        ]
        for failures, now, expected in cases:
            with self.subTest(failures=failures, now=now):
                step = next_try(SOFT, first, now, failures, 0, decline_code="insufficient_funds")
                if isinstance(expected, str):
                    self.assertEqual((step.retry_at, step.stop_reason), (None, expected))
                else:
                    self.assertEqual(step.retry_at, expected)
        # other soft declines keep the even schedule: day 2 of 14
        step = next_try(SOFT, first, first, 1, 0, decline_code="generic_decline")
        self.assertEqual(step.retry_at, first + timedelta(days=2))

    def test_advice_codes_forbid_retries(self):
        cases = [
            # error code, decline code, http, Stripe advice, network advice code, expected
            ("card_declined", "generic_decline", 402, None, None, SOFT),
            ("card_declined", "generic_decline", 402, "do_not_try_again", None, HARD),
            ("card_declined", "insufficient_funds", 402, None, "03", HARD),  # Mastercard MAC 03
            ("card_declined", "insufficient_funds", 402, None, "21", HARD),  # MAC 21: payment cancelled
            ("card_declined", "insufficient_funds", 402, "try_again_later", "01", SOFT),
        ]
        for error_code, decline_code, http, advice, network, expected in cases:
            with self.subTest(advice=advice, network=network):
                self.assertEqual(classify(error_code, decline_code, http, advice, network), expected)
