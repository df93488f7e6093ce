"""Payment plans and promises to pay: instalments that add up exactly, and whether a plan is kept.

All amounts are counted in the currency's smallest unit (whole cents for 2 decimals) so that a split adds up exactly;
``digits`` is the currency's decimal places. A promise to pay is a plan of one instalment that may be less than
what is owed; a plan's instalments add up exactly to the residual it covers.

What counts as paid on a plan is what the covered invoices' residual went down by since the plan was accepted
(payments, credit notes and write-offs alike), applied to the instalments in date order.
"""
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta


class PaymentPlanError(ValueError):
    """Instalments that cannot make a plan; ``code`` says which rule, the message says what to fix."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Instalment:
    date: date
    amount: float


@dataclass(frozen=True)
class PlanStatus:
    paid: float  # what the covered invoices' residual went down by
    due: float  # what the instalments dated before the day asked for
    missed: date | None  # the first instalment date passed and not fully paid
    done: bool  # everything the plan asks for is paid
    next_instalment: Instalment | None  # the first instalment not fully paid


def to_units(amount, digits):
    """An amount in the currency's smallest unit, rounded half away from zero as Odoo's currency rounding does."""
    scaled = abs(amount) * 10 ** digits
    units = int(scaled + 0.5 + 1e-9)
    return units if amount >= 0 else -units


def from_units(units, digits):
    return round(units / 10 ** digits, digits)


def split_evenly(total, count, first_date, digits, months=1, days=0):
    """``count`` instalments from ``first_date``, every ``months`` months and ``days`` days, adding up to ``total``
    exactly: the cents that do not divide go one each to the first instalments (the customer pays them sooner).

    100.00 in 3 → 33.34, 33.33, 33.33."""
    if count < 1:
        raise PaymentPlanError("count", "A plan needs at least one instalment.")
    if months < 0 or days < 0 or (count > 1 and not months and not days):
        raise PaymentPlanError("interval", "Instalments must be spaced by a positive number of months or days.")
    units = to_units(total, digits)
    if units <= 0:
        raise PaymentPlanError("total", "There is nothing left to pay to spread over a plan.")
    base, extra = divmod(units, count)
    if base == 0:
        raise PaymentPlanError("count", f"{from_units(units, digits)} cannot be split into {count} instalments.")
    return [
        Instalment(first_date + relativedelta(months=months * index, days=days * index),
                   from_units(base + (1 if index < extra else 0), digits))
        for index in range(count)
    ]


def check_instalments(total, instalments, digits, exact=True):
    """Raise PaymentPlanError unless the instalments make a plan for ``total``: at least one, each positive, dates
    strictly increasing, and adding up exactly to ``total`` (``exact``) or at most to it (a promise)."""
    if not instalments:
        raise PaymentPlanError("empty", "Add at least one instalment with its date and amount.")
    previous = None
    for instalment in instalments:
        if not instalment.date:
            raise PaymentPlanError("date", "Every instalment needs a date.")
        if to_units(instalment.amount, digits) <= 0:
            raise PaymentPlanError("amount", f"The instalment of {instalment.date} must be more than zero.")
        if previous and instalment.date <= previous:
            raise PaymentPlanError(
                "dates", f"Instalment dates must increase: {instalment.date} does not come after {previous}.")
        previous = instalment.date
    owed = to_units(total, digits)
    planned = sum(to_units(instalment.amount, digits) for instalment in instalments)
    if (exact and planned != owed) or planned > owed:
        raise PaymentPlanError(
            "sum", f"The instalments add up to {from_units(planned, digits)} but the plan covers "
            f"{from_units(owed, digits)}: change the amounts so that they add up "
            f"{'exactly' if exact else 'to at most that'}.")
    return True


def plan_status(instalments, paid, on_date, digits):
    """Where a plan stands on ``on_date``: ``paid`` (applied to the instalments in date order) against what the
    instalments dated before ``on_date`` asked for. An instalment is missed the day after its date."""
    ordered = sorted(instalments, key=lambda instalment: instalment.date)
    paid_units = max(to_units(paid, digits), 0)
    due_units = 0
    cumulative = 0
    missed = None
    next_instalment = None
    for instalment in ordered:
        cumulative += to_units(instalment.amount, digits)
        if instalment.date < on_date:
            due_units = cumulative
            if missed is None and paid_units < cumulative:
                missed = instalment.date
        if next_instalment is None and paid_units < cumulative:
            next_instalment = instalment
    return PlanStatus(paid=from_units(paid_units, digits), due=from_units(due_units, digits), missed=missed,
                      done=paid_units >= cumulative, next_instalment=next_instalment)
