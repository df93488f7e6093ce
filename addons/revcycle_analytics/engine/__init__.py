"""Pure KPI arithmetic: no ORM, plain values in and out (formulas of DOMAIN.md section 2)."""
from .kpis import KpiError, aging_bucket, cei, cltv, dso_countback, dso_simple
