"""A dunning run over 20,000 overdue invoices of 2,000 customers, then an immediate second run that must do nothing,
side by side with OCA account_credit_control computing its credit control lines on the same invoices.

Issue 6 target: ours at least 3x faster than OCA's line generation.

The same ladder on both sides: reminders by email at 10, 30 and 60 days past due, no fees. Ours does its whole job
in the measured time: it finds the invoices, decides each one's level, writes one notice per customer and level with
its invoice lines, renders the email template and queues the mail of every notice. OCA's run only writes its credit
control lines (drafts, one per invoice): its emails are a later, separate step (communications, then the emailer
wizard, which renders a PDF summary per email). Both runs are measured in savepoints that are rolled back, alternately,
on one data set generated once with bulk SQL and kept (10 open invoices per customer, 11 to 100 days past due).

Run: ./revcycle bench dunning_runs   (database revcycle_bench_dunning_runs; extra Odoo options go to Odoo)
"""

import statistics
import sys
import time

import odoo

# the script's own folder is on sys.path: the data generator is shared with the credit check benchmark
from bench_dunning_credit import generate_customers, generate_invoices
from benchlib import open_registry
from odoo import Command, api, fields
from odoo.tools import SQL

MODULES = ("revcycle_dunning",)
PEER_MODULES = ("account_credit_control",)

CUSTOMERS = 2_000
INVOICES_PER_CUSTOMER = 10
ROUNDS = 1  # one round is about half an hour on the shared machine; alternate sides when raised
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
    env.flush_all()
    env.cr.commit()
    return partners, ours, oca


def count(env, table):
    return env.execute_query(SQL("SELECT COUNT(*) FROM %s", SQL.identifier(table)))[0][0]


class SendTimer:
    """Measures the time our notices spend being sent (email rendered, posted and queued) inside the run, by
    timing the notice's own _revcycle_send around the real call: nothing is skipped or replaced."""

    def __init__(self, env):
        self.model_class = type(env["revcycle.dunning.notice"])
        self.original = self.model_class._revcycle_send
        self.seconds = 0.0

    def __enter__(self):
        timer, original = self, self.original

        def timed_send(notice):
            started = time.perf_counter()
            try:
                return original(notice)
            finally:
                timer.seconds += time.perf_counter() - started

        self.model_class._revcycle_send = timed_send
        return self

    def __exit__(self, *exc):
        self.model_class._revcycle_send = self.original


def run_ours(env, date):
    """(first run seconds, second run seconds, first summary, second summary, mails queued, seconds spent sending);
    rolled back."""
    cr = env.cr
    mails_before = count(env, "mail_mail")
    with cr.savepoint(flush=False) as savepoint:
        Run = env["revcycle.dunning.run"]
        with SendTimer(env) as send_timer:
            started = time.perf_counter()
            first = Run.run_for_date(date)
            env.flush_all()
            cr.precommit.run()
            first_seconds = time.perf_counter() - started
        mails = count(env, "mail_mail") - mails_before
        started = time.perf_counter()
        second = Run.run_for_date(date)
        env.flush_all()
        cr.precommit.run()
        second_seconds = time.perf_counter() - started
        savepoint.rollback()
    cr.precommit.clear()
    env.invalidate_all()
    return first_seconds, second_seconds, first, second, mails, send_timer.seconds


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
        ours, oca_runs = [], []
        for round_index in range(ROUNDS):
            for side in ("ours", "oca") if round_index % 2 == 0 else ("oca", "ours"):
                if side == "ours":
                    ours.append(run_ours(env, date))
                    first_s, second_s, first, second, mails, sending = ours[-1]
                    print(
                        f"  round {round_index + 1} revcycle: first run {first_s:7.2f} s, of which sending emails "
                        f"{sending:7.2f} s ({first['notices']} "
                        f"notices, {first['invoices']} invoices, {first['customers']} customers, {mails} mails "
                        f"queued, {first['errors']} errors); second run {second_s:6.3f} s "
                        f"({second['notices']} notices)",
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
    first_median = statistics.median(run[0] for run in ours)
    second_median = statistics.median(run[1] for run in ours)
    sending_median = statistics.median(run[5] for run in ours)
    unsent_median = statistics.median(run[0] - run[5] for run in ours)
    oca_median = statistics.median(run[0] for run in oca_runs)
    second_notices = {run[3]["notices"] for run in ours}
    print(f"dunning run over {overdue} overdue invoices of {CUSTOMERS} customers, median of {ROUNDS}:")
    print(f"  revcycle first run (notices + mails)  : {first_median:8.2f} s")
    print(
        f"  revcycle second run (same date)       : {second_median:8.3f} s, notices created: "
        f"{', '.join(map(str, sorted(second_notices)))} ({'OK' if second_notices == {0} else 'NOT 0'})"
    )
    print(f"    of which rendering, posting, queueing the emails: {sending_median:8.2f} s")
    print(f"    the rest (finding, deciding, notices and lines)  : {unsent_median:8.2f} s")
    print(f"  OCA account_credit_control lines      : {oca_median:8.2f} s (its emails are a later step, not measured)")
    print(f"  ratio OCA / revcycle first run, mails included    : {oca_median / first_median:8.2f}  (target >= 3)")
    print(f"  ratio OCA / revcycle without the emails (same job): {oca_median / unsent_median:8.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
