"""10,000 performance obligations over 12 months: time to build their recognition schedules, and time for one
month-end `recognize_until`, against OCA account_spread_cost_revenue on the same amounts and months (10,000 spreads:
computing their spread boards, then its cron `_create_entries` creating and posting the month's entries).
Target: ours at least 3x faster on both.

Both sides get the same data (2,000 revenue contracts of 5 ratable obligations without schedules, and 10,000
spreads of the same amounts without boards), generated once per month and kept in the benchmark database: a data
set is keyed by its first month (the previous calendar month, since OCA's cron takes today as its date, so its first
month is exactly what is due). Each measurement runs in its own transaction, rolled back afterwards, ours and the
peer's alternated so the shared CPUs weigh on both alike; between measurements the churned tables are vacuumed and
analysed, as autovacuum would in production (without it, planner statistics left stale by the rolled-back rows
make OCA's stored computes, which every posted entry triggers, scan the spread lines thousands of times).

Two sizes, as the first N obligations and the first N spreads of the data set (only those get a schedule or a
board, so only those are due at the month-end): REVCYCLE_BENCH_REVREC_SIZES (default "250,1000"; the issue's
10,000 with "2000,10000": the peer side then takes minutes a round).

What dominates the month-end gap: ours posts one entry per period and 50 contracts (N / 250 entries: 40 for 10,000
obligations), OCA one entry per spread line (N entries), and an Odoo entry costs about the same whatever its line
count (its number, its checks, its posting); per revenue line the work is alike. The ratio is mostly that batching.

Run: ./revcycle bench revrec   (database revcycle_bench_revrec; extra Odoo options after the name go to Odoo)
     REVCYCLE_BENCH_RUNS=3 (the default; alternated rounds, each side first in turn)
"""

import os
import sys
import time
from datetime import date, timedelta

import odoo
from benchlib import describe, describe_ratio, open_registry, print_fairness
from dateutil.relativedelta import relativedelta
from odoo import api
from odoo.tools import SQL

MODULES = ("revcycle_revrec",)
PEER_MODULES = ("account_spread_cost_revenue",)

CONTRACTS = 2000
OBLIGATIONS_PER_CONTRACT = 5
MONTHS = 12
CHURNED_TABLES = (
    "revcycle_revenue_line",
    "account_spread_line",
    "account_spread",
    "account_move",
    "account_move_line",
    "mail_message",
)
RUNS = int(os.environ.get("REVCYCLE_BENCH_RUNS", "3"))
SIZES = tuple(int(n) for n in os.environ.get("REVCYCLE_BENCH_REVREC_SIZES", "250,1000").split(","))


def amount_of(index):
    """Varied amounts with cents that do not divide by 12, so both sides round."""
    return round(1200.0 + (index * 7919) % 50000 + (index % 97) / 100.0, 2)


def setup_company(env):
    company = env.company
    company._revcycle_revrec_setup_accounts()
    income = env["account.account"].search(
        [*env["account.account"]._check_company_domain(company), ("account_type", "=", "income")], limit=1
    )
    return company, income


def make_obligations(env, company, income, start, end, partner):
    """2,000 revenue contracts with 5 ratable obligations each, allocated and not yet scheduled."""
    product = env["product.product"].create(
        {"name": "bench subscription", "type": "service", "revcycle_recognition": "ratable_monthly"}
    )
    contracts = env["revcycle.revenue.contract"].create(
        [
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "currency_id": company.currency_id.id,
                "date": start,
                "origin": f"bench {c}",
                "transaction_price": sum(
                    amount_of(c * OBLIGATIONS_PER_CONTRACT + o) for o in range(OBLIGATIONS_PER_CONTRACT)
                ),
            }
            for c in range(CONTRACTS)
        ]
    )
    obligations = env["revcycle.performance.obligation"].create(
        [
            {
                "contract_id": contract.id,
                "product_id": product.id,
                "name": f"bench obligation {c * OBLIGATIONS_PER_CONTRACT + o}",
                "recognition": "ratable_monthly",
                "selling_price": amount_of(c * OBLIGATIONS_PER_CONTRACT + o),
                "ssp": amount_of(c * OBLIGATIONS_PER_CONTRACT + o),
                "allocated_amount": amount_of(c * OBLIGATIONS_PER_CONTRACT + o),
                "date_start": start,
                "date_end": end,
                "income_account_id": income.id,
            }
            for c, contract in enumerate(contracts)
            for o in range(OBLIGATIONS_PER_CONTRACT)
        ]
    )
    return obligations


def make_spreads(env, company, income, start, tag):
    """The same 10,000 amounts as OCA customer spreads over 12 months: deferred revenue to income."""
    journal = company.revcycle_recognition_journal_id
    return env["account.spread"].create(
        [
            {
                "name": f"{tag} {index}",
                "invoice_type": "out_invoice",
                "estimated_amount": amount_of(index),
                "spread_date": start,
                "period_number": MONTHS,
                "period_type": "month",
                "journal_id": journal.id,
                "credit_account_id": company.revcycle_deferred_revenue_account_id.id,
                "debit_account_id": income.id,
                "company_id": company.id,
            }
            for index in range(CONTRACTS * OBLIGATIONS_PER_CONTRACT)
        ]
    )


def timed(env, action):
    started = time.perf_counter()
    action()
    env.flush_all()
    return time.perf_counter() - started


def measure(registry, label, timings, prepare, action, key=None):
    """``action(env)`` timed in a transaction of its own after ``prepare(env)`` (untimed), then rolled back."""
    key = key or label
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        prepare(env)
        env.flush_all()
        timings[key].append(timed(env, lambda: action(env)))
        print(f"  {key!s:<25} {timings[key][-1]:8.2f} s", flush=True)
        cr.rollback()
    vacuum(registry)


def vacuum(registry):
    """What autovacuum does between two real month-ends: drop the rolled-back rows and refresh the statistics."""
    with registry.cursor() as cr:
        cr.rollback()
        cr._cnx.autocommit = True
        for table in CHURNED_TABLES:
            cr.execute(SQL("VACUUM ANALYZE %s", SQL.identifier(table)))
        cr._cnx.autocommit = False


def data_set(registry, start, end):
    """(obligation ids, spread ids) of the month's data set, generated and committed on the first run."""
    tag = f"bench revrec {start:%Y-%m}"
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        partner = env["res.partner"].search([("name", "=", tag)], limit=1)
        if not partner:
            started = time.perf_counter()
            company, income = setup_company(env)
            partner = env["res.partner"].create({"name": tag})
            make_obligations(env, company, income, start, end, partner)
            make_spreads(env, company, income, start, tag)
            env.flush_all()
            cr.commit()
            print(f"data: generated in {time.perf_counter() - started:.1f} s and kept ({tag})", flush=True)
        obligations = env["revcycle.performance.obligation"].search([("partner_id", "=", partner.id)])
        spreads = env["account.spread"].search([("name", "=like", f"{tag} %")])
        print(
            f"data: {len(obligations)} obligations and {len(spreads)} spreads of the same amounts over {MONTHS} months "
            f"from {start}",
            flush=True,
        )
        return obligations.ids, spreads.ids, env.company.id


def main(argv):
    registry = open_registry(argv)
    today = date.today()
    start = (today - relativedelta(months=1)).replace(day=1)
    month_end = today.replace(day=1) - timedelta(days=1)
    end = start + relativedelta(months=MONTHS) - timedelta(days=1)
    all_obligations, all_spreads, company_id = data_set(registry, start, end)
    vacuum(registry)
    print_fairness(
        {
            "revcycle": "revenue schedules of N obligations (_revcycle_plan), then recognize_until(month end)",
            "OCA": "spread boards of N spreads (compute_spread_board), then its cron _create_entries",
        },
        "the same N amounts over the same 12 months, the same company, journal and accounts; each measurement in"
        " its own transaction, rolled back, tables vacuumed between (as autovacuum would)",
        "batching: ours posts one entry per period and 50 contracts (N / 250), OCA one per spread line (N); that"
        " dominates the month-end ratio",
    )
    timings = {}
    summaries = []
    for size in SIZES:
        obligation_ids, spread_ids = sorted(all_obligations)[:size], sorted(all_spreads)[:size]
        for label in ("ours build", "oca build", "ours month-end", "oca month-end"):
            timings[size, label] = []

        def nothing(env):
            return None

        def ours_plan(env, ids=obligation_ids):
            env["revcycle.performance.obligation"].browse(ids)._revcycle_plan()

        def oca_boards(env, ids=spread_ids):
            env["account.spread"].browse(ids).compute_spread_board()

        def ours_month_end(env):
            summaries.append(env["revcycle.revenue.contract"].recognize_until(month_end, company_ids=[company_id]))

        def oca_month_end(env):
            env["account.spread.line"]._create_entries()

        steps = [
            ("ours build", nothing, ours_plan),
            ("oca build", nothing, oca_boards),
            ("ours month-end", ours_plan, ours_month_end),
            ("oca month-end", oca_boards, oca_month_end),
        ]
        for round_index in range(RUNS):
            for label, prepare, action in steps if round_index % 2 == 0 else steps[::-1]:
                measure(registry, label, timings, prepare, action, key=(size, label))
        summary = summaries[-1]
        print(
            f"month-end {month_end}: ours posted {summary['lines']} revenue lines of {summary['contracts']} contracts,"
            f" {summary['amount']:.2f}, in {len(summary['move_ids'])} entries (one per period and 50 contracts)"
        )
    for size in SIZES:
        t = {label: timings[size, label] for label in ("ours build", "oca build", "ours month-end", "oca month-end")}
        print(f"{size:,} obligations x {MONTHS} months, {RUNS} alternated rounds:")
        print(f"  build schedules   revcycle_revrec : {describe(t['ours build'])}")
        print(f"  spread boards     OCA spread      : {describe(t['oca build'])}")
        print(f"  ratio OCA / ours                  : {describe_ratio(t['oca build'], t['ours build'])}  (target >= 3)")
        print(f"  month-end         recognize_until : {describe(t['ours month-end'])}")
        print(f"  month-end         OCA cron entries: {describe(t['oca month-end'])}")
        print(
            f"  ratio OCA / ours                  : {describe_ratio(t['oca month-end'], t['ours month-end'])}"
            f"  (target >= 3; mostly entries batched: {max(1, size // 250)} against {size})"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
