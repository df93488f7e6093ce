"""Allocate a transaction price across performance obligations by relative standalone selling price (ASC 606 step 4).

Each obligation gets price x its SSP / total SSP, rounded down to the currency's precision; the cents left over go,
one each, to the obligations with the largest remainders (ties: the earlier obligation). The shares therefore sum
exactly to the transaction price. Obligations without an SSP (None) are weighted by their own selling price,
as docs/domain.md §3 says; an SSP of 0 takes no share.
"""
from decimal import ROUND_FLOOR, Decimal


class AllocationError(ValueError):
    """Input that cannot be allocated; the message says what to fix."""


def _to_units(amount, precision_digits):
    return int((Decimal(str(amount)) * (Decimal(10) ** precision_digits)).to_integral_value())


def allocate_by_ssp(transaction_price, weights, precision_digits=2):
    """``weights``: one (ssp, selling_price) pair per obligation, ssp None when unknown.

    Returns the allocated amounts, in order, summing exactly to ``transaction_price``.
    """
    if not weights:
        raise AllocationError("There is no performance obligation to allocate the price to.")
    if transaction_price < 0:
        raise AllocationError(f"The transaction price {transaction_price} is negative; use a credit note instead.")
    bases = []
    for index, (ssp, selling_price) in enumerate(weights):
        base = selling_price if ssp is None else ssp
        if base is None or base < 0:
            raise AllocationError(f"Obligation {index + 1} has a negative or missing standalone selling price.")
        bases.append(Decimal(str(base)))
    total_base = sum(bases)
    price_units = _to_units(transaction_price, precision_digits)
    if total_base == 0:
        if price_units:
            raise AllocationError("Every obligation has an SSP of 0, so the price cannot be allocated by SSP.")
        return [0.0] * len(weights)
    exact = [Decimal(price_units) * base / total_base for base in bases]
    floors = [int(value.to_integral_value(rounding=ROUND_FLOOR)) for value in exact]
    leftover = price_units - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in by_remainder[:leftover]:
        floors[index] += 1
    scale = Decimal(10) ** precision_digits
    return [float(Decimal(units) / scale) for units in floors]
