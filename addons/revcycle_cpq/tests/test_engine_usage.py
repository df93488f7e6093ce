"""Usage rating engine on tables of cases: no database. Every expected figure is computed by hand in the comment."""

from hypothesis import given, settings
from hypothesis import strategies as st
from odoo.tests import BaseCase, tagged
from odoo.tools.float_utils import float_compare

from ..engine import Tier, UsageError, UsageTerms, rate_usage
from ..engine.usage import package_blocks

PER_UNIT = UsageTerms("per_unit", unit_price=0.02, included_quantity=1000)
PACKAGE = UsageTerms("package", unit_price=5.0, package_size=1000)
TIERS = (Tier(0, 0.10), Tier(101, 0.08), Tier(1001, 0.05))  # units 1-100 at 0.10, 101-1000 at 0.08, 1001+ at 0.05
GRADUATED = UsageTerms("graduated", tiers=TIERS)
VOLUME = UsageTerms("volume", tiers=TIERS)
COMMITTED = UsageTerms("per_unit", unit_price=0.02, included_quantity=1000, minimum_amount=50.0)


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestUsageEngine(BaseCase):
    def assertAmount(self, actual, expected, digits=2):
        self.assertEqual(float_compare(actual, expected, precision_digits=digits), 0, f"{actual} != {expected}")

    def test_charge_models_at_below_above_thresholds(self):
        cases = [
            # terms, quantity, expected billable quantity, expected usage amount
            # per unit at 0.02 after 1,000 included: below, at and above the allowance
            (PER_UNIT, 0, 0, 0.0),
            (PER_UNIT, 999, 0, 0.0),  # inside the allowance: nothing billed
            (PER_UNIT, 1000, 0, 0.0),  # the allowance exactly used up
            (PER_UNIT, 1001, 1, 0.02),  # 1 unit over x 0.02
            (PER_UNIT, 2500, 1500, 30.0),  # 1,500 x 0.02
            (PER_UNIT, 1000.5, 0.5, 0.01),  # half a unit x 0.02 = 0.01
            # package: blocks of 1,000 at 5.00, a started block billed whole
            (PACKAGE, 0, 0, 0.0),
            (PACKAGE, 1, 1, 5.0),  # 1 unit starts block 1
            (PACKAGE, 999, 999, 5.0),
            (PACKAGE, 1000, 1000, 5.0),  # exactly one block
            (PACKAGE, 1001, 1001, 10.0),  # block 2 started: 2 x 5
            (PACKAGE, 2000, 2000, 10.0),
            # graduated on 0.10 / 0.08 from unit 101 / 0.05 from unit 1,001
            (GRADUATED, 100, 100, 10.0),  # 100 x 0.10, below the second threshold
            (GRADUATED, 101, 101, 10.08),  # at it: 100 x 0.10 + 1 x 0.08
            (GRADUATED, 1000, 1000, 82.0),  # 10.00 + 900 x 0.08 = 72.00
            (GRADUATED, 1001, 1001, 82.05),  # 82.00 + 1 x 0.05
            (GRADUATED, 1500, 1500, 107.0),  # 82.00 + 500 x 0.05 = 25.00
            # volume on the same table: every unit at the tier the quantity reaches
            (VOLUME, 100, 100, 10.0),  # 100 x 0.10
            (VOLUME, 101, 101, 8.08),  # 101 x 0.08 (cheaper than 100: volume pricing's known cliff)
            (VOLUME, 1000, 1000, 80.0),  # 1,000 x 0.08
            (VOLUME, 1001, 1001, 50.05),  # 1,001 x 0.05
        ]
        for terms, quantity, billable, amount in cases:
            with self.subTest(model=terms.charge_model, quantity=quantity):
                charge = rate_usage(quantity, terms)
                self.assertAmount(charge.billable, billable, 6)
                self.assertAmount(charge.usage_amount, amount)
                self.assertAmount(charge.shortfall, 0.0)
                self.assertAmount(charge.total, amount)
                self.assertAmount(sum(piece.amount for piece in charge.slices), amount)

    def test_allowance_comes_off_before_tiers(self):
        # 151 used, 50 included: 101 billable, priced from the tiers' first unit: 100 x 0.10 + 1 x 0.08 = 10.08
        charge = rate_usage(151, UsageTerms("graduated", tiers=TIERS, included_quantity=50))
        self.assertAmount(charge.included, 50, 6)
        self.assertAmount(charge.billable, 101, 6)
        self.assertAmount(charge.usage_amount, 10.08)
        self.assertEqual([(s.quantity, s.price) for s in charge.slices], [(100, 0.10), (1, 0.08)])
        # package with 500 included: 1,500 used, 1,000 billable = 1 block of 1,000 at 5.00
        charge = rate_usage(1500, UsageTerms("package", unit_price=5.0, package_size=1000, included_quantity=500))
        self.assertAmount(charge.usage_amount, 5.0)
        self.assertEqual(charge.slices[0].quantity, 1)

    def test_minimum_commitment_shortfall(self):
        cases = [
            # quantity, usage amount, shortfall, total; commitment 50.00 a period, 0.02 a unit after 1,000 included
            (0, 0.0, 50.0, 50.0),  # no usage at all: the whole commitment is the shortfall
            (2500, 30.0, 20.0, 50.0),  # 1,500 x 0.02 = 30.00; 50.00 - 30.00 = 20.00 short
            (3499, 49.98, 0.02, 50.0),  # 2,499 x 0.02 = 49.98, one unit below the commitment
            (3500, 50.0, 0.0, 50.0),  # 2,500 x 0.02 = 50.00: exactly at the commitment
            (4000, 60.0, 0.0, 60.0),  # above it: usage only
        ]
        for quantity, usage, shortfall, total in cases:
            with self.subTest(quantity=quantity):
                charge = rate_usage(quantity, COMMITTED)
                self.assertAmount(charge.usage_amount, usage)
                self.assertAmount(charge.shortfall, shortfall)
                self.assertAmount(charge.total, total)

    def test_rounded_in_the_currency_once(self):
        terms = UsageTerms("per_unit", unit_price=0.333)
        # 7 x 0.333 = 2.331: 2.33 in a 2-decimal currency, 2 in a 0-decimal one (JPY), 2.331 in a 3-decimal one (KWD)
        self.assertAmount(rate_usage(7, terms, 2).usage_amount, 2.33)
        self.assertAmount(rate_usage(7, terms, 0).usage_amount, 2.0, 0)
        self.assertAmount(rate_usage(7, terms, 3).usage_amount, 2.331, 3)
        # a third of a cent per unit: 1/3 x 10 = 3.333.. -> 3.33 once, not ten roundings of 0.00
        self.assertAmount(rate_usage(10, UsageTerms("per_unit", unit_price=1 / 3)).usage_amount, 3.33)

    def test_package_blocks_tolerate_float_noise(self):
        self.assertEqual(package_blocks(0.1 + 0.2, 0.3), 1)  # 0.30000000000000004 / 0.3 is still one block
        self.assertEqual(package_blocks(1000.0000001, 1000), 1)

    def test_refusals(self):
        bad = [
            (1, UsageTerms("per_minute", unit_price=1)),
            (1, UsageTerms("package", unit_price=1, package_size=0)),
            (1, UsageTerms("graduated")),
            (1, UsageTerms("per_unit", unit_price=-1)),
            (1, UsageTerms("per_unit", included_quantity=-1)),
            (1, UsageTerms("per_unit", minimum_amount=-1)),
            (-1, UsageTerms("per_unit", unit_price=1)),
        ]
        for quantity, terms in bad:
            with self.subTest(terms=terms, quantity=quantity), self.assertRaises(UsageError):
                rate_usage(quantity, terms)

    @settings(max_examples=60, deadline=None, derandomize=True)
    @given(
        quantity=st.floats(min_value=0, max_value=1e6, allow_nan=False),
        more=st.floats(min_value=0, max_value=1e5, allow_nan=False),
        model=st.sampled_from(["per_unit", "graduated", "package"]),
        included=st.integers(min_value=0, max_value=5000),
        minimum=st.integers(min_value=0, max_value=500),
    )
    def test_invariants(self, quantity, more, model, included, minimum):
        """The total is the usage plus the shortfall, never below the commitment; more usage never costs less
        (for the models that are monotone: volume is not, by design)."""
        terms = UsageTerms(
            model, unit_price=0.07, tiers=TIERS, package_size=250, included_quantity=included, minimum_amount=minimum
        )
        charge = rate_usage(quantity, terms)
        self.assertAmount(charge.total, charge.usage_amount + charge.shortfall)
        self.assertGreaterEqual(float_compare(charge.total, minimum, precision_digits=2), 0)
        self.assertGreaterEqual(
            float_compare(rate_usage(quantity + more, terms).usage_amount, charge.usage_amount, precision_digits=2), 0
        )
