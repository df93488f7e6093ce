"""Pure dunning and credit arithmetic: no ORM, plain values in and out (see docs/architecture.md)."""
from .credit import (
    CreditDecision,
    CreditScoreError,
    PaymentBehaviour,
    ScoreResult,
    ScoreSettings,
    ScoreWeights,
    REASON_PREPAYMENT,
    UNRATED,
    check_credit,
    credit_score,
    history_months,
    is_rated,
    monthly_sales,
    risk_class,
    suggested_limit,
)
from .fees import FeeBreakdown, FeeError, OverdueItem, apply_credits, interest_days, late_fee
from .levels import (
    DunningLevel,
    DunningLevelError,
    ItemHistory,
    choose_level,
    days_past_due,
    escalation_level,
    next_level,
    notice_level,
    validate_levels,
)
from .instalments import DueCharge, OpenInstalment, due_charge, instalment_key
from .retries import HARD, PROCESSING, SOFT, NextStep, RetrySettings, classify, decline_offsets, next_try
from .plans import (
    Instalment,
    PaymentPlanError,
    PlanStatus,
    check_instalments,
    plan_status,
    split_evenly,
)
