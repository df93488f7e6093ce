"""Cash forecast engine (engine/forecast.py, engine/latescore.py) on hand-computed tables: no database."""

import random
from datetime import date, timedelta

from hypothesis import given, seed, settings
from hypothesis import strategies as st
from odoo.tests import BaseCase, tagged

from ..engine.forecast import (
    DelayDistribution,
    ForecastError,
    ForecastItem,
    _distribution_shares,
    _largest,
    _largest_of,
    _member_order,
    auc,
    forecast_weeks,
    learned_distributions,
    learned_from_histograms,
    merged_histogram,
    naive_weeks,
    net_credits,
    payment_histograms,
    schedule_covered,
    shrink,
    unpaid_instalments,
    wape,
    week_shares,
    week_windows,
)
from ..engine.latescore import amount_ratio, fit

AS_OF = date(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestDelayDistribution(BaseCase):
    def test_amount_weighted_quantiles(self):
        # 100 paid 0 days late, 300 paid 10 days late: by amount, 25 % on time, 75 % ten days late
        dist = DelayDistribution.from_payments([(0, 100.0), (10, 300.0)])
        cases = [  # (days, cdf)
            (-1, 0.0), (0, 0.25), (5, 0.25), (10, 1.0), (400, 1.0)]
        for days, expected in cases:
            self.assertAlmostEqual(dist.cdf(days), expected, msg=days)
        self.assertEqual(dist.quantile(0.25), 0)
        self.assertEqual(dist.quantile(0.5), 10)
        self.assertEqual(dist.count, 2)
        self.assertAlmostEqual(dist.mean(), 7.5)  # 0.25 x 0 + 0.75 x 10
        self.assertAlmostEqual(dist.late_share(5), 0.75)

    def test_clipped_and_empty(self):
        dist = DelayDistribution.from_payments([(900, 1.0), (-200, 1.0), (5, 0.0)])
        self.assertEqual(dist.delays, [-90, 365])  # clipped to [MIN_DELAY, MAX_DELAY]; a zero amount is no payment
        self.assertEqual(dist.count, 2)
        empty = DelayDistribution.from_payments([])
        self.assertFalse(empty)
        self.assertIsNone(empty.quantile(0.5))
        with self.assertRaises(ForecastError):
            dist.quantile(1.5)

    def test_shrinkage_table(self):
        # own: always 20 days late (n payments); prior: always on time. Own weight n / (n + 5).
        prior = DelayDistribution.from_payments([(0, 1.0)] * 10)
        for payments, own_share in [(1, 1 / 6), (5, 0.5), (15, 0.75), (45, 0.9)]:
            own = DelayDistribution.from_payments([(20, 50.0)] * payments)
            pooled = shrink(own, prior)
            self.assertAlmostEqual(pooled.late_share(10), own_share, msg=payments)
            self.assertAlmostEqual(pooled.mean(), 20 * own_share)
        self.assertIs(shrink(DelayDistribution({}), prior), prior)  # no history: the prior alone
        with self.assertRaises(ForecastError):
            shrink(prior, prior, prior_weight=-1)

    def test_learned_distributions_segment_then_company(self):
        # company: A pays 30 late (5x), B 0 (5x); segment 'risky' holds A only
        payments = [("A", 30, 1.0)] * 5 + [("B", 0, 1.0)] * 5
        company, per_partner, of = learned_distributions(payments, {"A": "risky", "C": "risky"})
        self.assertAlmostEqual(company.late_share(10), 0.5)
        # segment 'risky' = 5 payments of 30 days shrunk with the company: 5/10 x 1 + 5/10 x 0.5 = 0.75 late
        self.assertAlmostEqual(of("C").late_share(10), 0.75)  # C: no history, its segment
        # A: 5/10 x 1 + 5/10 x 0.75 = 0.875
        self.assertAlmostEqual(of("A").late_share(10), 0.875)
        # B has no segment: 5/10 x 0 + 5/10 x 0.5 = 0.25
        self.assertAlmostEqual(of("B").late_share(10), 0.25)
        self.assertAlmostEqual(of("unknown").late_share(10), 0.5)  # no history, no segment: the company
        self.assertEqual(set(per_partner), {"A", "B"})

    def test_payment_histograms_rule(self):
        # (partner, delay, amount[, payments]) -> {partner: ({clipped delay: amount}, payments)}: a zero or negative
        # amount is no payment; delays beyond [-90, 365] are clipped and summed with the bound's
        cases = [
            ([("A", 10, 100.0), ("A", 10, 50.0), ("A", -3, 25.0)], {"A": ({10: 150.0, -3: 25.0}, 3)}),
            ([("A", 400, 10.0), ("A", 365, 5.0), ("A", -100, 1.0)], {"A": ({365: 15.0, -90: 1.0}, 3)}),
            ([("A", 5, 0.0), ("A", 5, -20.0), ("B", 0, 7.0, 4)], {"B": ({0: 7.0}, 4)}),  # grouped rows count theirs
            ([], {}),
        ]
        for payments, expected in cases:
            self.assertEqual(payment_histograms(payments), expected, payments)
        self.assertEqual(merged_histogram([({1: 2.0}, 1), ({1: 3.0, 4: 1.0}, 2)]), ({1: 5.0, 4: 1.0}, 3))

    def test_histograms_and_payments_learn_the_same(self):
        # the company's histogram given (as SQL gives it) or summed from the customers': the same distributions
        payments = [("A", 30, 1.0)] * 5 + [("B", 0, 1.0)] * 5 + [("B", 12, 3.0)]
        histograms = payment_histograms(payments)
        company, of = learned_from_histograms(histograms, {"A": "risky"}, company=({30: 5.0, 0: 5.0, 12: 3.0}, 11))
        _company, _histograms, reference = learned_distributions(payments, {"A": "risky"})
        for partner in ("A", "B", "C"):
            for days in range(-2, 40):
                self.assertAlmostEqual(of(partner).cdf(days), reference(partner).cdf(days), 12, (partner, days))
        self.assertEqual(company.count, 11)

    def test_mixture_cdf_many_reads_what_cdf_reads(self):
        # the mixture's one-loop cdf_many gives exactly the values of cdf, also for a mixture of mixtures (a
        # customer pooled with its segment, itself pooled with the company)
        rng = random.Random(23)
        for _case in range(20):
            own, segment, company = (
                DelayDistribution.from_payments([(rng.randint(-20, 80), rng.uniform(1, 500))
                                                 for _payment in range(rng.randint(1, 12))])
                for _distribution in range(3))
            for mixture in (shrink(own, company), shrink(own, shrink(segment, company))):
                points = [rng.randint(-100, 120) for _point in range(14)]
                self.assertEqual(mixture.cdf_many(points), [mixture.cdf(point) for point in points])


@tagged("post_install", "-at_install")
class TestForecastWeeks(BaseCase):
    def test_drill_down_keeps_the_largest_as_a_full_sort_would(self):
        """A week's top items are only the members reaching the top-th largest amount, sorted: the same as sorting
        them all and keeping the first, ties at the threshold ordered by reference (seeded random cases with
        many equal amounts)."""
        rng = random.Random(23)
        for case in range(200):
            members = [(float(rng.choice([10, 20, 20, 30, 50, 50, 50])), 0.5, ForecastItem(f"r,{rng.randint(1, 40)}",
                                                                                            "receivable", 1.0))
                       for _member in range(rng.randint(0, 60))]
            for top in (None, 1, 5, 20):
                self.assertEqual(_largest(members, top), sorted(members, key=_member_order)[:top], f"{case} {top}")
                # the same from the parallel lists forecast_weeks keeps
                parallel = [[member[i] for member in members] for i in range(3)]
                self.assertEqual(_largest_of(*parallel, top), _largest(members, top), f"{case} {top}")

    def test_distribution_shares_reads_each_week_once(self):
        """The shares of an item in each week are the CDF's steps between the as-of date (given unpaid by then)
        and each week's end: the loop without max() calls gives what the rule says, for any overdue and shift."""
        distribution = DelayDistribution({-5: 100.0, 0: 300.0, 3: 50.0, 17: 200.0, 40: 150.0, 90: 200.0})
        for overdue in range(-30, 100, 7):
            for shift in (-14, 0, 3, 10, 30):
                points = [overdue + 7 * (k + 1) - shift for k in range(13)]
                start = distribution.cdf(overdue)
                remaining = 1.0 - start
                expected = ([0.0] * 13 if remaining <= 1e-12 else
                            [0.0 if point <= overdue else max(0.0, distribution.cdf(point) - max(
                                [start] + [distribution.cdf(p) for p in points[:k] if p > overdue])) / remaining
                             for k, point in enumerate(points)])
                self.assertEqual(_distribution_shares(distribution, overdue, 13, shift), expected, (overdue, shift))

    def test_week_windows(self):
        windows = week_windows(AS_OF, 2)
        self.assertEqual(windows, [(date(2026, 3, 3), date(2026, 3, 9)), (date(2026, 3, 10), date(2026, 3, 16))])
        for bad in (0, 105, "13", 1.5, True):
            with self.assertRaises(ForecastError, msg=bad):
                week_windows(AS_OF, bad)

    def test_hand_built_ledger(self):
        """Three open invoices, as of Monday 2 March 2026, weeks of 3-9 and 10-16 March and 17-23 March:
        - INV1 1000 due 5 March, the customer pays 0 or 10 days late half and half by amount: 5 March (week 1) or
          15 March (week 2): 500 + 500;
        - INV2 400 due 20 February (10 days overdue), same customer: given not paid by day 10 the delay is more than
          10 days... but the customer never paid later than 10: not expected within the horizon (beyond);
        - INV3 200 due 1 March, another customer paying 14 or 21 days late (100 / 300 by amount): given overdue 1
          day, 15 March (week 2) with 0.25, 22 March (week 3) with 0.75: 50 + 150.
        - PROM 300 promised on 4 March with probability 0.8, else by the second customer's delays from due 1 March:
          240 in week 1, 0.2 x 300 x (0.25 / 0.75 in weeks 2 / 3) = 15 + 45."""
        half = DelayDistribution.from_payments([(0, 50.0), (10, 50.0)])
        late = DelayDistribution.from_payments([(14, 100.0), (21, 300.0)])
        items = [
            ForecastItem("INV1", "receivable", 1000.0, due=date(2026, 3, 5), distribution=half),
            ForecastItem("INV2", "receivable", 400.0, due=date(2026, 2, 20), distribution=half),
            ForecastItem("INV3", "receivable", 200.0, due=date(2026, 3, 1), distribution=late),
            ForecastItem("PROM", "promise", 300.0, due=date(2026, 3, 1), distribution=late,
                         date=date(2026, 3, 4), probability=0.8),
        ]
        weeks, beyond = forecast_weeks(items, AS_OF, 3)
        expected = [500 + 240, 500 + 50 + 15, 150 + 45]
        for week, amount in zip(weeks, expected, strict=True):
            self.assertAlmostEqual(week["expected"], amount, msg=week["week"])
            self.assertLessEqual(week["low"], week["expected"])
            self.assertGreaterEqual(week["high"], week["expected"])
        self.assertAlmostEqual(beyond, 400.0)
        self.assertEqual([member[2].ref for member in weeks[0]["items"]], ["INV1", "PROM"])
        # the band of week 1: INV1 is a 1000 x Bernoulli(0.5), PROM a 300 x Bernoulli(0.8):
        # sigma = sqrt(1000^2 x 0.25 + 300^2 x 0.16) = sqrt(264400) = 514.2; 1.2816 x 514.2 = 659.0
        self.assertAlmostEqual(weeks[0]["high"], 740 + 1.2816 * 264400 ** 0.5, places=6)
        self.assertAlmostEqual(weeks[0]["low"], 740 - 1.2816 * 264400 ** 0.5, places=6)  # 81.0
        # week 3: INV3 200 x B(0.75) and PROM 300 x B(0.15): sigma^2 = 40000 x 0.1875 + 90000 x 0.1275 = 18975;
        # 195 - 1.2816 x 137.75 = 18.5
        self.assertAlmostEqual(weeks[2]["low"], 195 - 1.2816 * 18975 ** 0.5, places=6)
        # a band never goes below 0: INV1 alone in week 1 is 1000 x B(0.5), 500 - 1.2816 x 500 < 0
        alone, _beyond = forecast_weeks(items[:1], AS_OF, 1)
        self.assertEqual(alone[0]["low"], 0.0)
        # the due-date forecast: INV1 5 March and PROM 4 March in week 1, INV2 and INV3 overdue: week 1 too
        self.assertEqual(naive_weeks(items, AS_OF, 3), [1900.0, 0.0, 0.0])

    def test_same_timing_items_and_top_items_change_nothing(self):
        """Items sharing a timing (same distribution, due date, date, probability) are spread once and reused; the
        drill-down keeps only the ``top`` largest but counts every item. Two invoices of one customer due the same
        day, 600 and 100, half paid on the due date, half 10 days later (as_of 1 March, due 5 March): week 1 holds
        300 + 50 and both items, week 2 the other 350; with top=1 week 1 lists only the 600 one (expected 300) and
        still counts 2; the figures are those of the items spread one by one."""
        half = DelayDistribution.from_payments([(0, 50.0), (10, 50.0)])
        items = [ForecastItem("A", "receivable", 600.0, due=date(2026, 3, 5), distribution=half),
                 ForecastItem("B", "receivable", 100.0, due=date(2026, 3, 5), distribution=half)]
        weeks, beyond = forecast_weeks(items, AS_OF, 2, top=1)
        self.assertEqual([week["expected"] for week in weeks], [350.0, 350.0])
        self.assertEqual(beyond, 0.0)
        self.assertEqual(weeks[0]["item_count"], 2)
        self.assertEqual([(member[0], member[2].ref) for member in weeks[0]["items"]], [(300.0, "A")])
        one_by_one = [forecast_weeks([item], AS_OF, 2)[0] for item in items]
        for k in range(2):
            self.assertAlmostEqual(weeks[k]["expected"], sum(alone[k]["expected"] for alone in one_by_one))
            self.assertAlmostEqual(weeks[k]["high"], forecast_weeks(items, AS_OF, 2)[0][k]["high"])

    def test_scenarios_shift_payments_and_billing(self):
        # always paid on the due date; due 5 March: week 1. Paid 7 days later: 12 March, week 2.
        on_time = DelayDistribution.from_payments([(0, 1.0)])
        item = ForecastItem("INV", "receivable", 100.0, due=date(2026, 3, 5), distribution=on_time)
        self.assertEqual(week_shares(item, AS_OF, 3), [1.0, 0.0, 0.0])
        self.assertEqual(week_shares(item, AS_OF, 3, delay_shift=7), [0.0, 1.0, 0.0])
        self.assertEqual(week_shares(item, AS_OF, 3, billing_shift=7), [1.0, 0.0, 0.0])  # not a future invoice
        future = ForecastItem("NEXT", "contract", 100.0, due=date(2026, 3, 5), distribution=on_time,
                              shifts_with_billing=True)
        self.assertEqual(week_shares(future, AS_OF, 3, billing_shift=14), [0.0, 0.0, 1.0])

    def test_net_credits(self):
        # customer 1: 100 (due 1 March) + 50 (due 10 March), a credit note of 120: 30 left on the second
        # customer 2: a credit only, nothing to collect; customer 3 untouched
        items = [(1, 1, date(2026, 3, 10), 50.0), (2, 1, date(2026, 3, 1), 100.0), (3, 1, None, -120.0),
                 (4, 2, date(2026, 3, 1), -10.0), (5, 3, date(2026, 3, 1), 70.0)]
        self.assertEqual(net_credits([(k, p, d or date(2026, 1, 1), r) for k, p, d, r in items]),
                         [(1, 1, date(2026, 3, 10), 30.0), (5, 3, date(2026, 3, 1), 70.0)])

    def test_unpaid_instalments(self):
        d1, d2, d3 = date(2026, 3, 5), date(2026, 4, 5), date(2026, 5, 5)
        plan = [(d1, 333.33), (d2, 333.33), (d3, 333.34)]  # 1,000 in three
        cases = [  # (paid, what is left of each instalment)
            (0.0, plan),
            (333.33, [(d2, 333.33), (d3, 333.34)]),  # exactly the first
            (400.0, [(d2, 266.66), (d3, 333.34)]),  # 400 - 333.33 = 66.67 off the second: 333.33 - 66.67
            (999.99, [(d3, 0.01)]),
            (1000.0, []),
            (1200.0, []),  # over-paid: nothing left, never negative
            (-5.0, plan),  # the residual went up (a new debit on an invoice): nothing counts as paid
        ]
        for paid, expected in cases:
            self.assertEqual(unpaid_instalments(plan, paid, 2), expected, paid)
        # order by date whatever the order given; a 0-decimal currency counts whole units
        self.assertEqual(unpaid_instalments([(d2, 3333), (d1, 3334), (d3, 3333)], 5000, 0), [(d2, 1667), (d3, 3333)])

    def test_schedule_covered_never_counts_twice(self):
        d1, d2, d3 = date(2026, 3, 5), date(2026, 4, 5), date(2026, 5, 5)
        plan = [(d1, 333.33), (d2, 333.33), (d3, 333.34)]
        # same currency, one invoice of 1,000: the instalments as they are, nothing left on the invoice
        self.assertEqual(schedule_covered([("a", d1, 1000.0)], 1000.0, plan, 2),
                         ([(d1, 333.33), (d2, 333.33), (d3, 333.34)], []))
        # the plan's currency at 2 forecast units a unit (EUR 1,000 open = USD 2,000): 666.66 / 666.66 and the
        # rest, 2,000 - 1,333.32 = 666.68, so that they add up to the open amount exactly
        scheduled, left = schedule_covered([("a", d1, 2000.0)], 1000.0, plan, 2)
        self.assertEqual(scheduled, [(d1, 666.66), (d2, 666.66), (d3, 666.68)])
        self.assertAlmostEqual(sum(amount for _day, amount in scheduled), 2000.0, places=9)
        self.assertEqual(left, [])
        # a promise of 400 over two invoices (600 due 1 March, 400 due 1 April): 400 on its date, taken off the
        # oldest invoice first: 200 left on it, the other untouched
        self.assertEqual(schedule_covered([("late", d2, 400.0), ("old", d1, 600.0)], 1000.0, [(d3, 400.0)], 2),
                         ([(d3, 400.0)], [("old", 200.0), ("late", 400.0)]))
        # an unapplied credit of 100 netted in the forecast: 900 open of the 1,000 owed: the instalments scaled
        # by 0.9 (299.997 -> 300.00, 599.994 -> 599.99 so the second is 299.99) and the last takes the rest
        scheduled, left = schedule_covered([("a", d1, 900.0)], 1000.0, plan, 2)
        self.assertEqual(scheduled, [(d1, 300.0), (d2, 299.99), (d3, 300.01)])
        self.assertEqual(left, [])
        # instalments beyond what is still owed are cut to it; nothing owed, nothing scheduled
        self.assertEqual(schedule_covered([("a", d1, 500.0)], 500.0, [(d1, 300.0), (d2, 300.0)], 2),
                         ([(d1, 300.0), (d2, 200.0)], []))
        self.assertEqual(schedule_covered([("a", d1, 500.0)], 0.0, plan, 2), ([], [("a", 500.0)]))

    @seed(23)
    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.integers(1, 100000), min_size=1, max_size=4), st.integers(1, 100000),
           st.lists(st.integers(1, 100000), min_size=1, max_size=5), st.integers(0, 100000),
           st.sampled_from([0.5, 1.0, 1.1, 2.0, 0.9]))
    def test_plan_never_counts_twice(self, open_cents, residual_cents, instalment_cents, paid_cents, ratio):
        """Invariant: the instalments scheduled plus what is left on the covered items is the covered open amount
        (to the cent), the instalments never exceed it, and nothing is negative."""
        covered = [(str(i), AS_OF + timedelta(days=i), cents * ratio / 100) for i, cents in enumerate(open_cents)]
        instalments = [(AS_OF + timedelta(days=30 * i), cents / 100) for i, cents in enumerate(instalment_cents)]
        left_of_plan = unpaid_instalments(instalments, paid_cents / 100, 2)
        scheduled, left = schedule_covered(covered, residual_cents / 100, left_of_plan, 2)
        total = sum(amount for _key, _due, amount in covered)
        planned = sum(amount for _day, amount in scheduled)
        self.assertLessEqual(planned, total + 0.005 * len(scheduled))
        self.assertAlmostEqual(planned + sum(amount for _key, amount in left), total,
                               delta=0.005 * (len(scheduled) + len(left) + 1))
        self.assertTrue(all(amount > 0 for _day, amount in scheduled))
        self.assertTrue(all(amount > 0 for _key, amount in left))

    @seed(23)
    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(st.integers(-30, 60), st.floats(1, 1000), st.integers(-40, 40)), min_size=1,
                    max_size=8), st.integers(0, 20))
    def test_weeks_plus_beyond_is_the_open_amount(self, rows, shift):
        """Invariant: whatever the delays and the scenario, the weeks and the beyond add up to the open amount."""
        dist = DelayDistribution.from_payments([(delay, amount) for delay, amount, _due in rows])
        items = [ForecastItem(str(i), "receivable", amount, due=AS_OF + timedelta(days=due), distribution=dist)
                 for i, (_delay, amount, due) in enumerate(rows)]
        weeks, beyond = forecast_weeks(items, AS_OF, 13, delay_shift=shift, detail=False)
        total = sum(item.amount for item in items)
        self.assertAlmostEqual(sum(week["expected"] for week in weeks) + beyond, total, places=6)
        self.assertTrue(all(week["expected"] >= -1e-9 for week in weeks))


@tagged("post_install", "-at_install")
class TestAccuracy(BaseCase):
    def test_wape(self):
        # |100 - 80| + |50 - 70| + |0 - 10| = 50 over 150 actual: 33.3 %
        self.assertAlmostEqual(wape([100, 50, 0], [80, 70, 10]), 100 / 3)
        self.assertIsNone(wape([0, 0], [1, 2]))
        with self.assertRaises(ForecastError):
            wape([1], [1, 2])

    def test_auc(self):
        cases = [
            ([0.9, 0.8, 0.2, 0.1], [True, True, False, False], 1.0),
            ([0.1, 0.2, 0.8, 0.9], [True, True, False, False], 0.0),
            ([0.5, 0.5, 0.5, 0.5], [True, False, True, False], 0.5),  # ties count half
            # positives 0.9 and 0.4, negatives 0.6 and 0.1: pairs won 0.9>0.6, 0.9>0.1, 0.4>0.1 = 3 of 4
            ([0.9, 0.4, 0.6, 0.1], [True, True, False, False], 0.75),
            ([0.3, 0.4], [True, True], None),
        ]
        for scores, outcomes, expected in cases:
            result = auc(scores, outcomes)
            if expected is None:
                self.assertIsNone(result)
            else:
                self.assertAlmostEqual(result, expected, msg=scores)


@tagged("post_install", "-at_install")
class TestLateScore(BaseCase):
    def test_amount_ratio(self):
        self.assertEqual(amount_ratio(200, 100), 1.0)
        self.assertEqual(amount_ratio(50, 100), -1.0)
        self.assertEqual(amount_ratio(50, 0), 0.0)

    def test_fallback_without_history(self):
        model = fit([({"past_lateness": 0.4}, True)] * 3)
        self.assertFalse(model.fitted)
        self.assertAlmostEqual(model.probability({"past_lateness": 0.4}), 0.4)
        self.assertEqual(model.reasons({"past_lateness": 0.4}), [("past_lateness", 0.4)])

    def test_learns_lateness_and_failed_charges(self):
        """Late when the customer was late before or a card charge failed: the model ranks those first and says
        why."""
        rng = random.Random(23)
        examples = []
        for _i in range(400):
            past, failed = rng.random(), rng.choice([0, 0, 0, 1, 2])
            late = rng.random() < min(0.95, 0.1 + 0.6 * past + 0.2 * failed)
            examples.append(({"past_lateness": past, "failed_charges": failed, "term_days": rng.random()}, late))
        model = fit(examples)
        self.assertTrue(model.fitted)
        risky = {"past_lateness": 0.9, "failed_charges": 2, "term_days": 0.5}
        reliable = {"past_lateness": 0.05, "failed_charges": 0, "term_days": 0.5}
        self.assertGreater(model.probability(risky), 0.8)
        self.assertLess(model.probability(reliable), 0.3)
        self.assertEqual({key for key, _c in model.reasons(risky)[:2]}, {"past_lateness", "failed_charges"})
        self.assertEqual(model.reasons(reliable), [])  # nothing raises a reliable payer's score
        scores = [model.probability(features) for features, _late in examples]
        self.assertGreater(auc(scores, [late for _f, late in examples]), 0.75)
