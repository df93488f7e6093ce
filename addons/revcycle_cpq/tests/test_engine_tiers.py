"""Tier engine on a table of cases: no database."""

from hypothesis import given, settings
from hypothesis import strategies as st
from odoo.tests import BaseCase, tagged
from odoo.tools.float_utils import float_compare

from ..engine import Tier, price_by_tiers
from ..engine.tiers import TierError

STEPS = [Tier(0, 10.0), Tier(100, 8.0), Tier(500, 6.0)]
# Stripe's equivalent of STEPS: up_to=99 at 10, up_to=499 at 8, up_to=inf at 6 (a tier "from 100" prices unit 100)
STAIRS = [Tier(0, 10.0), Tier(11, 9.0), Tier(51, 7.5)]
# Stripe's equivalent of STAIRS: up_to=10 at 10, up_to=50 at 9, up_to=inf at 7.5


def stripe_graduated_total(quantity, tiers):
    """Stripe's definition for whole quantities, unit by unit: unit n at the tier of the highest threshold <= n."""
    ordered = sorted(tiers, key=lambda t: t.min_quantity)
    total = 0.0
    for unit in range(1, quantity + 1):
        reached = [t for t in ordered if t.min_quantity <= unit]
        total += (reached[-1] if reached else ordered[0]).price  # below the first threshold: the first tier
    return total


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestTierEngine(BaseCase):
    def assertAmount(self, actual, expected, digits=2):
        self.assertEqual(float_compare(actual, expected, precision_digits=digits), 0, f"{actual} != {expected}")

    def test_graduated_and_volume_table(self):
        cases = [
            # quantity, mode, expected total, expected number of tier lines
            # Graduated, corrected (issue 20): the old engine started each tier one unit late and priced 100 as
            # 100 x 10 = 1000 and 150 as 100 x 10 + 50 x 8 = 1400 (unit 100 at the first tier's 10 instead of 8).
            (0, "graduated", 0.0, 0),
            (50, "graduated", 500.0, 1),
            (99, "graduated", 990.0, 1),  # below the threshold: units 1..99 at 10
            (100, "graduated", 998.0, 2),  # at it: 99 x 10 + unit 100 at 8
            (101, "graduated", 1006.0, 2),  # above it: 99 x 10 + 2 x 8
            (150, "graduated", 1398.0, 2),  # 99 x 10 + 51 x 8
            (499, "graduated", 4190.0, 2),  # 99 x 10 + 400 x 8
            (500, "graduated", 4196.0, 3),  # 99 x 10 + 400 x 8 + unit 500 at 6
            (600, "graduated", 4796.0, 3),  # 99 x 10 + 400 x 8 + 101 x 6
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

    def test_at_below_and_above_every_threshold_against_stripe(self):
        """STAIRS: from 0 at 10, from 11 at 9, from 51 at 7.5 = Stripe up_to 10 / 50 / inf. Totals by hand."""
        cases = [
            # quantity, graduated total, volume total
            (0, 0.0, 0.0),
            (0.5, 5.0, 5.0),  # half of unit 1 at 10
            (1, 10.0, 10.0),
            (10, 100.0, 100.0),  # below 11: 10 x 10 in both modes
            # fractional, just past the 10th unit: graduated prices the started unit 11 at 9 (100 + 0.5 x 9);
            # volume compares 10.5 with the threshold 11, not reached: 10.5 x 10 (Odoo's min_quantity rule)
            (10.5, 104.5, 105.0),
            (11, 109.0, 99.0),  # at 11: 10 x 10 + 1 x 9 ; volume 11 x 9
            (12, 118.0, 108.0),  # above: 10 x 10 + 2 x 9 ; volume 12 x 9
            (50, 460.0, 450.0),  # below 51: 100 + 40 x 9 ; volume 50 x 9
            (50.25, 461.88, 452.25),  # 460 + 0.25 x 7.5 = 1.875 -> 1.88 ; volume 50.25 x 9
            (51, 467.5, 382.5),  # at 51: 460 + 7.5 ; volume 51 x 7.5
            (52, 475.0, 390.0),  # above: 460 + 2 x 7.5 ; volume 52 x 7.5
            (150, 1210.0, 1125.0),  # 460 + 100 x 7.5 ; volume 150 x 7.5
        ]
        for quantity, graduated, volume in cases:
            with self.subTest(quantity=quantity):
                self.assertAmount(price_by_tiers(quantity, STAIRS, "graduated").total, graduated)
                self.assertAmount(price_by_tiers(quantity, STAIRS, "volume").total, volume)
                if quantity == int(quantity):
                    self.assertAmount(stripe_graduated_total(int(quantity), STAIRS), graduated)

    @settings(max_examples=200, derandomize=True, deadline=None, database=None, print_blob=True)
    @given(
        thresholds=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=4, unique=True),
        prices=st.lists(st.integers(min_value=0, max_value=5000), min_size=5, max_size=5),
        quantity=st.integers(min_value=0, max_value=120),
    )
    def test_graduated_equals_stripe_unit_by_unit(self, thresholds, prices, quantity):
        """Whole quantities: the engine's graduated total is Stripe's, unit by unit, for any table."""
        tiers = [Tier(0, prices[0] / 100)] + [
            Tier(threshold, prices[index + 1] / 100) for index, threshold in enumerate(sorted(thresholds))
        ]
        result = price_by_tiers(quantity, tiers, "graduated")
        self.assertAmount(result.total, stripe_graduated_total(quantity, tiers))
        self.assertAmount(sum(line.quantity for line in result.lines), quantity, digits=6)

    def test_fractional_quantities_round_in_currency_precision(self):
        tiers = [Tier(0, 0.333), Tier(10, 0.125)]
        result = price_by_tiers(12.5, tiers, "graduated", precision_digits=2)
        # units 1..9 at 0.333 = 2.997 -> 3.00 ; unit 10 on (3.5 units) at 0.125 = 0.4375 -> 0.44
        self.assertEqual([line.amount for line in result.lines], [3.0, 0.44])
        self.assertAmount(result.total, 3.44)
        zero_decimals = price_by_tiers(3, [Tier(0, 333.4)], "volume", precision_digits=0)
        self.assertEqual(zero_decimals.total, 1000.0)

    def test_first_threshold_above_zero_still_prices_small_quantities(self):
        tiers = [Tier(1, 50.0), Tier(25, 45.0)]
        self.assertAmount(price_by_tiers(0.5, tiers, "volume").total, 25.0)
        # units 1..24 at 50, units 25..30 at 45 (the old engine gave 25 x 50 + 5 x 45)
        self.assertAmount(price_by_tiers(30, tiers, "graduated").total, 24 * 50.0 + 6 * 45.0)
        self.assertAmount(price_by_tiers(25, tiers, "graduated").total, 24 * 50.0 + 45.0)
        # thresholds 0 and 1: the first tier prices nothing, as Stripe's up_to=0
        self.assertAmount(price_by_tiers(3, [Tier(0, 20.0), Tier(1, 10.0)], "graduated").total, 30.0)

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
