"""Credit score, risk class and credit decision on tables of cases: no database.

Default weights: lateness 25, on time 20, overdue 30, utilisation 10, age 10, dunning 5 (a factor of 1 gives its whole
weight); lateness is 1 - average days late / 45, over what was paid in the window and what is overdue now."""
from datetime import date

from odoo.tests import BaseCase, tagged

from ..engine import (
    UNRATED,
    CreditScoreError,
    PaymentBehaviour,
    ScoreWeights,
    check_credit,
    credit_score,
    history_months,
    is_rated,
    monthly_sales,
    risk_class,
    suggested_limit,
)

# name: (behaviour, expected score, expected class)
HISTORIES = {
    "always on time": (
        PaymentBehaviour(paid_amount=12000.0, paid_days_late=0.0, paid_on_time_amount=12000.0, open_amount=2000.0,
                         overdue_amount=0.0, exposure=2000.0, credit_limit=10000.0, account_age_days=800),
        98, "A"),
    "chronically late": (
        # 10,000 paid on average 30 days late, 2,000 of it on time; 2,000 of the 4,000 open is 20 days overdue.
        # lateness (300,000 + 40,000) / 12,000 = 28.33 days -> 1 - 28.33/45 = .370 x 25 = 9.26; on time
        # 2,000 / 12,000 x 20 = 3.33; overdue (1 - 2,000/4,000) x 30 = 15; utilisation (1 - 4,000/5,000) x 10 = 2;
        # age 10; dunning (1 - 2/5) x 5 = 3 -> 42.59 -> 43, class D
        PaymentBehaviour(paid_amount=10000.0, paid_days_late=300000.0, paid_on_time_amount=2000.0,
                         open_amount=4000.0, overdue_amount=2000.0, overdue_days_late=40000.0, exposure=4000.0,
                         credit_limit=5000.0, account_age_days=730, dunning_count=2),
        43, "D"),
    "new customer": (
        # invoiced 20 days ago, nothing paid and nothing due yet: no behaviour to judge -> unrated, not a score
        PaymentBehaviour(account_age_days=20),
        None, UNRATED),
    "one big overdue": (
        # a good history, then 14,000 of a 15,000 balance 30 days overdue and the limit blown: lateness
        # 420,000 / 34,000 = 12.35 days -> .725 x 25 = 18.14; on time 20,000/34,000 x 20 = 11.76; overdue
        # (1 - 14/15) x 30 = 2; utilisation 0; age 10; dunning .8 x 5 = 4 -> 45.90 -> 46, class D (was C when the
        # overdue debt did not count as late)
        PaymentBehaviour(paid_amount=20000.0, paid_days_late=0.0, paid_on_time_amount=20000.0,
                         open_amount=15000.0, overdue_amount=14000.0, overdue_days_late=420000.0, exposure=15000.0,
                         credit_limit=10000.0, account_age_days=1000, dunning_count=1),
        46, "D"),
    "everything wrong": (
        PaymentBehaviour(paid_amount=5000.0, paid_days_late=400000.0, paid_on_time_amount=0.0, open_amount=8000.0,
                         overdue_amount=8000.0, overdue_days_late=480000.0, exposure=9000.0, credit_limit=6000.0,
                         account_age_days=400, dunning_count=6),
        10, "E"),
    # The reproduction: the same 1,000 invoice 60 days overdue and 90 days of history; one customer never paid
    # anything, the other paid an earlier 1,000 45 days late. Both: lateness 0 (60 and 52.5 days > 45), on time 0,
    # overdue 0, utilisation neutral .5 x 10 = 5, age 90/365 x 10 = 2.47, dunning 5 -> 12.47 -> 12, class E.
    # The one who never paid no longer scores better (it scored 35, class D, against 12).
    "never paid": (
        PaymentBehaviour(open_amount=1000.0, overdue_amount=1000.0, overdue_days_late=60000.0, exposure=1000.0,
                         account_age_days=90),
        12, "E"),
    "paid 45 days late": (
        PaymentBehaviour(paid_amount=1000.0, paid_days_late=45000.0, open_amount=1000.0, overdue_amount=1000.0,
                         overdue_days_late=60000.0, exposure=1000.0, account_age_days=90),
        12, "E"),
}


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestCreditScoreEngine(BaseCase):
    def test_payment_histories(self):
        for name, (behaviour, expected_score, expected_class) in HISTORIES.items():
            with self.subTest(history=name):
                result = credit_score(behaviour)
                self.assertEqual((result.score, result.risk_class), (expected_score, expected_class))
                self.assertEqual(is_rated(behaviour), expected_class != UNRATED)
                self.assertTrue(all(0.0 <= value <= 1.0 for value in result.factors.values()))

    def test_class_boundaries(self):
        cases = [(100, "A"), (80, "A"), (79, "B"), (65, "B"), (64, "C"), (50, "C"), (49, "D"), (35, "D"), (34, "E"),
                 (0, "E")]
        for score, expected in cases:
            with self.subTest(score=score):
                self.assertEqual(risk_class(score), expected)

    def test_weights(self):
        late_payer = HISTORIES["chronically late"][0]
        only_lateness = ScoreWeights(lateness=1, on_time=0, overdue=0, utilisation=0, age=0, dunning=0)
        self.assertEqual(credit_score(late_payer, only_lateness).score, 37)  # 1 - 28.33/45 days
        only_age = ScoreWeights(lateness=0, on_time=0, overdue=0, utilisation=0, age=3, dunning=0)
        self.assertEqual(credit_score(late_payer, only_age).score, 100)
        with self.assertRaisesRegex(CreditScoreError, "cannot be negative"):
            credit_score(late_payer, ScoreWeights(lateness=-1))
        with self.assertRaisesRegex(CreditScoreError, "must be above 0"):
            credit_score(late_payer, ScoreWeights(0, 0, 0, 0, 0, 0))

    def test_never_paid_is_never_better_than_paid_late(self):
        self.assertLessEqual(credit_score(HISTORIES["never paid"][0]).score,
                             credit_score(HISTORIES["paid 45 days late"][0]).score)

    def test_history_months_and_monthly_sales(self):
        cases = [
            # first invoice, today, months
            (date(2026, 9, 1), date(2026, 12, 1), 3),    # three whole months
            (date(2026, 9, 1), date(2026, 11, 30), 3),   # the third month has started
            (date(2026, 9, 15), date(2026, 9, 20), 1),   # the first month
            (date(2026, 9, 15), date(2026, 9, 15), 1),   # invoiced today
            (date(2025, 1, 1), date(2026, 12, 1), 12),   # capped at the twelve months of the window
            (None, date(2026, 12, 1), 0),                # never invoiced
        ]
        for first, today, expected in cases:
            with self.subTest(first=first, today=today):
                self.assertEqual(history_months(first, today), expected)
        # the reproduction: a 3-month-old customer billing 10,000 a month (30,000 in the window) averages 10,000 a
        # month, not 30,000 / 12 = 2,500; on a two-month class policy the suggested limit is 20,000, not 5,000
        monthly = monthly_sales(30000.0, date(2026, 9, 1), date(2026, 12, 1))
        self.assertEqual(monthly, 10000.0)
        self.assertEqual(suggested_limit(monthly, 2.0), 20000.0)
        self.assertEqual(monthly_sales(0.0, None, date(2026, 12, 1)), 0.0)

    def test_suggested_limit(self):
        cases = [
            # average monthly sales, months, expected
            (1234.0, 2.0, 2500.0),   # rounded up to the hundred
            (1000.0, 3.0, 3000.0),   # exact: not rounded further
            (1000.0, 0.0, 0.0),      # class E: prepayment
            (0.0, 3.0, 0.0),         # never invoiced
            (-50.0, 1.0, 0.0),       # more credited than invoiced
        ]
        for monthly, months, expected in cases:
            with self.subTest(monthly=monthly, months=months):
                self.assertEqual(suggested_limit(monthly, months), expected)

    def test_credit_decision(self):
        cases = [
            # exposure, amount, limit, hold, oldest overdue days, block after, allowed, reason
            (400.0, 600.0, 1000.0, False, 0, 30, True, None),       # exactly at the limit is allowed
            (400.0, 600.01, 1000.0, False, 0, 30, False, "limit"),
            (50000.0, 1.0, 0.0, False, 0, 30, True, None),          # 0: no limit
            (0.0, 1.0, 1000.0, True, 0, 30, False, "hold"),
            (2000.0, 1.0, 1000.0, True, 90, 30, False, "hold"),     # hold is named first
            (0.0, 1.0, 1000.0, False, 30, 30, True, None),          # boundary: 30 days is not beyond 30
            (0.0, 1.0, 1000.0, False, 31, 30, False, "overdue"),
            (0.0, 1.0, 1000.0, False, 365, 0, True, None),          # 0 switches the overdue rule off
            (1200.0, -300.0, 1000.0, False, 0, 30, True, None),     # a credit note brings it back under
        ]
        for exposure, amount, limit, hold, overdue, block_after, allowed, reason in cases:
            with self.subTest(exposure=exposure, amount=amount, limit=limit, hold=hold, overdue=overdue):
                decision = check_credit(exposure, amount, limit, on_hold=hold, oldest_overdue_days=overdue,
                                        block_after_days=block_after)
                self.assertEqual((decision.allowed, decision.reason), (allowed, reason))
                self.assertAlmostEqual(decision.exposure_after, exposure + amount)
