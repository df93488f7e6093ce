"""The learned part of a cash forecast as stored text (docs/domain.md, Cash forecast: Speed): the payment histograms
as of the forecast's date (each customer's and all customers' together), the customers' usual amounts and the fitted
late model, written to JSON and read back exactly.

Exactly: a float is written as its shortest repr, which reads back to the same float; every mapping is written as a
list of pairs in its own order (the distributions sum their weights in insertion order, and float sums depend on it),
so a forecast from the text equals, to the last bit, one from the part learned live at the same ledger state.
"""

import hashlib
import json

from . import latescore
from .latescore import LateModel

# the layout of the text; raise it when dumps() writes something loads() of an older version would misread
PAYLOAD_VERSION = 2


def payload_format(feature_keys=None):
    """What a stored text must have been written by to be read by this code: the layout's version and the late
    model's features (a deploy that changes latescore.FEATURE_KEYS makes the day's stored rows unreadable, and they
    are learned again, instead of scoring with weights of other features)."""
    keys = latescore.FEATURE_KEYS if feature_keys is None else feature_keys
    return f"v{PAYLOAD_VERSION} features {hashlib.sha256(','.join(keys).encode()).hexdigest()[:12]}"


class LearnedPayloadError(ValueError):
    """Stored text that is not a learned part of this version (the caller learns it live again)."""


def _histogram_pairs(histogram):
    weights, payments = histogram
    return [[[delay, amount] for delay, amount in weights.items()], payments]


def _histogram_of(pairs):
    # JSON gives back the ints and floats it was given (a float is always written with a point or an exponent): no
    # conversion, which took most of the reading at 500k lines (5,000 customers, 300,000 delays)
    weights, payments = pairs
    if not isinstance(payments, int):
        raise LearnedPayloadError(f"A histogram's payments are a count, not {payments!r}.")
    return dict(weights), payments


def dumps(history, model):
    """The text of ``history`` {"partners": {customer: ({delay: amount}, payments)}, "company": ({delay: amount},
    payments), "usual": {customer: amount}} and ``model`` (a latescore.LateModel)."""
    payload = {
        "version": PAYLOAD_VERSION,
        "feature_keys": list(latescore.FEATURE_KEYS),
        "partners": [[partner, *_histogram_pairs(histogram)] for partner, histogram in history["partners"].items()],
        "company": _histogram_pairs(history["company"]),
        "usual": [[partner, amount] for partner, amount in history["usual"].items()],
        "model": {
            "weights": list(model.weights),
            "intercept": model.intercept,
            "means": list(model.means),
            "scales": list(model.scales),
            "fitted": model.fitted,
            "examples": model.examples,
        },
    }
    return json.dumps(payload, allow_nan=False, separators=(",", ":"))


def loads(text):
    """(history, model) from the text ``dumps`` wrote; LearnedPayloadError when it is not one."""
    try:
        payload = json.loads(text)
        if payload.get("version") != PAYLOAD_VERSION:
            raise LearnedPayloadError(f"A learned part of version {payload.get('version')!r}, not {PAYLOAD_VERSION}.")
        if payload.get("feature_keys") != list(latescore.FEATURE_KEYS):
            raise LearnedPayloadError(
                f"A late model of the features {payload.get('feature_keys')!r}, not {list(latescore.FEATURE_KEYS)!r}.")
        history = {
            "partners": {
                partner: _histogram_of((weights, payments)) for partner, weights, payments in payload["partners"]
            },
            "company": _histogram_of(payload["company"]),
            "usual": dict(payload["usual"]),
        }
        model = payload["model"]
        late_model = LateModel(
            tuple(float(w) for w in model["weights"]),
            float(model["intercept"]),
            tuple(float(m) for m in model["means"]),
            tuple(float(s) for s in model["scales"]),
            bool(model["fitted"]),
            int(model["examples"]),
        )
    except (TypeError, KeyError, ValueError, AttributeError) as error:
        if isinstance(error, LearnedPayloadError):
            raise
        raise LearnedPayloadError(f"Not a stored learned part: {error}") from error
    return history, late_model
