"""Discount approval rules: which rules a quote breaks, and why.

A rule sets any of: a maximum line discount (%), a minimum margin (% of the untaxed amount), an amount above which
every quote needs approval. Unset limits (None) are not checked. Percentages compare at two decimals.

The discount is the *effective* one, measured from what the pricelist, the tier table or the bundle would charge
(the reference), not read from the discount field: a unit price typed lower (10 against a tier price of 45 is
77.78 % off), a bundle component priced under its share, a negative line taking money off the quote all count.
Each line with a positive reference gives (reference - actual) / reference; the quote as a whole, negative lines
included, gives (sum of references - sum of actuals) / sum of references; the larger is the quote's discount.
A surcharge counts as no discount.
"""

from dataclasses import dataclass

from odoo.tools.float_utils import float_compare


@dataclass(frozen=True)
class ApprovalRule:
    key: int
    max_discount: float | None = None
    min_margin: float | None = None
    amount_threshold: float | None = None


@dataclass(frozen=True)
class QuoteFigures:
    max_discount: float  # the largest line discount, %
    margin_percent: float | None  # None when the quote has no amount (no margin to speak of)
    amount: float  # untaxed, company currency


@dataclass(frozen=True)
class PricedLine:
    reference: float  # what the pricelist / tier / bundle share would charge for the whole line
    actual: float  # what the line charges (after its discount)


AMOUNT_DIGITS = 6  # amounts compared before any rounding: only float noise is ignored


def _positive(amount):
    return float_compare(amount, 0.0, precision_digits=AMOUNT_DIGITS) > 0


def _discount_percent(reference, actual):
    return max((reference - actual) / reference * 100, 0.0)


def effective_discount(lines):
    """The largest discount (%) the quote gives against its reference prices (see the module's docstring)."""
    line_discounts = [_discount_percent(line.reference, line.actual) for line in lines if _positive(line.reference)]
    reference = sum(line.reference for line in lines)
    actual = sum(line.actual for line in lines)
    if _positive(reference):
        quote_discount = _discount_percent(reference, actual)
    else:
        # nothing to measure from (only free or negative lines): giving anything more away is all discount
        quote_discount = 100.0 if float_compare(actual, reference, precision_digits=AMOUNT_DIGITS) < 0 else 0.0
    return max([quote_discount, *line_discounts])


@dataclass(frozen=True)
class BrokenRule:
    rule_key: int
    reasons: tuple  # ("discount", "margin", "amount") in that order


def broken_rules(figures, rules, currency_digits=2):
    broken = []
    for rule in rules:
        reasons = []
        if (
            rule.max_discount is not None
            and float_compare(figures.max_discount, rule.max_discount, precision_digits=2) > 0
        ):
            reasons.append("discount")
        if (
            rule.min_margin is not None
            and figures.margin_percent is not None
            and float_compare(figures.margin_percent, rule.min_margin, precision_digits=2) < 0
        ):
            reasons.append("margin")
        if (
            rule.amount_threshold is not None
            and float_compare(figures.amount, rule.amount_threshold, precision_digits=currency_digits) > 0
        ):
            reasons.append("amount")
        if reasons:
            broken.append(BrokenRule(rule.key, tuple(reasons)))
    return broken


def margin_percent(amount, cost):
    """(amount - cost) / amount x 100; None without an amount."""
    if not amount:
        return None
    return (amount - cost) / amount * 100
