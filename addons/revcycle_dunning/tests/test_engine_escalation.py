"""Escalation one level at a time, credits netting and interest days on tables of cases: no database (issue 18)."""
from datetime import date, timedelta

from odoo.tests import BaseCase, tagged

from ..engine import (
    DunningLevel,
    ItemHistory,
    OverdueItem,
    apply_credits,
    escalation_level,
    interest_days,
    late_fee,
    notice_level,
)

FRIENDLY, FIRST, LETTER, CALL, AGENCY = (
    DunningLevel(key=1, sequence=10, days=-3),
    DunningLevel(key=2, sequence=20, days=7),
    DunningLevel(key=3, sequence=30, days=21),
    DunningLevel(key=4, sequence=40, days=35),  # the credit-hold level
    DunningLevel(key=5, sequence=50, days=60, min_overdue_amount=100.0),
)
LADDER = [AGENCY, CALL, FIRST, LETTER, FRIENDLY]  # any order: the ladder is read by sequence
DUE = date(2025, 1, 1)


def day(offset):
    return DUE + timedelta(days=offset)


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestEscalationEngine(BaseCase):
    def test_escalation_table(self):
        cases = [
            # (days from due on the run date, last level sent, days from due it was sent, waiting, amount, expected)
            (-4, None, None, False, 500.0, None),  # too early for the pre-due reminder
            (-3, None, None, False, 500.0, FRIENDLY),
            (-1, FRIENDLY, -3, False, 500.0, None),  # first level comes after the due date only
            # found (reproduced): first seen 65 days late jumped to the agency, skipping the hold level; now it
            # starts at the first level after the due date, and never gets the pre-due reminder
            (65, None, None, False, 500.0, FIRST),
            (3, None, None, False, 500.0, None),  # overdue but the first level not reached: no pre-due reminder
            (7, FRIENDLY, -3, False, 500.0, FIRST),  # gap 7 - (-3) = 10 days since the reminder: met
            (66, FIRST, 65, False, 500.0, None),  # the letter comes 21 - 7 = 14 days after the first notice
            (78, FIRST, 65, False, 500.0, None),  # 13 days after it
            (79, FIRST, 65, False, 500.0, LETTER),  # 14 days after it: the next level, not the most severe
            (93, LETTER, 79, False, 500.0, CALL),  # 35 - 21 = 14 days later: the hold level is never skipped
            (117, CALL, 93, False, 500.0, None),  # 60 - 35 = 25 days: one day short
            (118, CALL, 93, False, 500.0, AGENCY),
            (118, CALL, 93, False, 99.99, None),  # below the agency minimum: stays at the call level
            (200, AGENCY, 118, False, 500.0, None),  # top of the ladder
            (79, FIRST, 65, True, 500.0, None),  # the first notice not sent yet: the item waits for it
            (5, FRIENDLY, -3, False, 500.0, None),
        ]
        for days, last, sent_at, waiting, amount, expected in cases:
            history = ItemHistory(last.key if last else None, day(sent_at) if sent_at is not None else None,
                                  waiting)
            with self.subTest(days=days, last=last, amount=amount):
                self.assertEqual(escalation_level(LADDER, day(days), DUE, amount, history), expected)

    def test_policy_names_the_first_level_when_overdue(self):
        self.assertEqual(escalation_level(LADDER, day(30), DUE, 500.0, initial_key=LETTER.key), LETTER)
        self.assertIsNone(escalation_level(LADDER, day(10), DUE, 500.0, initial_key=LETTER.key))
        # before the due date the pre-due reminder still comes first
        self.assertEqual(escalation_level(LADDER, day(-2), DUE, 500.0, initial_key=LETTER.key), FRIENDLY)

    def test_notice_level_is_the_most_severe_item(self):
        self.assertEqual(notice_level([FRIENDLY, CALL, FIRST]), CALL)
        self.assertIsNone(notice_level([]))

    def test_credits_settle_oldest_items_first(self):
        cases = [
            # open amounts oldest first, credit, expected nets, expected applied
            ([1000.0, 500.0], 0.0, [1000.0, 500.0], 0.0),
            ([1000.0, 500.0], 400.0, [600.0, 500.0], 400.0),
            ([1000.0, 500.0], 1200.0, [0.0, 300.0], 1200.0),
            ([1000.0, 500.0], 1500.0, [0.0, 0.0], 1500.0),
            # found (reproduced): 107k of open credits and a 36,512.50 reminder; a net credit leaves nothing to dun
            ([36512.50], 107000.0, [0.0], 36512.50),
        ]
        for amounts, credit, nets, applied in cases:
            with self.subTest(amounts=amounts, credit=credit):
                self.assertEqual(apply_credits(amounts, credit), (nets, applied))

    def test_interest_days_from_last_charge(self):
        self.assertEqual(interest_days(DUE, None, day(10)), 10)
        self.assertEqual(interest_days(DUE, day(10), day(40)), 30)
        self.assertEqual(interest_days(DUE, None, day(-3)), 0)  # never before the due date
        self.assertEqual(interest_days(DUE, day(40), day(40)), 0)

    def test_interest_is_not_charged_twice(self):
        # found (reproduced): 10,000 at 10 %/yr with levels at day 10 and 40 charged 27.40 + 109.59 = 136.99.
        # Owed: 10,000 x 10 % x 40 / 365 = 109.589 -> 109.59 in all: 27.40 at day 10 (10 days) and 82.19 at
        # day 40 (30 more days: 10,000 x 0.1 x 30 / 365 = 82.19)
        at_10 = late_fee([OverdueItem(10000.0, interest_days(DUE, None, day(10)))], interest_rate=10.0)
        at_40 = late_fee([OverdueItem(10000.0, interest_days(DUE, day(10), day(40)))], interest_rate=10.0)
        self.assertEqual((at_10.interest, at_40.interest), (27.40, 82.19))
        self.assertAlmostEqual(at_10.interest + at_40.interest, 109.59, places=2)
