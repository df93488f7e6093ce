"""Pure pricing arithmetic: no ORM, plain values in and out (see ARCHITECTURE.md)."""
from .tiers import Tier, TierLine, TierPrice, price_by_tiers, validate_tiers
