"""A dunning run over 20,000 overdue invoices of 2,000 customers, then an immediate second run that must do nothing,
side by side with OCA account_credit_control computing its credit control lines on the same invoices.

Issue 6 target: ours at least 3x faster than OCA's line generation.

The same ladder on both sides: reminders by email at 10, 30 and 60 days past due, no fees. Our run finds the
invoices, decides each one's level, writes one notice per customer and level with its invoice lines (the record
that keeps a level from being sent twice), fees and holds, and queues the notices; the sending job then renders
and queues one email per notice. Both are measured and printed apart and together. OCA's run writes its credit
control lines (drafts, one per invoice): its emails are a later, separate step (communications, then the emailer
wizard, which renders a PDF summary per email), not measured here. Both runs are measured in savepoints that are
rolled back, alternately, on one data set generated once with bulk SQL and kept (10 open invoices per customer, 11 to
100 days past due).

Run: ./revcycle bench dunning_runs   (database revcycle_bench_dunning_runs; extra Odoo options go to Odoo)
BENCH_ROUNDS (3, alternated), BENCH_PROFILE=run,send (a profiled run or sending first, BENCH_PROFILE_LINES
functions printed).
"""

import cProfile
import os
import pstats
import sys
import time

import odoo

# the script's own folder is on sys.path: the data generator is shared with the credit check benchmark
from bench_dunning_credit import generate_customers, generate_invoices
from benchlib import describe, describe_ratio, open_registry, print_fairness
from odoo import Command, api, fields
from odoo.tools import SQL

MODULES = ("revcycle_dunning",)
PEER_MODULES = ("account_credit_control",)

CUSTOMERS = 2_000
INVOICES_PER_CUSTOMER = 10
# one round takes a few minutes on a loaded machine; the sides alternate which goes first
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PREFIX = "bench dunning customer"
MOVE_PREFIX = "BENCHDN/"
LADDER = ((10, "First reminder"), (30, "Second reminder"), (60, "Last reminder"))


def our_policy(env):
    Policy = env["revcycle.dunning.policy"]
    policy = Policy.search([("name", "=", "bench ladder")], limit=1) or Policy.create(
        {
            "name": "bench ladder",
            "company_id": env.company.id,
            "level_ids": [
                Command.create({"sequence": 10 * (index + 1), "name": name, "days": days, "channel": "email"})
                for index, (days, name) in enumerate(LADDER)
            ],
        }
    )
    env.company.revcycle_dunning_policy_id = policy
    return policy


def oca_policy(env, receivable):
    Policy = env["credit.control.policy"]
    policy = Policy.search([("name", "=", "bench ladder")], limit=1)
    if not policy:
        template = env.ref("account_credit_control.email_template_credit_control_base")
        policy = Policy.create(
            {
                "name": "bench ladder",
                "company_id": env.company.id,
                "account_ids": [Command.set(receivable.ids)],
                "level_ids": [
                    Command.create(
                        {
                            "name": name,
                            "level": index + 1,
                            "computation_mode": "net_days",
                            "delay_days": days,
                            "channel": "email",
                            "email_template_id": template.id,
                            "custom_text": name,
                            "custom_mail_text": f"<p>{name}</p>",
                        }
                    )
                    for index, (days, name) in enumerate(LADDER)
                ],
            }
        )
    env.company.credit_policy_id = policy
    return policy


def prepare(env):
    partners = generate_customers(env, CUSTOMERS, PREFIX)
    generate_invoices(
        env,
        partners,
        INVOICES_PER_CUSTOMER,
        1,
        MOVE_PREFIX,
        # immediate terms of 30 days: invoices 41 to 130 days old are 11 to 100 days past due, all still open
        age_sql=SQL("41 + mod(n * 7, 90)"),
        open_sql=SQL("true"),
    )
    receivable = env["account.account"].search(
        [("account_type", "=", "asset_receivable"), ("company_ids", "in", env.company.id)], limit=1
    )
    ours, oca = our_policy(env), oca_policy(env, receivable)
    # the reminder template as this version of the addon ships it: an update keeps a database's (noupdate) templates
    env.ref("revcycle_dunning.mail_template_dunning_notice").reset_template()
    env.flush_all()
    env.cr.commit()
    return partners, ours, oca


def count(env, table):
    return env.execute_query(SQL("SELECT COUNT(*) FROM %s", SQL.identifier(table)))[0][0]


def send_queued(env):
    """The sending job, called until the queue is empty, as the cron's progress loop would: (seconds, notices)."""
    Notice = env["revcycle.dunning.notice"]
    started = time.perf_counter()
    sent = 0
    while handled := Notice._cron_send_notices():
        sent += handled
    env.flush_all()
    env.cr.precommit.run()
    return time.perf_counter() - started, sent


def timed_run(env, date):
    """(seconds, summary) of one dunning run, flushed and its commit hooks run as a real transaction would."""
    started = time.perf_counter()
    summary = env["revcycle.dunning.run"].run_for_date(date)
    env.flush_all()
    env.cr.precommit.run()
    return time.perf_counter() - started, summary


def run_ours(env, date):
    """A dict of the first run, the sending of its notices, and an immediate second run and sending; rolled back."""
    cr = env.cr
    mails_before = count(env, "mail_mail")
    result = {}
    with cr.savepoint(flush=False) as savepoint:
        result["first_s"], result["first"] = timed_run(env, date)
        result["send_s"], result["sent"] = send_queued(env)
        result["mails"] = count(env, "mail_mail") - mails_before
        result["second_s"], result["second"] = timed_run(env, date)
        result["second_send_s"], result["second_sent"] = send_queued(env)
        savepoint.rollback()
    cr.precommit.clear()
    env.invalidate_all()
    return result


def profile(env, date, step):
    """BENCH_PROFILE=run or =send: one profiled run (and its sending), the most expensive functions printed."""
    cr = env.cr
    profiler = cProfile.Profile()
    with cr.savepoint(flush=False) as savepoint:
        if step == "run":
            profiler.enable()
        env["revcycle.dunning.run"].run_for_date(date)
        env.flush_all()
        profiler.disable()
        if step == "send":
            profiler.enable()
            send_queued(env)
            profiler.disable()
        savepoint.rollback()
    cr.precommit.clear()
    env.invalidate_all()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(int(os.environ.get("BENCH_PROFILE_LINES", "60")))
    if os.environ.get("BENCH_PROFILE_CALLERS"):
        stats.print_callers(os.environ["BENCH_PROFILE_CALLERS"])


def run_oca(env, date, policy):
    """(seconds, credit lines written); rolled back."""
    cr = env.cr
    with cr.savepoint(flush=False) as savepoint:
        started = time.perf_counter()
        run = env["credit.control.run"].create({"date": date, "policy_ids": [Command.set(policy.ids)]})
        run.generate_credit_lines()
        env.flush_all()
        seconds = time.perf_counter() - started
        lines = len(run.line_ids)
        savepoint.rollback()
    env.invalidate_all()
    return seconds, lines


def main(argv):
    registry = open_registry(argv)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        started = time.perf_counter()
        _partners, _ours, oca = prepare(env)
        date = fields.Date.context_today(env["res.partner"])
        overdue = env["account.move"].search_count(
            [("name", "=like", f"{MOVE_PREFIX}%"), ("payment_state", "=", "not_paid"), ("invoice_date_due", "<", date)]
        )
        print(
            f"data: {CUSTOMERS} customers, {overdue} overdue invoices ({time.perf_counter() - started:.0f} s "
            "to generate or find)"
        )
        print_fairness(
            {
                "revcycle": "dunning run (levels decided, notices and their lines written, queued), then sending",
                "OCA": "account_credit_control run writing its credit control lines (its emails a later step)",
            },
            "the same overdue invoices, the same 10/30/60-day email ladder, no fees; each run in a rolled-back"
            " savepoint",
            "ours writes one notice per customer and level and guards against a second sending; OCA one line per"
            " invoice. Compared: our run alone (the same job) and our run + sending",
        )
        for step in filter(None, os.environ.get("BENCH_PROFILE", "").split(",")):
            profile(env, date, step)
        ours, oca_runs = [], []
        for round_index in range(ROUNDS):
            for side in ("ours", "oca") if round_index % 2 == 0 else ("oca", "ours"):
                if side == "ours":
                    ours.append(run_ours(env, date))
                    r = ours[-1]
                    print(
                        f"  round {round_index + 1} revcycle: run {r['first_s']:7.2f} s "
                        f"({r['first']['notices']} notices, "
                        f"{r['first']['invoices']} invoices, {r['first']['customers']} customers, "
                        f"{r['first']['errors']} errors); sending {r['send_s']:7.2f} s ({r['sent']} notices, "
                        f"{r['mails']} mails queued); second run {r['second_s']:6.3f} s "
                        f"({r['second']['notices']} notices), second sending {r['second_send_s']:6.3f} s "
                        f"({r['second_sent']} notices)",
                        flush=True,
                    )
                else:
                    oca_runs.append(run_oca(env, date, oca))
                    print(
                        f"  round {round_index + 1} OCA credit lines: {oca_runs[-1][0]:7.2f} s "
                        f"({oca_runs[-1][1]} lines)",
                        flush=True,
                    )
        cr.rollback()
    if not ours:
        return

    runs = {key: [run[key] for run in ours] for key in ("first_s", "send_s", "second_s")}
    runs["run + sending"] = [run["first_s"] + run["send_s"] for run in ours]
    oca_runs = [run[0] for run in oca_runs]
    nothing_twice = all(run["second"]["notices"] == 0 and run["second_sent"] == 0 for run in ours)
    print(f"dunning run over {overdue} overdue invoices of {CUSTOMERS} customers, {ROUNDS} alternated rounds:")
    print(f"  revcycle run (levels decided, notices and lines written, queued): {describe(runs['first_s'])}")
    print(f"  revcycle sending the queued notices (emails rendered, queued)   : {describe(runs['send_s'])}")
    print(
        f"  revcycle second run + sending (same date)                       : {describe(runs['second_s'])}, "
        f"{'nothing done twice: OK' if nothing_twice else 'NOT NOTHING'}"
    )
    print(f"  OCA account_credit_control lines (its emails a later step)      : {describe(oca_runs)}")
    print(f"  ratio OCA lines / revcycle run (the same job)  : {describe_ratio(oca_runs, runs['first_s'])}"
          "  (target >= 3)")
    print(f"  ratio OCA lines / revcycle run + its sending   : {describe_ratio(oca_runs, runs['run + sending'])}")
    print("  one size only: the data set (2,000 customers x 10 invoices) is shared with bench dunning_credit")


if __name__ == "__main__":
    main(sys.argv[1:])
