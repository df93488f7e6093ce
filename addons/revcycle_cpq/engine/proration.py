"""Mid-period contract changes: what an amendment effective on a given day owes or gives back (Stripe's proration).

A contract line's price is for a full billing period (``revcycle_base.engine.periods``). An amendment changes the
amount per period of one line by ``delta`` (new amount - old amount, untaxed) from its effective day on. Within the
period that holds the effective day, the difference is prorated by days, against the days of the *full* period (as a
cut period's price is):

- the period is already invoiced (prepaid): the remaining days, effective day included, are owed at the new price:
  ``delta x remaining / full days`` — a charge for an increase, a credit for a decrease;
- the period is not invoiced yet (postpaid, or prepaid before the invoicing job ran): its invoice will carry the new
  price for the whole period, so the days before the effective day are corrected on it:
  ``-delta x days before / full days``.

Stripe's three behaviours decide when a non-zero amount is billed: ``always_invoice`` at once, ``create_prorations``
on the next invoice, ``none`` never (the new price counts from the next period). A credit on invoiced time is always
a credit note at once, never a negative invoice or a negative line carried over; a correction of a period not
invoiced yet always goes on that period's own invoice (which then holds both prices and stays positive).
"""

from dataclasses import dataclass

from odoo.tools.float_utils import float_compare, float_round

BEHAVIOURS = ("always_invoice", "create_prorations", "none")
# what happens to the prorated amount
PLAN_NONE, PLAN_INVOICE_NOW, PLAN_CREDIT_NOW, PLAN_NEXT_INVOICE = "none", "invoice_now", "credit_now", "next_invoice"


class ProrationError(ValueError):
    """Input that defines no proration; ``code`` names the problem for translated messages."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Proration:
    amount: float  # signed, rounded to the currency: > 0 owed by the customer, < 0 owed to them
    days: int  # the days the amount covers
    full_days: int  # the days of the full period the price is for
    plan: str  # PLAN_*


def prorated_days(period, effective_date, period_invoiced):
    """The days of ``period`` the proration covers: from the effective day to the end when the period is
    invoiced, the days before the effective day when it is not."""
    if not period.start <= effective_date <= period.end:
        raise ProrationError(
            "date", f"The effective date {effective_date} is outside the period {period.start} to {period.end}."
        )
    if period_invoiced:
        return (period.end - effective_date).days + 1
    return (effective_date - period.start).days


def prorate(delta, period, effective_date, period_invoiced, behaviour, precision_digits=2):
    """The :class:`Proration` of a change of ``delta`` per period effective on ``effective_date`` in ``period``."""
    if behaviour not in BEHAVIOURS:
        raise ProrationError("behaviour", f"Unknown proration behaviour {behaviour!r}; use one of {BEHAVIOURS}.")
    days = prorated_days(period, effective_date, period_invoiced)
    sign = 1 if period_invoiced else -1
    amount = float_round(sign * delta * days / period.full_days, precision_digits=precision_digits)
    if behaviour == "none" or float_compare(amount, 0.0, precision_digits=precision_digits) == 0:
        return Proration(0.0 if behaviour == "none" else amount, days, period.full_days, PLAN_NONE)
    if not period_invoiced:
        plan = PLAN_NEXT_INVOICE  # the period's own invoice, still to come
    elif amount < 0:
        plan = PLAN_CREDIT_NOW  # unused invoiced time: a credit note, never a negative invoice
    elif behaviour == "always_invoice":
        plan = PLAN_INVOICE_NOW
    else:
        plan = PLAN_NEXT_INVOICE
    return Proration(amount, days, period.full_days, plan)


def value_lowered_percent(before, after):
    """How much an amendment lowers the recurring value, in % of the value before (0 when it does not)."""
    if before <= 0 or after >= before:
        return 0.0
    return (before - after) / before * 100
