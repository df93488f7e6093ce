"""Card collection: what a failed charge means and when to try again.

Modelled on Stripe's own guidance and Kill Bill's split between payment retries and dunning:

- a *hard* decline (lost or stolen card, closed account, fraud suspected, card expired or wrong) will not succeed
  later: stop and tell someone;
- a *soft* decline (insufficient funds, generic decline, issuer unavailable, limits) may succeed later: retry on a
  schedule in days, by default 8 tries in 14 days (Stripe Smart Retries' recommendation);
- a *processing* error (network, Stripe or issuer hiccup, rate limit) says nothing about the card: retry with a
  backoff that grows from an hour to days (1 h, 4 h, 16 h, 64 h, then every 4 days), without using up the decline
  schedule, and give up only after that (about a week of outage, not a few hours);
- *insufficient funds* is retried on the days people are commonly paid: the 1st, the 15th and the last working day of
  the month, up to PAYDAY_WINDOW_DAYS after the first try;
- the network's merchant advice code (Mastercard MAC 03 and 21: never retry) and Stripe's ``advice_code``
  ``do_not_try_again`` make any decline hard.
"""
import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

HARD = "hard"
SOFT = "soft"
PROCESSING = "processing"

# Stripe decline codes (https://docs.stripe.com/declines/codes) that no retry can fix
HARD_DECLINE_CODES = frozenset({
    "authentication_required", "card_not_supported", "currency_not_supported", "do_not_try_again",
    "duplicate_transaction", "expired_card", "fraudulent", "incorrect_cvc", "incorrect_number", "incorrect_pin",
    "incorrect_zip", "invalid_account", "invalid_cvc", "invalid_expiry_month", "invalid_expiry_year",
    "invalid_number", "invalid_pin", "lost_card", "merchant_blacklist", "new_account_information_available",
    "no_action_taken", "pickup_card", "restricted_card", "revocation_of_all_authorizations",
    "revocation_of_authorization", "security_violation", "service_not_allowed", "stolen_card",
    "stop_payment_order", "testmode_decline", "transaction_not_allowed",
})
PROCESSING_CODES = frozenset({
    "processing_error", "issuer_not_available", "try_again_later", "reenter_transaction", "rate_limit",
    "api_connection_error", "api_error", "lock_timeout",
})
# Stripe error codes (not decline codes) that mean the saved payment method itself is unusable
HARD_ERROR_CODES = frozenset({
    "expired_card", "incorrect_cvc", "incorrect_number", "invalid_cvc", "invalid_expiry_month",
    "invalid_expiry_year", "invalid_number", "payment_method_unactivated", "payment_method_not_available",
    "resource_missing", "authentication_required", "payment_intent_authentication_failure",
})


@dataclass(frozen=True)
class RetrySettings:
    max_tries: int = 8  # the first charge included
    window_days: int = 14
    processing_base_minutes: int = 60
    processing_max_tries: int = 6
    processing_max_minutes: int = 4 * 24 * 60
    processing_factor: int = 4

    def validate(self):
        if self.max_tries < 1:
            raise ValueError(f"At least one try is needed, not {self.max_tries}.")
        if self.window_days < 0:
            raise ValueError(f"The retry window cannot be negative ({self.window_days} days).")
        if self.max_tries > 1 and self.window_days < 1:
            raise ValueError(f"{self.max_tries} tries need a retry window of at least one day.")
        if self.processing_base_minutes < 1 or self.processing_max_tries < 1 or self.processing_factor < 1:
            raise ValueError("Processing errors need a backoff of at least one minute and at least one retry.")


# merchant advice codes of the card networks that forbid a retry (Mastercard: 03 new account information / do not
# try again, 21 payment cancelled), and Stripe's own advice
NO_RETRY_ADVICE = frozenset({"03", "21", "do_not_try_again"})
INSUFFICIENT_FUNDS = "insufficient_funds"
PAYDAY_WINDOW_DAYS = 35


def classify(error_code=None, decline_code=None, http_status=None, advice_code=None, network_advice_code=None):
    """HARD, SOFT or PROCESSING for a failed charge.

    An advice not to retry (Stripe's ``advice_code`` or the network's merchant advice code) makes it hard; the decline
    code is the issuer's reason and wins over the generic error code; an error without any code from a 5xx, a 429 or
    no HTTP answer at all is a processing error; any other card decline is soft.
    """
    if advice_code in NO_RETRY_ADVICE or network_advice_code in NO_RETRY_ADVICE:
        return HARD
    if decline_code:
        if decline_code in HARD_DECLINE_CODES:
            return HARD
        return PROCESSING if decline_code in PROCESSING_CODES else SOFT
    if error_code in HARD_DECLINE_CODES or error_code in HARD_ERROR_CODES:
        return HARD
    if error_code in PROCESSING_CODES:
        return PROCESSING
    if error_code == "card_declined":
        return SOFT
    if http_status is None or http_status == 429 or http_status >= 500:
        return PROCESSING
    # 402 without a code is a decline; any other refusal (bad request, no permission) will not pass by retrying
    return SOFT if http_status == 402 else HARD


DEFAULT_SETTINGS = RetrySettings()


def decline_offsets(settings=DEFAULT_SETTINGS):
    """Days after the first try at which each retry runs: ``max_tries - 1`` retries spread evenly over the
    window, the last one on its final day (8 tries in 14 days: days 2, 4, 6, 8, 10, 12, 14)."""
    settings.validate()
    retries = settings.max_tries - 1
    return [round(settings.window_days * number / retries) for number in range(1, retries + 1)] if retries else []


@dataclass(frozen=True)
class NextStep:
    retry_at: object  # datetime of the next try, or None to stop
    stop_reason: str = ""  # 'hard_decline', 'schedule_exhausted', 'processing_exhausted' when stopping


def last_working_day(year, month):
    """The month's last Monday-to-Friday day."""
    day = date(year, month, calendar.monthrange(year, month)[1])
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def next_pay_day(after):
    """The first common pay day strictly after the date ``after``: the 1st, the 15th or the last working day of a
    month."""
    year, month = after.year, after.month
    while True:
        for candidate in sorted({date(year, month, 1), date(year, month, 15), last_working_day(year, month)}):
            if candidate > after:
                return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def next_try(kind, first_try_at, now, decline_failures, processing_failures, settings=DEFAULT_SETTINGS,
             decline_code=None):
    """When to try again after a failure of ``kind`` at ``now``.

    ``decline_failures`` counts the soft declines so far (this one included) and ``processing_failures`` the
    processing errors in a row (this one included). A soft decline retries at the next slot of the schedule
    counted from ``first_try_at`` (never in the past: a late run moves on to the next slot), or for insufficient
    funds on the next pay day (at the first try's time of day); a processing error retries after
    base * factor^(n-1) minutes, capped.
    """
    settings.validate()
    if kind == HARD:
        return NextStep(None, "hard_decline")
    if kind == PROCESSING:
        if processing_failures >= settings.processing_max_tries:
            return NextStep(None, "processing_exhausted")
        minutes = min(settings.processing_base_minutes * settings.processing_factor ** (processing_failures - 1),
                      settings.processing_max_minutes)
        return NextStep(now + timedelta(minutes=minutes))
    if decline_code == INSUFFICIENT_FUNDS:
        if decline_failures >= settings.max_tries:
            return NextStep(None, "schedule_exhausted")
        retry_at = datetime.combine(next_pay_day(now.date()), first_try_at.time())
        if retry_at > first_try_at + timedelta(days=max(settings.window_days, PAYDAY_WINDOW_DAYS)):
            return NextStep(None, "schedule_exhausted")
        return NextStep(retry_at)
    offsets = decline_offsets(settings)
    for offset in offsets[max(decline_failures - 1, 0):]:
        retry_at = first_try_at + timedelta(days=offset)
        if retry_at > now:
            return NextStep(retry_at)
    return NextStep(None, "schedule_exhausted")
