"""Card collection: what a failed charge means and when to try again.

Modelled on Stripe's own guidance and Kill Bill's split between payment retries and dunning:

- a *hard* decline (lost or stolen card, closed account, fraud suspected, card expired or wrong) will not succeed
  later: stop and tell someone;
- a *soft* decline (insufficient funds, generic decline, issuer unavailable, limits) may succeed later: retry on a
  schedule in days, by default 8 tries in 14 days (Stripe Smart Retries' recommendation);
- a *processing* error (network, Stripe or issuer hiccup, rate limit) says nothing about the card: retry soon with an
  exponential backoff in minutes, without using up the decline schedule.
"""
from dataclasses import dataclass
from datetime import timedelta

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
    processing_base_minutes: int = 10
    processing_max_tries: int = 6
    processing_max_minutes: int = 12 * 60

    def validate(self):
        if self.max_tries < 1:
            raise ValueError(f"At least one try is needed, not {self.max_tries}.")
        if self.window_days < 0:
            raise ValueError(f"The retry window cannot be negative ({self.window_days} days).")
        if self.max_tries > 1 and self.window_days < 1:
            raise ValueError(f"{self.max_tries} tries need a retry window of at least one day.")
        if self.processing_base_minutes < 1 or self.processing_max_tries < 1:
            raise ValueError("Processing errors need a backoff of at least one minute and at least one retry.")


def classify(error_code=None, decline_code=None, http_status=None):
    """HARD, SOFT or PROCESSING for a failed charge.

    The decline code is the issuer's reason and wins over the generic error code; an error without any code from
    a 5xx, a 429 or no HTTP answer at all is a processing error; any other card decline is soft.
    """
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


def next_try(kind, first_try_at, now, decline_failures, processing_failures, settings=DEFAULT_SETTINGS):
    """When to try again after a failure of ``kind`` at ``now``.

    ``decline_failures`` counts the soft declines so far (this one included) and ``processing_failures`` the
    processing errors in a row (this one included). A soft decline retries at the next slot of the schedule
    counted from ``first_try_at`` (never in the past: a late run moves on to the next slot); a processing error
    retries after base * 2^(n-1) minutes, capped.
    """
    settings.validate()
    if kind == HARD:
        return NextStep(None, "hard_decline")
    if kind == PROCESSING:
        if processing_failures >= settings.processing_max_tries:
            return NextStep(None, "processing_exhausted")
        minutes = min(settings.processing_base_minutes * 2 ** (processing_failures - 1),
                      settings.processing_max_minutes)
        return NextStep(now + timedelta(minutes=minutes))
    offsets = decline_offsets(settings)
    for offset in offsets[max(decline_failures - 1, 0):]:
        retry_at = first_try_at + timedelta(days=offset)
        if retry_at > now:
            return NextStep(retry_at)
    return NextStep(None, "schedule_exhausted")
