"""Point-in-time obligations delivered in parts (ASC 606-10-25-30, IFRS 15.38): each delivery earns the delivered
share of the obligation's allocated amount, and a return gives that share back.

The share is delivered quantity / ordered quantity, capped to [0, 1]. What an obligation should have earned after a
delivery is ``allocated x share`` rounded half-up to the currency, except once the whole quantity is delivered, when
it is exactly ``allocated``: the last delivery releases exactly the remainder, whatever the earlier roundings. A
delivery posts the difference between that target and what is already released, so recomputing after a second
picking, a backorder or a return never counts a unit twice.
"""

from decimal import ROUND_HALF_UP, Decimal

from odoo.tools import float_compare

from .schedule import ScheduleError


def delivered_target(allocated, delivered, ordered, precision_digits=2, qty_rounding=0.01):
    """What an obligation allocated ``allocated`` has earned once ``delivered`` of ``ordered`` units are delivered."""
    if float_compare(ordered, 0.0, precision_rounding=qty_rounding) <= 0:
        raise ScheduleError(f"An ordered quantity of {ordered} cannot be delivered; order a positive quantity.")
    if float_compare(delivered, ordered, precision_rounding=qty_rounding) >= 0:
        return float(allocated)
    if float_compare(delivered, 0.0, precision_rounding=qty_rounding) <= 0:
        return 0.0
    scale = Decimal(10) ** precision_digits
    exact = Decimal(str(allocated)) * Decimal(str(delivered)) / Decimal(str(ordered))
    return float((exact * scale).to_integral_value(rounding=ROUND_HALF_UP) / scale)


def delivery_release(allocated, released, delivered, ordered, precision_digits=2, qty_rounding=0.01):
    """Amount to recognise now (negative after a return): the delivered target less what is ``released``."""
    target = delivered_target(allocated, delivered, ordered, precision_digits, qty_rounding)
    scale = Decimal(10) ** precision_digits
    units = (Decimal(str(target)) - Decimal(str(released))) * scale
    return float(units.to_integral_value(rounding=ROUND_HALF_UP) / scale)
