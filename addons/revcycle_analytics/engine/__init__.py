"""Pure KPI arithmetic: no ORM, plain values in and out (formulas of docs/domain.md §2)."""

from .kpis import (
    BILLING_MONTHS,
    KpiError,
    aging_bucket,
    average_days_delinquent,
    best_possible_dso,
    cei,
    cltv,
    dso_countback,
    dso_simple,
    gross_margin,
    gross_revenue_retention,
    mean,
    median,
    monthly_rate,
    monthly_value,
    months_in_period,
    mrr_movements,
    net_revenue_retention,
    ratio_percent,
)
from .declarations import UNITS, KpiDeclaration, check_declarations
from .periods import countback_months, period_days, previous_period, trend_months
from .rates import KpiConverter, RateTable
