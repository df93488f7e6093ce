"""Tier engine on a table of cases: no database."""

from odoo.tests import BaseCase, tagged
from odoo.tools.float_utils import float_compare

from ..engine import Tier, price_by_tiers
from ..engine.tiers import TierError

STEPS = [Tier(0, 10.0), Tier(100, 8.0), Tier(500, 6.0)]


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestTierEngine(BaseCase):
    def assertAmount(self, actual, expected, digits=2):
        self.assertEqual(float_compare(actual, expected, precision_digits=digits), 0, f"{actual} != {expected}")

    def test_graduated_and_volume_table(self):
        cases = [
            # quantity, mode, expected total, expected number of tier lines
            (0, "graduated", 0.0, 0),
            (50, "graduated", 500.0, 1),
            (100, "graduated", 1000.0, 1),  # a boundary belongs to the next tier: nothing priced in it yet
            (150, "graduated", 1400.0, 2),  # 100 x 10 + 50 x 8
            (600, "graduated", 4800.0, 3),  # 100 x 10 + 400 x 8 + 100 x 6
            (0, "volume", 0.0, 1),
            (50, "volume", 500.0, 1),
            (99.5, "volume", 995.0, 1),
            (100, "volume", 800.0, 1),  # reaching a threshold prices every unit at it
            (150, "volume", 1200.0, 1),
            (600, "volume", 3600.0, 1),
        ]
        for quantity, mode, total, line_count in cases:
            with self.subTest(quantity=quantity, mode=mode):
                result = price_by_tiers(quantity, STEPS, mode)
                self.assertAmount(result.total, total)
                self.assertEqual(len(result.lines), line_count)
                self.assertAmount(sum(line.amount for line in result.lines), result.total)

    def test_fractional_quantities_round_in_currency_precision(self):
        tiers = [Tier(0, 0.333), Tier(10, 0.125)]
        result = price_by_tiers(12.5, tiers, "graduated", precision_digits=2)
        # 10 x 0.333 = 3.33 ; 2.5 x 0.125 = 0.3125 -> 0.31
        self.assertEqual([line.amount for line in result.lines], [3.33, 0.31])
        self.assertAmount(result.total, 3.64)
        zero_decimals = price_by_tiers(3, [Tier(0, 333.4)], "volume", precision_digits=0)
        self.assertEqual(zero_decimals.total, 1000.0)

    def test_first_threshold_above_zero_still_prices_small_quantities(self):
        tiers = [Tier(1, 50.0), Tier(25, 45.0)]
        self.assertAmount(price_by_tiers(0.5, tiers, "volume").total, 25.0)
        self.assertAmount(price_by_tiers(30, tiers, "graduated").total, 25 * 50.0 + 5 * 45.0)

    def test_bad_tables_are_refused_with_a_reason(self):
        bad = [
            ([Tier(-1, 5.0)], "volume", 1, "negative"),
            ([Tier(0, -5.0)], "volume", 1, "negative"),
            ([Tier(0, 5.0), Tier(0, 4.0)], "volume", 1, "Two tiers start"),
            ([], "volume", 1, "empty"),
            (STEPS, "stairs", 1, "Unknown tier mode"),
            (STEPS, "volume", -3, "negative quantity"),
        ]
        for tiers, mode, quantity, reason in bad:
            with self.subTest(reason=reason), self.assertRaisesRegex(TierError, reason):
                price_by_tiers(quantity, tiers, mode)
