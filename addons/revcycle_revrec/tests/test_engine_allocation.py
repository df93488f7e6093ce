"""SSP allocation on a table of cases, the worked example of docs/domain.md §3 first: no database."""
from odoo.tests import BaseCase, tagged

from ..engine import AllocationError, allocate_by_ssp


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestAllocationEngine(BaseCase):
    def test_allocation_table(self):
        cases = [
            # name, transaction price, (ssp, selling price) per obligation, precision, expected
            ("docs/domain.md worked example", 90000.0,
             [(60000.0, 60000.0), (36000.0, 36000.0), (24000.0, 24000.0)], 2, [45000.0, 27000.0, 18000.0]),
            ("one cent over three lines", 100.0, [(1, 0), (1, 0), (1, 0)], 2, [33.34, 33.33, 33.33]),
            ("two cents, largest remainders win", 0.05, [(1, 0), (2, 0), (3, 0)], 2, [0.01, 0.02, 0.02]),
            ("100 % discount line keeps its SSP share", 100.0, [(50.0, 0.0), (50.0, 100.0)], 2, [50.0, 50.0]),
            ("zero-SSP line takes nothing", 120.0, [(0.0, 20.0), (60.0, 60.0), (40.0, 40.0)], 2, [0.0, 72.0, 48.0]),
            ("no SSP: selling price weighs", 90.0, [(None, 30.0), (None, 60.0)], 2, [30.0, 60.0]),
            ("zero decimals (JPY)", 1000.0, [(1, 0), (1, 0), (1, 0)], 0, [334.0, 333.0, 333.0]),
            ("three decimals (KWD)", 10.0, [(1, 0), (1, 0), (1, 0)], 3, [3.334, 3.333, 3.333]),
            ("zero price", 0.0, [(10.0, 0.0), (5.0, 0.0)], 2, [0.0, 0.0]),
        ]
        for name, price, weights, digits, expected in cases:
            with self.subTest(name):
                allocated = allocate_by_ssp(price, weights, digits)
                self.assertEqual(allocated, expected)
                self.assertEqual(round(sum(allocated), digits), round(price, digits))

    def test_refusals(self):
        for price, weights, reason in [
            (10.0, [], "no performance obligation"),
            (-1.0, [(1, 1)], "negative"),
            (10.0, [(-5.0, 5.0)], "negative or missing"),
            (10.0, [(0.0, 5.0), (0.0, 5.0)], "SSP of 0"),
        ]:
            with self.subTest(reason), self.assertRaisesRegex(AllocationError, reason):
                allocate_by_ssp(price, weights)
