"""Credit check at sale order confirmation on a large ledger: the time our check adds to a confirmation, against
the same confirmation with OCA sale_financial_risk's check (account_financial_risk), and with both bypassed.

Targets: our added time per confirmation below 20 ms and at least 3x lower than OCA's, on three data sets generated
once with bulk SQL and kept (a second run reuses them):
- "spread": 5,000 customers with credit limits and OCA risk settings, 50,000 posted invoices of 3 product lines and one
  receivable line each (200,000 lines), one invoice in eight still open (1 or 2 open items per customer);
- "dense 500" and "dense 2500": 20 customers with 500, then 2,500 open invoices each: the two sizes show how each
  check's cost grows with a customer's open items, where per-customer queries are strained.
No open item is overdue beyond the 30 days our check allows, so no confirmation is refused. Every confirmation runs in
a savepoint that is rolled back. Each measured confirmation includes the flush and the pre-commit work (our exposure
refresh of the customer, OCA's stored risk amounts of the order lines), so each module's bookkeeping is paid in every
variant; the variants differ only by the check: plain (our setting off, OCA's `bypass_risk` context), ours only, OCA
only. The added time is the median over the orders of (variant - plain), each order confirmed plain and with the
check back to back; three rounds in alternated order give the median and the spread. The check alone, as
action_confirm calls it, is timed on the same orders: the precise figure of the added time.

REVCYCLE_BENCH_ROUNDS (3) sets the rounds, REVCYCLE_BENCH_CREDIT_ORDERS (100) the orders a round,
REVCYCLE_BENCH_CREDIT_SETS (all: "spread,dense 500,dense 2500") the data sets; each headline figure is also printed
as a `RESULT {json}` line for bench/run_all.py.

Run: ./revcycle bench dunning_credit   (database revcycle_bench_dunning_credit; extra Odoo options go to Odoo)
"""

import os
import statistics
import sys
import time

import benchlib
import odoo
from benchlib import open_registry
from odoo import Command, api, fields
from odoo.tools import SQL

MODULES = ("revcycle_dunning",)
PEER_MODULES = ("account_financial_risk", "sale_financial_risk")

CUSTOMERS = 5_000
INVOICES_PER_CUSTOMER = 10
PRODUCT_LINES = 3
ORDERS = int(os.environ.get("REVCYCLE_BENCH_CREDIT_ORDERS", "100"))
ROUNDS = int(os.environ.get("REVCYCLE_BENCH_ROUNDS", "3"))
CREDIT_LIMIT = 10_000_000.0
PREFIX = "bench credit customer"
MOVE_PREFIX = "BENCHCR/"


def generate_customers(env, count, prefix):
    """``count`` companies named ``prefix NNNNN``, created once through the ORM (a few seconds) and reused."""
    Partner = env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True)
    existing = Partner.search([("name", "=like", f"{prefix} %")], order="id")
    if len(existing) >= count:
        return existing[:count]
    created = Partner.create(
        [
            {"name": f"{prefix} {index:05d}", "is_company": True, "email": f"ap{index}@bench.example.com"}
            for index in range(len(existing), count)
        ]
    )
    return existing | created


def generate_invoices(env, partners, per_customer, product_lines, move_prefix, age_sql, open_sql):
    """``per_customer`` posted customer invoices per partner with ``product_lines`` income lines and one receivable
    line each, in two INSERT ... SELECT statements. ``age_sql`` gives each invoice's age in days from its number
    ``n`` (1-based), ``open_sql`` whether it is still unpaid; paid ones are left reconciled with nothing open.
    Skipped when the invoices with this prefix exist already."""
    cr = env.cr
    if env.execute_query(SQL("SELECT 1 FROM account_move WHERE name LIKE %s LIMIT 1", f"{move_prefix}%")):
        return False
    company = env.company
    journal = env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", company.id)], limit=1)
    receivable = env["account.account"].search(
        [("account_type", "=", "asset_receivable"), ("company_ids", "in", company.id)], limit=1
    )
    income = journal.default_account_id
    total = len(partners) * per_customer
    params = {
        "partners": partners.ids,
        "per": per_customer,
        "total": total,
        "journal": journal.id,
        "company": company.id,
        "currency": company.currency_id.id,
        "prefix": move_prefix,
        "uid": env.uid,
    }
    cr.execute(
        SQL(
            """
            CREATE TEMP TABLE bench_invoice ON COMMIT DROP AS
            SELECT n, (%(partners)s::int[])[(n - 1) / %(per)s + 1] AS partner_id,
                   (100 + mod(n, 50) * 10)::numeric AS amount,
                   CURRENT_DATE - (%(age)s)::int AS invoice_date,
                   CURRENT_DATE - (%(age)s)::int + 30 AS date_due,
                   (%(is_open)s) AS is_open
              FROM generate_series(1, %(total)s) AS n
            """,
            partners=partners.ids,
            per=per_customer,
            total=total,
            age=age_sql,
            is_open=open_sql,
        )
    )
    cr.execute(
        """
        CREATE TEMP TABLE bench_invoice_move ON COMMIT DROP AS
        WITH moves AS (
            INSERT INTO account_move (
                name, journal_id, company_id, currency_id, date, invoice_date, invoice_date_due, state, move_type,
                auto_post, partner_id, commercial_partner_id, amount_untaxed, amount_tax, amount_total,
                amount_residual, amount_untaxed_signed, amount_untaxed_in_currency_signed, amount_tax_signed,
                amount_total_signed, amount_total_in_currency_signed, amount_residual_signed, payment_state,
                sequence_prefix, sequence_number, invoice_currency_rate, posted_before, made_sequence_gap,
                always_tax_exigible, checked, is_move_sent, invoice_partner_display_name,
                create_uid, write_uid, create_date, write_date)
            SELECT %(prefix)s || lpad(n::text, 7, '0'), %(journal)s, %(company)s, %(currency)s, invoice_date,
                   invoice_date, date_due, 'posted', 'out_invoice', 'no', partner_id, partner_id, amount, 0, amount,
                   CASE WHEN is_open THEN amount ELSE 0 END, amount, amount, 0, amount, amount,
                   CASE WHEN is_open THEN amount ELSE 0 END, CASE WHEN is_open THEN 'not_paid' ELSE 'paid' END,
                   %(prefix)s, n, 1.0, true, false, false, true, true, 'bench',
                   %(uid)s, %(uid)s, NOW(), NOW()
              FROM bench_invoice
            RETURNING id, sequence_number
        )
        SELECT moves.id AS move_id, invoice.*
          FROM moves JOIN bench_invoice invoice ON invoice.n = moves.sequence_number
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO account_move_line (
            move_id, move_name, journal_id, company_id, company_currency_id, currency_id, account_id, partner_id,
            date, invoice_date, parent_state, display_type, name, sequence, quantity, price_unit, price_subtotal,
            price_total, balance, debit, credit, amount_currency, amount_residual, amount_residual_currency,
            reconciled, date_maturity, create_uid, write_uid, create_date, write_date)
        SELECT move.move_id, %(prefix)s || lpad(move.n::text, 7, '0'), %(journal)s, %(company)s, %(currency)s,
               %(currency)s, %(income)s, move.partner_id, move.invoice_date, move.invoice_date, 'posted', 'product',
               'bench line ' || line.k, line.k, 1, move.amount / %(lines)s, move.amount / %(lines)s,
               move.amount / %(lines)s, -move.amount / %(lines)s, 0, move.amount / %(lines)s,
               -move.amount / %(lines)s, 0, 0, false, NULL, %(uid)s, %(uid)s, NOW(), NOW()
          FROM bench_invoice_move move CROSS JOIN generate_series(1, %(lines)s) AS line(k)
        UNION ALL
        SELECT move.move_id, %(prefix)s || lpad(move.n::text, 7, '0'), %(journal)s, %(company)s, %(currency)s,
               %(currency)s, %(receivable)s, move.partner_id, move.invoice_date, move.invoice_date, 'posted',
               'payment_term', %(prefix)s || lpad(move.n::text, 7, '0'), 100, 0, 0, 0, 0, move.amount, move.amount,
               0, move.amount, CASE WHEN move.is_open THEN move.amount ELSE 0 END,
               CASE WHEN move.is_open THEN move.amount ELSE 0 END, NOT move.is_open, move.date_due,
               %(uid)s, %(uid)s, NOW(), NOW()
          FROM bench_invoice_move move
        """,
        {**params, "income": income.id, "receivable": receivable.id, "lines": product_lines},
    )
    cr.execute("ANALYZE account_move; ANALYZE account_move_line")
    env.invalidate_all()
    return True


DATA_SETS = (
    # label, customers, invoices per customer, prefix of partners, prefix of moves, age SQL, open SQL
    # spread: ages over a year, one in eight still open, aged 0-44 days, so due at most 14 days ago (1-2 open each)
    ("spread", CUSTOMERS, INVOICES_PER_CUSTOMER, PREFIX, MOVE_PREFIX, "mod(n * 7, 360)", "mod(n * 7, 360) < 45"),
    # dense: few customers, every invoice open and due at most 14 days ago; 500, then 2,500 open lines each, where
    # a check that reads a customer's open items one by one pays for each of them
    ("dense 500", 20, 500, "bench dense500 customer", "BENCHD5/", "mod(n * 7, 45)", "true"),
    ("dense 2500", 20, 2_500, "bench dense2500 customer", "BENCHD25/", "mod(n * 7, 45)", "true"),
)


def prepare(env, customers, per_customer, prefix, move_prefix, age_sql, open_sql):
    """One data set (generated once), both checks switched on and neither blocking, and both modules' figures
    computed once outside the measurement."""
    partners = generate_customers(env, customers, prefix)
    generated = generate_invoices(
        env, partners, per_customer, PRODUCT_LINES, move_prefix, age_sql=SQL(age_sql), open_sql=SQL(open_sql)
    )
    company = env.company
    company.write(
        {
            "account_use_credit_limit": True,
            "revcycle_credit_check_on_confirm": True,
            "revcycle_credit_overdue_days": 30,
            "allow_overrisk_sale_confirmation": False,
        }
    )
    partners = partners.with_context(tracking_disable=True)
    to_configure = partners.filtered(lambda partner: not partner.risk_invoice_open_include)
    if to_configure:
        to_configure.write(
            {
                "credit_limit": CREDIT_LIMIT,
                "risk_invoice_draft_include": True,
                "risk_invoice_open_include": True,
                "risk_invoice_unpaid_include": True,
                "risk_account_amount_include": True,
                "risk_account_amount_unpaid_include": True,
                "risk_sale_order_include": True,
            }
        )
    Profile = env["revcycle.credit.profile"].sudo()
    stale = Profile.search([("partner_id", "in", partners.ids), ("refresh_date", "<", fields.Date.today())])
    if generated or to_configure or stale:
        # our stored exposure of every customer, as the nightly refresh leaves it; OCA's risk fields are computed
        # on read, its stored sale order line amounts have no orders to cover yet
        for start in range(0, len(partners), 1000):
            chunk = partners[start : start + 1000]
            Profile._revcycle_ensure({(partner.id, company.id) for partner in chunk})._revcycle_refresh()
        env.flush_all()
        env.cr.commit()
    product = env["product.product"].search([("default_code", "=", "BENCH-CREDIT")], limit=1) or env[
        "product.product"
    ].create(
        {
            "name": "bench credit product",
            "default_code": "BENCH-CREDIT",
            "type": "service",
            "list_price": 100.0,
            "invoice_policy": "order",
            "taxes_id": [Command.clear()],
        }
    )
    env.cr.commit()
    return partners, product


def confirm_once(env, order, ours, oca):
    """Seconds to confirm ``order`` with the checks chosen, flush and pre-commit work included; rolled back."""
    cr = env.cr
    with cr.savepoint(flush=False) as savepoint:
        # every variant writes the setting twice and starts on an empty cache, so that none pays or saves the
        # effects of a company write the others do not
        for value in (not ours, ours):
            env.company.write({"revcycle_credit_check_on_confirm": value})
            env.flush_all()
        env.invalidate_all()
        order = order.with_context(bypass_risk=not oca)
        started = time.perf_counter()
        result = order.action_confirm()
        env.flush_all()
        cr.precommit.run()
        elapsed = time.perf_counter() - started
        assert result is True and order.state == "sale", f"{order.name} was not confirmed: {result}"
        savepoint.rollback()
    cr.precommit.clear()
    env.invalidate_all()
    return elapsed


def check_once(env, order, which):
    """Seconds of the check alone, as action_confirm runs it; rolled back. The cache is emptied, then given what
    any confirmation reads anyway (the order, its customer, company and currency, the user's time zone), so each
    check pays for its own reads only."""
    with env.cr.savepoint(flush=False) as savepoint:
        env.invalidate_all()
        for field in ("amount_total", "state", "date_order"):
            order.mapped(field)
        order.partner_invoice_id.commercial_partner_id.mapped("display_name")
        order.partner_id.commercial_partner_id.mapped("display_name")
        order.company_id.mapped("name")
        order.currency_id.mapped("rounding")
        env.user.mapped("tz")
        started = time.perf_counter()
        if which == "ours":
            order._revcycle_check_credit_on_confirm()
        else:
            # the body of sale_financial_risk's action_confirm before it calls super()
            for risky in order.filtered(lambda so: not so.company_id.allow_overrisk_sale_confirmation):
                message = risky.evaluate_risk_message(risky.partner_invoice_id.commercial_partner_id)
                assert not message, message
        elapsed = time.perf_counter() - started
        savepoint.rollback()
    env.invalidate_all()
    return elapsed


def measure_data_set(env, data_set):
    """The three confirmation variants and the two checks alone on one data set, in alternated rounds."""
    label, *spec = data_set
    started = time.perf_counter()
    partners, product = prepare(env, *spec)
    move_prefix = spec[3]
    lines = env["account.move.line"].search_count([("move_id.name", "=like", f"{move_prefix}%")])
    open_lines = env["account.move.line"].search_count(
        [
            ("move_id.name", "=like", f"{move_prefix}%"),
            ("display_type", "=", "payment_term"),
            ("reconciled", "=", False),
        ]
    )
    print(
        f"\n== data set '{label}': {len(partners)} customers, {lines} posted invoice lines, {open_lines} open "
        f"receivable lines ({open_lines / len(partners):.0f} per customer); {time.perf_counter() - started:.0f} s to "
        "generate or find"
    )
    orders = env["sale.order"].create(
        [
            {
                "partner_id": partners[index % len(partners)].id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 1 + line, "price_unit": 100.0})
                    for line in range(3)
                ],
            }
            for index in range(ORDERS)
        ]
    )
    env.flush_all()
    variants = {"plain": (False, False), "ours": (True, False), "oca": (False, True)}
    for ours, oca in variants.values():  # one warm-up of each variant
        confirm_once(env, orders[0], ours, oca)

    pooled = {"ours": [], "oca": []}

    def confirmations(which):
        # the median over the orders of (variant - plain), each order's confirmations back to back, so load
        # changes on the shared machine cancel out better than in a difference of medians; every difference is
        # also pooled over the rounds for the interval that says whether the two sides are told apart
        def run():
            added = []
            for order in orders:
                plain = confirm_once(env, order, *variants["plain"])
                added.append(confirm_once(env, order, *variants[which]) - plain)
            pooled[which].extend(added)
            return statistics.median(added)

        return run

    def checks(which):
        return lambda: statistics.median(check_once(env, order, which) for order in orders)

    added = benchlib.alternated_rounds({"ours": confirmations("ours"), "oca": confirmations("oca")}, ROUNDS)
    alone = benchlib.alternated_rounds({"ours": checks("ours"), "oca": checks("oca")}, ROUNDS)
    print(f"time added to a whole confirmation (3 lines, flush and pre-commit work), median of {ORDERS} orders:")
    print(f"  revcycle credit check       : {benchlib.describe(added['ours'], 'ms', 1000)}  (target < 20 ms)")
    print(f"  OCA sale_financial_risk     : {benchlib.describe(added['oca'], 'ms', 1000)}")
    print(f"  pooled, ours                : {benchlib.describe_interval(pooled['ours'])}")
    print(f"  pooled, OCA                 : {benchlib.describe_interval(pooled['oca'])}")
    _ours, _low, ours_high = benchlib.median_interval(pooled["ours"])
    _oca, oca_low, _high = benchlib.median_interval(pooled["oca"])
    verdict = "apart: OCA adds more" if oca_low > ours_high else "overlapping: not told apart at this load"
    print(f"  the two intervals           : {verdict}")
    if min(added["ours"]) > 0:
        print(f"  ratio OCA / ours            : {benchlib.describe_ratio(added['oca'], added['ours'])}  (target >= 3)")
    else:
        print("  ratio OCA / ours            : n/a (ours not measurably above plain in some round: within the noise)")
    print(f"the check alone, as action_confirm calls it, median of {ORDERS} orders:")
    print(f"  revcycle credit check       : {benchlib.describe(alone['ours'], 'ms', 1000)}")
    print(f"  OCA sale_financial_risk     : {benchlib.describe(alone['oca'], 'ms', 1000)}")
    print(f"  ratio OCA / ours            : {benchlib.describe_ratio(alone['oca'], alone['ours'])}  (target >= 3)")
    size = f"{label}: {open_lines / len(partners):.0f} open items a customer"
    middle = statistics.median(added["ours"])
    benchlib.print_result("dunning_credit", "time our check adds to a confirmation", size, middle * 1000,
                          min(added["ours"]) * 1000, max(added["ours"]) * 1000, "ms", "< 20 ms", middle < 0.020)
    benchlib.print_result("dunning_credit", "whole confirmation: OCA / ours told apart (95 % intervals)", size,
                          int(oca_low > ours_high), int(oca_low > ours_high), int(oca_low > ours_high), "1 = yes",
                          "= 1", oca_low > ours_high)
    if min(added["ours"]) > 0:
        benchlib.print_ratio_result("dunning_credit", "whole confirmation, time added: OCA / ours", size,
                                    added["oca"], added["ours"], 3)
    benchlib.print_ratio_result("dunning_credit", "check alone: OCA / ours", size, alone["oca"], alone["ours"], 3)
    env.cr.rollback()


def main(argv):
    registry = open_registry(argv)
    wanted = os.environ.get("REVCYCLE_BENCH_CREDIT_SETS")  # e.g. "spread,dense 500": a subset of the data sets
    benchlib.print_fairness(
        {
            "ours": "sale order confirmation with revcycle's credit check on (sale_financial_risk bypassed)",
            "oca": "the same confirmation with OCA sale_financial_risk's check (revcycle's check off)",
            "plain": "the same confirmation with both checks off: subtracted from each, per order",
        },
        "database, customers, ledger, orders, flush and pre-commit work (both modules installed, each one's "
        "bookkeeping paid in every variant), rolled back after each confirmation",
        "which credit check runs",
    )
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        for data_set in DATA_SETS:
            if not wanted or data_set[0] in wanted.split(","):
                measure_data_set(env, data_set)


if __name__ == "__main__":
    main(sys.argv[1:])
