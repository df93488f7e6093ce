"""Revenue-cycle KPI formulas, as docs/domain.md §2 defines them.

A KPI that cannot be computed (no sales, no churn) is None, never a made-up 0 or infinity: the caller shows "n/a".
"""

from odoo.addons.revcycle_base.engine import aging, periods
from odoo.tools import SQL


class KpiError(ValueError):
    """Input a KPI cannot be computed from; the message says what is wrong."""


def dso_simple(ending_ar, credit_sales, days):
    """Ending AR / credit sales of the period x days in the period."""
    if days <= 0:
        raise KpiError(f"A period of {days} days has no DSO; the period must last at least one day.")
    if not credit_sales:
        return None
    return ending_ar / credit_sales * days


def dso_countback(ending_ar, monthly_sales):
    """Walk back month by month from the period end, most recent month first: ``monthly_sales`` is a list of
    (credit sales, days in month). A month fully absorbed by the AR counts all its days; the month where the AR runs
    out counts (remaining AR / that month's sales) x its days. AR beyond the months given counts no further days."""
    remaining = ending_ar
    days = 0.0
    for sales, month_days in monthly_sales:
        if remaining <= 0:
            break
        if sales <= 0:
            days += month_days  # a month without sales is passed through whole
            continue
        if remaining >= sales:
            days += month_days
            remaining -= sales
        else:
            days += remaining / sales * month_days
            remaining = 0
    return days


def cei(opening_ar, credit_sales, months, closing_total_ar, closing_current_ar):
    """(opening AR + sales/N - closing total AR) / (opening AR + sales/N - closing current AR) x 100."""
    if months <= 0:
        raise KpiError(f"CEI needs at least one month, not {months}.")
    collectible = opening_ar + credit_sales / months
    denominator = collectible - closing_current_ar
    if not denominator:
        return None
    return (collectible - closing_total_ar) / denominator * 100


def cltv(arpa, gross_margin, monthly_churn):
    """ARPA x gross margin / monthly customer churn; None without churn (the lifetime is unbounded)."""
    if not monthly_churn:
        return None
    return arpa * gross_margin / monthly_churn


def aging_bucket(days_past_due, buckets):
    """Name of the bucket holding ``days_past_due`` by the suite's aging rule (revcycle_base ``aging``)."""
    try:
        return aging.bucket_name(days_past_due, buckets)
    except aging.AgingError as error:
        raise KpiError(str(error)) from error


def best_possible_dso(current_ar, credit_sales, days):
    """Current (not yet due) AR / credit sales x days: the DSO if every customer paid exactly on time."""
    return dso_simple(current_ar, credit_sales, days)


def average_days_delinquent(dso, best_dso):
    """ADD = DSO - best possible DSO; None when either is unknown."""
    if dso is None or best_dso is None:
        return None
    return dso - best_dso


BILLING_MONTHS = periods.PERIOD_MONTHS


def monthly_value(amount, billing_period):
    """A recurring amount per billing period normalised to one month (revcycle_base ``periods.monthly_value``)."""
    try:
        return periods.monthly_value(amount, billing_period)
    except periods.PeriodError as error:
        raise KpiError(str(error)) from error


# How one customer's MRR moved between two dates, in order (the first that holds wins), with the same condition in
# Python and as an SQL template over {before}, {after} and {known} (had recurring revenue earlier): one definition for
# the KPIs and the MRR movements report.
MOVEMENT_RULES = (
    ("reactivation", lambda before, after, known: before <= 0 < after and known,
     "({before} <= 0 AND {after} > 0 AND {known})"),
    ("new", lambda before, after, known: before <= 0 < after, "({before} <= 0 AND {after} > 0)"),
    ("churn", lambda before, after, known: after <= 0 < before, "({before} > 0 AND {after} <= 0)"),
    ("expansion", lambda before, after, known: after > before, "({after} > {before})"),
    ("contraction", lambda before, after, known: after < before, "({after} < {before})"),
)
NO_MOVEMENT = "flat"


def movement_kind(before, after, known_before=False):
    """The movement of one customer's MRR from ``before`` to ``after`` (see MOVEMENT_RULES), or 'flat'."""
    before, after = before or 0.0, after or 0.0
    for kind, holds, _sql in MOVEMENT_RULES:
        if holds(before, after, known_before):
            return kind
    return NO_MOVEMENT


def movement_kind_sql(before, after, known_before):
    """``movement_kind`` as an SQL CASE over SQL expressions, built from the same rules."""
    whens = SQL(" ").join(
        SQL(f"WHEN {template.format(before='%(before)s', after='%(after)s', known='%(known)s')} THEN %(kind)s",
            before=before, after=after, known=known_before, kind=kind)
        for kind, _holds, template in MOVEMENT_RULES)
    return SQL("(CASE %s ELSE %s END)", whens, NO_MOVEMENT)


def mrr_movements(start, end, known_before=()):
    """MRR movements between two dates, per customer: ``start`` and ``end`` map a customer to its MRR on each date,
    ``known_before`` holds the customers that had recurring revenue at some time before the start (a customer
    without MRR at the start but with MRR at the end is then a reactivation, else new).
    Always end = start + new + expansion + reactivation - contraction - churn."""
    known_before = set(known_before)
    result = dict.fromkeys(("new", "expansion", "contraction", "churn", "reactivation"), 0.0)
    result.update(customers_start=0, customers_end=0, customers_lost=0, customers_new=0, customers_reactivated=0)
    counters = {"churn": "customers_lost", "reactivation": "customers_reactivated", "new": "customers_new"}
    for customer in set(start) | set(end):
        before, after = start.get(customer, 0.0) or 0.0, end.get(customer, 0.0) or 0.0
        result["customers_start"] += before > 0
        result["customers_end"] += after > 0
        kind = movement_kind(before, after, customer in known_before)
        if kind == NO_MOVEMENT:
            continue
        result[kind] += abs(after - before)  # churn and contraction count what was lost, as a positive amount
        if kind in counters:
            result[counters[kind]] += 1
    result["start"] = sum(v for v in start.values() if v and v > 0)
    result["end"] = sum(v for v in end.values() if v and v > 0)
    return result


def gross_revenue_retention(start_mrr, churn, contraction):
    """GRR = (start MRR - churn - contraction) / start MRR x 100, for the cohort active at the start."""
    if not start_mrr:
        return None
    return (start_mrr - churn - contraction) / start_mrr * 100


def net_revenue_retention(start_mrr, expansion, contraction, churn):
    """NRR = (start + expansion - contraction - churn) / start x 100."""
    if not start_mrr:
        return None
    return (start_mrr + expansion - contraction - churn) / start_mrr * 100


def ratio_percent(part, whole):
    """part / whole x 100, None when the whole is empty (customer churn rate, win rate, recovery rate)."""
    if not whole:
        return None
    return part / whole * 100


def monthly_rate(rate_percent, months):
    """A rate over ``months`` months as a simple monthly fraction (5 % over one month -> 0.05)."""
    if rate_percent is None:
        return None
    if months <= 0:
        raise KpiError(f"A rate needs at least one month, not {months}.")
    return rate_percent / 100 / months


def gross_margin(revenue, cost_of_revenue):
    """(revenue - cost of revenue) / revenue as a fraction; None without revenue."""
    if not revenue:
        return None
    return (revenue - cost_of_revenue) / revenue


def median(values):
    """Median of the values, None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else None


def months_in_period(days):
    """Whole months a period of ``days`` days spans (N of the CEI): at least one."""
    if days <= 0:
        raise KpiError(f"A period of {days} days is empty; the end must be on or after the start.")
    return max(1, round(days / 30.4375))
