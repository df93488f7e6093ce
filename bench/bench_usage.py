"""Usage billing at scale (issue 22): usage ingested over real XML-RPC, then 5,000 contracts' month of usage rated.

1. Ingestion over XML-RPC against an Odoo server this script starts on the bench database (BENCH_USAGE_WORKERS HTTP
   workers), by BENCH_USAGE_CLIENTS client threads, each with its own connection; the clients build each batch's
   records and request while the clock runs, as an integration would. Two forms, in alternated rounds:
   - csv: `revcycle_report_usage_csv`, batches of BENCH_USAGE_BATCH rows as CSV text, read by Python's csv module,
     checked by the short path and written by COPY + one INSERT ... ON CONFLICT (the headline figure; target >= 20,000
     records/s);
   - dicts: `revcycle_report_usage`, batches of BENCH_USAGE_DICT_BATCH XML-RPC structs (BENCH_USAGE_DICT_SAMPLE
     records of each size's growth), checked record by record, written by COPY + one INSERT ... ON CONFLICT.
   Each size adds records until the database holds that many (sizes in BENCH_USAGE_SIZES, default 1,000,000 and
   4,000,000), in ROUNDS rounds per form; the data set is kept and reused (records are keyed by their number), so a
   second run gives no ingestion figure: it measures the rating and re-sends one batch to time the duplicate path.
2. Rating: the invoicing run's rating step (`revcycle.contract._revcycle_usage_bills`: the run's lines and contracts
   read by one query each, one aggregate of the unrated usage per (line, period), the engine, the invoice lines and
   rating values) for the 5,000 contracts, against one SQL aggregate computing the same quantities (sum of the
   month's unrated usage per line). Both in alternated rounds; the quantities are checked equal. Target: within 3x.
   The invoices themselves (Odoo's invoice engine) are not part of this figure: bench_cpq_contracts measures them.

The machine is shared: the load average is printed beside each figure. One RESULT line per headline figure and size.

Run: ./revcycle bench usage   (database revcycle_bench_usage; extra Odoo options after the name)
Environment: BENCH_USAGE_SIZES (1000000,4000000), BENCH_USAGE_BATCH (50000), BENCH_USAGE_DICT_BATCH (10000),
BENCH_USAGE_DICT_SAMPLE (150000), BENCH_USAGE_CLIENTS (2), BENCH_USAGE_WORKERS (2), BENCH_USAGE_PORT (8099),
BENCH_CONTRACTS (5000), BENCH_USAGE_PROFILE (profile the rating and one in-process batch instead).
"""

import csv
import io
import os
import socket
import subprocess
import sys
import threading
import time
import xmlrpc.client
from datetime import datetime, timedelta

import odoo
from benchlib import (
    ROUNDS,
    alternated_rounds,
    describe,
    describe_ratio,
    median_spread,
    open_registry,
    print_fairness,
    print_result,
    ratio_of_medians,
)
from dateutil.relativedelta import relativedelta
from odoo import Command, api, fields
from odoo.tools import SQL

MODULES = ("revcycle_cpq",)

SIZES = [int(size) for size in os.environ.get("BENCH_USAGE_SIZES", "1000000,4000000").split(",")]
BATCH = int(os.environ.get("BENCH_USAGE_BATCH", "50000"))
DICT_BATCH = int(os.environ.get("BENCH_USAGE_DICT_BATCH", "10000"))
DICT_SAMPLE = int(os.environ.get("BENCH_USAGE_DICT_SAMPLE", "150000"))
CSV_COLUMNS = ("contract_line_id", "date", "quantity", "key", "source")
CLIENTS = int(os.environ.get("BENCH_USAGE_CLIENTS", "2"))
WORKERS = int(os.environ.get("BENCH_USAGE_WORKERS", "2"))
PORT = int(os.environ.get("BENCH_USAGE_PORT", "8099"))
CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", "5000"))
MARK = "bench usage customer"


def bench_contracts(env, month_start):
    """The 5,000 active monthly contracts with one metered line each (graduated tiers, 1,000 included, a 20.00
    commitment), started on the first day of the month being rated; built once and kept."""
    contracts = env["revcycle.contract"].search([("partner_id.name", "=like", f"{MARK}%")])
    if len(contracts) >= CONTRACTS:
        return contracts[:CONTRACTS]
    product = env["product.product"].create(
        {
            "name": "bench metered calls",
            "type": "service",
            "list_price": 0.02,
            "revcycle_recurring": True,
            "revcycle_metered": True,
            "revcycle_charge_model": "graduated",
            "revcycle_usage_included": 1000,
            "revcycle_usage_minimum": 20.0,
            "company_id": env.company.id,
            "revcycle_tier_ids": [
                Command.create({"min_quantity": 0, "price": 0.03}),
                Command.create({"min_quantity": 501, "price": 0.02}),
                Command.create({"min_quantity": 5001, "price": 0.01}),
            ],
        }
    )
    partners = env["res.partner"].create([{"name": f"{MARK} {i}"} for i in range(500)])
    contracts = env["revcycle.contract"].create(
        [
            {
                "partner_id": partners[i % 500].id,
                "date_start": month_start,
                "date_end": month_start + relativedelta(years=1, days=-1),
                "line_ids": [
                    Command.create({"product_id": product.id, "name": "Calls", "quantity": 1, "price_unit": 0.02})
                ],
            }
            for i in range(CONTRACTS)
        ]
    )
    contracts.write({"state": "active", "signed_date": month_start, "signed_by": "bench"})
    env.cr.commit()  # the generated data set is kept and reused
    return contracts


def record_batch(line_ids, month_start, first, count):
    """Records first .. first + count - 1: record n on line n % lines, at minute n of the month, 1 + n % 7 units."""
    minutes = 28 * 24 * 60
    return [
        {
            "contract_line_id": line_ids[n % len(line_ids)],
            "date": (datetime.combine(month_start, datetime.min.time()) + timedelta(minutes=n % minutes)).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "quantity": 1 + n % 7,
            "key": f"bench-{n}",
            "source": "bench",
        }
        for n in range(first, first + count)
    ]


def start_server(argv):
    """Odoo's HTTP server on the bench database, as an integration would reach it."""
    options = [option for option in argv if option != "--no-http"]
    command = [
        sys.executable,
        "-m",
        "odoo",
        "server",
        *options,
        "--http-port",
        str(PORT),
        "--workers",
        str(WORKERS),
        "--max-cron-threads",
        "0",
        "--limit-time-real",
        "600",
        "--limit-time-cpu",
        "600",
        "--limit-memory-soft",
        str(4 << 30),
        "--limit-memory-hard",
        str(5 << 30),
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
            return server
        except OSError:
            time.sleep(1)
    server.terminate()
    raise RuntimeError(f"Odoo did not start on port {PORT}")


def warm_up(database):
    """A first call per worker loads its registry: not part of any figure."""
    common = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{PORT}/xmlrpc/2/common", allow_none=True)
    uid = common.authenticate(database, "admin", "admin", {})
    models = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{PORT}/xmlrpc/2/object", allow_none=True)
    for _ in range(4 * WORKERS):
        models.execute_kw(database, uid, "admin", "revcycle.usage.record", "revcycle_report_usage", [[]])


def csv_text(records):
    """The records as the CSV text of revcycle_report_usage_csv (a header row, then one record a row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([record[column] for column in CSV_COLUMNS] for record in records)
    return buffer.getvalue()


def ingest(database, line_ids, month_start, first, last, form="csv"):
    """Send records first .. last - 1 in batches from CLIENTS threads, each with its own connection, as CSV text
    (``revcycle_report_usage_csv``, batches of BATCH) or as XML-RPC structs (``revcycle_report_usage``, batches of
    DICT_BATCH); the clients build each batch's records and request while the clock runs, as an integration does.
    Returns (seconds, totals)."""
    size = BATCH if form == "csv" else DICT_BATCH
    batches = list(range(first, last, size))
    totals = {"created": 0, "duplicates": 0, "refused": 0}
    lock = threading.Lock()

    def client():
        common = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{PORT}/xmlrpc/2/common", allow_none=True)
        uid = common.authenticate(database, "admin", "admin", {})
        models = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{PORT}/xmlrpc/2/object", allow_none=True)
        while True:
            with lock:
                if not batches:
                    return
                start = batches.pop(0)
            records = record_batch(line_ids, month_start, start, min(size, last - start))
            if form == "csv":
                method, payload = "revcycle_report_usage_csv", csv_text(records)
            else:
                method, payload = "revcycle_report_usage", records
            result = models.execute_kw(database, uid, "admin", "revcycle.usage.record", method, [payload])
            with lock:
                totals["created"] += result["created"]
                totals["duplicates"] += len(result["duplicates"])
                totals["refused"] += len(result["refused"])

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, totals


def grow(database, line_ids, month_start, held, size):
    """Add records held .. size - 1 in ROUNDS alternated rounds: each round sends its share of the CSV part and of
    the DICT_SAMPLE records sent as structs. Returns {form: [records/s of each round]} and the totals."""
    dict_count = min(DICT_SAMPLE, (size - held) // 4)
    csv_count = size - held - dict_count
    plan = []  # (form, first, last) of each side's round, in order of the data set
    position = held
    for round_index in range(ROUNDS):
        for form, count in (("dicts", dict_count), ("csv", csv_count)):
            share = count // ROUNDS + (count % ROUNDS if round_index == ROUNDS - 1 else 0)
            plan.append((form, position, position + share))
            position += share
    queues = {form: [(first, last) for kind, first, last in plan if kind == form] for form in ("csv", "dicts")}
    rates = {"csv": [], "dicts": []}
    totals = {"created": 0, "duplicates": 0, "refused": 0}

    def side(form):
        def run():
            first, last = queues[form].pop(0)
            seconds, counts = ingest(database, line_ids, month_start, first, last, form)
            for name, value in counts.items():
                totals[name] += value
            rates[form].append((last - first) / seconds)
            return seconds

        return run

    alternated_rounds({"csv": side("csv"), "dicts": side("dicts")})
    return rates, totals, csv_count, dict_count


def rate_ours(env, contracts, due):
    bills = contracts._revcycle_usage_bills(due)
    return {vals["contract_line_id"]: vals["quantity"] for bill in bills.values() for vals, _target in bill.ratings}


def rate_sql(env, line_ids, month_start, month_end):
    rows = env.execute_query(
        SQL(
            """SELECT contract_line_id, sum(quantity) FROM revcycle_usage_record
            WHERE contract_line_id = ANY(%s) AND rating_id IS NULL AND date >= %s AND date < %s
            GROUP BY contract_line_id""",
            line_ids,
            month_start,
            month_end + timedelta(days=1),
        )
    )
    return dict(rows)


def measure_rating(env, contracts, month_start):
    period_end = month_start + relativedelta(months=1, days=-1)
    # the invoice of the next month (prepaid: dated its first day) bills the month that closed; the engine is
    # importable once the registry has loaded the addons
    from odoo.addons.revcycle_base.engine import periods as period_engine

    due = [
        (
            contract,
            period_engine.Period(
                period_end + timedelta(days=1),
                period_end + relativedelta(months=1),
                period_end + timedelta(days=1),
                period_end + relativedelta(months=1),
            ),
        )
        for contract in contracts
    ]
    line_ids = contracts.line_ids.ids
    results = {}

    def ours():
        env.invalidate_all()
        started = time.perf_counter()
        results["ours"] = rate_ours(env, contracts, due)
        return time.perf_counter() - started

    def sql():
        env.invalidate_all()
        started = time.perf_counter()
        results["sql"] = rate_sql(env, line_ids, month_start, period_end)
        return time.perf_counter() - started

    timings = alternated_rounds({"ours": ours, "sql": sql})
    ours_quantities = {line: qty for line, qty in results["ours"].items() if qty}
    agree = all(abs(ours_quantities.get(line, 0) - qty) < 1e-6 for line, qty in results["sql"].items()) and len(
        ours_quantities
    ) == len(results["sql"])
    return timings, agree, sum(results["sql"].values())


def profile_rating(registry, contracts, month_start):
    """BENCH_USAGE_PROFILE=1: one profiled rating of the 5,000 contracts, the most expensive functions printed."""
    import cProfile
    import pstats

    from odoo.addons.revcycle_base.engine import periods as period_engine

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        contracts = contracts.with_env(env)
        period_start = month_start + relativedelta(months=1)
        period = period_engine.Period(
            period_start,
            period_start + relativedelta(months=1, days=-1),
            period_start,
            period_start + relativedelta(months=1, days=-1),
        )
        profiler = cProfile.Profile()
        profiler.enable()
        rate_ours(env, contracts, [(contract, period) for contract in contracts])
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        # one batch ingested in process (no XML-RPC), new keys, rolled back
        records = record_batch(contracts.line_ids.ids, month_start, 10**9, BATCH)
        profiler = cProfile.Profile()
        profiler.enable()
        env["revcycle.usage.record"].revcycle_report_usage(records)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        cr.rollback()


def main(argv):
    registry = open_registry(argv)
    database = registry.db_name
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        month_start = fields.Date.context_today(env["res.partner"]) + relativedelta(months=-1, day=1)
        contracts = bench_contracts(env, month_start)
        line_ids = contracts.line_ids.ids
        env["revcycle.usage.record"].flush_model()
        held = env.execute_query(SQL("SELECT count(*) FROM revcycle_usage_record WHERE source = 'bench'"))[0][0]
    print_fairness(
        {
            "ours": "rating step of the contract invoicing run for 5,000 contracts (aggregate, terms, tier engine, "
            "invoice line and rating values)",
            "sql": "one SQL aggregate: the month's unrated usage summed per contract line",
        },
        "the same usage records, the same month, the same database",
        "ours also prices each line (allowance, tiers, commitment) and builds its invoice lines",
    )
    print_fairness(
        {
            "csv": "revcycle_report_usage_csv: the records as CSV text, read by csv, checked one by one, then COPY",
            "dicts": "revcycle_report_usage: the records as XML-RPC structs, checked one by one, written by COPY",
        },
        f"the same record generator, {CLIENTS} client threads each with its own connection building the records and "
        f"requests while the clock runs (on this machine), {WORKERS} server workers, the same checks and answer",
        "the form of the records on the wire (and so how the server reads and checks them); the batch size",
    )
    print(
        f"data: {CONTRACTS} active monthly contracts, one metered line each; month {month_start}; "
        f"{held:,} usage records held; ingestion by {CLIENTS} clients, batches of {BATCH:,}, {WORKERS} workers"
    )
    if os.environ.get("BENCH_USAGE_PROFILE"):
        profile_rating(registry, contracts, month_start)
        return
    server = start_server(argv)
    try:
        warm_up(database)
        for size in SIZES:
            if held < size:
                rates, totals, csv_count, dict_count = grow(database, line_ids, month_start, held, size)
                print(
                    f"ingest {size - held:,} records to reach {size:,} (created {totals['created']:,}, duplicates "
                    f"{totals['duplicates']:,}, refused {totals['refused']:,}), {ROUNDS} alternated rounds; load "
                    f"average {os.getloadavg()[0]:.1f}:",
                    flush=True,
                )
                for form, count in (("csv", csv_count), ("dicts", dict_count)):
                    print(f"  {form:<6} {count:,} records: {describe(rates[form], 'records/s')}")
                    middle, _spread = median_spread(rates[form])
                    print_result(
                        "usage",
                        f"ingestion over XML-RPC ({form})",
                        size,
                        middle,
                        min(rates[form]),
                        max(rates[form]),
                        "records/s",
                        ">= 20000 records/s",
                        middle >= 20000,
                    )
                held = size
            elif held > size:
                print(
                    f"{size:,}: the database holds {held:,} records already; this size is measured by the run that "
                    "grows the data set through it (from a new bench database)"
                )
                continue
            else:
                print(f"{size:,} records held already: no ingestion figure (it is measured while the data set grows)")
            seconds, totals = ingest(database, line_ids, month_start, 0, BATCH)
            print(
                f"  one CSV batch of {BATCH:,} already held (all duplicates): {seconds:.2f} s, "
                f"{BATCH / seconds:,.0f} records/s",
                flush=True,
            )
            with registry.cursor() as cr:
                env = api.Environment(cr, odoo.SUPERUSER_ID, {})
                timings, agree, total = measure_rating(env, contracts.with_env(env), month_start)
                print(
                    f"rating {CONTRACTS:,} contracts' month at {size:,} records ({total:,.0f} units; load average "
                    f"{os.getloadavg()[0]:.1f}):"
                )
                print(f"  ours {describe(timings['ours'])}")
                print(f"  sql  {describe(timings['sql'])}")
                print(
                    f"  ratio ours / sql: {describe_ratio(timings['ours'], timings['sql'])}; quantities agree: "
                    f"{agree}",
                    flush=True,
                )
                ratio, low, high = ratio_of_medians(timings["ours"], timings["sql"])
                print_result(
                    "usage",
                    "rating 5,000 contracts / one SQL aggregate",
                    size,
                    ratio,
                    low,
                    high,
                    "x",
                    "<= 3x",
                    ratio <= 3 and agree,
                )
                cr.rollback()
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main(sys.argv[1:])
