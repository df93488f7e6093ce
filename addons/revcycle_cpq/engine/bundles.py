"""Bundle pricing: spread a bundle's price over its components, exact to the currency's precision.

Each component is weighted by its own price x quantity; shares are rounded down to the currency's smallest unit and
the units left over go one each to the largest remainders (ties: the earlier component), so the shares always add up
to the bundle price. Components then get a unit price share / quantity in the unit-price precision; whatever that
rounding leaves (a cent or two when a share does not divide by its quantity) is returned as ``remainder`` for the
bundle line itself to carry, so the quote's total is the bundle price to the cent.
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from odoo.tools.float_utils import float_round

MODES = ("spread", "sum")


@dataclass(frozen=True)
class Component:
    key: int
    quantity: float
    unit_price: float  # the component's own price, used as weight (spread) or as price (sum)


@dataclass(frozen=True)
class BundlePrice:
    total: float
    unit_prices: dict  # component key -> unit price on its line
    remainder: float  # carried by the bundle line


class BundleError(ValueError):
    """A bundle that cannot be priced; the message says what to fix."""


def spread_amounts(total, weights, precision_digits=2):
    """Split ``total`` by ``weights`` with largest-remainder rounding; the parts sum exactly to ``total``."""
    scale = Decimal(10) ** precision_digits
    units = int((Decimal(str(total)) * scale).to_integral_value())
    decimal_weights = [Decimal(str(w)) for w in weights]
    total_weight = sum(decimal_weights)
    if total_weight == 0:
        decimal_weights = [Decimal(1)] * len(weights)  # nothing to weigh by: equal parts
        total_weight = Decimal(len(weights))
    exact = [Decimal(units) * w / total_weight for w in decimal_weights]
    floors = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
    for index in sorted(range(len(exact)), key=lambda i: (floors[i] - exact[i], i))[: units - sum(floors)]:
        floors[index] += 1
    return [float(Decimal(f) / scale) for f in floors]


def price_bundle(bundle_price, components, mode, currency_digits=2, unit_price_digits=2):
    """Unit prices of the component lines for one bundle unit, and the remainder the bundle line carries."""
    if mode not in MODES:
        raise BundleError(f"Unknown bundle pricing {mode!r}; use one of {', '.join(MODES)}.")
    if not components:
        raise BundleError("The bundle has no components; add at least one.")
    if any(c.quantity <= 0 for c in components):
        raise BundleError("Every bundle component needs a positive quantity.")
    if mode == "sum":
        unit_prices = {c.key: float_round(c.unit_price, precision_digits=unit_price_digits) for c in components}
        total = float_round(sum(c.quantity * unit_prices[c.key] for c in components), precision_digits=currency_digits)
        return BundlePrice(total=total, unit_prices=unit_prices, remainder=0.0)
    if bundle_price < 0:
        raise BundleError(f"The bundle price {bundle_price} is negative.")
    shares = spread_amounts(bundle_price, [c.quantity * c.unit_price for c in components], currency_digits)
    unit_prices = {
        c.key: float_round(share / c.quantity, precision_digits=unit_price_digits)
        for c, share in zip(components, shares, strict=True)
    }
    lines_total = sum(c.quantity * unit_prices[c.key] for c in components)
    remainder = float_round(bundle_price - lines_total, precision_digits=currency_digits)
    return BundlePrice(
        total=float_round(bundle_price, precision_digits=currency_digits), unit_prices=unit_prices, remainder=remainder
    )
