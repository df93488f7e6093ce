"""Pure dunning and credit arithmetic: no ORM, plain values in and out (see ARCHITECTURE.md)."""
from .credit import (
    CreditDecision,
    CreditScoreError,
    PaymentBehaviour,
    ScoreResult,
    ScoreSettings,
    ScoreWeights,
    check_credit,
    credit_score,
    risk_class,
    suggested_limit,
)
from .levels import DunningLevel, DunningLevelError, choose_level, days_past_due, validate_levels
