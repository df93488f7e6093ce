"""Scale-out: the contract invoicing cron and the dunning cron run by ONE worker process, then by TWO worker processes
at once, on the same generated data set, with wall times, the speed-up, and checks that nothing was made twice.

The data set (generated once per run of the benchmark, in a database of its own): CONTRACTS active monthly
contracts with their month due (`bench_cpq_contracts`' generator) and CUSTOMERS customers with 10 open invoices each,
11 to 100 days past due, under a three-level email ladder (`bench_dunning_runs`' generator). Each scenario starts from
a fresh copy of that database (PostgreSQL's CREATE DATABASE ... TEMPLATE, filestore copied), so both see the same data.

A worker is a separate OS process (this script with --worker) that loads the registry, says it is ready, waits for
the start signal, then calls the cron method in its own transaction, committed after each call, as Odoo's scheduler
does, until the method reports nothing done (a call that fails on a serialization failure is rolled back and made
again, as the scheduler would run the job again; at most 20 times): `revcycle.contract._cron_generate_invoices`
(contracts taken in bounded batches, locked FOR UPDATE SKIP LOCKED), then `revcycle.dunning.run._cron_run_dunning`
(one scheduled run per company and day, customers' invoices locked SKIP LOCKED). Wall time is from the start signal
to the last worker's end. Odoo's scheduler itself never runs one job in two workers at once (it locks the job's row):
two workers here stand for the same method called concurrently (a second cron, a manual run, a job split), which is
what it must withstand.

Checks after each scenario: no contract period invoiced twice (invoices per contract and service start), notices per
customer and level (never two), each invoice at most once per level; and the same totals with one and with two
workers (invoices, contracts left due or flagged with an invoicing error, notices, invoices dunned, run errors).

Run: ./revcycle bench scale_out [--contracts N] [--customers N] [--batch-size N] [--contract-customers N] [--draft]
Largest default size: 2000 contracts, each of a customer of its own; 2000 dunned customers, about 20,000 overdue
invoices; the crons' own batches of 500 (a batch is what one worker locks and does at a time, so there is something to
share only with several batches). --contract-customers N makes the
contracts share N customers (contract i is customer i mod N's): then two workers invoice the same customers at once.
--draft turns the company's "Post contract invoices" setting off: posting takes the sale journal's sequence number,
which Odoo 18 locks until the transaction ends (account's sequence.mixin, _locked_increment), so workers posting into
one journal wait for each other's batch. Environment variables BENCH_CONTRACTS, BENCH_CUSTOMERS, BENCH_BATCH_SIZE,
BENCH_CONTRACT_CUSTOMERS, BENCH_DRAFT=1 do the same; other options after the name go to Odoo. BENCH_ROUNDS (3): the
one-worker and two-worker scenarios alternate which goes first, each on a fresh copy; median and spread are printed.
Two sizes by default, BENCH_SCALE_SIZES ("1000,2000"): each N is N contracts and N dunned customers, its own data
set and rounds, then a line of how cost grows per 1,000 contracts due and 1,000 overdue invoices. Giving --contracts
or --customers (or BENCH_CONTRACTS / BENCH_CUSTOMERS) measures that one size instead.
"""

import json
import os
import statistics
import subprocess
import sys
import time

import odoo
import psycopg2.errors
from benchlib import describe, describe_ratio, print_fairness, print_ratio_result, print_result
from odoo import api, fields
from odoo.tools import SQL

MODULES = ("revcycle_cpq", "revcycle_dunning")

INVOICES_PER_CUSTOMER = 10
CUSTOMER_PREFIX = "bench scale-out customer"
MOVE_PREFIX = "BENCHSO/"
MAX_RETRIES = 20
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
JOBS = {
    "invoicing": ("revcycle.contract", "_cron_generate_invoices"),
    "dunning": ("revcycle.dunning.run", "_cron_run_dunning"),
}


def own_options(argv):
    """This script's options (see the docstring), as {"--contracts": N, ...}; the rest is Odoo's."""
    options = {"--contracts": int(os.environ.get("BENCH_CONTRACTS", "2000")),
             "--customers": int(os.environ.get("BENCH_CUSTOMERS", "2000")),
             "--batch-size": int(os.environ.get("BENCH_BATCH_SIZE", "0")),
             "--contract-customers": int(os.environ.get("BENCH_CONTRACT_CUSTOMERS", "0")),
             "--draft": int(os.environ.get("BENCH_DRAFT", "0"))}
    rest = []
    args = iter(argv)
    for arg in args:
        name, _, value = arg.partition("=")
        if name == "--draft":
            options[name] = 1
        elif name in options:
            options[name] = int(value or next(args))
        else:
            rest.append(arg)
    return options, rest


# ----------------------------------------------------------------------------------------------------------------
# worker process
# ----------------------------------------------------------------------------------------------------------------

def worker(job, batch_size, argv):
    odoo.tools.config.parse_config(argv, setup_logging=True)
    registry = odoo.modules.registry.Registry(odoo.tools.config["db_name"])
    model, method = JOBS[job]
    print("ready", flush=True)
    sys.stdin.readline()  # the start signal
    started = time.perf_counter()
    calls = handled = retries = 0
    while True:
        try:
            with registry.cursor() as cr:  # committed when the block ends, as the scheduler commits each call
                env = api.Environment(cr, odoo.SUPERUSER_ID, {})
                done = getattr(env[model], method)(**({"batch_size": batch_size} if batch_size else {}))
        except psycopg2.errors.SerializationFailure:
            # rolled back; Odoo's scheduler would run the job again later: here at once, a bounded number of times
            retries += 1
            if retries > MAX_RETRIES:
                break
            continue
        calls += 1
        handled += done or 0
        if not done:
            break
    print(json.dumps({"seconds": time.perf_counter() - started, "calls": calls, "handled": handled,
                      "retries": retries}), flush=True)


def run_workers(job, count, database, batch_size, odoo_argv):
    """Start ``count`` workers on ``database``, release them at once; (wall seconds, their results)."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", job, str(batch_size), *odoo_argv,
               "--database", database, "--db-filter", f"^{database}$"]
    workers = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for _ in range(count)]
    for process in workers:
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"a {job} worker did not start")
    started = time.perf_counter()
    for process in workers:
        process.stdin.write("go\n")
        process.stdin.flush()
    lines = [process.stdout.readline() for process in workers]
    if not all(lines):
        raise RuntimeError(f"a {job} worker died (its traceback is above)")
    results = [json.loads(line) for line in lines]
    wall = time.perf_counter() - started
    for process in workers:
        process.wait()
    return wall, results


# ----------------------------------------------------------------------------------------------------------------
# data set and checks (main process)
# ----------------------------------------------------------------------------------------------------------------

def generate(env, contracts, customers, contract_customers, draft):
    import bench_cpq_contracts  # the script's folder is on sys.path
    from bench_dunning_credit import generate_customers, generate_invoices
    from bench_dunning_runs import our_policy
    from dateutil.relativedelta import relativedelta

    start = fields.Date.context_today(env["res.partner"]) + relativedelta(day=1)
    bench_cpq_contracts.CUSTOMERS = contract_customers or contracts
    _partners, terms = bench_cpq_contracts.shared_data(env, contracts)
    bench_cpq_contracts.our_contracts(env, terms, start)
    partners = generate_customers(env, customers, CUSTOMER_PREFIX)
    generate_invoices(env, partners, INVOICES_PER_CUSTOMER, 1, MOVE_PREFIX, age_sql=SQL("41 + mod(n * 7, 90)"),
                      open_sql=SQL("true"))
    our_policy(env)
    if draft:
        env.company.revcycle_contract_auto_post = False
    env.flush_all()


def one(env, query, *args):
    return env.execute_query(SQL(query, *args))[0][0]


def facts(env):
    """What the two crons made, and the duplicates that must not be."""
    today = fields.Date.context_today(env["res.partner"])
    return {
        "contract invoices": one(env, "SELECT count(*) FROM revcycle_contract_period WHERE move_id IS NOT NULL"),
        "contracts still due": one(env, """SELECT count(*) FROM revcycle_contract
                                          WHERE state = 'active' AND next_invoice_date <= %s""", today),
        "contracts flagged": one(env, "SELECT count(*) FROM revcycle_contract WHERE invoicing_error IS NOT NULL"),
        "periods invoiced twice": one(env, """
            SELECT count(*) FROM (
                SELECT 1 FROM account_move move
                  JOIN revcycle_contract contract ON contract.name = move.invoice_origin
                  JOIN account_move_line line ON line.move_id = move.id AND line.revcycle_service_start IS NOT NULL
                 WHERE move.move_type = 'out_invoice'
              GROUP BY contract.id, line.revcycle_service_start HAVING count(DISTINCT move.id) > 1) twice"""),
        "dunning notices": one(env, "SELECT count(*) FROM revcycle_dunning_notice WHERE date = %s", today),
        "invoices dunned": one(env, """SELECT count(*) FROM revcycle_dunning_notice_line line
                                        JOIN revcycle_dunning_notice notice ON notice.id = line.notice_id
                                       WHERE notice.date = %s""", today),
        "dunning runs": one(env, "SELECT count(*) FROM revcycle_dunning_run WHERE date = %s", today),
        "dunning errors": one(env, "SELECT coalesce(sum(error_count), 0) FROM revcycle_dunning_run WHERE date = %s",
                              today),
        "notices twice per customer and level": one(env, """
            SELECT count(*) FROM (SELECT 1 FROM revcycle_dunning_notice WHERE date = %s
                                GROUP BY partner_id, level_id HAVING count(*) > 1) twice""", today),
        "invoices twice per level": one(env, """
            SELECT count(*) FROM (SELECT 1 FROM revcycle_dunning_notice_line
                                GROUP BY invoice_id, level_id HAVING count(*) > 1) twice"""),
    }


def scenario(workers, seed, batch_size, odoo_argv):
    from odoo.service import db

    database = f"{seed}_{workers}w"
    db.exp_drop(database)
    db.exp_duplicate_database(seed, database)
    odoo.sql_db.close_db(database)
    timings = {}
    for job in JOBS:
        timings[job] = run_workers(job, workers, database, batch_size, odoo_argv)
        wall, results = timings[job]
        print(f"  {workers} worker(s) {job:9}: {wall:7.1f} s wall; per worker: "
              + ", ".join(f"{r['handled']} handled in {r['calls']} calls ({r['retries']} rolled back on a "
                          f"serialization failure and retried), {r['seconds']:.1f} s" for r in results),
              flush=True)
    registry = odoo.modules.registry.Registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        found = facts(env)
        for error, contracts in env.execute_query(SQL("""
                SELECT left(split_part(invoicing_error, E'\n', 1), 150), count(*) FROM revcycle_contract
                 WHERE invoicing_error IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 3""")):
            print(f"  {workers} worker(s): {contracts} contracts flagged with the invoicing error: {error}", flush=True)
    odoo.modules.registry.Registry.delete(database)
    db.exp_drop(database)
    return timings, found


def measure_size(contracts, customers, contract_customers, options, odoo_argv, source):
    """Generate one data set on a seed copy of ``source``, run the alternated rounds of both scenarios on fresh copies
    of it, print the figures and checks; returns (walls {workers: {job: [s]}}, due, overdue, ok)."""
    from odoo.service import db

    batch_size = options["--batch-size"]
    seed = f"{source}_seed"
    started = time.perf_counter()
    db.exp_drop(seed)
    db.exp_duplicate_database(source, seed)
    with odoo.modules.registry.Registry(seed).cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        generate(env, contracts, customers, contract_customers, options["--draft"])
        today = fields.Date.context_today(env["res.partner"])
        due = one(env, "SELECT count(*) FROM revcycle_contract WHERE state = 'active' AND next_invoice_date <= %s",
                  today)
        overdue = one(env, """SELECT count(*) FROM account_move WHERE move_type = 'out_invoice' AND state = 'posted'
                               AND payment_state IN ('not_paid', 'partial') AND invoice_date_due < %s""", today)
    odoo.modules.registry.Registry.delete(seed)
    odoo.sql_db.close_db(seed)
    print(f"\n== size {contracts} contracts / {customers} customers: {due} contracts due ({contract_customers} "
          f"customers), {overdue} overdue invoices ({customers} generated customers x {INVOICES_PER_CUSTOMER}, plus "
          f"demo data); generated in {time.perf_counter() - started:.0f} s", flush=True)
    walls = {1: {job: [] for job in JOBS}, 2: {job: [] for job in JOBS}}
    try:
        for round_index in range(ROUNDS):
            for workers in (1, 2) if round_index % 2 == 0 else (2, 1):
                timings, found = scenario(workers, seed, batch_size, odoo_argv)
                for job in JOBS:
                    walls[workers][job].append(timings[job][0])
                if workers == 1:
                    found_one = found
                else:
                    found_two = found
    finally:
        db.exp_drop(seed)
    batches = f"batches of {batch_size}" if batch_size else "the crons' own batch size (500)"
    invoices = "draft contract invoices" if options["--draft"] else "posted contract invoices (the default)"
    print(f"Scale-out over {due} contracts due and {overdue} overdue invoices, {batches}, {invoices}:")
    for job in JOBS:
        single, double = walls[1][job], walls[2][job]
        print(f"  {job:9}: 1 worker {describe(single)}, 2 workers {describe(double)},"
              f" speed-up {describe_ratio(single, double)}")
    print("  checks                                   1 worker   2 workers")
    ok = True
    for key in found_one:
        must_be_zero = "twice" in key
        good = found_one[key] == found_two[key] and (not must_be_zero or found_two[key] == 0)
        if key == "dunning runs":
            good = True  # two workers may each open the day's scheduled run: counted, not a duplicate
        ok = ok and good
        print(f"  {key:40} {found_one[key]:>8} {found_two[key]:>11}  {'ok' if good else 'WRONG'}")
    print(f"  nothing created twice, same totals with 1 and 2 workers: {'OK' if ok else 'NO'}", flush=True)
    return walls, due, overdue, ok


def sizes(options, explicit):
    """[(contracts, customers)]: the two sizes of BENCH_SCALE_SIZES (each N: N contracts and N customers), or the
    one size --contracts/--customers (or BENCH_CONTRACTS/BENCH_CUSTOMERS) ask for."""
    if explicit:
        return [(options["--contracts"], options["--customers"])]
    return [(int(n), int(n)) for n in os.environ.get("BENCH_SCALE_SIZES", "1000,2000").split(",")]


def main(argv):
    options, odoo_argv = own_options(argv)
    explicit = any(name in " ".join(argv) for name in ("--contracts", "--customers")) or any(
        name in os.environ for name in ("BENCH_CONTRACTS", "BENCH_CUSTOMERS"))
    odoo.tools.config.parse_config(odoo_argv, setup_logging=True)
    source = odoo.tools.config["db_name"]
    source = source[0] if isinstance(source, list) else source
    print_fairness(
        {"1 worker": "each cron method called by one process until it has nothing left",
         "2 workers": "the same calls by two processes at once, from one start signal"},
        "a fresh copy of the same generated database, the same batch size, committed after each call",
        "only the number of processes (the machine has two cores, shared: the speed-up is bounded by them)",
    )
    measured = []
    for contracts, customers in sizes(options, explicit):
        contract_customers = options["--contract-customers"] or contracts
        walls, due, overdue, ok = measure_size(contracts, customers, contract_customers, options, odoo_argv, source)
        measured.append((contracts, customers, walls, due, overdue))
        size = f"{contracts} contracts, {customers} customers"
        for job in JOBS:
            # the issue sets no target here: two workers must at least not be slower than one on two shared cores
            print_ratio_result("scale_out", f"{job} speed-up, 2 workers / 1", size, walls[1][job], walls[2][job], 1.0)
        print_result("scale_out", "nothing made twice, same totals", size, int(ok), int(ok), int(ok), "ok",
                     "= 1 (ok)", ok)
    if len(measured) > 1:
        print("\nhow cost grows (median wall seconds per 1,000 contracts due / 1,000 overdue invoices):")
        for contracts, customers, walls, due, overdue in measured:
            per = {"invoicing": max(due, 1) / 1000, "dunning": max(overdue, 1) / 1000}
            print(f"  {contracts:>6} contracts, {customers:>6} customers: " + ", ".join(
                f"{job} 1 worker {statistics.median(walls[1][job]) / per[job]:.2f} s, 2 workers "
                f"{statistics.median(walls[2][job]) / per[job]:.2f} s" for job in JOBS))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    else:
        main(sys.argv[1:])
