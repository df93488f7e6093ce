"""Pure dunning arithmetic: no ORM, plain values in and out (see ARCHITECTURE.md)."""
from .levels import DunningLevel, DunningLevelError, choose_level, days_past_due, validate_levels
