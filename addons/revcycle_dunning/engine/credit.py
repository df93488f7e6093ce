"""Credit decisions and the payment-behaviour credit score.

Everything here is plain arithmetic on plain values, in the company currency: the models gather the numbers with
aggregate queries and hand them over as a :class:`PaymentBehaviour`.

The score is a weighted mean of six factors, each between 0 (bad) and 1 (good):

- ``lateness``: amount-weighted average days late of the payments in the look-back window and of the debt that is
  overdue now (unpaid debt is late too: a customer who never pays is no better than one who pays late), 0 at
  ``late_cap_days``;
- ``on_time``: the share of what fell due (paid in the window, or overdue now) that was paid by its due date;
- ``overdue``: 1 minus the share of the open receivable that is overdue now;
- ``utilisation``: 1 minus the share of the credit limit in use (exposure / limit, capped at 1);
- ``age``: how long the customer has been invoiced, 1 from ``age_full_days`` on;
- ``dunning``: 1 minus the dunning notices of the window over ``dunning_cap``.

A factor without data (no credit limit) counts as :data:`NEUTRAL` rather than as perfect. A customer with no
payment behaviour yet (nothing paid in the window, nothing overdue) is :data:`UNRATED`: no score, no class, and the
company's policy for new customers applies instead.

The suggested limit is a number of months of the customer's average monthly sales, the average taken over the months
the customer has actually been invoiced (at most the twelve of the window).
"""
import math
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from odoo.tools.float_utils import float_compare, float_is_zero

RISK_CLASSES = ("A", "B", "C", "D", "E")
UNRATED = "unrated"
# (lowest score of the class, class), best first
CLASS_THRESHOLDS = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (0, "E"))
NEUTRAL = 0.5
FACTORS = ("lateness", "on_time", "overdue", "utilisation", "age", "dunning")

REASON_HOLD = "hold"
REASON_OVERDUE = "overdue"
REASON_LIMIT = "limit"
REASON_PREPAYMENT = "prepayment"


class CreditScoreError(ValueError):
    """Score settings that cannot produce a score; the message says what to fix."""


@dataclass(frozen=True)
class ScoreWeights:
    lateness: int = 25
    on_time: int = 20
    overdue: int = 30
    utilisation: int = 10
    age: int = 10
    dunning: int = 5

    def validate(self):
        values = [getattr(self, name) for name in FACTORS]
        if any(value < 0 for value in values):
            raise CreditScoreError("Credit score weights cannot be negative: use 0 to ignore a factor.")
        if not sum(values):
            raise CreditScoreError("At least one credit score weight must be above 0.")


@dataclass(frozen=True)
class PaymentBehaviour:
    """One customer in one company, amounts in the company currency."""

    paid_amount: float = 0.0  # paid in the look-back window
    paid_days_late: float = 0.0  # sum of amount x days late over those payments
    paid_on_time_amount: float = 0.0
    open_amount: float = 0.0  # open receivable (positive residuals)
    overdue_amount: float = 0.0
    overdue_days_late: float = 0.0  # sum of open overdue amount x days past its due date, today
    exposure: float = 0.0
    credit_limit: float = 0.0  # 0: no limit
    account_age_days: int = 0
    dunning_count: int = 0


@dataclass(frozen=True)
class ScoreSettings:
    late_cap_days: int = 45
    age_full_days: int = 365
    dunning_cap: int = 5
    precision_digits: int = 2


@dataclass(frozen=True)
class ScoreResult:
    score: int | None  # None: unrated
    risk_class: str  # A-E, or UNRATED
    factors: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CreditDecision:
    allowed: bool
    reason: str | None  # REASON_HOLD, REASON_OVERDUE, REASON_LIMIT or None
    exposure_after: float


def _ratio(part, whole, digits):
    if float_is_zero(whole, precision_digits=digits) or float_compare(whole, 0.0, precision_digits=digits) < 0:
        return None
    return part / whole


def _clamp(value):
    return min(1.0, max(0.0, value))


DEFAULT_WEIGHTS = ScoreWeights()
DEFAULT_SETTINGS = ScoreSettings()


def score_factors(behaviour: PaymentBehaviour, settings: ScoreSettings = DEFAULT_SETTINGS):
    """Each factor between 0 and 1 (1 is good)."""
    digits = settings.precision_digits
    fell_due = behaviour.paid_amount + behaviour.overdue_amount
    average_late = _ratio(behaviour.paid_days_late + behaviour.overdue_days_late, fell_due, digits)
    on_time = _ratio(behaviour.paid_on_time_amount, fell_due, digits)
    overdue = _ratio(behaviour.overdue_amount, behaviour.open_amount, digits)
    utilisation = _ratio(behaviour.exposure, behaviour.credit_limit, digits)
    return {
        "lateness": NEUTRAL if average_late is None else _clamp(1.0 - average_late / settings.late_cap_days),
        "on_time": NEUTRAL if on_time is None else _clamp(on_time),
        "overdue": 1.0 if overdue is None else _clamp(1.0 - overdue),
        "utilisation": NEUTRAL if utilisation is None else _clamp(1.0 - utilisation),
        "age": _clamp(behaviour.account_age_days / settings.age_full_days),
        "dunning": _clamp(1.0 - behaviour.dunning_count / settings.dunning_cap),
    }


def risk_class(score):
    for lowest, code in CLASS_THRESHOLDS:
        if score >= lowest:
            return code
    return RISK_CLASSES[-1]


def is_rated(behaviour: PaymentBehaviour, settings: ScoreSettings = DEFAULT_SETTINGS):
    """Is there payment behaviour to judge: something paid in the window, or something overdue now?"""
    digits = settings.precision_digits
    return (float_compare(behaviour.paid_amount, 0.0, precision_digits=digits) > 0
            or float_compare(behaviour.overdue_amount, 0.0, precision_digits=digits) > 0)


def credit_score(behaviour: PaymentBehaviour, weights: ScoreWeights = DEFAULT_WEIGHTS,
                 settings: ScoreSettings = DEFAULT_SETTINGS) -> ScoreResult:
    """Score 0-100 (100 is the best payer) and its risk class A-E; UNRATED without payment behaviour."""
    weights.validate()
    factors = score_factors(behaviour, settings)
    if not is_rated(behaviour, settings):
        return ScoreResult(score=None, risk_class=UNRATED, factors=factors)
    total_weight = sum(getattr(weights, name) for name in FACTORS)
    weighted = sum(factors[name] * getattr(weights, name) for name in FACTORS)
    # round half up, so that a score shown as 80 is always class A
    score = int(math.floor(100.0 * weighted / total_weight + 0.5))
    return ScoreResult(score=score, risk_class=risk_class(score), factors=factors)


def history_months(first_invoice_date, today, window_months=12):
    """Months the customer has been invoiced: the months started since the first invoice (1 Sep to 1 Dec: 3; to
    30 Nov: 3 as well; 15 Sep to 20 Sep: 1), at most the look-back window; 0 without any invoice."""
    if not first_invoice_date or first_invoice_date > today:
        return 0
    elapsed = relativedelta(today, first_invoice_date)
    whole = elapsed.years * 12 + elapsed.months
    return min(window_months, whole + (1 if elapsed.days or not whole else 0))


def monthly_sales(sales_in_window, first_invoice_date, today, window_months=12):
    """Average monthly sales over the months actually invoiced (a customer of three months: sales / 3, not / 12)."""
    months = history_months(first_invoice_date, today, window_months)
    return sales_in_window / months if months else 0.0


def suggested_limit(monthly_sales, months, rounding=100.0):
    """A limit of ``months`` months of average sales, rounded up to ``rounding``; 0 means prepayment only."""
    if months <= 0 or monthly_sales <= 0:
        return 0.0
    return math.ceil(monthly_sales * months / rounding) * rounding


def check_credit(exposure, amount, credit_limit, on_hold=False, oldest_overdue_days=0, block_after_days=0,
                 precision_digits=2, prepayment_required=False) -> CreditDecision:
    """May the customer take on ``amount`` more? A hold wins over prepayment, then overdue invoices, then the limit.

    ``credit_limit`` 0 means no limit; ``block_after_days`` 0 switches the overdue rule off; ``prepayment_required``
    (an unrated customer under a prepayment policy) refuses any credit at all.
    """
    after = exposure + amount
    if on_hold:
        return CreditDecision(False, REASON_HOLD, after)
    if prepayment_required and float_compare(amount, 0.0, precision_digits=precision_digits) > 0:
        return CreditDecision(False, REASON_PREPAYMENT, after)
    if block_after_days > 0 and oldest_overdue_days > block_after_days:
        return CreditDecision(False, REASON_OVERDUE, after)
    has_limit = float_compare(credit_limit, 0.0, precision_digits=precision_digits) > 0
    if has_limit and float_compare(after, credit_limit, precision_digits=precision_digits) > 0:
        return CreditDecision(False, REASON_LIMIT, after)
    return CreditDecision(True, None, after)
