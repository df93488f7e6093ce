"""Usage rating: what a metered contract line charges for one billing period's usage.

A metered line's terms (``UsageTerms``) say how usage is charged:

* ``per_unit``: every billable unit at ``unit_price``;
* ``graduated`` / ``volume``: the billable quantity priced on a tier table by the same engine as quotes
  (``engine/tiers.py``: one rule in one place);
* ``package``: blocks of ``package_size`` units at ``unit_price`` a block, a started block billed whole
  (2,001 units in blocks of 1,000 are 3 blocks).

The included allowance is taken off first: the charge model prices what is left, counted from its first unit (with an
allowance of 1,000 and tiers "from 0" and "from 5,001", unit 6,001 of the period is the first one of the second tier).
The minimum commitment is compared with the usage amount (after the allowance); the shortfall is its own amount, billed
on its own line. Amounts are rounded in the currency once per line: the usage amount once (the tier engine rounds each
tier slice and sums them, so the breakdown adds up), the shortfall is the difference of two rounded amounts.
"""

import math
from dataclasses import dataclass

from odoo.tools.float_utils import float_compare, float_is_zero, float_round

from . import tiers as tier_engine

CHARGE_MODELS = ("per_unit", "graduated", "volume", "package")
# quantities are compared at this precision (a usage quantity of 1,000.0000001 has not started block 2)
QUANTITY_DIGITS = 6


class UsageError(ValueError):
    """Terms or a quantity that cannot be rated; the message says what to fix."""


@dataclass(frozen=True)
class UsageTerms:
    charge_model: str
    unit_price: float = 0.0
    tiers: tuple = ()
    package_size: float = 1.0
    included_quantity: float = 0.0
    minimum_amount: float = 0.0


@dataclass(frozen=True)
class UsageSlice:
    """One piece of the breakdown: ``quantity`` units (blocks for ``package``) at ``price``."""

    quantity: float
    price: float
    amount: float
    min_quantity: float = 0.0


@dataclass(frozen=True)
class UsageCharge:
    quantity: float
    included: float
    billable: float
    usage_amount: float
    shortfall: float
    total: float
    slices: tuple


def validate_terms(terms):
    if terms.charge_model not in CHARGE_MODELS:
        raise UsageError(f"Unknown charge model {terms.charge_model!r}; use one of {', '.join(CHARGE_MODELS)}.")
    if terms.unit_price < 0:
        raise UsageError(f"The usage price {terms.unit_price} is negative.")
    if terms.included_quantity < 0:
        raise UsageError(f"The included quantity {terms.included_quantity} is negative.")
    if terms.minimum_amount < 0:
        raise UsageError(f"The minimum commitment {terms.minimum_amount} is negative.")
    if terms.charge_model == "package" and float_compare(terms.package_size, 0.0, QUANTITY_DIGITS) <= 0:
        raise UsageError(f"A package charge needs a block size above zero (it is {terms.package_size}).")
    if terms.charge_model in ("graduated", "volume") and not terms.tiers:
        raise UsageError(f"A {terms.charge_model} charge needs a tier table; add at least one tier.")


def billable_quantity(quantity, included_quantity):
    """The quantity left once the allowance is used up (never below zero)."""
    return max(float_round(quantity - included_quantity, precision_digits=QUANTITY_DIGITS), 0.0)


def package_blocks(quantity, package_size):
    """Blocks started by ``quantity``, a started block counting whole (compared at QUANTITY_DIGITS)."""
    if float_is_zero(quantity, precision_digits=QUANTITY_DIGITS):
        return 0
    return math.ceil(float_round(quantity / package_size, precision_digits=QUANTITY_DIGITS))


def rate_usage(quantity, terms, precision_digits=2):
    """Rate a period's ``quantity`` under ``terms``: the usage amount, the commitment shortfall, their total and the
    breakdown a customer reads on the invoice."""
    validate_terms(terms)
    if quantity < 0:
        raise UsageError(f"A period's usage cannot be negative ({quantity}).")
    billable = billable_quantity(quantity, terms.included_quantity)
    included = float_round(quantity - billable, precision_digits=QUANTITY_DIGITS)
    slices = _slices(billable, terms, precision_digits)
    usage_amount = float_round(sum(piece.amount for piece in slices), precision_digits=precision_digits)
    minimum = float_round(terms.minimum_amount, precision_digits=precision_digits)
    shortfall = max(float_round(minimum - usage_amount, precision_digits=precision_digits), 0.0)
    return UsageCharge(
        quantity=quantity,
        included=included,
        billable=billable,
        usage_amount=usage_amount,
        shortfall=shortfall,
        total=float_round(usage_amount + shortfall, precision_digits=precision_digits),
        slices=slices,
    )


def _slices(billable, terms, precision_digits):
    if float_is_zero(billable, precision_digits=QUANTITY_DIGITS):
        return ()
    if terms.charge_model == "per_unit":
        amount = float_round(billable * terms.unit_price, precision_digits=precision_digits)
        return (UsageSlice(billable, terms.unit_price, amount),)
    if terms.charge_model == "package":
        blocks = package_blocks(billable, terms.package_size)
        amount = float_round(blocks * terms.unit_price, precision_digits=precision_digits)
        return (UsageSlice(blocks, terms.unit_price, amount),)
    price = tier_engine.price_by_tiers(billable, list(terms.tiers), terms.charge_model, precision_digits)
    return tuple(UsageSlice(line.quantity, line.price, line.amount, line.min_quantity) for line in price.lines)
