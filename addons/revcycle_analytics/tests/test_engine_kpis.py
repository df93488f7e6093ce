"""KPI formulas on the worked examples of DOMAIN.md section 2 and edge cases: no database."""
from odoo.tests import BaseCase, tagged

from ..engine import KpiError, aging_bucket, cei, cltv, dso_countback, dso_simple

BUCKETS = [("Not due", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("Over 90", 91, None)]


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestKpiEngine(BaseCase):
    def test_domain_worked_examples(self):
        self.assertAlmostEqual(dso_simple(150_000, 1_800_000, 365), 30.4, places=1)
        self.assertAlmostEqual(dso_countback(212_000, [(100_000, 30), (80_000, 30), (70_000, 30)]), 73.7, places=1)
        self.assertAlmostEqual(cei(6_200, 3_630 * 3, 3, 6_340, 3_590), 55.9, places=1)
        self.assertAlmostEqual(cltv(100, 0.8, 0.05), 1_600.0, places=6)

    def test_edge_cases(self):
        self.assertIsNone(dso_simple(1_000, 0, 30))  # no sales in the period
        self.assertIsNone(cltv(100, 0.8, 0))  # zero churn: unbounded lifetime, not infinity
        self.assertEqual(dso_simple(-500, 10_000, 30), -1.5)  # negative AR after an overpayment stays visible
        self.assertEqual(dso_countback(0, [(100, 30)]), 0)
        self.assertEqual(dso_countback(500, [(100, 30), (0, 31), (100, 30)]), 91)  # AR older than the months given
        with self.assertRaises(KpiError):
            dso_simple(1, 1, 0)
        with self.assertRaises(KpiError):
            cei(1, 1, 0, 1, 1)

    def test_aging_buckets_by_days(self):
        cases = [(-10, "Not due"), (0, "Not due"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (90, "61-90"),
                 (91, "Over 90"), (4000, "Over 90")]
        for days, expected in cases:
            with self.subTest(days=days):
                self.assertEqual(aging_bucket(days, BUCKETS), expected)
        with self.assertRaisesRegex(KpiError, "No aging bucket covers 45"):
            aging_bucket(45, [("1-30", 1, 30)])
