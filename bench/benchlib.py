"""What every benchmark of bench/ starts with: Odoo's options from the command line `./revcycle bench` builds, and
how it reports: what each side does, alternated rounds, median and spread."""

import random
import statistics
import time

import odoo

ROUNDS = 3


def open_registry(argv):
    """Parse Odoo's command-line options and return the registry of the benchmark's database."""
    odoo.tools.config.parse_config(argv)
    name = odoo.tools.config["db_name"]
    return odoo.modules.registry.Registry(name[0] if isinstance(name, list) else name)


def print_fairness(sides, same, differs):
    """State before any figure what is compared: what each side runs, what both share, what differs."""
    print("what is compared:")
    for label, does in sides.items():
        print(f"  {label:<10} {does}")
    print(f"  same for both: {same}")
    print(f"  differs only by: {differs}")


def alternated_rounds(sides, rounds=ROUNDS):
    """Run every side once per round, the order rotating from one round to the next so that no side always runs
    first (warm caches) or last (a loaded machine). ``sides`` maps a label to a callable returning the seconds it
    measured (or None to time the call itself). Returns {label: [seconds of each round]}."""
    labels = list(sides)
    timings = {label: [] for label in labels}
    for index in range(rounds):
        shift = index % len(labels)
        for label in labels[shift:] + labels[:shift]:
            started = time.perf_counter()
            measured = sides[label]()
            timings[label].append(measured if measured is not None else time.perf_counter() - started)
    return timings


def median_spread(values):
    """(median, spread) where spread is (max - min) / median: how far apart the rounds were."""
    middle = statistics.median(values)
    return middle, ((max(values) - min(values)) / middle if middle else 0.0)


def describe(values, unit="s", scale=1.0):
    """'1.234 s (spread 4.1 %, 3 rounds)'."""
    middle, spread = median_spread(values)
    return f"{middle * scale:.3f} {unit} (spread {spread * 100:.1f} %, {len(values)} rounds)"


def ratio_of_medians(slow, fast):
    """The ratio of two sides' medians, with the range the rounds allow (worst and best pairing of rounds)."""
    ratio = statistics.median(slow) / statistics.median(fast)
    pairs = [s / f for s, f in zip(slow, fast, strict=True)]
    return ratio, min(pairs), max(pairs)


def describe_ratio(slow, fast):
    ratio, low, high = ratio_of_medians(slow, fast)
    return f"{ratio:.2f}x (per round {low:.2f}x - {high:.2f}x)"


def median_interval(values, resamples=2000, seed=0):
    """The median of ``values`` and its 95 % bootstrap interval (seeded, so a rerun on the same figures prints the
    same interval): two sides are told apart when their intervals do not overlap."""
    rng = random.Random(seed)  # noqa: S311 - resampling for a statistic, nothing secret
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples))
    return statistics.median(values), medians[int(resamples * 0.025)], medians[int(resamples * 0.975) - 1]


def describe_interval(values, unit="ms", scale=1000.0):
    middle, low, high = median_interval(values)
    return f"{middle * scale:.3f} {unit} (95 % interval {low * scale:.3f} - {high * scale:.3f}, n={len(values)})"


def print_result(bench, measure, size, median, low, high, unit, target, met):
    """One machine-readable line per headline figure, ``RESULT {json}``: `bench/run_all` gathers them into the table
    of all ratios measured in one session. ``median``/``low``/``high`` are the figure and the range the rounds allow
    (for a ratio, its worst and best pairing of rounds); ``target`` says in words what the issue asks (">= 2x"),
    ``met`` whether the median reaches it."""
    import json

    print("RESULT " + json.dumps({
        "bench": bench, "measure": measure, "size": size, "median": round(median, 4), "low": round(low, 4),
        "high": round(high, 4), "unit": unit, "target": target, "met": bool(met),
    }), flush=True)


def print_ratio_result(bench, measure, size, slow, fast, target_ratio):
    """``print_result`` for the ratio of two sides' rounds (slow / fast), against a minimum ratio."""
    ratio, low, high = ratio_of_medians(slow, fast)
    print_result(bench, measure, size, ratio, low, high, "x", f">= {target_ratio}x", ratio >= target_ratio)
