"""Revenue-cycle KPI formulas, exactly as DOMAIN.md section 2 defines them.

A KPI that cannot be computed (no sales, no churn) is None, never a made-up 0 or infinity: the caller shows "n/a".
"""


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
    """Name of the bucket holding ``days_past_due``: buckets are (name, days_from, days_to or None), checked in order;
    not-yet-due amounts (days <= 0) fall in the bucket whose range includes them."""
    for name, days_from, days_to in buckets:
        if (days_from is None or days_past_due >= days_from) and (days_to is None or days_past_due <= days_to):
            return name
    raise KpiError(f"No aging bucket covers {days_past_due} days past due; make the buckets cover every day.")
