"""Pure pricing and configuration arithmetic: no ORM, plain values in and out (see docs/architecture.md)."""

from .bundles import BundleError, BundlePrice, Component, price_bundle, spread_amounts
from .approvals import (
    ApprovalRule,
    BrokenRule,
    PricedLine,
    QuoteFigures,
    broken_rules,
    effective_discount,
    margin_percent,
)
from .config_rules import ConfigRule, ConfigRuleError, QuoteLine, Violation, check_rules, validate_rule_set
from .tiers import Tier, TierLine, TierPrice, price_by_tiers, validate_tiers
from .proration import (
    BEHAVIOURS,
    PLAN_CREDIT_NOW,
    PLAN_INVOICE_NOW,
    PLAN_NEXT_INVOICE,
    PLAN_NONE,
    Proration,
    ProrationError,
    prorate,
    value_lowered_percent,
)
from .exact_prices import amount_unit_price
from .usage import CHARGE_MODELS, UsageCharge, UsageError, UsageSlice, UsageTerms, rate_usage
