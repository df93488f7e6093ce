"""Exact line amounts when the unit price field cannot carry them.

A tier total spread over its quantity rarely fits the "Product Price" precision: 1,400.00 over 150 units is
9.3333..., which the unit price field keeps as 9.33, and 9.33 x 150 = 1,399.50. The line therefore carries the
unrounded unit price next to the displayed one, and every amount (the line's subtotal and taxes, the order's
totals, the invoice line, its credit note, a down payment) is computed from the unrounded one **as long as the
displayed unit price is its rounding**. A unit price typed by hand that differs from that rounding is what the
user wants: the unrounded one is then ignored, so nobody can be charged a price they do not see.
"""

from odoo.tools.float_utils import float_compare, float_round


def amount_unit_price(price_unit, exact_price_unit, price_digits):
    """The unit price the line's amounts are computed from: ``exact_price_unit`` while ``price_unit`` (kept at
    ``price_digits`` decimals) is its rounding, else ``price_unit`` itself."""
    if not exact_price_unit:
        return price_unit
    rounded = float_round(exact_price_unit, precision_digits=price_digits)
    if float_compare(rounded, price_unit, precision_digits=price_digits) != 0:
        return price_unit
    return exact_price_unit
