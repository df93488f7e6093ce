"""Dunning level choice on a table of cases: no database."""
from datetime import date

from odoo.tests import BaseCase, tagged

from ..engine import DunningLevel, DunningLevelError, choose_level, days_past_due, validate_levels

LADDER = [
    DunningLevel(key=1, sequence=10, days=-3),
    DunningLevel(key=2, sequence=20, days=7),
    DunningLevel(key=3, sequence=30, days=21),
    DunningLevel(key=4, sequence=40, days=60, min_overdue_amount=100.0),
]


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestLevelEngine(BaseCase):
    def test_days_past_due(self):
        self.assertEqual(days_past_due(date(2024, 1, 31), date(2024, 1, 28)), -3)
        self.assertEqual(days_past_due(date(2024, 2, 28), date(2024, 3, 1)), 2)  # leap year: Feb 29 counts

    def test_level_reached_by_days(self):
        cases = [
            # days overdue, already sent keys, open amount, expected key
            (-4, (), 500.0, None),   # too early even for the friendly reminder
            (-3, (), 500.0, 1),      # boundary: the reminder is due on its day
            (0, (), 500.0, 1),
            (6, (1,), 500.0, None),  # reminder sent, first notice not reached
            (7, (1,), 500.0, 2),     # boundary
            (30, (), 500.0, 3),      # never reminded: jumps to the most severe level reached
            (30, (3,), 500.0, None),  # never the same level twice
            (30, (2,), 500.0, 3),
            (90, (3,), 500.0, 4),
            (90, (3,), 99.99, None),  # under the agency level's minimum amount
            (90, (4,), 500.0, None),
        ]
        for days, sent, amount, expected in cases:
            with self.subTest(days=days, sent=sent, amount=amount):
                level = choose_level(days, LADDER, already_sent=sent, open_amount=amount)
                self.assertEqual(level.key if level else None, expected)

    def test_ladder_must_escalate(self):
        validate_levels(LADDER)
        with self.assertRaisesRegex(DunningLevelError, "later levels must come later"):
            validate_levels([DunningLevel(1, 10, 7), DunningLevel(2, 20, 7)])
        with self.assertRaisesRegex(DunningLevelError, "share the sequence"):
            validate_levels([DunningLevel(1, 10, 7), DunningLevel(2, 10, 14)])
