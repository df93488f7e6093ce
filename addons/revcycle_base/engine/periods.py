"""Billing periods, terms, proration, uplifts and key dates: the calendar rules every revcycle addon shares.

Months per billing period, the end of a term and the boundaries of a billing period are defined here only; SQL that
needs the months per period is built by ``period_months_sql`` from the same table (``docs/domain.md``, "Periods").

Periods are anchored on the contract's start date: a monthly contract starting on 31 January has periods
31 Jan-27 Feb, 28 Feb-30 Mar, 31 Mar-29 Apr, ... (the anchor day is kept, clamped to short months). A period's
price is the recurring price for a full period; the first and last periods, cut by the contract's start/end, are
prorated by days: price x days covered / days in that full period.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from odoo.tools import SQL
from odoo.tools.float_utils import float_round

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
# The term of a new contract (and its renewals) unless the contract says otherwise.
DEFAULT_TERM_MONTHS = 12


class PeriodError(ValueError):
    """Input that defines no valid schedule; ``code`` names the problem for translated messages."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    full_start: date
    full_end: date  # the full period this one is cut from

    @property
    def days(self):
        return (self.end - self.start).days + 1

    @property
    def full_days(self):
        return (self.full_end - self.full_start).days + 1

    @property
    def ratio(self):
        return self.days / self.full_days


def add_months(anchor, months, anchor_day=None):
    """``anchor`` moved by ``months``, keeping ``anchor_day`` (default: anchor's day) clamped to the month's length."""
    day = anchor_day or anchor.day
    month_index = anchor.month - 1 + months
    year, month = anchor.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def period_months(billing_period):
    if billing_period not in PERIOD_MONTHS:
        raise PeriodError(
            "period", f"Unknown billing period {billing_period!r}; use one of {', '.join(PERIOD_MONTHS)}."
        )
    return PERIOD_MONTHS[billing_period]


def period_months_sql(period_sql):
    """SQL ``CASE`` giving the months of the billing period held by the SQL expression ``period_sql``, built from
    ``PERIOD_MONTHS`` (NULL for an unknown period, as ``period_months`` refuses it)."""
    whens = SQL(" ").join(SQL("WHEN %s THEN %s", name, months) for name, months in PERIOD_MONTHS.items())
    return SQL("(CASE %s %s END)", period_sql, whens)


def monthly_value(amount, billing_period):
    """A recurring amount per billing period normalised to one month: yearly / 12, quarterly / 3 (MRR)."""
    return amount / period_months(billing_period)


def term_end(date_start, months):
    """Last day of a term of ``months`` months starting on ``date_start``: 1 Jan + 12 months -> 31 Dec, 31 Jan + 1
    month -> 27 Feb (the anchor day clamped to the short month, minus one day)."""
    if isinstance(months, bool) or not isinstance(months, int) or months <= 0:
        raise PeriodError("term", f"A term of {months} months is not possible; give a term of at least 1 month.")
    return add_months(date_start, months) - timedelta(days=1)


def calendar_anchor(day, months):
    """First day of the calendar month, quarter or year holding ``day``."""
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def periods(date_start, billing_period, date_end=None, until=None, align="start"):
    """The billing periods from ``date_start``, cut at ``date_end`` (inclusive), generated up to ``until``
    (periods starting on or before it). Without ``date_end`` or ``until`` there is no end: one of them is needed.

    ``align``: "start" anchors periods on the start date (anniversary billing: every period full but the last);
    "calendar" on calendar months, quarters or years (a start mid-period gives a partial, prorated first period).
    """
    months = period_months(billing_period)
    if align not in ("start", "calendar"):
        raise PeriodError("align", f"Unknown alignment {align!r}; use start or calendar.")
    if date_end and date_end < date_start:
        raise PeriodError("dates", f"The end {date_end} is before the start {date_start}.")
    if not date_end and not until:
        raise PeriodError("unbounded", "An open-ended contract needs a date to generate periods up to.")
    anchor = date_start if align == "start" else calendar_anchor(date_start, months)
    result = []
    index = 0
    while True:
        full_start = add_months(anchor, months * index, anchor.day)
        full_end = add_months(anchor, months * (index + 1), anchor.day) - timedelta(days=1)
        start = max(full_start, date_start)
        if (date_end and start > date_end) or (until and start > until):
            return result
        result.append(Period(start, min(full_end, date_end) if date_end else full_end, full_start, full_end))
        index += 1


def period_amount(recurring_price, period, precision_digits=2):
    """The period's price, prorated by days when the period is cut short."""
    return float_round(recurring_price * period.ratio, precision_digits=precision_digits)


def invoice_date(period, billing_mode):
    """Prepaid periods are invoiced on their first day, postpaid on the day after they end."""
    if billing_mode == "prepaid":
        return period.start
    if billing_mode == "postpaid":
        return period.end + timedelta(days=1)
    raise PeriodError("mode", f"Unknown billing mode {billing_mode!r}; use prepaid or postpaid.")


def due_periods(date_start, billing_period, billing_mode, on_date, date_end=None, already_invoiced=(), align="start"):
    """Every period whose invoice date has come by ``on_date`` and that has not been invoiced (catch-up)."""
    done = set(already_invoiced)
    return [
        period
        for period in periods(date_start, billing_period, date_end, until=on_date, align=align)
        if period.start not in done and invoice_date(period, billing_mode) <= on_date
    ]


def uplifted_price(price, uplift_percent, terms=1, precision_digits=2):
    """The price after ``terms`` renewals, each raising it by ``uplift_percent`` (compounded, rounded each term as
    each renewal's price is what gets invoiced)."""
    for _ in range(terms):
        price = float_round(price * (1 + uplift_percent / 100.0), precision_digits=precision_digits)
    return price


def notice_deadline(date_end, notice_days):
    """The last day the customer can give notice so the contract does not renew."""
    return date_end - timedelta(days=notice_days)


def unused_ratio(period, termination_date):
    """Share of a period not used when the contract ends on ``termination_date`` (inclusive)."""
    if termination_date >= period.end:
        return 0.0
    if termination_date < period.start:
        return 1.0
    return (period.end - termination_date).days / period.days
