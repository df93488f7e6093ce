"""Probability that an open receivable is paid late (after its due date + the grace), from features a collector
understands, with the top reasons of each score (docs/domain.md, Cash forecast).

A small logistic regression on standardised features, fitted by Newton's method with a ridge penalty (8 features,
a few thousand examples: a few milliseconds in pure Python). Each score's reasons are the features that push it up
the most: weight x (the item's value - the average value), largest first. With too little history (fewer than
MIN_EXAMPLES examples, or only one outcome) the score is the customer's past late share alone.
"""

import math
from dataclasses import dataclass

# (key, label) of each feature, in the order of the model's weights; the labels are translated by the caller
FEATURES = (
    ("past_lateness", "Paid late before"),
    ("amount_ratio", "Larger than the customer's usual invoice"),
    ("term_days", "Long payment term"),
    ("days_to_due", "Far from its due date"),
    ("dunning", "Dunning notices received"),
    ("broken_promises", "Promises to pay broken"),
    ("failed_charges", "Failed card charges"),
    ("risk_class", "Weak credit class"),
)
FEATURE_KEYS = tuple(key for key, _label in FEATURES)
MIN_EXAMPLES = 30
RIDGE = 1.0
ITERATIONS = 12
TOP_REASONS = 3
REASON_MIN = 0.05  # log-odds: a smaller push is noise, not a reason to tell a collector


def _sigmoid(value):
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


def amount_ratio(amount, usual):
    """log2(amount / the customer's usual amount): 0 for a usual invoice, 1 for twice as large; 0 without history."""
    if not usual or usual <= 0 or not amount or amount <= 0:
        return 0.0
    return math.log2(amount / usual)


def _solve(matrix, vector):
    """Gaussian elimination with partial pivoting (a small dense system)."""
    size = len(vector)
    rows = [list(matrix[i]) + [vector[i]] for i in range(size)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        if abs(rows[col][col]) < 1e-12:
            continue
        for r in range(size):
            if r != col and rows[r][col]:
                factor = rows[r][col] / rows[col][col]
                for c in range(col, size + 1):
                    rows[r][c] -= factor * rows[col][c]
    return [rows[i][size] / rows[i][i] if abs(rows[i][i]) > 1e-12 else 0.0 for i in range(size)]


@dataclass
class LateModel:
    """``intercept`` + sum(weight x (value - mean) / scale) through the logistic function; ``fitted`` False for the
    fallback (the past late share as the probability)."""

    weights: tuple
    intercept: float
    means: tuple
    scales: tuple
    fitted: bool
    examples: int = 0

    def probability(self, features):
        return self.score(features)[0]

    def reasons(self, features, top=TOP_REASONS):
        """The features raising this score the most: [(key, contribution in log-odds)], positive ones only."""
        return self.score(features, top)[1]

    def score(self, features, top=TOP_REASONS):
        """(probability, reasons) with the features standardised once."""
        if not self.fitted:
            share = features.get("past_lateness", 0.0)
            return min(1.0, max(0.0, share)), ([("past_lateness", share)] if share > 0 else [])
        # each feature standardised and weighted once: its contribution is both a term of the score and a reason
        contributions = [(key, w * ((features.get(key, 0.0) - mean) / scale))
                         for key, w, mean, scale in zip(FEATURE_KEYS, self.weights, self.means, self.scales,
                                                        strict=True)]
        probability = _sigmoid(self.intercept + sum(c for _key, c in contributions))
        raising = sorted((c for c in contributions if c[1] >= REASON_MIN), key=lambda c: (-c[1], c[0]))
        return probability, raising[:top]


def fit(examples, ridge=RIDGE, iterations=ITERATIONS):
    """A LateModel from ``examples`` [(features dict, late bool)]."""
    examples = list(examples)
    late = sum(1 for _features, outcome in examples if outcome)
    size = len(FEATURE_KEYS)
    if len(examples) < MIN_EXAMPLES or late in (0, len(examples)):
        return LateModel((0.0,) * size, 0.0, (0.0,) * size, (1.0,) * size, False, len(examples))
    means, scales = [], []
    for key in FEATURE_KEYS:
        values = [features.get(key, 0.0) for features, _outcome in examples]
        mean = sum(values) / len(values)
        deviation = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        means.append(mean)
        scales.append(deviation if deviation > 1e-9 else 1.0)
    rows = [[1.0] + [(features.get(key, 0.0) - m) / s for key, m, s in zip(FEATURE_KEYS, means, scales, strict=True)]
            for features, _outcome in examples]
    targets = [1.0 if outcome else 0.0 for _features, outcome in examples]
    beta = [math.log(late / (len(examples) - late))] + [0.0] * size
    for _step in range(iterations):
        gradient = [0.0] * (size + 1)
        hessian = [[0.0] * (size + 1) for _row in range(size + 1)]
        for row, target in zip(rows, targets, strict=True):
            p = _sigmoid(sum(b * x for b, x in zip(beta, row, strict=True)))
            weight = p * (1 - p)
            residual = target - p
            for i in range(size + 1):
                value = row[i]
                gradient[i] += residual * value
                if value:
                    # (weight x value) x row[j], as weight * row[i] * row[j] groups it: the same floats
                    weighted, hessian_row = weight * value, hessian[i]
                    for j in range(i, size + 1):
                        hessian_row[j] += weighted * row[j]
        for i in range(1, size + 1):  # ridge on the weights, not the intercept
            gradient[i] -= ridge * beta[i]
            hessian[i][i] += ridge
        for i in range(size + 1):
            for j in range(i):
                hessian[i][j] = hessian[j][i]
        step = _solve(hessian, gradient)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return LateModel(tuple(beta[1:]), beta[0], tuple(means), tuple(scales), True, len(examples))
