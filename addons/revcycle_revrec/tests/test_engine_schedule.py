"""Schedules and the contract position on tables of cases: no database."""
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from odoo.tests import BaseCase, tagged

from ..engine import (
    ScheduleError,
    build_schedule,
    contract_position_moves,
    measure_position_moves,
    ratable_with_gaps,
    split_company,
    split_exact,
    term_end,
)


def _plan(entries):
    return [(entry.date.isoformat(), entry.amount) for entry in entries]


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestScheduleEngine(BaseCase):
    def test_term_end(self):
        for start, months, expected in [
            (date(2026, 1, 1), 12, date(2026, 12, 31)),
            (date(2026, 1, 15), 1, date(2026, 2, 14)),
            (date(2026, 1, 31), 1, date(2026, 2, 27)),   # no 31 February: the term ends the day before the 28th
            (date(2024, 2, 29), 12, date(2025, 2, 27)),
            (date(2026, 3, 1), 24, date(2028, 2, 29)),
        ]:
            with self.subTest(start=start, months=months):
                self.assertEqual(term_end(start, months), expected)

    def test_schedule_table(self):
        cases = [
            # name, method, amount, start, end, digits, expected [(date, amount)]
            ("worked example: support 27,000 over a calendar year", "ratable_monthly", 27000.0,
             date(2026, 1, 1), date(2026, 12, 31), 2,
             [(f"2026-{m:02d}-{d}", 2250.0) for m, d in [(1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30),
                                                         (7, 31), (8, 31), (9, 30), (10, 31), (11, 30), (12, 31)]]),
            ("monthly, partial first and last months", "ratable_monthly", 1200.0,
             date(2026, 1, 16), date(2026, 3, 15), 2,
             [("2026-01-31", 309.68), ("2026-02-28", 600.0), ("2026-03-15", 290.32)]),
            # Issue 16 item 11: a year of 1,200 from 15 January gave its full months 99.47 instead of 100 (each
            # month weighed its days). Now a full month weighs 1 and the partial ones their covered days / days:
            # January 17/31 + January 2027 14/31 = 1, total weight 12; 1,200 x 17/31 / 12 = 54.8387 and
            # 1,200 x 14/31 / 12 = 45.1613, floors 54.83 + 45.16 + 11 x 100 leave one cent, to January's larger
            # remainder: 54.84 + 11 x 100.00 + 45.16 = 1,200.00.
            ("monthly, a year from mid-January: every full month exactly 1/12", "ratable_monthly", 1200.0,
             date(2026, 1, 15), date(2027, 1, 14), 2,
             [("2026-01-31", 54.84)] + [(f"2026-{m:02d}-{d}", 100.0) for m, d in [
                 (2, 28), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30), (10, 31), (11, 30),
                 (12, 31)]] + [("2027-01-14", 45.16)]),
            ("monthly, leap February half covered", "ratable_monthly", 100.0,
             date(2024, 2, 15), date(2024, 3, 14), 2, [("2024-02-29", 53.39), ("2024-03-14", 46.61)]),
            ("daily, leap year", "ratable_daily", 366.0, date(2024, 1, 1), date(2024, 12, 31), 2,
             [("2024-01-31", 31.0), ("2024-02-29", 29.0), ("2024-03-31", 31.0), ("2024-04-30", 30.0),
              ("2024-05-31", 31.0), ("2024-06-30", 30.0), ("2024-07-31", 31.0), ("2024-08-31", 31.0),
              ("2024-09-30", 30.0), ("2024-10-31", 31.0), ("2024-11-30", 30.0), ("2024-12-31", 31.0)]),
            ("daily, partial months and one cent over three", "ratable_daily", 100.0,
             date(2026, 1, 31), date(2026, 2, 1), 2, [("2026-01-31", 50.0), ("2026-02-01", 50.0)]),
            ("daily, thirds of a cent go to the earliest remainders", "ratable_daily", 0.1,
             date(2026, 1, 31), date(2026, 3, 1), 2,
             [("2026-01-31", 0.01), ("2026-02-28", 0.09), ("2026-03-01", 0.0)]),
            ("monthly, 100 over 3 months: largest remainder", "ratable_monthly", 100.0,
             date(2026, 1, 1), date(2026, 3, 31), 2, [("2026-01-31", 33.34), ("2026-02-28", 33.33),
                                                      ("2026-03-31", 33.33)]),
            ("monthly, negative (reversal) keeps its sign", "ratable_monthly", -100.0,
             date(2026, 1, 1), date(2026, 3, 31), 2, [("2026-01-31", -33.34), ("2026-02-28", -33.33),
                                                      ("2026-03-31", -33.33)]),
            ("one-day term", "ratable_daily", 10.0, date(2026, 5, 5), date(2026, 5, 5), 2, [("2026-05-05", 10.0)]),
            ("zero decimals", "ratable_monthly", 1000.0, date(2026, 1, 1), date(2026, 3, 31), 0,
             [("2026-01-31", 334.0), ("2026-02-28", 333.0), ("2026-03-31", 333.0)]),
            ("delivery: point in time", "delivery", 45000.0, date(2026, 1, 1), None, 2, [("2026-01-01", 45000.0)]),
            ("invoice: point in time", "invoice", 18000.0, date(2026, 1, 31), None, 2, [("2026-01-31", 18000.0)]),
        ]
        for name, method, amount, start, end, digits, expected in cases:
            with self.subTest(name):
                plan = _plan(build_schedule(method, amount, start, end, digits))
                self.assertEqual(plan, expected)
                self.assertEqual(round(sum(value for _day, value in plan), digits), round(amount, digits))

    def test_every_term_sums_exactly(self):
        for months in range(1, 37):
            for start in (date(2023, 1, 31), date(2024, 2, 29), date(2025, 7, 17)):
                for method in ("ratable_daily", "ratable_monthly"):
                    plan = build_schedule(method, 1000.01, start, term_end(start, months))
                    self.assertEqual(round(sum(entry.amount for entry in plan), 2), 1000.01)
                    self.assertLessEqual(len(plan), months + 1)

    def test_schedule_with_gaps_table(self):
        """A paused subscription earns nothing while paused: the months of the pause weigh nothing."""
        year = (date(2026, 1, 1), date(2026, 12, 31))
        may_june = [(date(2026, 5, 1), date(2026, 6, 30))]
        cases = [
            # 1,000 over the 10 months served (May and June paused): 100 a month, no May or June entry
            ("monthly, two months paused", "ratable_monthly", 1000.0, *year, may_june,
             [(f"2026-{m:02d}-{d}", 100.0) for m, d in
              ((1, 31), (2, 28), (3, 31), (4, 30), (7, 31), (8, 31), (9, 30), (10, 31), (11, 30), (12, 31))]),
            # 15-31 January paused: January weighs 14/31, the other two months 1 each -> 300 x (14/31) / (2 14/31)
            # = 300 x 14 / 76 = 55.263... -> 55.26, February and March 300 x 31 / 76 = 122.368... -> 122.37 each
            ("monthly, half a month paused", "ratable_monthly", 300.0, date(2026, 1, 1), date(2026, 3, 31),
             [(date(2026, 1, 15), date(2026, 1, 31))],
             [("2026-01-31", 55.26), ("2026-02-28", 122.37), ("2026-03-31", 122.37)]),
            # daily: 90 days in Q1 2026, February (28 days) paused: 62 days served, 620 -> 10 a day
            ("daily, February paused", "ratable_daily", 620.0, date(2026, 1, 1), date(2026, 3, 31),
             [(date(2026, 2, 1), date(2026, 2, 28))], [("2026-01-31", 310.0), ("2026-03-31", 310.0)]),
        ]
        for name, method, amount, start, end, gaps, expected in cases:
            with self.subTest(name):
                plan = _plan(ratable_with_gaps(method, amount, start, end, gaps))
                self.assertEqual(plan, expected)
                self.assertEqual(round(sum(value for _day, value in plan), 2), amount)
        # without a gap it is the ordinary schedule
        for method in ("ratable_daily", "ratable_monthly"):
            self.assertEqual(_plan(ratable_with_gaps(method, 1000.01, date(2026, 1, 17), date(2027, 1, 16), [])),
                             _plan(build_schedule(method, 1000.01, date(2026, 1, 17), date(2027, 1, 16))))
        with self.assertRaisesRegex(ScheduleError, "falls in a pause"):
            ratable_with_gaps("ratable_monthly", 10.0, *year, [year])
        with self.assertRaisesRegex(ScheduleError, "Only a ratable method"):
            ratable_with_gaps("invoice", 10.0, *year, [])

    def test_refusals(self):
        for call, reason in [
            (lambda: term_end(date(2026, 1, 1), 0), "term of 0 months"),
            (lambda: term_end(date(2026, 1, 1), -3), "term of -3 months"),
            (lambda: build_schedule("ratable_daily", 10.0, date(2026, 2, 1), date(2026, 1, 1)), "ends .* before"),
            (lambda: build_schedule("ratable_monthly", 10.0, date(2026, 2, 1)), "needs an end date"),
            (lambda: build_schedule("weekly", 10.0, date(2026, 2, 1)), "Unknown recognition method"),
            (lambda: split_exact(10.0, []), "no period"),
            (lambda: split_exact(10.0, [1, -1]), "less than nothing"),
        ]:
            with self.subTest(reason), self.assertRaisesRegex(ScheduleError, reason):
                call()

    def test_contract_position_table(self):
        for name, liability, asset, revenue, expected in [
            ("worked example, billed up front: January revenue from the liability", 90000.0, 0.0, 65250.0,
             (65250.0, 0.0)),
            ("billed 7,500, January revenue 65,250: contract asset 57,750", 7500.0, 0.0, 65250.0, (7500.0, 57750.0)),
            ("February invoice nets the asset", 7500.0, 57750.0, 0.0, (7500.0, -7500.0)),
            ("revenue grows the asset", 0.0, 50250.0, 2250.0, (0.0, 2250.0)),
            ("reversal of revenue on a liability contract", 10.0, 0.0, -5.0, (-5.0, 0.0)),
            ("reversal shrinks an asset first", 0.0, 100.0, -130.0, (-30.0, -100.0)),
        ]:
            with self.subTest(name):
                result = contract_position_moves(liability, asset, revenue)
                self.assertEqual(result, expected)
                self.assertAlmostEqual(sum(result), revenue, places=2)

    def test_measured_position_table(self):
        """Foreign-currency positions (issue 16 item 6): contract currency EUR, company USD; ``rate`` USD per EUR."""
        for name, liability, asset, revenue, rate, expected in [
            # (deferred doc, deferred co, asset doc, asset co, revenue co, exchange co: positive a loss)
            ("advance billed at 1.00 released at 1.25: its billing rate", (1200.0, 1200.0), (0.0, 0.0), 100.0, 1.25,
             (100.0, 100.0, 0.0, 0.0, 100.0, 0.0)),
            ("last month of the advance takes what is left of it (no stranded cent)", (100.0, 100.01), (0.0, 0.0),
             100.0, 1.25, (100.0, 100.01, 0.0, 0.0, 100.01, 0.0)),
            ("advances at two rates: 300 EUR for 330 USD, a third released = 110", (300.0, 330.0), (0.0, 0.0),
             100.0, 1.25, (100.0, 110.0, 0.0, 0.0, 110.0, 0.0)),
            ("beyond the advance: 50 at its rate, 50 more as an asset at spot 1.25", (50.0, 50.0), (0.0, 0.0),
             100.0, 1.25, (50.0, 50.0, 50.0, 62.5, 112.5, 0.0)),
            ("netting: 200 EUR of a 1,500 USD/1,200 EUR invoice against a 225 USD asset: gain 25",
             (1200.0, 1500.0), (200.0, 225.0), 0.0, 1.25, (200.0, 250.0, -200.0, -225.0, 0.0, -25.0)),
            ("netting at a lower rate: loss 10", (100.0, 90.0), (100.0, 100.0), 0.0, 0.9,
             (100.0, 90.0, -100.0, -100.0, 0.0, 10.0)),
            ("reversal shrinks the asset at its carrying rate", (0.0, 0.0), (200.0, 225.0), -100.0, 2.0,
             (0.0, 0.0, -100.0, -112.5, -112.5, 0.0)),
            ("company currency: rate 1, figures unchanged", (7500.0, 7500.0), (0.0, 0.0), 65250.0, 1.0,
             (7500.0, 7500.0, 57750.0, 57750.0, 65250.0, 0.0)),
        ]:
            with self.subTest(name):
                result = measure_position_moves(liability, asset, revenue, rate)
                self.assertEqual((result.deferred_doc, result.deferred_co, result.asset_doc, result.asset_co,
                                  result.revenue_co, result.exchange_co), expected)

    def test_split_company_table(self):
        for name, total, amounts, rate, expected in [
            ("one line", 100.0, [100.0], 1.25, [100.0]),
            ("three lines share 100.01 USD by their EUR amounts", 100.01, [40.0, 30.0, 30.0], 1.0,
             [40.01, 30.0, 30.0]),
            ("lines that cancel out convert at the rate", 0.0, [10.0, -10.0], 1.25, [12.5, -12.5]),
            ("mixed signs keep the total", 62.5, [100.0, -50.0], 1.25, [125.0, -62.5]),
            # the entry measured the lines' own sum (effective rate 1): each line keeps its amount, whatever the
            # spot rate passed
            ("rate 1: each line its amount", 5419.75, [759.92, 1419.84, -0.01, 3240.0], 1.0,
             [759.92, 1419.84, -0.01, 3240.0]),
            ("a foreign contract at par", 300.0, [100.0, 200.0], 1.25, [100.0, 200.0]),
            ("amounts finer than the company's cents take the general rule", 0.03, [0.011, 0.011, 0.011], 1.0,
             [0.01, 0.01, 0.01]),
        ]:
            with self.subTest(name):
                result = split_company(total, amounts, rate)
                self.assertEqual(result, expected)

    @settings(max_examples=200, derandomize=True, deadline=None)
    @given(st.lists(st.integers(-10**9, 10**9), min_size=1, max_size=12), st.sampled_from([0.8, 1.0, 1.25]))
    def test_split_company_at_rate_one_keeps_each_amount(self, cents, rate):
        """Whenever the entry measured exactly the lines' own sum, in cents (a contract in the company's currency),
        each line's company amount is its own amount and they sum to the total (reproducible: derandomized)."""
        amounts = [c / 100 for c in cents]
        total = sum(cents) / 100
        result = split_company(total, amounts, rate)
        if sum(cents):  # lines that cancel out convert at the rate instead (the table above)
            self.assertEqual(result, amounts)
            self.assertEqual(round(sum(result) * 100), sum(cents))
