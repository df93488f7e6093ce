"""Aging buckets: which bucket an amount falls in by its days past due, in Python and in SQL from one definition.

A bucket is ``(name, days_from, days_to)``; ``None`` leaves that side open. Buckets are checked in order and the first
that holds the day count wins; days <= 0 (not yet due) fall in the bucket whose range includes them.
"""

from odoo.tools import SQL


class AgingError(ValueError):
    pass


def holds(days_past_due, days_from, days_to):
    return (days_from is None or days_past_due >= days_from) and (days_to is None or days_past_due <= days_to)


def bucket_index(days_past_due, buckets):
    """Index of the bucket holding ``days_past_due``; AgingError when none does."""
    for index, (_name, days_from, days_to) in enumerate(buckets):
        if holds(days_past_due, days_from, days_to):
            return index
    raise AgingError(f"No aging bucket covers {days_past_due} days past due; make the buckets cover every day.")


def bucket_name(days_past_due, buckets):
    return buckets[bucket_index(days_past_due, buckets)][0]


def holds_sql(days_sql, days_from, days_to):
    """SQL condition of ``holds``: ``days_from``/``days_to`` are ints, None (open) or SQL expressions whose NULL
    means open too (a bucket table's columns)."""

    def bound(value, operator):
        if value is None:
            return None
        if isinstance(value, SQL):
            return SQL(f"(%s IS NULL OR %s {operator} %s)", value, days_sql, value)
        return SQL(f"%s {operator} %s", days_sql, value)

    parts = [part for part in (bound(days_from, ">="), bound(days_to, "<=")) if part is not None]
    return SQL(" AND ").join(parts) if parts else SQL("TRUE")


def bucket_index_sql(days_sql, buckets):
    """SQL ``CASE`` giving the index of the bucket holding ``days_sql`` (NULL when none does), the same choice as
    ``bucket_index``."""
    if not buckets:
        return SQL("NULL::int")
    whens = SQL(" ").join(
        SQL("WHEN %s THEN %s", holds_sql(days_sql, days_from, days_to), index)
        for index, (_name, days_from, days_to) in enumerate(buckets)
    )
    return SQL("(CASE %s END)", whens)
