"""A dunning run and the mailing of its reminders over overdue invoices of 2,000 customers, then an immediate second
run that must do nothing, side by side with OCA account_credit_control computing its credit control lines on the
same invoices and mailing them.

Issue 6/18 targets: our run at least 3x faster than OCA's line generation; our run plus our sending at least 3x
faster than OCA's line generation plus its own mailing step.

The same ladder on both sides: reminders by email at 10, 30 and 60 days past due, no fees, the invoices listed in
the email. Our run finds the invoices, decides each one's level, writes one notice per customer and level with its
invoice lines (the record that keeps a level from being sent twice), fees and holds, and queues the notices; the
sending job then renders and queues one email per notice. OCA's run writes its credit control lines (drafts, one per
invoice); its mailing step is what a user does next: mark the lines "to do" (its marker wizard), then its emailer
wizard, which groups them into one communication per customer and level and posts each with its email template.
The same end point on both sides: every email rendered and waiting in Odoo's outgoing queue (mail.mail), nothing
handed to an SMTP server (OCA's posting is told not to force-send). OCA's template attaches a PDF summary to each
email; ours attaches none, so by default the PDF is taken off OCA's template and its invoice table put in the body
instead (``mail_show_invoice_detail``): the same content, the same cost basis. BENCH_OCA_PDF=1 keeps OCA's PDF.

Two sizes (BENCH_DUNNING_SIZES, default "20000,80000" invoices), each 2,000 customers (10 or 40 open invoices each,
11 to 100 days past due), each size in a company of its own, generated once with bulk SQL and kept (the 20,000 in
the main company, the data set bench dunning_credit's generator also makes). Every run is measured in a savepoint
that is rolled back, the sides alternating which goes first.

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
from benchlib import (
    describe,
    describe_ratio,
    open_registry,
    print_fairness,
    print_ratio_result,
    print_result,
)
from odoo import Command, api, fields
from odoo.tools import SQL

MODULES = ("revcycle_dunning",)
PEER_MODULES = ("account_credit_control",)

CUSTOMERS = 2_000
SIZES = tuple(int(n) for n in os.environ.get("BENCH_DUNNING_SIZES", "20000,80000").split(","))
MAIN_SIZE = 20_000  # the main company's data set, as bench dunning_credit's generator makes it
# one round takes minutes on a loaded machine; the sides alternate which goes first
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
OCA_PDF = os.environ.get("BENCH_OCA_PDF") == "1"
PREFIX = "bench dunning customer"
MOVE_PREFIX = "BENCHDN/"
LADDER = ((10, "First reminder"), (30, "Second reminder"), (60, "Last reminder"))
BENCH = "dunning_runs"


def size_company(env, size):
    """(environment of the company of ``size``, customer name prefix, invoice name prefix). The main company holds
    the 20,000; every other size a company of its own, made with the main company's chart on first use."""
    if size == MAIN_SIZE:
        company = env.ref("base.main_company")
        return env(context={"allowed_company_ids": company.ids}), PREFIX, MOVE_PREFIX
    name = f"Bench dunning {size} invoices"
    company = env["res.company"].search([("name", "=", name)])
    if not company:
        main = env.ref("base.main_company")
        company = env["res.company"].create(
            {"name": name, "currency_id": main.currency_id.id, "email": "ar@bench.example.com"}
        )
        env.user.company_ids |= company
        template = env["account.chart.template"]._guess_chart_template(main.country_id)
        env["account.chart.template"].try_loading(template, company, install_demo=False)
    return env(context={"allowed_company_ids": company.ids}), f"bench dunning {size} customer", f"BENCHDN{size}/"


def our_policy(env):
    Policy = env["revcycle.dunning.policy"]
    policy = Policy.search([("name", "=", "bench ladder"), ("company_id", "=", env.company.id)], limit=1)
    if not policy:
        policy = Policy.create(
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
    template = env.ref("account_credit_control.email_template_credit_control_base")
    policy = Policy.search([("name", "=", "bench ladder"), ("company_id", "=", env.company.id)], limit=1)
    if not policy:
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
    # the invoices listed in the email's body, as ours are
    policy.level_ids.mail_show_invoice_detail = True
    env.company.credit_policy_id = policy
    return policy


def oca_template_pdf(env):
    """OCA's email template as shipped attaches a PDF summary to each email; ours attaches none. Taken off unless
    BENCH_OCA_PDF=1 (then put back)."""
    template = env.ref("account_credit_control.email_template_credit_control_base")
    summary = env.ref("account_credit_control.credit_control_summary")
    template.report_template_ids = [Command.link(summary.id) if OCA_PDF else Command.unlink(summary.id)]


def prepare(env, size):
    env, prefix, move_prefix = size_company(env, size)
    partners = generate_customers(env, CUSTOMERS, prefix)
    generate_invoices(
        env,
        partners,
        size // CUSTOMERS,
        1,
        move_prefix,
        # immediate terms of 30 days: invoices 41 to 130 days old are 11 to 100 days past due, all still open
        age_sql=SQL("41 + mod(n * 7, 90)"),
        open_sql=SQL("true"),
    )
    receivable = env["account.account"].search(
        [("account_type", "=", "asset_receivable"), ("company_ids", "in", env.company.id)], limit=1
    )
    our_policy(env)
    oca = oca_policy(env, receivable)
    oca_template_pdf(env)
    # the reminder template as this version of the addon ships it: an update keeps a database's (noupdate) templates
    env.ref("revcycle_dunning.mail_template_dunning_notice").reset_template()
    env.flush_all()
    env.cr.commit()
    return env, move_prefix, oca


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
    """A dict of OCA's line generation and its mailing step (lines marked to do, then its emailer wizard, every
    email rendered and queued); rolled back."""
    cr = env.cr
    mails_before = count(env, "mail_mail")
    result = {}
    with cr.savepoint(flush=False) as savepoint:
        started = time.perf_counter()
        run = env["credit.control.run"].create({"date": date, "policy_ids": [Command.set(policy.ids)]})
        run.generate_credit_lines()
        env.flush_all()
        result["lines_s"] = time.perf_counter() - started
        result["lines"] = len(run.line_ids)
        started = time.perf_counter()
        # what the user does next in OCA's screens: the lines marked "to do", then emailed; posted without
        # force-sending, so the emails wait in the queue as ours do
        mail_env = env(context=dict(env.context, mail_notify_force_send=False))
        mail_env["credit.control.marker"].create(
            {"name": "to_be_sent", "line_ids": [Command.set(run.line_ids.ids)]}
        ).mark_lines()
        mail_env["credit.control.emailer"].create({"line_ids": [Command.set(run.line_ids.ids)]}).email_lines()
        env.flush_all()
        cr.precommit.run()
        result["mail_s"] = time.perf_counter() - started
        result["communications"] = env["credit.control.communication"].search_count(
            [("credit_control_line_ids", "in", run.line_ids.ids)]
        )
        result["mails"] = count(env, "mail_mail") - mails_before
        savepoint.rollback()
    cr.precommit.clear()
    env.invalidate_all()
    return result


def print_round(size, round_index, side, r):
    if side == "ours":
        print(
            f"  {size:,} round {round_index + 1} revcycle: run {r['first_s']:7.2f} s ({r['first']['notices']} notices, "
            f"{r['first']['invoices']} invoices, {r['first']['customers']} customers, {r['first']['errors']} errors); "
            f"sending {r['send_s']:7.2f} s ({r['sent']} notices, {r['mails']} mails queued); second run "
            f"{r['second_s']:6.3f} s ({r['second']['notices']} notices), second sending {r['second_send_s']:6.3f} s "
            f"({r['second_sent']} notices)",
            flush=True,
        )
    else:
        print(
            f"  {size:,} round {round_index + 1} OCA: credit lines {r['lines_s']:7.2f} s ({r['lines']} lines); "
            f"mailing {r['mail_s']:7.2f} s ({r['communications']} communications, {r['mails']} mails queued)",
            flush=True,
        )


def report(size, overdue, ours, oca):
    """The figures of one size, and one RESULT line per headline figure."""
    runs = {key: [run[key] for run in ours] for key in ("first_s", "send_s", "second_s")}
    ours_total = [run["first_s"] + run["send_s"] for run in ours]
    oca_lines = [run["lines_s"] for run in oca]
    oca_mail = [run["mail_s"] for run in oca]
    oca_total = [run["lines_s"] + run["mail_s"] for run in oca]
    second_total = [run["second_s"] + run["second_send_s"] for run in ours]
    nothing_twice = all(run["second"]["notices"] == 0 and run["second_sent"] == 0 for run in ours)
    print(f"dunning over {overdue:,} overdue invoices of {CUSTOMERS:,} customers, {len(ours)} alternated rounds:")
    print(f"  revcycle run (levels decided, notices and lines written, queued): {describe(runs['first_s'])}")
    print(
        f"  revcycle sending (one email per notice, rendered, queued)       : {describe(runs['send_s'])}"
        f"  ({ours[-1]['mails']} emails)"
    )
    print(f"  revcycle run + sending                                          : {describe(ours_total)}")
    print(
        f"  revcycle second run + sending (same date)                       : {describe(second_total)}, "
        f"{'nothing done twice: OK' if nothing_twice else 'NOT NOTHING'}"
    )
    print(f"  OCA credit control lines                                        : {describe(oca_lines)}")
    print(
        f"  OCA mailing (lines marked, emailer: rendered, queued)           : {describe(oca_mail)}"
        f"  ({oca[-1]['mails']} emails, {oca[-1]['communications']} communications)"
    )
    print(f"  OCA lines + mailing                                             : {describe(oca_total)}")
    print(
        f"  ratio OCA lines / revcycle run (the same job)       : {describe_ratio(oca_lines, runs['first_s'])}"
        "  (target >= 3)"
    )
    print(
        f"  ratio OCA lines + mailing / revcycle run + sending  : {describe_ratio(oca_total, ours_total)}"
        "  (target >= 3)"
    )
    label = f"{overdue} invoices"
    print_ratio_result(BENCH, "OCA lines / our run", label, oca_lines, runs["first_s"], 3)
    print_ratio_result(BENCH, "OCA lines + mailing / our run + sending", label, oca_total, ours_total, 3)
    print_result(
        BENCH,
        "second run + sending (same date)",
        label,
        *_median_range(second_total),
        "s",
        "nothing sent twice",
        nothing_twice,
    )


def _median_range(values):
    import statistics

    return statistics.median(values), min(values), max(values)


def bench_size(env, size):
    started = time.perf_counter()
    env, move_prefix, oca = prepare(env, size)
    date = fields.Date.context_today(env["res.partner"])
    overdue = env["account.move"].search_count(
        [("name", "=like", f"{move_prefix}%"), ("payment_state", "=", "not_paid"), ("invoice_date_due", "<", date)]
    )
    print(
        f"data: {CUSTOMERS:,} customers, {overdue:,} overdue invoices in {env.company.name} "
        f"({time.perf_counter() - started:.0f} s to generate or find)",
        flush=True,
    )
    for step in filter(None, os.environ.get("BENCH_PROFILE", "").split(",")):
        profile(env, date, step)
    ours, oca_runs = [], []
    for round_index in range(ROUNDS):
        for side in ("ours", "oca") if round_index % 2 == 0 else ("oca", "ours"):
            if side == "ours":
                ours.append(run_ours(env, date))
                print_round(size, round_index, side, ours[-1])
            else:
                oca_runs.append(run_oca(env, date, oca))
                print_round(size, round_index, side, oca_runs[-1])
    if ours:
        report(size, overdue, ours, oca_runs)


def main(argv):
    registry = open_registry(argv)
    print_fairness(
        {
            "revcycle": "dunning run (levels decided, one notice per customer with its lines, queued), then the "
            "sending job (one email per notice, rendered, queued in mail.mail)",
            "OCA": "account_credit_control run writing its credit control lines, then its mailing step (lines "
            "marked to do, emailer wizard: one communication per customer and level, posted with its "
            "template, the email queued in mail.mail)",
        },
        "the same overdue invoices, the same 10/30/60-day email ladder, no fees, the invoices listed in each "
        f"email's body, {'OCA with its PDF summary attached' if OCA_PDF else 'no PDF on either side'}; the same "
        "end point (emails rendered and queued, no SMTP); each step in a rolled-back savepoint",
        "ours sends one email per customer (every level in it) and guards against a second sending; OCA one per "
        "customer and level, posted on its communication with Odoo's notification layout. Compared: our run "
        "alone against OCA's lines (the same job), and run + sending against lines + mailing",
    )
    for size in SIZES:
        with registry.cursor() as cr:
            bench_size(api.Environment(cr, odoo.SUPERUSER_ID, {}), size)
            cr.rollback()


if __name__ == "__main__":
    main(sys.argv[1:])
