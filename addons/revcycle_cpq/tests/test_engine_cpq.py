"""Configuration rules, bundle spreading and approval rules on tables of cases: no database."""

from odoo.tests import BaseCase, tagged

from ..engine import (
    ApprovalRule,
    BundleError,
    Component,
    ConfigRule,
    ConfigRuleError,
    QuoteFigures,
    QuoteLine,
    broken_rules,
    check_rules,
    margin_percent,
    price_bundle,
    spread_amounts,
    validate_rule_set,
)

DESK, CHAIR, LAMP = 1, 2, 3
STEEL, ALU, WHITE, BLACK = 11, 12, 13, 14
DESK_ALU_BLACK = QuoteLine(1, "Desk (Aluminium, Black)", 101, DESK, frozenset({ALU, BLACK}))
DESK_STEEL_WHITE = QuoteLine(2, "Desk (Steel, White)", 102, DESK, frozenset({STEEL, WHITE}))
CHAIR_LINE = QuoteLine(3, "Chair", 201, CHAIR)
LAMP_LINE = QuoteLine(4, "Lamp", 301, LAMP)

NO_BLACK_ON_ALU = ConfigRule(
    1,
    DESK,
    "excludes",
    "Aluminium legs come in white only.",
    condition_value_ids=frozenset({ALU}),
    target_value_ids=frozenset({BLACK}),
)
DESK_NEEDS_CHAIR = ConfigRule(2, DESK, "requires", "A desk is sold with a chair.", target_product_ids=frozenset({201}))
LAMP_NEEDS_WHITE = ConfigRule(
    3,
    LAMP,
    "requires",
    "The lamp needs a white desk.",
    condition_product_ids=frozenset({301}),
    target_value_ids=frozenset({WHITE}),
)


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestConfigRuleEngine(BaseCase):
    def test_rule_table(self):
        rules = [NO_BLACK_ON_ALU, DESK_NEEDS_CHAIR, LAMP_NEEDS_WHITE]
        cases = [
            # lines, rule types checked, expected (rule key, involved line keys)
            ([DESK_STEEL_WHITE, CHAIR_LINE], ("requires", "excludes"), []),
            ([DESK_ALU_BLACK, CHAIR_LINE], ("requires", "excludes"), [(1, (1,))]),
            ([DESK_STEEL_WHITE], ("requires", "excludes"), [(2, (2,))]),
            ([DESK_STEEL_WHITE], ("excludes",), []),  # while a quote is edited only exclusions are enforced
            ([CHAIR_LINE], ("requires", "excludes"), []),  # the rule's product is not on the quote
            ([LAMP_LINE, CHAIR_LINE], ("requires", "excludes"), [(3, (4,))]),
            ([LAMP_LINE, DESK_STEEL_WHITE, CHAIR_LINE], ("requires", "excludes"), []),
            ([DESK_ALU_BLACK], ("requires", "excludes"), [(1, (1,)), (2, (1,))]),
            ([], ("requires", "excludes"), []),
        ]
        for lines, types, expected in cases:
            with self.subTest(lines=[line.name for line in lines], types=types):
                violations = check_rules(lines, rules, types)
                self.assertEqual([(v.rule_key, v.line_keys) for v in violations], expected)
        violation = check_rules([DESK_ALU_BLACK, CHAIR_LINE], rules)[0]
        self.assertEqual(violation.message, "Aluminium legs come in white only.")
        self.assertEqual(violation.line_names, ("Desk (Aluminium, Black)",))

    def test_contradictory_rules_are_refused(self):
        requires_black = ConfigRule(4, DESK, "requires", "m", target_value_ids=frozenset({BLACK}))
        excludes_black = ConfigRule(5, DESK, "excludes", "m", target_value_ids=frozenset({BLACK}))
        with self.assertRaisesRegex(ConfigRuleError, "require and exclude the same value"):
            validate_rule_set([requires_black, excludes_black])
        self_excluding = ConfigRule(
            6, DESK, "excludes", "m", condition_value_ids=frozenset({BLACK}), target_value_ids=frozenset({BLACK})
        )
        with self.assertRaisesRegex(ConfigRuleError, "can never be met"):
            validate_rule_set([self_excluding])
        with self.assertRaisesRegex(ConfigRuleError, "names nothing"):
            validate_rule_set([ConfigRule(7, DESK, "requires", "m")])
        validate_rule_set([NO_BLACK_ON_ALU, DESK_NEEDS_CHAIR, LAMP_NEEDS_WHITE])


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestBundleEngine(BaseCase):
    def test_spread_sums_exactly(self):
        cases = [
            (100.0, [1, 1, 1], 2, [33.34, 33.33, 33.33]),
            (0.05, [1, 2, 3], 2, [0.01, 0.02, 0.02]),
            (999.99, [700, 200, 100], 2, [699.99, 200.0, 100.0]),
            (1000.0, [1, 1, 1], 0, [334.0, 333.0, 333.0]),
            (10.0, [0, 0], 2, [5.0, 5.0]),  # no weights: equal parts
        ]
        for total, weights, digits, expected in cases:
            with self.subTest(total=total, weights=weights):
                parts = spread_amounts(total, weights, digits)
                self.assertEqual(parts, expected)
                self.assertEqual(round(sum(parts), digits), round(total, digits))

    def test_bundle_spread_and_sum(self):
        components = [Component(1, 1, 600.0), Component(2, 3, 100.0), Component(3, 2, 50.0)]
        spread = price_bundle(900.0, components, "spread")
        # weights 600 / 300 / 100 of 1000: shares 540 / 270 / 90 -> unit prices 540, 90, 45
        self.assertEqual(spread.unit_prices, {1: 540.0, 2: 90.0, 3: 45.0})
        self.assertEqual(spread.remainder, 0.0)
        awkward = price_bundle(100.0, [Component(1, 3, 1.0)], "spread")
        self.assertEqual(awkward.unit_prices, {1: 33.33})
        self.assertEqual(awkward.remainder, 0.01)  # the bundle line carries the cent: 3 x 33.33 + 0.01 = 100
        summed = price_bundle(0.0, components, "sum")
        self.assertEqual(summed.total, 1000.0)
        self.assertEqual(summed.remainder, 0.0)

    def test_bad_bundles(self):
        for components, mode, reason in [
            ([], "spread", "no components"),
            ([Component(1, 0, 5.0)], "spread", "positive quantity"),
            ([Component(1, 1, 5.0)], "split", "Unknown bundle pricing"),
        ]:
            with self.subTest(reason), self.assertRaisesRegex(BundleError, reason):
                price_bundle(10.0, components, mode)


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestApprovalEngine(BaseCase):
    def test_broken_rules_table(self):
        rules = [
            ApprovalRule(1, max_discount=10.0),
            ApprovalRule(2, min_margin=20.0),
            ApprovalRule(3, amount_threshold=50_000.0),
            ApprovalRule(4, max_discount=25.0, min_margin=5.0),
        ]
        cases = [
            (QuoteFigures(10.0, 30.0, 50_000.0), []),  # every limit met exactly: nothing to approve
            (QuoteFigures(10.01, 30.0, 1_000.0), [(1, ("discount",))]),
            (QuoteFigures(0.0, 19.99, 1_000.0), [(2, ("margin",))]),
            (QuoteFigures(0.0, 30.0, 50_000.01), [(3, ("amount",))]),
            (
                QuoteFigures(30.0, 4.0, 60_000.0),
                [(1, ("discount",)), (2, ("margin",)), (3, ("amount",)), (4, ("discount", "margin"))],
            ),
            (QuoteFigures(0.0, None, 0.0), []),  # empty quote: no margin to check
        ]
        for figures, expected in cases:
            with self.subTest(figures=figures):
                self.assertEqual([(b.rule_key, b.reasons) for b in broken_rules(figures, rules)], expected)

    def test_margin_percent(self):
        self.assertEqual(margin_percent(200.0, 150.0), 25.0)
        self.assertIsNone(margin_percent(0.0, 10.0))
