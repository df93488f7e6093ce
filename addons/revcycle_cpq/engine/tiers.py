"""Tier pricing.

A tier table is a list of (threshold, unit price). Two modes:

* ``volume``: the whole quantity is priced at the tier of the highest threshold the quantity reaches
  (below the first threshold, the first tier applies);
* ``graduated``: each unit is priced at the tier its number reaches, thresholds inclusive as in volume mode,
  Odoo's pricelist ``min_quantity`` and Stripe's ``up_to``: with tiers "from 0" and "from 11", units 1 to 10 are
  priced in the first tier and unit 11 in the second (Stripe: ``up_to=10``, then ``up_to=inf``). Unit N covers the
  quantity from N - 1 to N, so a tier "from N" starts after N - 1 units: 10.5 units are 10 units of the first tier
  and half of unit 11 in the second. The first tier covers everything from zero, whatever its threshold.

Fractional quantities between two thresholds: volume mode compares the quantity itself with the thresholds
(10.5 has not reached 11, as Odoo's pricelists decide), graduated mode prices the started unit 11 in its tier.

Amounts are rounded to the currency's precision once per tier slice, and the total is the sum of the
rounded slices, so the breakdown a user sees always adds up to the total.
"""

from dataclasses import dataclass

from odoo.tools.float_utils import float_compare, float_is_zero, float_round

MODES = ("graduated", "volume")


@dataclass(frozen=True)
class Tier:
    min_quantity: float
    price: float


@dataclass(frozen=True)
class TierLine:
    min_quantity: float
    quantity: float
    price: float
    amount: float


@dataclass(frozen=True)
class TierPrice:
    total: float
    unit_price: float
    lines: tuple


class TierError(ValueError):
    """A tier table that cannot price anything; the message says what to fix."""


def validate_tiers(tiers):
    """Refuse negative thresholds or prices and two tiers on the same threshold."""
    seen = set()
    for tier in tiers:
        if tier.min_quantity < 0:
            raise TierError(f"The tier threshold {tier.min_quantity} is negative; thresholds start at 0.")
        if tier.price < 0:
            raise TierError(f"The tier price {tier.price} (from quantity {tier.min_quantity}) is negative.")
        if tier.min_quantity in seen:
            raise TierError(f"Two tiers start at quantity {tier.min_quantity}; each threshold may appear once.")
        seen.add(tier.min_quantity)


def price_by_tiers(quantity, tiers, mode, precision_digits=2):
    """Price ``quantity`` on ``tiers``; returns the total, the average unit price and one line per tier used."""
    if mode not in MODES:
        raise TierError(f"Unknown tier mode {mode!r}; use one of {', '.join(MODES)}.")
    if not tiers:
        raise TierError("The tier table is empty; add at least one tier.")
    if quantity < 0:
        raise TierError(f"Cannot price a negative quantity ({quantity}).")
    validate_tiers(tiers)
    ordered = sorted(tiers, key=lambda t: t.min_quantity)
    lines = _graduated_lines(quantity, ordered) if mode == "graduated" else _volume_lines(quantity, ordered)
    rounded = tuple(
        TierLine(
            line.min_quantity,
            line.quantity,
            line.price,
            float_round(line.quantity * line.price, precision_digits=precision_digits),
        )
        for line in lines
    )
    total = float_round(sum(line.amount for line in rounded), precision_digits=precision_digits)
    unit_price = 0.0 if float_is_zero(quantity, precision_digits=6) else total / quantity
    return TierPrice(total=total, unit_price=unit_price, lines=rounded)


def _volume_lines(quantity, ordered):
    reached = ordered[0]
    for tier in ordered:
        if float_compare(quantity, tier.min_quantity, precision_digits=6) >= 0:
            reached = tier
    return [TierLine(reached.min_quantity, quantity, reached.price, 0.0)]


def graduated_start(index, tier):
    """The quantity after which a graduated tier starts: the tier "from N" prices unit N on, so it starts after
    N - 1 units (the first tier starts at zero, and no tier before zero)."""
    return 0.0 if index == 0 else max(tier.min_quantity - 1.0, 0.0)


def _graduated_lines(quantity, ordered):
    starts = [graduated_start(index, tier) for index, tier in enumerate(ordered)]
    lines = []
    for index, tier in enumerate(ordered):
        if float_compare(quantity, starts[index], precision_digits=6) <= 0:
            break
        end = starts[index + 1] if index + 1 < len(ordered) else None
        upper = quantity if end is None else min(quantity, end)
        slice_quantity = upper - starts[index]
        if float_compare(slice_quantity, 0.0, precision_digits=6) <= 0:
            continue  # a tier whose next one starts at the same unit (thresholds 0 and 1) prices nothing
        lines.append(TierLine(tier.min_quantity, slice_quantity, tier.price, 0.0))
    return lines
