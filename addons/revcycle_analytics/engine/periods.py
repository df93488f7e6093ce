"""Periods of the KPIs: the previous period, the months a countback walks and the month ends of a trend."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from .kpis import KpiError


def period_days(date_from, date_to):
    if date_to < date_from:
        raise KpiError(
            f"The period ends ({date_to}) before it starts ({date_from}): give an end on or after the start."
        )
    return (date_to - date_from).days + 1


def previous_period(date_from, date_to):
    """The period of the same length immediately before ``date_from``: as many whole calendar months when the period
    is made of whole months (a quarter is compared with the quarter before, a year with the year before), else as
    many days."""
    days = period_days(date_from, date_to)
    if date_from.day == 1 and (date_to + timedelta(days=1)).day == 1:
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        return date_from - relativedelta(months=months), date_from - timedelta(days=1)
    return date_from - timedelta(days=days), date_from - timedelta(days=1)


def countback_months(date_to, count):
    """``count`` calendar-month windows (start, end) walking back from ``date_to``, most recent first: the month
    holding ``date_to`` from its first day to ``date_to`` (a partial month counts only its own days), then whole
    calendar months, each with its own number of days (a 30 June end gives 1-30 June, 1-31 May, ...)."""
    windows = []
    end = date_to
    for _step in range(count):
        start = end.replace(day=1)
        windows.append((start, end))
        end = start - timedelta(days=1)
    return windows


def trend_months(date_to, count):
    """The last ``count`` calendar months up to the one holding ``date_to``, oldest first, as (first day, last day),
    the last one ending on ``date_to``."""
    first = date_to.replace(day=1)
    months = []
    for back in range(count - 1, -1, -1):
        start = first - relativedelta(months=back)
        end = min(start + relativedelta(months=1) - timedelta(days=1), date_to)
        months.append((start, end))
    return months
