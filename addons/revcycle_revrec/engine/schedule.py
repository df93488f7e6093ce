"""Recognition schedules: how an allocated amount is spread over time (ASC 606 step 5).

Every schedule has one entry per calendar month touched (dated at the month's end, or at the term's end when it comes
first), so a month-end run posts at most one line per obligation and period. Amounts are exact to the currency's
precision: the amount is split in minor units by exact fractions, rounded down, and the units left over go one each
to the periods with the largest remainders (ties: the earlier period). The entries therefore sum exactly to the
amount, and equal periods get equal amounts whenever the amount divides evenly.

- ``ratable_daily``: each month weighs the days of the term that fall in it (leap years count 29 February).
- ``ratable_monthly``: each full month weighs 1; a partial first or last month weighs its covered days / its days.
- ``point_in_time``: the whole amount on one date.
"""
import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from odoo.addons.revcycle_base.engine import periods

METHODS = ("invoice", "delivery", "ratable_daily", "ratable_monthly")


class ScheduleError(ValueError):
    """Input that cannot be scheduled; the message says what to fix."""


@dataclass(frozen=True)
class ScheduleEntry:
    date: date
    amount: float


def term_end(date_start, months):
    """Last day of a term of ``months`` months starting on ``date_start``: the suite's one term rule
    (revcycle_base ``periods.term_end``), refused as a ScheduleError."""
    try:
        return periods.term_end(date_start, months)
    except periods.PeriodError as error:
        raise ScheduleError(str(error)) from error


def _month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _months(date_start, date_end):
    """(first covered day, last covered day, days in month) for each calendar month of the term."""
    if date_end < date_start:
        raise ScheduleError(f"The term ends ({date_end}) before it starts ({date_start}); set an end on or after "
                            "the start.")
    first = date_start
    while first <= date_end:
        last = min(_month_end(first), date_end)
        yield first, last, calendar.monthrange(first.year, first.month)[1]
        first = last + timedelta(days=1)


def split_exact(amount, weights, precision_digits=2):
    """Split ``amount`` by non-negative ``weights`` (ints or Fractions): largest remainder, exact sum, sign kept.

    In integers: the weights over their common denominator, each share's floor and remainder by one divmod (a
    month-end plans a dozen shares for each of thousands of obligations)."""
    if not weights:
        raise ScheduleError("There is no period to spread the amount over.")
    if any(weight < 0 for weight in weights):
        raise ScheduleError("A period cannot weigh less than nothing.")
    scale = 10 ** precision_digits
    units = int((Decimal(str(amount)) * scale).to_integral_value())
    sign, units = (-1 if units < 0 else 1), abs(units)
    if not all(type(weight) is int for weight in weights):
        fractions = [Fraction(weight) for weight in weights]
        denominator = math.lcm(*(fraction.denominator for fraction in fractions))
        weights = [fraction.numerator * (denominator // fraction.denominator) for fraction in fractions]
    total = sum(weights)
    if not total:
        if units:
            raise ScheduleError("Every period weighs nothing, so the amount cannot be spread.")
        return [0.0] * len(weights)
    shares = [divmod(units * weight, total) for weight in weights]
    floors = [floor for floor, _remainder in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (-shares[i][1], i))
    for index in by_remainder[:units - sum(floors)]:
        floors[index] += 1
    # int / int is correctly rounded: the float nearest the exact amount in minor units / 10^digits
    return [sign * part / scale for part in floors]


def _spread(amount, months, weight_of, precision_digits):
    months = list(months)
    amounts = split_exact(amount, [weight_of(*month) for month in months], precision_digits)
    return [ScheduleEntry(last, value) for (_first, last, _days), value in zip(months, amounts, strict=True)]


def ratable_daily(amount, date_start, date_end, precision_digits=2):
    return _spread(amount, _months(date_start, date_end),
                   lambda first, last, _days: (last - first).days + 1, precision_digits)


def ratable_monthly(amount, date_start, date_end, precision_digits=2):
    return _spread(amount, _months(date_start, date_end),
                   lambda first, last, days: _month_weight((last - first).days + 1, days), precision_digits)


def _month_weight(covered, days):
    """A full month weighs 1, a partial one its covered days / its days."""
    return 1 if covered == days else Fraction(covered, days)


def _served_days(first, last, gaps):
    """Days of [first, last] outside every (start, end) of ``gaps``."""
    days = (last - first).days + 1
    for gap_start, gap_end in gaps:
        overlap = (min(last, gap_end) - max(first, gap_start)).days + 1
        days -= max(overlap, 0)
    return days


def ratable_with_gaps(method, amount, date_start, date_end, gaps, precision_digits=2):
    """A ratable schedule over [date_start, date_end] that earns nothing during ``gaps`` (non-overlapping
    (start, end) ranges: a paused subscription performs nothing then). Each month weighs its days served
    (``ratable_daily``) or its days served / its days (``ratable_monthly``); months wholly in a gap get no entry.
    Without gaps it is exactly ``build_schedule``."""
    if method not in ("ratable_daily", "ratable_monthly"):
        raise ScheduleError(f"Only a ratable method spreads over time, not {method!r}.")
    months = [(first, last, days, _served_days(first, last, gaps))
              for first, last, days in _months(date_start, date_end)]
    months = [month for month in months if month[3] > 0]
    if not months:
        raise ScheduleError("Every day of the term falls in a pause: there is no time to spread the amount over.")
    if method == "ratable_daily":
        weights = [served for *_rest, served in months]
    else:
        weights = [_month_weight(served, days) for _first, _last, days, served in months]
    amounts = split_exact(amount, weights, precision_digits)
    return [ScheduleEntry(last, value) for (_first, last, _days, _served), value in zip(months, amounts, strict=True)]


def point_in_time(amount, on_date, precision_digits=2):
    return [ScheduleEntry(on_date, split_exact(amount, [1], precision_digits)[0])]


def build_schedule(method, amount, date_start, date_end=None, precision_digits=2):
    """The schedule of one obligation; point-in-time methods use ``date_start`` as their expected date."""
    if method not in METHODS:
        raise ScheduleError(f"Unknown recognition method {method!r}; use one of {', '.join(METHODS)}.")
    if method in ("invoice", "delivery"):
        return point_in_time(amount, date_start, precision_digits)
    if date_end is None:
        raise ScheduleError("A ratable obligation needs an end date or a term in months.")
    spread = ratable_daily if method == "ratable_daily" else ratable_monthly
    return spread(amount, date_start, date_end, precision_digits)
