"""Cash-in forecast from each customer's own payment behaviour (docs/domain.md, Cash forecast). Pure Python, plain
values in and out: no ORM, no numpy (the statistics are small: histograms of whole days, a handful of features).

- A ``DelayDistribution`` is the amount-weighted distribution of the days between a receivable's due date and its
  payment, as a histogram of whole days clipped to [MIN_DELAY, MAX_DELAY].
- ``shrink`` pools a customer's thin history with the distribution of its segment (or the company's): the customer's
  own distribution counts n / (n + PRIOR_WEIGHT), the prior PRIOR_WEIGHT / (n + PRIOR_WEIGHT), n being the number of
  payments the customer made. With PRIOR_WEIGHT = 5, a customer with 5 payments is half its own, half its segment.
- ``week_shares`` spreads an open item over the forecast weeks: its payment day is due + delay, the delay drawn from
  the customer's distribution *given that it was not paid by the as-of date* (an item 20 days overdue can only be
  paid with a delay of more than 20 days).
- ``forecast_weeks`` sums the items per week with a low / high band: the 10th and 90th percentiles of the week's
  total when each item is paid in that week or not independently (normal approximation of the sum of the items'
  Bernoulli amounts, floored at 0).
"""

import bisect
import heapq
import math
from dataclasses import dataclass, field
from datetime import timedelta

MIN_DELAY, MAX_DELAY = -90, 365  # days; a payment beyond a year late is counted as one year late
PRIOR_WEIGHT = 5  # pseudo-payments of the segment / company a customer's history is pooled with
BAND_Z = 1.2816  # the 10th / 90th percentile of a normal distribution
WEEK_DAYS = 7
MAX_WEEKS = 104


class ForecastError(ValueError):
    """Input a forecast cannot be made from; the message says what is wrong."""


def clip_delay(days):
    return max(MIN_DELAY, min(MAX_DELAY, int(days)))


class DelayDistribution:
    """Days from due date to payment, weighted by the amount paid: ``weights`` maps a delay (days) to its weight;
    ``count`` is the number of payments behind it (what shrinkage weighs)."""

    def __init__(self, weights, count=None, clipped=False):
        positive = {}
        for delay, weight in weights.items():
            if weight > 0:
                day = delay if clipped else clip_delay(delay)
                positive[day] = positive.get(day, 0.0) + weight
        total = sum(positive.values())
        self.delays = sorted(positive)
        self.total = total
        self.count = len(positive) if count is None else count
        running, self._cumulative = 0.0, []
        for delay in self.delays:
            running += positive[delay] / total
            self._cumulative.append(running)
        self._positive = positive

    @property
    def weights(self):
        """{delay: share of the amount}, built when asked for (the forecast reads only the cumulative shares)."""
        total, positive = self.total, self._positive
        return {delay: positive[delay] / total for delay in self.delays} if total else {}

    @classmethod
    def from_payments(cls, payments):
        """From (delay days, amount) pairs, one per payment, or (delay days, amount, payments) rows that group
        several payments of one delay: the count is the number of payments."""
        weights, count = {}, 0
        for row in payments:
            amount = row[1]
            if amount and amount > 0:
                delay = row[0]  # clip_delay inlined: this loop reads every payment of the history
                day = MIN_DELAY if delay < MIN_DELAY else MAX_DELAY if delay > MAX_DELAY else int(delay)
                weights[day] = weights.get(day, 0.0) + amount
                count += row[2] if len(row) > 2 else 1
        return cls(weights, count, clipped=True)

    def __bool__(self):
        return bool(self.delays)

    def cdf(self, days):
        """P(delay <= days)."""
        index = bisect.bisect_right(self.delays, days)
        return self._cumulative[index - 1] if index else 0.0

    def cdf_many(self, points):
        """[P(delay <= p) for p in points]: what ``cdf`` gives, read in one loop (a forecast reads 14 points of
        each item's distribution)."""
        delays, cumulative, bisect_right = self.delays, self._cumulative, bisect.bisect_right
        result = []
        for days in points:
            index = bisect_right(delays, days)
            result.append(cumulative[index - 1] if index else 0.0)
        return result

    def quantile(self, q):
        """The smallest delay d with P(delay <= d) >= q (q in [0, 1])."""
        if not self.delays:
            return None
        if not 0 <= q <= 1:
            raise ForecastError(f"A quantile is between 0 and 1, not {q}.")
        index = bisect.bisect_left(self._cumulative, q - 1e-12)
        return self.delays[min(index, len(self.delays) - 1)]

    def mean(self):
        return sum(delay * weight for delay, weight in self.weights.items()) if self.delays else None

    def late_share(self, grace_days):
        """P(delay > grace): the share of the amount paid after the grace."""
        return 1.0 - self.cdf(grace_days) if self else None  # bool, not the delays a mixture would merge

    def mix(self, other, own_share):
        """own_share x this + (1 - own_share) x other, counting this history's payments."""
        if not other:
            return self
        if not self:
            return other
        return MixedDistribution(self, other, own_share)


class MixedDistribution(DelayDistribution):
    """share x own + (1 - share) x prior, evaluated on demand (a forecast needs its CDF at a few points per item,
    never the merged histogram): building one costs nothing, whatever the histories' sizes."""

    def __init__(self, own, prior, share):  # pylint: disable=super-init-not-called
        self.own, self.prior, self.share = own, prior, share
        self.count = own.count
        self.total = own.total

    def __bool__(self):
        return True  # both sides have payments: mix() returns the other side when one is empty

    @property
    def delays(self):
        return sorted(set(self.own.delays) | set(self.prior.delays))

    @property
    def weights(self):
        weights = {delay: weight * self.share for delay, weight in self.own.weights.items()}
        for delay, weight in self.prior.weights.items():
            weights[delay] = weights.get(delay, 0.0) + weight * (1 - self.share)
        return weights

    def cdf(self, days):
        return self.share * self.own.cdf(days) + (1 - self.share) * self.prior.cdf(days)

    def cdf_many(self, points):
        # own.cdf_many and prior.cdf_many inlined (the same values, one loop): the forecast reads 14 points of every
        # open item's mixture
        share, rest, bisect_right = self.share, 1 - self.share, bisect.bisect_right
        if isinstance(self.own, MixedDistribution) or isinstance(self.prior, MixedDistribution):
            return [share * own + rest * prior
                    for own, prior in zip(self.own.cdf_many(points), self.prior.cdf_many(points), strict=True)]
        own_delays, own_cumulative = self.own.delays, self.own._cumulative  # pylint: disable=protected-access
        prior_delays, prior_cumulative = self.prior.delays, self.prior._cumulative  # pylint: disable=protected-access
        result = []
        for days in points:
            own = bisect_right(own_delays, days)
            prior = bisect_right(prior_delays, days)
            result.append(share * (own_cumulative[own - 1] if own else 0.0)
                          + rest * (prior_cumulative[prior - 1] if prior else 0.0))
        return result

    def quantile(self, q):
        if not 0 <= q <= 1:
            raise ForecastError(f"A quantile is between 0 and 1, not {q}.")
        delays = self.delays
        return next((delay for delay in delays if self.cdf(delay) >= q - 1e-12), delays[-1])

    def mean(self):
        return self.share * self.own.mean() + (1 - self.share) * self.prior.mean()


def shrink(own, prior, prior_weight=PRIOR_WEIGHT):
    """The customer's distribution pooled with its prior (segment or company): own weight n / (n + prior_weight)."""
    if prior_weight < 0:
        raise ForecastError(f"The prior weight is a number of payments, 0 or more, not {prior_weight}.")
    if not own:
        return prior
    if not prior:
        return own
    return own.mix(prior, own.count / (own.count + prior_weight))


ON_DUE_DATE = DelayDistribution({0: 1.0}, 0)  # no payment history at all: the due date (the naive forecast)


def payment_histograms(payments):
    """The rule a customer's payment history is read by: {partner: ({delay: amount}, payments)} from ``payments``
    [(partner, delay days, amount[, payments])], each delay clipped to [MIN_DELAY, MAX_DELAY] and the amounts of a
    delay summed; a row without a positive amount is no payment. The forecast builds the same histograms in SQL
    (GROUP BY customer and clipped delay: revcycle_cash_forecast ``_revcycle_forecast_histories``), tested to
    agree with this function."""
    histograms = {}
    for partner, delay, amount, *count in payments:
        if amount and amount > 0:
            weights, payments_before = histograms.get(partner, ({}, 0))
            day = clip_delay(delay)
            weights[day] = weights.get(day, 0.0) + amount
            histograms[partner] = (weights, payments_before + (count[0] if count else 1))
    return histograms


def merged_histogram(histograms):
    """The histogram of several customers together: ({delay: amount}, payments)."""
    weights, count = {}, 0
    for partner_weights, payments in histograms:
        for day, amount in partner_weights.items():
            weights[day] = weights.get(day, 0.0) + amount
        count += payments
    return weights, count


def learned_distributions(payments, segment_of=None, prior_weight=PRIOR_WEIGHT):
    """``learned_from_histograms`` of ``payments`` [(partner, delay, amount[, payments])] read by
    ``payment_histograms``. Returns (company distribution, {partner: its histogram}, partner -> distribution)."""
    histograms = payment_histograms(payments)
    company_dist, distribution = learned_from_histograms(histograms, segment_of, prior_weight)
    return company_dist, histograms, distribution


def learned_from_histograms(histograms, segment_of=None, prior_weight=PRIOR_WEIGHT, company=None):
    """Per-customer delay distributions from ``histograms`` {partner: ({delay: amount}, payments)} (delays already
    clipped: ``payment_histograms``), each shrunk toward its segment's (``segment_of`` maps a partner to a segment
    key, None: none), itself shrunk toward the company's: ``company``, the histogram of all customers together
    (summed from ``histograms`` when not given). Returns (company distribution, a function partner -> distribution
    for any partner, a customer without history getting its segment's or the company's). A company without any
    payment yet is forecast on the due dates (ON_DUE_DATE)."""
    segment_of = segment_of or {}
    if company is None:
        company = merged_histogram(histograms.values())
    company_dist = DelayDistribution(company[0], company[1], clipped=True) or ON_DUE_DATE
    by_segment = {}
    for partner, histogram in histograms.items():
        segment = segment_of.get(partner)
        if segment is not None:
            by_segment.setdefault(segment, []).append(histogram)
    segment_dist = {
        segment: shrink(DelayDistribution(*merged_histogram(members), clipped=True), company_dist, prior_weight)
        for segment, members in by_segment.items()
    }

    def prior_of(partner):
        return segment_dist.get(segment_of.get(partner)) or company_dist

    partner_dist = {}

    def distribution(partner):
        """Built when first asked for (a forecast needs only the customers with something open)."""
        if partner not in partner_dist:
            histogram = histograms.get(partner)
            partner_dist[partner] = (
                shrink(DelayDistribution(histogram[0], histogram[1], clipped=True), prior_of(partner), prior_weight)
                if histogram else prior_of(partner))
        return partner_dist[partner]

    return company_dist, distribution


# -- the items of a forecast -----------------------------------------------------------------------------------------
@dataclass
class ForecastItem:
    """Something that brings cash in: an open receivable, a contract's next invoice, a promise...

    Paid on ``due`` + a delay drawn from ``distribution`` (given it was not paid by the as-of date), or, with
    ``date`` set, on that date with ``probability`` and else as by the distribution (a promise kept or broken, a card
    charge succeeding or failing). Without a distribution the rest is left beyond the horizon. ``amount`` is in the
    forecast's currency; ``ref`` and ``label`` say what it is for the drill-down."""

    ref: str
    source: str
    amount: float
    due: object = None
    distribution: DelayDistribution | None = None
    date: object = None
    probability: float = 1.0
    label: str = ""
    partner_id: int | None = None
    shifts_with_billing: bool = False  # a future invoice: the billing scenario moves it
    extra: dict = field(default_factory=dict)


def week_windows(as_of, weeks):
    """The forecast weeks after ``as_of``: week k holds the days as_of + 7(k-1) + 1 .. as_of + 7k (what is paid on
    the as-of date itself is known, not forecast)."""
    if not isinstance(weeks, int) or isinstance(weeks, bool) or not 1 <= weeks <= MAX_WEEKS:
        raise ForecastError(f"Weeks is a whole number from 1 to {MAX_WEEKS}, not {weeks!r}.")
    return [(as_of + timedelta(days=WEEK_DAYS * k + 1), as_of + timedelta(days=WEEK_DAYS * (k + 1)))
            for k in range(weeks)]


def _distribution_shares(distribution, overdue, weeks, shift):
    """Share of the item in each week when paid ``overdue`` + (delay - overdue) days after the as-of date, given
    delay > overdue (overdue = as_of - due, negative before the due date), all payments ``shift`` days later."""
    # the CDF at the as-of date and at each week's end, the first week starting on the as-of date (nothing before
    # it: delay > overdue), read in one pass
    first = min(weeks, max(0, shift // WEEK_DAYS))  # the first week k with WEEK_DAYS x (k + 1) > shift
    values = distribution.cdf_many([overdue] + [overdue + WEEK_DAYS * (k + 1) - shift for k in range(first, weeks)])
    remaining = 1.0 - values[0]
    if remaining <= 1e-12:
        return [0.0] * weeks  # later than any payment ever seen: not expected within the horizon
    shares, previous = [0.0] * first, values[0]
    for end in values[1:]:
        # max(0.0, end - previous) and max(previous, end), without a call per week (the same values)
        step = end - previous
        shares.append((step if step > 0.0 else 0.0) / remaining)
        if end > previous:
            previous = end
    return shares


def week_shares(item, as_of, weeks, delay_shift=0, billing_shift=0):
    """The item's probability of being paid in each forecast week (their sum <= 1: the rest is beyond the horizon).
    ``delay_shift``: every payment that many days later (a scenario); ``billing_shift``: future invoices that many
    days later."""
    due = item.due
    dated = item.date
    if item.shifts_with_billing and billing_shift:
        due = due + timedelta(days=billing_shift) if due else due
        dated = dated + timedelta(days=billing_shift) if dated else dated
    shares = [0.0] * weeks
    rest = 1.0
    if dated is not None:
        day = (dated - as_of).days + delay_shift
        probability = min(1.0, max(0.0, item.probability))
        index = max(0, (day - 1) // WEEK_DAYS)  # a date on or before the as-of date: week 1
        if index < weeks:
            shares[index] += probability
        rest = 1.0 - probability
    if rest > 0 and item.distribution and due is not None:
        overdue = (as_of - due).days
        for k, share in enumerate(_distribution_shares(item.distribution, overdue, weeks, delay_shift)):
            shares[k] += rest * share
    return shares


def naive_week_shares(item, as_of, weeks):
    """The due-date forecast the learned one is compared with: paid on its due date (or promised / billing date),
    an overdue item in week 1."""
    shares = [0.0] * weeks
    index = _naive_week(item, as_of)
    if index is not None and index < weeks:
        shares[index] = 1.0
    return shares


def _naive_week(item, as_of):
    """The index of the week the due-date forecast puts the item in (0: week 1, also when overdue; may be beyond
    the horizon), None without a date."""
    day = item.date if item.date is not None else item.due
    if day is None:
        return None
    return max(0, ((day - as_of).days - 1) // WEEK_DAYS)


def _timing_key(item):
    """What an item's week shares depend on besides the run's dates: items with the same key (a customer's
    invoices falling due the same day) share them, computed once."""
    return (id(item.distribution), item.due, item.date, item.probability, item.shifts_with_billing)


def forecast_weeks(items, as_of, weeks, delay_shift=0, billing_shift=0, detail=True, top=None):
    """Per week: expected receipts, low and high (10th / 90th percentile), and with ``detail`` the items with their
    expected amount in that week, largest first (only the ``top`` largest when given) and their ``item_count``.
    Also the amount expected beyond the horizon."""
    windows = week_windows(as_of, weeks)
    expected = [0.0] * weeks
    variance = [0.0] * weeks
    # each week's members as parallel lists (their expected part, share, item) rather than a tuple each: floats and
    # ints are no objects the garbage collector tracks, so the hundreds of thousands of members of a large ledger do
    # not set off its collections (the tuples took about a fifth of a forecast at 500k lines in collections)
    parts = [[] for _week in range(weeks)]
    week_share = [[] for _week in range(weeks)]
    members = [[] for _week in range(weeks)]
    beyond = 0.0
    timings = {}  # timing key -> ([week with a share], [its share], the share beyond the horizon)
    for item in items:
        key = _timing_key(item)
        timing = timings.get(key)
        if timing is None:
            shares = week_shares(item, as_of, weeks, delay_shift, billing_shift)
            indexes = [k for k, share in enumerate(shares) if share > 0]
            timing = timings[key] = (indexes, [shares[k] for k in indexes], max(0.0, 1.0 - sum(shares)))
        amount = item.amount
        square = amount * amount
        if detail:
            for k, share in zip(timing[0], timing[1], strict=True):
                part = amount * share
                expected[k] += part
                variance[k] += square * share * (1 - share)
                parts[k].append(part)
                week_share[k].append(share)
                members[k].append(item)
        else:
            for k, share in zip(timing[0], timing[1], strict=True):
                expected[k] += amount * share
                variance[k] += square * share * (1 - share)
        beyond += amount * timing[2]
    result = []
    for k, (start, end) in enumerate(windows):
        spread = BAND_Z * math.sqrt(variance[k])
        week = {"week": k + 1, "date_from": start, "date_to": end, "expected": expected[k],
                "low": max(0.0, expected[k] - spread), "high": expected[k] + spread}
        if detail:
            week["item_count"] = len(members[k])
            week["items"] = _largest_of(parts[k], week_share[k], members[k], top)
        result.append(week)
    return result, beyond


def _member_order(member):
    return -member[0], member[2].ref


def _largest(members, top):
    """The members largest expected amount first (ties by reference), only the ``top`` first when given: the same
    as sorted(...)[:top]. Only the members reaching the top-th largest amount are sorted (fewer than ``top`` are
    above it; the ties at it are ordered by reference like the rest), not the week's thousands of items."""
    if top is None or len(members) <= top:
        return sorted(members, key=_member_order)[:top]
    threshold = heapq.nlargest(top, [member[0] for member in members])[-1]
    return sorted([member for member in members if member[0] >= threshold], key=_member_order)[:top]


def _largest_of(parts, shares, items, top):
    """``_largest`` of the members given as parallel lists: [(part, share, item)], the same list; a tuple is made
    only for the members reaching the top-th largest part."""
    if top is None or len(parts) <= top:
        return sorted(zip(parts, shares, items, strict=True), key=_member_order)[:top]
    threshold = heapq.nlargest(top, parts)[-1]
    return sorted([(part, shares[index], items[index]) for index, part in enumerate(parts) if part >= threshold],
                  key=_member_order)[:top]


def naive_weeks(items, as_of, weeks):
    totals = [0.0] * weeks
    for item in items:
        index = _naive_week(item, as_of)
        if index is not None and index < weeks:
            totals[index] += item.amount  # its one week (naive_week_shares: 1.0 there, nothing elsewhere)
    return totals


def net_credits(open_items):
    """Open receivables [(key, partner, due, residual)] with each customer's credits (negative residuals: an
    unapplied credit note or payment) taken off its debits, oldest due first: what the customer still has to pay.
    Returns [(key, partner, due, remaining)] for the debits left with something to pay."""
    credit = {}
    for _key, partner, _due, residual in open_items:
        if residual < 0:
            credit[partner] = credit.get(partner, 0.0) - residual
    result = []
    debits = sorted((item for item in open_items if item[3] > 0), key=lambda item: (item[1] or 0, item[2], item[0]))
    for key, partner, due, residual in debits:
        used = min(residual, credit.get(partner, 0.0))
        if used:
            credit[partner] -= used
        if residual - used > 1e-9:
            result.append((key, partner, due, residual - used))
    return result


def unpaid_instalments(instalments, paid, digits):
    """What is left of each instalment [(date, amount)] once ``paid`` is applied to them in date order, counted in
    the currency's smallest unit (``digits`` decimals) so that nothing is lost to rounding: [(date, left)] for the
    instalments not fully paid. 1,000 in 333.33 / 333.33 / 333.34 with 400 paid: (d2, 266.66), (d3, 333.34)."""
    unit = 10 ** digits
    left_to_apply = max(0, round(paid * unit))
    result = []
    for day, amount in sorted(instalments, key=lambda instalment: instalment[0]):
        units = round(amount * unit)
        applied = min(units, left_to_apply)
        left_to_apply -= applied
        if units - applied > 0:
            result.append((day, (units - applied) / unit))
    return result


def schedule_covered(covered, residual, instalments, digits):
    """A payment plan's instalments in place of the open items it covers, never counting an amount twice.

    ``covered``: the plan's open items [(key, due, amount in the forecast's currency)]; ``residual``: what the
    covered invoices owe now in the plan's currency; ``instalments``: what is left of each instalment
    [(date, amount in the plan's currency)] (``unpaid_instalments``). The instalments are converted by the covered
    items' own ratio (their forecast amount / the residual), rounded cumulatively to ``digits`` so that they add up
    exactly; an instalment beyond the residual is cut to it. What the instalments do not cover (a promise of part of
    the amount) stays on the covered items, taken off them oldest due first as a payment would be.
    Returns ([(date, amount)], [(key, amount left)] for the items with something left)."""
    total = sum(amount for _key, _due, amount in covered)
    if residual <= 0 or total <= 0:
        return [], [(key, amount) for key, _due, amount in covered]
    ratio = total / residual
    scheduled, cumulative, converted_before = [], 0.0, 0.0
    for day, amount in instalments:
        cumulative = min(residual, cumulative + amount)
        converted = total if cumulative >= residual - 0.5 / 10 ** digits else round(cumulative * ratio, digits)
        if converted - converted_before > 0:
            scheduled.append((day, round(converted - converted_before, digits)))
        converted_before = converted
    to_take = converted_before
    left = []
    for key, _due, amount in sorted(covered, key=lambda item: (item[1], item[0])):
        taken = min(amount, to_take)
        to_take -= taken
        if amount - taken >= 0.5 / 10 ** digits:  # less than half a cent is rounding, not an amount to collect
            left.append((key, amount - taken))
    return scheduled, left


# -- accuracy ----------------------------------------------------------------------------------------------------------
def wape(actuals, forecasts):
    """Weighted absolute percentage error: sum |actual - forecast| / sum |actual| x 100; None without actuals."""
    actuals, forecasts = list(actuals), list(forecasts)
    if len(actuals) != len(forecasts):
        raise ForecastError("WAPE needs as many forecasts as actuals.")
    total = sum(abs(actual) for actual in actuals)
    if not total:
        return None
    return sum(abs(actual - forecast) for actual, forecast in zip(actuals, forecasts, strict=True)) / total * 100


def auc(scores, outcomes):
    """Area under the ROC curve: the probability that a random late item scores above a random on-time one (ties
    count half), by ranks (Mann-Whitney). None when all outcomes are the same."""
    pairs = sorted(zip(scores, outcomes, strict=True), key=lambda pair: pair[0])
    positives = sum(1 for _score, outcome in pairs if outcome)
    negatives = len(pairs) - positives
    if not positives or not negatives:
        return None
    rank_sum, index = 0.0, 0
    while index < len(pairs):
        end = index
        while end + 1 < len(pairs) and pairs[end + 1][0] == pairs[index][0]:
            end += 1
        average_rank = (index + end) / 2 + 1
        rank_sum += average_rank * sum(1 for k in range(index, end + 1) if pairs[k][1])
        index = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
