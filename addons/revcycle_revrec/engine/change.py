"""Changes of the transaction price after inception (ASC 606-10-32-42..45, IFRS 15.87-90): a credit note, a return
credited, a price concession.

- ``allocate_change``: the change is allocated on the same basis as at inception (relative SSP), signed, exact.
- ``rescale_remaining``: an obligation whose allocation moves from ``released + sum(planned)`` to ``new_allocated``
  keeps its measure of progress (the share already released): the planned lines are scaled by the same factor and
  the difference for what is already satisfied is a cumulative catch-up due now. Planned + released + catch-up
  sum exactly to ``new_allocated``.
- ``progress_release``: a point-in-time obligation measured in quantities (delivered, invoiced) earns
  ``done / basis`` of its allocation, the whole of it once ``done`` reaches ``basis``; returns what to release now and
  what still waits.
"""
from decimal import Decimal
from fractions import Fraction

from .allocation import _to_units as _units
from .allocation import allocate_by_ssp
from .delivery import delivered_target
from .schedule import split_exact


def _amount(units, precision_digits):
    return float(Decimal(units) / (Decimal(10) ** precision_digits))


def allocate_change(change, weights, precision_digits=2):
    """Split a (signed) price change by the inception weights (SSPs); the parts sum exactly to ``change``."""
    sign = -1 if change < 0 else 1
    parts = allocate_by_ssp(abs(change), [(weight, weight) for weight in weights], precision_digits)
    return [sign * part if part else 0.0 for part in parts]


def rescale_remaining(new_allocated, released, planned, precision_digits=2):
    """``released``: what the obligation has already recognised (or is due now); ``planned``: the amounts of its
    planned lines. Returns ``(catch_up, new_planned)`` with ``released + catch_up + sum(new_planned) ==
    new_allocated`` exactly."""
    new_units = _units(new_allocated, precision_digits)
    released_units = _units(released, precision_digits)
    planned_units = [_units(amount, precision_digits) for amount in planned]
    old_units = released_units + sum(planned_units)
    if not planned_units:
        return _amount(new_units - released_units, precision_digits), []
    if old_units == 0:
        # nothing was allocated before: nothing is satisfied yet, the new amount is all still to come
        remaining = new_units - released_units
        weights = [1] * len(planned_units)
    else:
        remaining_exact = Fraction(sum(planned_units) * new_units, old_units)
        remaining = int(remaining_exact.numerator * 2 + remaining_exact.denominator) // (
            2 * remaining_exact.denominator)  # half-up
        weights = [Fraction(abs(units)) for units in planned_units]
        if not any(weights):
            weights = [1] * len(planned_units)
    new_planned = split_exact(_amount(remaining, precision_digits), weights, precision_digits)
    catch_up = new_units - released_units - sum(_units(amount, precision_digits) for amount in new_planned)
    return _amount(catch_up, precision_digits), new_planned


def progress_release(allocated, released, done, basis, precision_digits=2, qty_rounding=0.01):
    """``(release now, still waiting)`` of a point-in-time obligation with ``done`` of ``basis`` units satisfied.
    A basis of 0 or less (every unit returned and credited) leaves nothing to wait for."""
    if basis <= 0 or abs(basis) < qty_rounding:
        target = float(allocated)
    else:
        target = delivered_target(allocated, done, basis, precision_digits, qty_rounding)
    allocated_units, target_units = _units(allocated, precision_digits), _units(target, precision_digits)
    return (_amount(target_units - _units(released, precision_digits), precision_digits),
            _amount(allocated_units - target_units, precision_digits))
