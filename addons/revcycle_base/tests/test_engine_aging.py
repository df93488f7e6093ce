"""The aging rule on a table of cases: no database."""

from odoo.tests import BaseCase, tagged

from ..engine import aging

# The shipped default buckets: not yet due, then 1-30, 31-60, 61-90, over 90 days past due.
BUCKETS = [("Current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None)]
CASES = [(-400, "Current"), (0, "Current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"),
         (90, "61-90"), (91, "90+"), (5000, "90+")]


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestAgingEngine(BaseCase):
    def test_bucket_of_each_day_count(self):
        for days, expected in CASES:
            with self.subTest(days=days):
                self.assertEqual(aging.bucket_name(days, BUCKETS), expected)

    def test_first_matching_bucket_wins_and_a_gap_is_refused(self):
        overlapping = [("A", None, 10), ("B", 5, None)]
        self.assertEqual(aging.bucket_name(7, overlapping), "A")
        with self.assertRaisesRegex(aging.AgingError, "No aging bucket covers 45 days"):
            aging.bucket_name(45, [("1-30", 1, 30)])
