"""Card collection of invoices in instalments: which receivable items a charge covers, and for how much.

Odoo keeps an invoice's instalments as its receivable lines, each with its own maturity; the invoice's own due date
is the *last* one. A collector (and Stripe's invoice collection) charges what has fallen due: every instalment due
by the day of the charge that is still open, net of what was paid on it, in the invoice's currency and counted in
its smallest unit so the sum is exact. An instalment not yet due waits for its own date.
"""
from dataclasses import dataclass
from datetime import date

from .plans import from_units, to_units


@dataclass(frozen=True)
class OpenInstalment:
    item_id: int  # the receivable line
    due: date  # its maturity
    open_amount: float  # what is left to pay on it, in the invoice's currency


@dataclass(frozen=True)
class DueCharge:
    item_ids: tuple  # the instalments the charge covers, in due date order
    amount: float  # their open amounts added up, in the currency's precision
    first_due: date | None  # the first open instalment's due date (due or not)


def due_charge(instalments, today, digits):
    """The charge for ``instalments`` (OpenInstalment, any order) on ``today``: the open ones due by then.

    30 % of 1,000.00 due day 0 and 70 % due day 60: on day 0 → 300.00; on day 60, the 300 paid → 700.00; if neither
    was charged by day 60 → 1,000.00. Items with nothing left to pay are not part of it; nothing due → amount 0.
    """
    ordered = sorted((item for item in instalments if to_units(item.open_amount, digits) > 0),
                     key=lambda item: (item.due, item.item_id))
    due = [item for item in ordered if item.due <= today]
    units = sum(to_units(item.open_amount, digits) for item in due)
    return DueCharge(tuple(item.item_id for item in due), from_units(units, digits),
                     ordered[0].due if ordered else None)


def instalment_key(item_ids):
    """The instalment set in an idempotency key: the sorted item ids joined by dots ("" for none)."""
    return ".".join(str(item_id) for item_id in sorted(item_ids))
