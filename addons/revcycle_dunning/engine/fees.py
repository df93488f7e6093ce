"""Late fees of a dunning notice: a fixed amount, a percentage of what is overdue, and optional interest.

A notice groups the overdue invoices of one customer at one level. The fixed fee is charged once per notice; the
percentage and the interest are charged on each invoice's open amount, interest per annum pro rata of the days past
due (actual/365). Every part is rounded to the currency's precision before it is added up, so the fee invoice lines
and the notice show the same figures.
"""
from dataclasses import dataclass

from odoo.tools.float_utils import float_compare, float_round

DAYS_PER_YEAR = 365


class FeeError(ValueError):
    """Fee settings or amounts that cannot be charged; the message says what to fix."""


@dataclass(frozen=True)
class OverdueItem:
    amount: float  # open amount of the invoice, in the currency of the fee
    days_overdue: int


@dataclass(frozen=True)
class FeeBreakdown:
    fixed: float
    percent: float
    interest: float

    @property
    def total(self):
        return self.fixed + self.percent + self.interest


def late_fee(items, fee_fixed=0.0, fee_percent=0.0, interest_rate=0.0, precision_digits=2):
    """The fee for a notice over ``items`` (OverdueItem), as a FeeBreakdown of rounded parts.

    ``fee_percent`` and ``interest_rate`` are percentages (5.0 means 5 %); interest runs per annum, only on days
    after the due date. Nothing is charged when nothing is overdue.
    """
    for name, value in (("fixed fee", fee_fixed), ("fee percentage", fee_percent), ("interest rate", interest_rate)):
        if float_compare(value or 0.0, 0.0, precision_digits=6) < 0:
            raise FeeError(f"The {name} cannot be negative ({value}); use 0 for none.")
    items = [item for item in items if float_compare(item.amount, 0.0, precision_digits=precision_digits) > 0]
    if not items:
        return FeeBreakdown(0.0, 0.0, 0.0)

    def rounded(value):
        return float_round(value, precision_digits=precision_digits)

    percent = sum(rounded(item.amount * (fee_percent or 0.0) / 100.0) for item in items)
    interest = sum(
        rounded(item.amount * (interest_rate or 0.0) / 100.0 * max(item.days_overdue, 0) / DAYS_PER_YEAR)
        for item in items)
    return FeeBreakdown(rounded(fee_fixed or 0.0), rounded(percent), rounded(interest))


def apply_credits(amounts, credit):
    """Net open items of a customer of its unapplied credits (credit notes, payments not reconciled yet).

    ``amounts``: the open amounts of the customer's items, oldest due first; ``credit``: what the customer has to
    its credit (a positive number). The credit settles the oldest items first, as a collector reading the
    statement would. Returns (net amounts in the same order, credit applied). A customer whose credit covers
    everything has nothing left to dun.
    """
    remaining = max(credit or 0.0, 0.0)
    nets, applied = [], 0.0
    for amount in amounts:
        used = min(amount, remaining)
        remaining -= used
        applied += used
        nets.append(amount - used)
    return nets, applied


def interest_days(due_date, last_charged, on_date):
    """Days of interest charged on ``on_date``: from the day interest was last charged up to (the due date when it
    never was); never negative. Interest is actual/365 (DAYS_PER_YEAR)."""
    start = max(due_date, last_charged) if last_charged else due_date
    return max((on_date - start).days, 0)
