"""Discount approval rules: which rules a quote breaks, and why.

A rule sets any of: a maximum line discount (%), a minimum margin (% of the untaxed amount), an amount above which
every quote needs approval. Unset limits (None) are not checked. Percentages compare at two decimals.
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
