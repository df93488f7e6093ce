"""Contract periods, proration, uplifts and key dates on tables of cases: no database."""

from datetime import date

from odoo.tests import BaseCase, tagged

from ..engine import periods as P


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestPeriodEngine(BaseCase):
    def test_period_generation(self):
        cases = [
            # start, period, end, until, expected (start, end) pairs
            (
                date(2026, 1, 1),
                "month",
                date(2026, 3, 31),
                None,
                [
                    (date(2026, 1, 1), date(2026, 1, 31)),
                    (date(2026, 2, 1), date(2026, 2, 28)),
                    (date(2026, 3, 1), date(2026, 3, 31)),
                ],
            ),
            # month ends keep their anchor, clamped to short months
            (
                date(2026, 1, 31),
                "month",
                date(2026, 4, 29),
                None,
                [
                    (date(2026, 1, 31), date(2026, 2, 27)),
                    (date(2026, 2, 28), date(2026, 3, 30)),
                    (date(2026, 3, 31), date(2026, 4, 29)),
                ],
            ),
            # a Feb 29 start in a leap year, yearly: the anchor clamps to Feb 28 in common years
            (
                date(2024, 2, 29),
                "year",
                date(2026, 2, 27),
                None,
                [(date(2024, 2, 29), date(2025, 2, 27)), (date(2025, 2, 28), date(2026, 2, 27))],
            ),
            # quarterly anchors, the last quarter cut by the end date
            (
                date(2026, 2, 15),
                "quarter",
                date(2026, 9, 30),
                None,
                [
                    (date(2026, 2, 15), date(2026, 5, 14)),
                    (date(2026, 5, 15), date(2026, 8, 14)),
                    (date(2026, 8, 15), date(2026, 9, 30)),
                ],
            ),
            # open-ended: generated up to a date
            (
                date(2026, 1, 10),
                "month",
                None,
                date(2026, 3, 9),
                [(date(2026, 1, 10), date(2026, 2, 9)), (date(2026, 2, 10), date(2026, 3, 9))],
            ),
        ]
        for start, period, end, until, expected in cases:
            with self.subTest(start=start, period=period, end=end):
                result = P.periods(start, period, end, until)
                self.assertEqual([(p.start, p.end) for p in result], expected)

    def test_proration_by_days(self):
        full = P.Period(date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 1), date(2026, 1, 31))
        self.assertEqual(P.period_amount(310.0, full), 310.0)
        half = P.Period(date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 1), date(2026, 1, 31))
        self.assertEqual(P.period_amount(310.0, half), 150.0)
        leap_feb = P.Period(date(2024, 2, 1), date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29))
        self.assertEqual(P.period_amount(290.0, leap_feb), 100.0)
        last = P.periods(date(2026, 8, 15), "quarter", date(2026, 9, 30))[-1]
        self.assertEqual((last.days, last.full_days), (47, 92))
        self.assertEqual(P.period_amount(920.0, last), 470.0)

    def test_due_periods_catch_up(self):
        due = P.due_periods(date(2026, 1, 1), "month", "prepaid", date(2026, 3, 15))
        self.assertEqual([p.start for p in due], [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)])
        done = P.due_periods(
            date(2026, 1, 1),
            "month",
            "prepaid",
            date(2026, 3, 15),
            already_invoiced=[date(2026, 1, 1), date(2026, 2, 1)],
        )
        self.assertEqual([p.start for p in done], [date(2026, 3, 1)])
        postpaid = P.due_periods(date(2026, 1, 1), "month", "postpaid", date(2026, 3, 15))
        self.assertEqual([p.start for p in postpaid], [date(2026, 1, 1), date(2026, 2, 1)])
        self.assertEqual(P.invoice_date(postpaid[0], "postpaid"), date(2026, 2, 1))

    def test_uplift_notice_and_unused_time(self):
        self.assertEqual(P.uplifted_price(100.0, 3.0), 103.0)
        self.assertEqual(P.uplifted_price(100.0, 3.0, terms=3), 109.27)  # 103 -> 106.09 -> 109.27, rounded each term
        self.assertEqual(P.notice_deadline(date(2026, 12, 31), 30), date(2026, 12, 1))
        period = P.Period(date(2026, 4, 1), date(2026, 4, 30), date(2026, 4, 1), date(2026, 4, 30))
        self.assertEqual(P.unused_ratio(period, date(2026, 4, 15)), 0.5)
        self.assertEqual(P.unused_ratio(period, date(2026, 5, 1)), 0.0)
        self.assertEqual(P.unused_ratio(period, date(2026, 3, 1)), 1.0)

    def test_bad_input(self):
        for args, code in [
            ((date(2026, 1, 1), "week", date(2026, 2, 1)), "period"),
            ((date(2026, 2, 1), "month", date(2026, 1, 1)), "dates"),
            ((date(2026, 2, 1), "month"), "unbounded"),
        ]:
            with self.subTest(code=code), self.assertRaises(P.PeriodError) as caught:
                P.periods(*args)
            self.assertEqual(caught.exception.code, code)


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestTermsAndMonths(BaseCase):
    def test_term_end(self):
        cases = [
            # (start, months, last day): a term ends the day before the same day N months later, that day clamped
            (date(2026, 1, 1), 12, date(2026, 12, 31)),
            (date(2026, 1, 31), 1, date(2026, 2, 27)),  # 31 Jan + 1 month -> 28 Feb, minus a day
            (date(2028, 1, 31), 1, date(2028, 2, 28)),  # leap year: 29 Feb, minus a day
            (date(2026, 3, 15), 3, date(2026, 6, 14)),
            (date(2026, 11, 30), 3, date(2027, 2, 27)),  # across the year end, clamped to February
        ]
        for start, months, expected in cases:
            with self.subTest(start=start, months=months):
                self.assertEqual(P.term_end(start, months), expected)
        for bad in (0, -3, 1.5, True, None):
            with self.subTest(months=bad), self.assertRaisesRegex(P.PeriodError, "term of"):
                P.term_end(date(2026, 1, 1), bad)

    def test_monthly_value(self):
        # 1,200 a year is 100 a month; 300 a quarter is 100 a month; 100 a month stays 100
        for amount, period, monthly in ((1200.0, "year", 100.0), (300.0, "quarter", 100.0), (100.0, "month", 100.0)):
            with self.subTest(period=period):
                self.assertAlmostEqual(P.monthly_value(amount, period), monthly)
        with self.assertRaisesRegex(P.PeriodError, "Unknown billing period 'week'"):
            P.monthly_value(10.0, "week")
