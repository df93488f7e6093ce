"""Credit score, risk class and credit decision on tables of cases: no database."""
from odoo.tests import BaseCase, tagged

from ..engine import (
    CreditScoreError,
    PaymentBehaviour,
    ScoreWeights,
    check_credit,
    credit_score,
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
        # 10,000 paid on average 30 days late, a fifth of it on time, half of what is open is overdue
        PaymentBehaviour(paid_amount=10000.0, paid_days_late=300000.0, paid_on_time_amount=2000.0,
                         open_amount=4000.0, overdue_amount=2000.0, exposure=4000.0, credit_limit=5000.0,
                         account_age_days=730, dunning_count=2),
        42, "D"),
    "new customer": (
        # no payment and no limit yet: neutral, not perfect
        PaymentBehaviour(account_age_days=20),
        63, "C"),
    "one big overdue": (
        # a good history, then most of a large balance overdue and the limit blown
        PaymentBehaviour(paid_amount=20000.0, paid_days_late=0.0, paid_on_time_amount=20000.0,
                         open_amount=15000.0, overdue_amount=14000.0, exposure=15000.0, credit_limit=10000.0,
                         account_age_days=1000, dunning_count=1),
        61, "C"),
    "everything wrong": (
        PaymentBehaviour(paid_amount=5000.0, paid_days_late=400000.0, paid_on_time_amount=0.0, open_amount=8000.0,
                         overdue_amount=8000.0, exposure=9000.0, credit_limit=6000.0, account_age_days=400,
                         dunning_count=6),
        10, "E"),
}


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestCreditScoreEngine(BaseCase):
    def test_payment_histories(self):
        for name, (behaviour, expected_score, expected_class) in HISTORIES.items():
            with self.subTest(history=name):
                result = credit_score(behaviour)
                self.assertEqual((result.score, result.risk_class), (expected_score, expected_class))
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
        self.assertEqual(credit_score(late_payer, only_lateness).score, 33)  # 1 - 30/45 days
        only_age = ScoreWeights(lateness=0, on_time=0, overdue=0, utilisation=0, age=3, dunning=0)
        self.assertEqual(credit_score(late_payer, only_age).score, 100)
        with self.assertRaisesRegex(CreditScoreError, "cannot be negative"):
            credit_score(late_payer, ScoreWeights(lateness=-1))
        with self.assertRaisesRegex(CreditScoreError, "must be above 0"):
            credit_score(late_payer, ScoreWeights(0, 0, 0, 0, 0, 0))

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
