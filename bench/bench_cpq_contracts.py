"""Recurring invoicing of active monthly contracts: our invoicing cron against OCA's `contract` cron, on the same
customers, products, prices and quantities, one month due for each contract. Target (issue 17): posted invoices at
least 2x faster than OCA's cron followed by the posting of its drafts.

Ours: `revcycle.contract._cron_generate_invoices` called until it finds nothing left (bounded batches of 500, each
contract locked with SKIP LOCKED, a batch's invoices created with one `account.move.create` and posted with one
`action_post` on the batch, the "Checked" flag and the followers written for the batch in one statement each, no field
tracking), with the company's "Post contract invoices" setting on (the default): posted invoices. OCA:
`contract.contract`'s `cron_recurring_create_invoice` (all due contracts in one call, one create, draft invoices)
followed by Odoo's `action_post` on its drafts. With BENCH_DRAFTS=1, ours with the setting off (drafts, the same job
as OCA's cron alone) is measured too. The sides run in an order rotating from one round to the next
(bench/benchlib.py), BENCH_RUNS rounds (3 by default).

The database a company runs this job on has been invoicing for a while, and every figure depends on it. Each size is
measured in a copy of the benchmark's database (`<database>_<size>`, dropped at the end) where the data is committed
once: customers, products, both sides' contracts, and a month of past posted invoices (our contracts started a month
earlier and their first month is invoiced before any measurement, with planner statistics refreshed as it grows).
Then each measurement runs in a transaction of its own, rolled back, followed by an untimed `VACUUM (ANALYZE)`: every
run starts from the same committed, analysed state. (Built and measured in one uncommitted transaction, as this
script once did, the tables the invoices go to looked nearly empty to PostgreSQL's planner: the cached plans of the
foreign-key checks scanned whole tables, and the cost grew with the square of the size, 15 invoices/s at 20,000.)

Run: ./revcycle bench cpq_contracts   (database revcycle_bench_cpq_contracts; extra Odoo options after the name)
Options of the script itself, through environment variables: BENCH_CONTRACTS, the sizes (default "5000,20000",
each built in its own copy of the database), BENCH_RUNS (3; fewer when asked, e.g. 1 for one round at 20,000;
0 with BENCH_PROFILE: the profile alone), BENCH_DRAFTS (0), BENCH_AB (0; 1: also our run with the batch's shortcuts
through Odoo's path off, the A/B of those shortcuts), BENCH_PROFILE=ours,ours_draft,oca,before (a profiled run of each
side named: the most expensive functions (BENCH_PROFILE_LINES, 25), the SQL queries by shape with their count and
time, the Odoo process's CPU time; BENCH_PROFILE_OUT=path keeps the raw profile). Each measured run prints its Odoo
CPU time and the load average beside its wall time, and (Linux, database on the same machine) that wall time split
by the kernel's scheduler: Odoo on a CPU and waiting for one, its PostgreSQL backend on a CPU and waiting for one, the
rest (disk, locks); the summary gives the ratio of Odoo + PostgreSQL CPU, the work each side does whatever the load.
"""

import collections
import cProfile
import os
import pstats
import re
import sys
import threading
import time
from contextlib import closing
from unittest.mock import patch

import odoo
from benchlib import (
    ROUNDS,
    alternated_rounds,
    describe,
    describe_ratio,
    median_spread,
    print_fairness,
    print_ratio_result,
)
from dateutil.relativedelta import relativedelta
from odoo import Command, api, fields
from odoo.tools import SQL

MODULES = ("revcycle_cpq",)
PEER_MODULES = ("contract",)

SIZES = tuple(int(n) for n in os.environ.get("BENCH_CONTRACTS", "5000,20000").split(","))
# at least 3 rounds for a median and a spread, unless fewer are asked for (BENCH_RUNS=1: one round at a size that
# takes the better part of an hour; its figures then have no spread)
RUNS = int(os.environ.get("BENCH_RUNS", str(ROUNDS))) or ROUNDS
DRAFTS = os.environ.get("BENCH_DRAFTS", "0") == "1"
# BENCH_AB=1: also our run with the batch's shortcuts through Odoo's path off (sequence, analytic models and
# line-neutral writes as Odoo does them for each invoice): what this session's change gains, in the same rounds
AB = os.environ.get("BENCH_AB", "0") == "1"
BENCH = "cpq_contracts"
CUSTOMERS = 500
PRODUCTS = 10
# the past month is invoiced in batches of this size, each committed, like the cron's own batches
HISTORY_BATCH = 500
# the tables whose planner statistics the past month's invoices change most (foreign keys point to account_move)
INVOICE_TABLES = ("account_move", "account_move_line", "mail_message", "mail_followers", "revcycle_contract_period")


def shared_data(env, contracts):
    """Customers and products both sides invoice; contract i uses customer i % 500, product i % 10, its price and
    quantity."""
    partners = env["res.partner"].create([{"name": f"bench contract customer {i}"} for i in range(CUSTOMERS)])
    products = env["product.product"].create(
        [
            {
                "name": f"bench subscription {i}",
                "type": "service",
                "list_price": 20.0 + i,
                "revcycle_recurring": True,
                "revcycle_billing_period": "month",
            }
            for i in range(PRODUCTS)
        ]
    )
    terms = [
        {
            "partner": partners[i % CUSTOMERS],
            "product": products[i % PRODUCTS],
            "quantity": 1 + i % 3,
            "price_unit": 20.0 + i % 50,
        }
        for i in range(contracts)
    ]
    return partners, terms


def our_contracts(env, terms, start):
    contracts = env["revcycle.contract"].create(
        [
            {
                "partner_id": term["partner"].id,
                "date_start": start,
                "date_end": start + relativedelta(years=1, days=-1),
                "billing_period": "month",
                "line_ids": [
                    Command.create(
                        {
                            "product_id": term["product"].id,
                            "name": term["product"].name,
                            "quantity": term["quantity"],
                            "price_unit": term["price_unit"],
                            "tax_ids": [Command.set(term["product"].taxes_id.ids)],
                        }
                    )
                ],
            }
            for term in terms
        ]
    )
    contracts.write({"state": "active", "signed_date": start, "signed_by": "bench"})
    return contracts


def oca_contracts(env, terms, start):
    return env["contract.contract"].create(
        [
            {
                "name": f"OCA bench {index}",
                "partner_id": term["partner"].id,
                "line_recurrence": True,
                "contract_line_ids": [
                    Command.create(
                        {
                            "product_id": term["product"].id,
                            "name": term["product"].name,
                            "quantity": term["quantity"],
                            "price_unit": term["price_unit"],
                            "uom_id": term["product"].uom_id.id,
                            "recurring_rule_type": "monthly",
                            "recurring_interval": 1,
                            "recurring_invoicing_type": "pre-paid",
                            "date_start": start,
                            "date_end": start + relativedelta(years=1, days=-1),
                            "recurring_next_date": start,
                        }
                    )
                ],
            }
            for index, term in enumerate(terms)
        ]
    )


def run_ours(env):
    Contract = env["revcycle.contract"]
    started = time.perf_counter()
    while Contract._cron_generate_invoices():
        pass
    env.flush_all()
    return time.perf_counter() - started


def run_ours_draft(env):
    """Ours with the company's "Post contract invoices" setting off: drafts, like OCA's cron."""
    env.company.revcycle_contract_auto_post = False
    try:
        return run_ours(env)
    finally:
        env.company.revcycle_contract_auto_post = True


def run_ours_before(env):
    """Ours with the batch's shortcuts through Odoo's path off (AccountMove._revcycle_batch_token answers None):
    the same invoices, made as before those shortcuts."""
    with patch.object(type(env["account.move"]), "_revcycle_batch_token", return_value=None):
        return run_ours(env)


def run_oca(env):
    started = time.perf_counter()
    env["contract.contract"].cron_recurring_create_invoice()
    env.flush_all()
    return time.perf_counter() - started


def post_oca_drafts(env, partners):
    """What OCA's cron leaves to do before its invoices can be sent: post the drafts (ours are posted by the cron)."""
    drafts = env["account.move"].search(
        [("state", "=", "draft"), ("partner_id", "in", partners.ids), ("invoice_origin", "=like", "OCA bench %")]
    )
    started = time.perf_counter()
    drafts.action_post()
    env.flush_all()
    return time.perf_counter() - started


def count_invoices(env, partners, origin_prefix, after_id):
    """The run's invoices (ids above ``after_id``: the past month's invoices have the same origins)."""
    return env["account.move"].search_count(
        [
            ("id", ">", after_id),
            ("move_type", "=", "out_invoice"),
            ("partner_id", "in", partners.ids),
            ("invoice_origin", "=like", f"{origin_prefix}%"),
        ]
    )


def scheduler_times(pids):
    """(seconds on a CPU, seconds runnable but waiting for a CPU) of the processes ``pids`` and all their threads,
    from Linux's /proc/<pid>/task/<tid>/schedstat; None where that is not readable (another OS, a remote server)."""
    running = waiting = 0
    try:
        for pid in pids:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                    on_cpu, queued = stat.read().split()[:2]
                running, waiting = running + int(on_cpu), waiting + int(queued)
    except OSError:
        return None
    return running / 1e9, waiting / 1e9


def where_time_went(wall, odoo_before, odoo_after, pg_before, pg_after):
    """The run's wall time split by the kernel's scheduler: the Odoo process on a CPU and waiting for one, its
    PostgreSQL backend on a CPU and waiting for one, and the rest (disk, locks, other sleeps). One connection
    talks to one backend in turn, so the parts do not overlap. {} when /proc does not tell."""
    if None in (odoo_before, odoo_after, pg_before, pg_after):
        return {}
    parts = {
        "odoo_cpu": odoo_after[0] - odoo_before[0],
        "odoo_wait": odoo_after[1] - odoo_before[1],
        "pg_cpu": pg_after[0] - pg_before[0],
        "pg_wait": pg_after[1] - pg_before[1],
    }
    parts["other"] = wall - sum(parts.values())
    parts["wall"] = wall
    return parts


def measure(registry, runner, partner_ids, origin_prefix):
    """One run in a transaction of its own, rolled back, then an untimed VACUUM (ANALYZE): every run starts from the
    same committed due contracts and the same planner statistics. For OCA, the time to post its draft invoices is
    measured apart, after its cron. Also returns where the wall time of the whole measurement went
    (``where_time_went``): on a shared machine, waiting for a CPU is the neighbours' share."""
    posting = None
    with closing(registry.cursor()) as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        partners = env["res.partner"].browse(partner_ids)
        cr.execute("SELECT pg_backend_pid()")
        backend = cr.fetchone()[0]
        cr.execute("SELECT COALESCE(MAX(id), 0) FROM account_move")
        last_move_before = cr.fetchone()[0]
        odoo_before, pg_before = scheduler_times([os.getpid()]), scheduler_times([backend])
        wall_before = time.perf_counter()
        cpu_before = time.process_time()
        elapsed = runner(env)
        invoices = count_invoices(env, partners, origin_prefix, last_move_before)
        if runner is run_oca:
            posting = post_oca_drafts(env, partners)
        cpu = time.process_time() - cpu_before
        split = where_time_went(
            time.perf_counter() - wall_before,
            odoo_before,
            scheduler_times([os.getpid()]),
            pg_before,
            scheduler_times([backend]),
        )
        cr.rollback()
    vacuum_analyze(registry.db_name)
    return elapsed, invoices, posting, cpu, split


def vacuum_analyze(database, tables=()):
    """VACUUM (ANALYZE) (outside a transaction, as PostgreSQL requires): a rolled-back run's dead rows go and the
    planner's statistics are those of the committed data. ``tables``: only those (ANALYZE alone)."""
    with closing(odoo.sql_db.db_connect(database).cursor()) as cr:
        cr._cnx.autocommit = True
        if tables:
            cr.execute(SQL("ANALYZE %s", SQL(", ").join(SQL.identifier(table) for table in tables)))
        else:
            cr.execute("VACUUM (ANALYZE)")


def invoice_past_month(registry, contract_ids, on_date):
    """The month before the measured one, invoiced and posted by our own batch and committed batch by batch: the
    history a company invoicing these contracts has. The planner's statistics of the invoice tables are refreshed
    after each batch (ANALYZE invalidates the cached plans of the foreign-key checks, which otherwise keep the plan
    made when account_move had a few dozen rows)."""
    for offset in range(0, len(contract_ids), HISTORY_BATCH):
        with registry.cursor() as cr:  # commits on leaving
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            batch = env["revcycle.contract"].browse(contract_ids[offset : offset + HISTORY_BATCH])
            batch._revcycle_invoice_due_periods(on_date)
            env.flush_all()
        vacuum_analyze(registry.db_name, INVOICE_TABLES)


def build_committed_data(registry, contracts, start):
    """Customers, products, both sides' contracts (ours started a month earlier), committed; then our first month
    invoiced (``invoice_past_month``). Returns (the customers' ids, our contracts' ids, how many OCA contracts)."""
    with registry.cursor() as cr:  # commits on leaving
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        partners, terms = shared_data(env, contracts)
        ours = our_contracts(env, terms, start - relativedelta(months=1))
        oca = oca_contracts(env, terms, start)
        set_aside_other_contracts(env, ours, oca)
        env.flush_all()
        partner_ids, our_ids, oca_count = partners.ids, ours.ids, len(oca)
    invoice_past_month(registry, our_ids, start - relativedelta(months=1, day=15))
    vacuum_analyze(registry.db_name)
    return partner_ids, our_ids, oca_count


def set_aside_other_contracts(env, ours, oca):
    """Demo contracts of either side stay out of the measurement (in the size's copy of the database)."""
    env["revcycle.contract"].search([("id", "not in", ours.ids), ("state", "=", "active")]).write(
        {"state": "suspended"}
    )
    env["contract.contract"].search([("id", "not in", oca.ids)]).write({"active": False})


def query_shape(query):
    """A query with its literals taken out, to count the queries of one kind (per invoice or per batch)."""
    text = query.decode() if isinstance(query, bytes) else str(query)
    text = re.sub(r"'[^']*'|\b\d+\b|%s", "?", text)
    return re.sub(r"\s+", " ", re.sub(r"(\?\s*,\s*)+\?", "?", text)).strip()[:160]


def profile(registry, runner):
    profiler = cProfile.Profile()
    shapes = collections.defaultdict(lambda: [0, 0.0])

    def count_query(_cr, query, _params, _start, delay):
        shape = shapes[query_shape(query)]
        shape[0] += 1
        shape[1] += delay

    thread = threading.current_thread()
    thread.query_hooks = (*getattr(thread, "query_hooks", ()), count_query)
    with closing(registry.cursor()) as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        queries_before = cr.sql_log_count
        cpu_before = time.process_time()
        profiler.enable()
        elapsed = runner(env)
        profiler.disable()
        cpu = time.process_time() - cpu_before
        queries = cr.sql_log_count - queries_before
        cr.rollback()
    thread.query_hooks = tuple(hook for hook in thread.query_hooks if hook is not count_query)
    vacuum_analyze(registry.db_name)
    print(f"profiled {runner.__name__}: {elapsed:.1f} s ({cpu:.1f} s CPU), {queries} queries")
    print("  queries by shape (count, seconds):")
    for shape, (count, seconds) in sorted(shapes.items(), key=lambda item: -item[1][0])[:25]:
        print(f"  {count:6} {seconds:7.2f} s  {shape}")
    if os.environ.get("BENCH_PROFILE_OUT"):  # the raw profile, for pstats or snakeviz
        profiler.dump_stats(f"{os.environ['BENCH_PROFILE_OUT']}.{runner.__name__}.prof")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(int(os.environ.get("BENCH_PROFILE_LINES", "25")))
    if os.environ.get("BENCH_PROFILE_CALLERS"):
        stats.print_callers(os.environ["BENCH_PROFILE_CALLERS"])


def main(argv):
    odoo.tools.config.parse_config(argv)
    base = odoo.tools.config["db_name"]
    base = base[0] if isinstance(base, list) else base
    print_fairness(
        {
            "revcycle": "revcycle.contract._cron_generate_invoices until nothing is left: batches of 500 contracts,"
            " one account.move.create and one action_post per batch (the posting's Checked flag and the followers"
            " written for the batch at once, no field tracking): posted invoices",
            "OCA": "contract.contract.cron_recurring_create_invoice (one account.move.create for every due contract,"
            " drafts), then Odoo's action_post on its drafts (tracking and per-invoice writes as Odoo does them)",
        },
        "the same customers, products, prices, quantities and taxes, one month due per contract, both ending with"
        " the same number of posted invoices; the same committed database (a month of past invoices, analysed),"
        " each measurement in its own transaction rolled back, then VACUUM (ANALYZE)",
        "each side's own invoicing code; ours also locks each contract (SKIP LOCKED), records its period rows and"
        " a chatter note per invoice; OCA's posting step is Odoo's stock posting; the past month's invoices are"
        " ours (our contracts started a month earlier, OCA's this month)",
    )
    summary = [bench_size(base, size) for size in SIZES]
    print("how cost grows (median seconds per 1,000 invoices, and invoices per second):")
    for size, per_thousand in summary:
        print(
            f"  {size:>6} contracts: "
            + ", ".join(f"{k} {v:.2f} s ({1000 / v:.1f} invoices/s)" for k, v in per_thousand.items())
        )


def bench_size(base, contracts):
    """Build ``contracts`` contracts on each side in a copy of the database, committed with a month of past invoices,
    time both sides RUNS rounds alternated (each run rolled back), drop the copy. The copy is Odoo's own, as
    bench_scale_out makes its copies (``CREATE DATABASE ... TEMPLATE`` with the filestore); dropping one a stopped
    run left ends its connections first."""
    from odoo.service import db

    database = f"{base}_{contracts}"
    db.exp_drop(database)
    db.exp_duplicate_database(base, database)
    try:
        return measure_size(odoo.modules.registry.Registry(database), contracts)
    finally:
        db.exp_drop(database)


def measure_size(registry, contracts):
    with closing(registry.cursor()) as cr:
        start = fields.Date.context_today(api.Environment(cr, odoo.SUPERUSER_ID, {})["res.partner"])
    start += relativedelta(day=1)
    setup_started = time.perf_counter()
    partner_ids, our_ids, oca_count = build_committed_data(registry, contracts, start)
    print(
        f"data: {len(our_ids)} revcycle contracts and {oca_count} OCA contracts, {CUSTOMERS} customers,"
        f" {PRODUCTS} products, one monthly line each, month from {start} due; our contracts' previous month"
        f" invoiced and posted beforehand ({len(our_ids)} past invoices); built, committed and analysed in"
        f" {time.perf_counter() - setup_started:.0f} s in {registry.db_name}",
        flush=True,
    )
    if os.environ.get("BENCH_PROFILE"):
        runners = {"ours": run_ours, "ours_draft": run_ours_draft, "oca": run_oca, "before": run_ours_before}
        for side in os.environ["BENCH_PROFILE"].split(","):
            profile(registry, runners[side])
        if os.environ.get("BENCH_RUNS") == "0":  # a profile alone
            return contracts, {}
    timings = {"ours": [], "oca": [], "oca_posted": [], "draft": [], "before": []}
    counts = {"ours": set(), "oca": set(), "draft": set(), "before": set()}
    cpu_times = {"ours": [], "oca": [], "draft": [], "before": []}  # OCA's with its posting
    # Odoo's CPU plus its PostgreSQL backend's (scheduler figures): the work done, whatever the neighbours do
    both_cpu = {"ours": [], "oca": [], "draft": [], "before": []}

    def side(label, runner, origin_prefix):
        def run():
            elapsed, invoices, posting, cpu, split = measure(registry, runner, partner_ids, origin_prefix)
            counts[label].add(invoices)
            timings[label].append(elapsed)
            cpu_times[label].append(cpu)
            if split:
                both_cpu[label].append(split["odoo_cpu"] + split["pg_cpu"])
            line = f"  {label:6}: {invoices} invoices in {elapsed:6.1f} s"
            if posting is not None:
                timings["oca_posted"].append(elapsed + posting)
                line += f" (+ {posting:.1f} s to post them: {elapsed + posting:.1f} s)"
            # the Odoo process's CPU time (PostgreSQL's is apart) and the machine's load: on a shared machine
            # the wall time of a round says as much about the neighbours as about the code
            load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
            print(f"{line}; Odoo CPU {cpu:.1f} s; load {load}", flush=True)
            if split:
                print(
                    f"          measured {split['wall']:.1f} s = Odoo on a CPU {split['odoo_cpu']:.1f} s"
                    f" + waiting for one {split['odoo_wait']:.1f} s, PostgreSQL on a CPU {split['pg_cpu']:.1f} s"
                    f" + waiting for one {split['pg_wait']:.1f} s, other (disk, locks) {split['other']:.1f} s",
                    flush=True,
                )
            return elapsed

        return run

    sides = {"ours": side("ours", run_ours, "CTR/"), "oca": side("oca", run_oca, "OCA bench ")}
    if DRAFTS:
        sides["draft"] = side("draft", run_ours_draft, "CTR/")
    if AB:
        sides["before"] = side("before", run_ours_before, "CTR/")
    alternated_rounds(sides, RUNS)
    report(contracts, timings, counts, cpu_times, both_cpu)
    medians = {key: median_spread(values)[0] for key, values in timings.items() if values}
    invoices = {key: max(counts["oca" if key == "oca_posted" else key]) for key in medians}
    return contracts, {key: medians[key] / invoices[key] * 1000 for key in medians}


def report(contracts, timings, counts, cpu_times, both_cpu):
    rows = (
        ("OCA contract cron (drafts)", "oca", "oca"),
        ("OCA cron + posting the drafts", "oca_posted", "oca"),
        ("revcycle cron, drafts (setting off)", "draft", "draft"),
        ("revcycle cron, posted (default)", "ours", "ours"),
        ("revcycle posted, shortcuts off (A/B)", "before", "before"),
    )
    print(f"Invoicing cron over {contracts} active monthly contracts, one month due, {RUNS} alternated rounds:")
    for title, key, count_key in rows:
        if timings[key]:
            invoices = max(counts[count_key])
            rate = invoices / median_spread(timings[key])[0]
            print(f"  {title:36}: {describe(timings[key])}  {rate:7.1f} invoices/s  ({invoices} invoices)")
    if counts["ours"] != counts["oca"]:
        print(f"  WARNING: the sides invoiced different counts: ours {counts['ours']}, OCA {counts['oca']}")
    print(
        "  posted vs posted (OCA cron + posting / revcycle posted): "
        f"{describe_ratio(timings['oca_posted'], timings['ours'])}  (target >= 2.00x)"
    )
    print_ratio_result(BENCH, "posted vs OCA cron + posting", contracts, timings["oca_posted"], timings["ours"], 2.0)
    print(
        "  Odoo CPU time, median (PostgreSQL's apart): "
        + ", ".join(f"{label} {median_spread(values)[0]:.1f} s" for label, values in cpu_times.items() if values)
        + f"; OCA cron + posting / revcycle posted: {describe_ratio(cpu_times['oca'], cpu_times['ours'])}"
    )
    if both_cpu["ours"] and both_cpu["oca"]:
        print(
            "  Odoo + PostgreSQL CPU time, median: "
            + ", ".join(f"{label} {median_spread(values)[0]:.1f} s" for label, values in both_cpu.items() if values)
            + f"; OCA cron + posting / revcycle posted: {describe_ratio(both_cpu['oca'], both_cpu['ours'])}"
        )
    if timings["before"]:
        print(
            "  A/B (revcycle posted, shortcuts off / on): "
            f"{describe_ratio(timings['before'], timings['ours'])}; OCA cron + posting / shortcuts off: "
            f"{describe_ratio(timings['oca_posted'], timings['before'])}; Odoo CPU, shortcuts off / on: "
            f"{describe_ratio(cpu_times['before'], cpu_times['ours'])}"
        )
    if timings["draft"]:
        print(f"  drafts vs drafts (OCA cron / revcycle drafts): {describe_ratio(timings['oca'], timings['draft'])}")
        print_ratio_result(BENCH, "drafts vs OCA cron", contracts, timings["oca"], timings["draft"], 1.5)


if __name__ == "__main__":
    main(sys.argv[1:])
