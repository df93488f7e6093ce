"""revcycle.kpi.get_kpis over a 12-month range on more than 1,000,000 journal items, against the best single
hand-written SQL query computing the same figures (DSO simple and countback, best possible DSO, ADD, CEI, AR aging
as of both period ends, credit sales, win rate, median quote-to-close, average deal size; for the period and the one
before). Targets: get_kpis under 2 s, within 3x of the hand-written query.

The data set (280,000 invoices over three years, 240,000 payments reconciled with them: about 1,040,000 journal items,
5,000 customers) is generated once with bulk SQL and reused on later runs.

Run: ./revcycle bench analytics_kpis   (database revcycle_bench_analytics_kpis; extra Odoo options after the name)
"""

import statistics
import sys
import time
from datetime import date

import odoo
from benchlib import open_registry
from odoo import api
from odoo.tools import SQL

MODULES = ("revcycle_analytics",)
INVOICES = 280_000
PARTNERS = 5_000
RUNS = 5
DATE_FROM, DATE_TO = date(2025, 11, 1), date(2026, 10, 31)
PREV_FROM, PREV_TO = date(2024, 11, 1), date(2025, 10, 31)
FIRST_DAY = date(2023, 11, 1)  # invoices spread over the 36 months up to DATE_TO


def generate(env):
    """Partners, invoices (receivable + income line), payments (bank + receivable line) and the partial
    reconciliations between them, with explicit ids from the tables' sequences; one invoice in seven stays open."""
    cr = env.cr
    cr.execute("SELECT 1 FROM account_move WHERE name = 'BENCH/INV/1'")
    if cr.fetchone():
        return False
    company = env.ref("base.main_company")
    Account = env["account.account"].with_company(company)
    receivable = Account.search([("account_type", "=", "asset_receivable"), ("company_ids", "in", company.id)], limit=1)
    income = Account.search([("account_type", "=", "income"), ("company_ids", "in", company.id)], limit=1)
    sale_journal = env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", company.id)], limit=1)
    bank_journal = env["account.journal"].search([("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
    bank_account = bank_journal.default_account_id
    started = time.perf_counter()

    def base(table):
        cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM %s", SQL.identifier(table)))
        return cr.fetchone()[0]

    partner_base, move_base, line_base, partial_base = (
        base("res_partner"),
        base("account_move"),
        base("account_move_line"),
        base("account_partial_reconcile"),
    )
    values = {
        "n": INVOICES,
        "partners": PARTNERS,
        "pb": partner_base,
        "mb": move_base,
        "lb": line_base,
        "rb": partial_base,
        "company": company.id,
        "currency": company.currency_id.id,
        "receivable": receivable.id,
        "income": income.id,
        "bank": bank_account.id,
        "sale_journal": sale_journal.id,
        "bank_journal": bank_journal.id,
        "first_day": FIRST_DAY,
    }
    # invoice i: date first_day + i mod 1096, amount 100 + 37i mod 5000, due 30 days later; paid (i mod 7 != 0)
    # 5 + 11i mod 80 days after its date
    invoice = """
        SELECT i, %(first_day)s::date + (i %% 1096) AS day, (100 + (i * 37) %% 5000)::numeric AS amount,
               i %% 7 <> 0 AS paid, %(first_day)s::date + (i %% 1096) + (5 + (i * 11) %% 80) AS paid_on,
               %(pb)s + 1 + i %% %(partners)s AS partner
          FROM generate_series(1, %(n)s) AS i
    """
    statements = [
        """INSERT INTO res_partner (id, name, complete_name, active, type, is_company, company_id, autopost_bills,
                                    customer_rank, commercial_partner_id, create_date, write_date)
           SELECT %(pb)s + p, 'Bench customer ' || p, 'Bench customer ' || p, true, 'contact', true, NULL, 'ask', 1,
                  %(pb)s + p, now(), now()
             FROM generate_series(1, %(partners)s) AS p""",
        f"""INSERT INTO account_move (id, name, move_type, state, date, invoice_date, invoice_date_due, journal_id,
                                     company_id, currency_id, partner_id, commercial_partner_id, auto_post,
                                     amount_untaxed, amount_total, amount_residual, amount_untaxed_signed,
                                     amount_total_signed, amount_residual_signed, payment_state,
                                     create_date, write_date)
           SELECT %(mb)s + i, 'BENCH/INV/' || i, 'out_invoice', 'posted', day, day, day + 30, %(sale_journal)s,
                  %(company)s, %(currency)s, partner, partner, 'no', amount, amount,
                  CASE WHEN paid THEN 0 ELSE amount END, amount, amount,
                  CASE WHEN paid THEN 0 ELSE amount END, CASE WHEN paid THEN 'paid' ELSE 'not_paid' END, now(), now()
             FROM ({invoice}) AS invoice""",
        f"""INSERT INTO account_move (id, name, move_type, state, date, journal_id, company_id, currency_id, partner_id,
                                     commercial_partner_id, auto_post, amount_total, amount_total_signed,
                                     create_date, write_date)
           SELECT %(mb)s + %(n)s + i, 'BENCH/PAY/' || i, 'entry', 'posted', paid_on, %(bank_journal)s, %(company)s,
                  %(currency)s, partner, partner, 'no', amount, amount, now(), now()
             FROM ({invoice}) AS invoice WHERE paid""",
        # invoice receivable and income lines, payment receivable and bank lines
        f"""INSERT INTO account_move_line (id, move_id, name, account_id, journal_id, company_id, currency_id,
                                          company_currency_id, partner_id, display_type, date, date_maturity,
                                          parent_state, debit, credit, balance, amount_currency, amount_residual,
                                          amount_residual_currency, reconciled, create_date, write_date)
           SELECT %(lb)s + 4 * i - 3, %(mb)s + i, 'BENCH/INV/' || i, %(receivable)s, %(sale_journal)s, %(company)s,
                  %(currency)s, %(currency)s, partner, 'payment_term', day, day + 30, 'posted', amount, 0, amount,
                  amount, CASE WHEN paid THEN 0 ELSE amount END, CASE WHEN paid THEN 0 ELSE amount END, paid,
                  now(), now()
             FROM ({invoice}) AS invoice
           UNION ALL
           SELECT %(lb)s + 4 * i - 2, %(mb)s + i, 'Service', %(income)s, %(sale_journal)s, %(company)s,
                  %(currency)s, %(currency)s, partner, 'product', day, NULL, 'posted', 0, amount, -amount, -amount,
                  0, 0, false, now(), now()
             FROM ({invoice}) AS invoice
           UNION ALL
           SELECT %(lb)s + 4 * i - 1, %(mb)s + %(n)s + i, 'BENCH/PAY/' || i, %(receivable)s, %(bank_journal)s,
                  %(company)s, %(currency)s, %(currency)s, partner, 'product', paid_on, paid_on, 'posted', 0, amount,
                  -amount, -amount, 0, 0, true, now(), now()
             FROM ({invoice}) AS invoice WHERE paid
           UNION ALL
           SELECT %(lb)s + 4 * i, %(mb)s + %(n)s + i, 'BENCH/PAY/' || i, %(bank)s, %(bank_journal)s, %(company)s,
                  %(currency)s, %(currency)s, partner, 'product', paid_on, NULL, 'posted', amount, 0, amount, amount,
                  0, 0, false, now(), now()
             FROM ({invoice}) AS invoice WHERE paid""",
        f"""INSERT INTO account_partial_reconcile (id, debit_move_id, credit_move_id, amount, debit_amount_currency,
                                                  credit_amount_currency, debit_currency_id, credit_currency_id,
                                                  company_id, max_date, create_date, write_date)
           SELECT %(rb)s + i, %(lb)s + 4 * i - 3, %(lb)s + 4 * i - 1, amount, amount, amount, %(currency)s,
                  %(currency)s, %(company)s, paid_on, now(), now()
             FROM ({invoice}) AS invoice WHERE paid""",
    ]
    for statement in statements:
        cr.execute(statement, values)
    for table in ("res_partner", "account_move", "account_move_line", "account_partial_reconcile"):
        cr.execute(SQL("SELECT setval(%s, (SELECT MAX(id) FROM %s))", f"{table}_id_seq", SQL.identifier(table)))
    cr.commit()
    for table in ("res_partner", "account_move", "account_move_line", "account_partial_reconcile"):
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    print(f"generated the data set in {time.perf_counter() - started:.0f} s")
    return True


HAND_WRITTEN = """
WITH daily AS (
    SELECT line.date, SUM(line.balance) AS balance,
           SUM(line.balance) FILTER (WHERE line.display_type = 'payment_term' AND receipt.id IS NULL) AS sales
      FROM account_move_line line
 LEFT JOIN (SELECT id FROM account_move WHERE move_type = 'out_receipt') AS receipt ON receipt.id = line.move_id
     WHERE line.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
       AND line.company_id = ANY(%(companies)s) AND line.parent_state = 'posted' AND line.date <= %(dt)s
  GROUP BY line.date
), periods AS (
    SELECT * FROM (VALUES (1, %(df)s::date, %(dt)s::date), (2, %(pf)s::date, %(pt)s::date)) AS p (which, start_, end_)
), figures AS (
    SELECT p.which, p.start_, p.end_, p.end_ - p.start_ + 1 AS days,
           GREATEST(1, ROUND((p.end_ - p.start_ + 1) / 30.4375)) AS months,
           COALESCE(SUM(d.balance) FILTER (WHERE d.date <= p.end_), 0) AS ar_end,
           COALESCE(SUM(d.balance) FILTER (WHERE d.date < p.start_), 0) AS ar_open,
           COALESCE(SUM(d.sales) FILTER (WHERE d.date BETWEEN p.start_ AND p.end_), 0) AS sales
      FROM periods p CROSS JOIN daily d
  GROUP BY 1, 2, 3
), windows AS (
    -- calendar months walking back: the month of the end from its 1st to the end, then whole months
    SELECT f.which, k + 1 AS k, (date_trunc('month', f.end_) - k * INTERVAL '1 month')::date AS start_,
           LEAST(f.end_, (date_trunc('month', f.end_) - (k - 1) * INTERVAL '1 month')::date - 1) AS end_
      FROM figures f CROSS JOIN generate_series(0, 23) AS k
), window_sales AS (
    SELECT w.which, w.k, w.end_ - w.start_ + 1 AS days, COALESCE(SUM(d.sales), 0) AS sales
      FROM windows w LEFT JOIN daily d ON d.date BETWEEN w.start_ AND w.end_
  GROUP BY 1, 2, 3
), countback AS (
    SELECT c.which,
           SUM(CASE WHEN f.ar_end <= 0 OR c.cumulated - c.sales >= f.ar_end THEN 0
                    WHEN c.cumulated <= f.ar_end OR c.sales <= 0 THEN c.days
                    ELSE (f.ar_end - (c.cumulated - c.sales)) / c.sales * c.days END) AS days
      FROM (SELECT *, SUM(sales) OVER (PARTITION BY which ORDER BY k) AS cumulated FROM window_sales) c
      JOIN figures f ON f.which = c.which
  GROUP BY 1
), as_of AS (
    SELECT unnest(ARRAY[%(dt)s::date, %(pt)s::date]) AS day
), aging AS (
    SELECT CASE WHEN item.day = %(dt)s THEN 1 ELSE 2 END AS which,
           SUM(open) FILTER (WHERE late <= 0 AND NOT credit) AS not_due,
           SUM(open) FILTER (WHERE late BETWEEN 1 AND 30 AND NOT credit) AS d30,
           SUM(open) FILTER (WHERE late BETWEEN 31 AND 60 AND NOT credit) AS d60,
           SUM(open) FILTER (WHERE late BETWEEN 61 AND 90 AND NOT credit) AS d90,
           SUM(open) FILTER (WHERE late > 90 AND NOT credit) AS older,
           SUM(open) FILTER (WHERE credit) AS unapplied
      FROM (SELECT as_of.day, as_of.day - COALESCE(line.date_maturity, line.date) AS late,
                   line.balance < 0 AS credit, line.amount_residual AS open
              FROM account_move_line line JOIN as_of ON line.date <= as_of.day
             WHERE line.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
               AND line.company_id = ANY(%(companies)s) AND line.parent_state = 'posted'
               AND (line.reconciled IS NULL OR line.reconciled = false OR line.reconciled IS NOT true)
            UNION ALL
            SELECT as_of.day, as_of.day - COALESCE(line.date_maturity, line.date), line.balance < 0, side.amount
              FROM (SELECT debit_move_id AS line_id, max_date, amount FROM account_partial_reconcile
                     WHERE max_date > %(pt)s AND company_id = ANY(%(companies)s)
                    UNION ALL
                    SELECT credit_move_id, max_date, -amount FROM account_partial_reconcile
                     WHERE max_date > %(pt)s AND company_id = ANY(%(companies)s)) AS side
              JOIN account_move_line line ON line.id = side.line_id
              JOIN as_of ON side.max_date > as_of.day AND line.date <= as_of.day
             WHERE line.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
               AND line.parent_state = 'posted') AS item
  GROUP BY 1
), orders AS (
    -- deals by their quotation's date: won when confirmed, lost when cancelled or expired (no revisions here)
    SELECT p.which, COUNT(*) FILTER (WHERE o.state = 'sale') AS won,
           COUNT(*) FILTER (WHERE o.state <> 'sale') AS lost,
           SUM(o.amount_untaxed / COALESCE(NULLIF(o.currency_rate, 0), 1)) FILTER (WHERE o.state = 'sale') AS amount,
           PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY GREATEST(0, EXTRACT(EPOCH FROM o.date_order - o.create_date)
               / 86400.0)) FILTER (WHERE o.state = 'sale') AS median_days
      FROM periods p LEFT JOIN sale_order o
        ON o.company_id = ANY(%(companies)s)
       AND (o.state IN ('sale', 'cancel') OR (o.state IN ('draft', 'sent') AND o.validity_date < CURRENT_DATE))
       AND o.create_date >= p.start_ AND o.create_date < p.end_ + 1
  GROUP BY 1
)
SELECT f.which, f.ar_end, f.sales,
       f.ar_end / NULLIF(f.sales, 0) * f.days AS dso,
       cb.days AS dso_countback,
       (COALESCE(a.not_due, 0) + COALESCE(a.unapplied, 0)) / NULLIF(f.sales, 0) * f.days AS best_dso,
       (f.ar_end - COALESCE(a.not_due, 0) - COALESCE(a.unapplied, 0)) / NULLIF(f.sales, 0) * f.days AS add,
       (f.ar_open + f.sales / f.months - f.ar_end)
           / NULLIF(f.ar_open + f.sales / f.months - COALESCE(a.not_due, 0) - COALESCE(a.unapplied, 0), 0) * 100 AS cei,
       a.not_due, a.d30, a.d60, a.d90, a.older, a.unapplied,
       o.won::numeric / NULLIF(o.won + o.lost, 0) * 100 AS win_rate, o.median_days,
       o.amount / NULLIF(o.won, 0) AS deal_size
  FROM figures f
  JOIN countback cb ON cb.which = f.which
  LEFT JOIN aging a ON a.which = f.which
  JOIN orders o ON o.which = f.which
ORDER BY f.which
"""


def hand_written(cr, company_ids):
    cr.execute(
        HAND_WRITTEN,
        {"companies": company_ids, "df": DATE_FROM, "dt": DATE_TO, "pf": PREV_FROM, "pt": PREV_TO},
    )
    return cr.fetchall()


def compare(kpis, rows):
    """The two must agree, or the timing means nothing."""
    mismatches = []
    for row in rows:
        which = "value" if row[0] == 1 else "previous"
        expected = {
            "ar_total": row[1],
            "credit_sales": row[2],
            "dso_simple": row[3],
            "dso_countback": row[4],
            "best_possible_dso": row[5],
            "add": row[6],
            "cei": row[7],
            "win_rate": row[14],
            "quote_to_close_days": row[15],
            "average_deal_size": row[16],
        }
        for key, value in expected.items():
            ours = kpis["kpis"][key][which]
            if value is None:
                if ours is not False:
                    mismatches.append((key, which, ours, None))
            elif ours is False or abs(float(value) - ours) > 0.051:
                mismatches.append((key, which, ours, float(value)))
        buckets = [bucket["amount"] for bucket in kpis["kpis"]["ar_aging"][which]]
        if any(abs(float(value or 0) - ours) > 0.005 for value, ours in zip(row[8:14], buckets, strict=True)):
            mismatches.append(("ar_aging", which, buckets, [float(v or 0) for v in row[8:14]]))
    return mismatches


def main(argv):
    registry = open_registry(argv)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        generate(env)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        Kpi = env["revcycle.kpi"].with_company(company)
        cr.execute(
            "SELECT COUNT(*) FROM account_move_line WHERE company_id = %s AND parent_state = 'posted'", (company.id,)
        )
        lines = cr.fetchone()[0]
        timings = {"get_kpis": [], "hand_sql": []}
        kpis = rows = None
        for _ in range(RUNS):
            env.invalidate_all()
            started = time.perf_counter()
            kpis = Kpi.get_kpis(DATE_FROM.isoformat(), DATE_TO.isoformat(), company.ids)
            timings["get_kpis"].append(time.perf_counter() - started)
            started = time.perf_counter()
            rows = hand_written(cr, company.ids)
            timings["hand_sql"].append(time.perf_counter() - started)
        mismatches = compare(kpis, rows)
        cr.rollback()
    ours, sql = statistics.median(timings["get_kpis"]), statistics.median(timings["hand_sql"])
    print(f"get_kpis {DATE_FROM} to {DATE_TO} (and the 12 months before), {lines:,} posted journal items,")
    print(f"median of {RUNS}, alternating:")
    print(f"  revcycle.kpi.get_kpis          : {ours * 1000:8.1f} ms  (target < 2000 ms)")
    print(f"  best single hand-written SQL   : {sql * 1000:8.1f} ms")
    print(f"  ratio get_kpis / hand SQL      : {ours / sql:8.2f}  (target <= 3.00)")
    print(f"  same figures                   : {mismatches or 'yes'}")
    value = kpis["kpis"]
    print(
        "  DSO {dso} d, countback {cb} d, CEI {cei} %, AR {ar}, win rate {win} %".format(
            dso=value["dso_simple"]["value"],
            cb=value["dso_countback"]["value"],
            cei=value["cei"]["value"],
            ar=value["ar_total"]["value"],
            win=value["win_rate"]["value"],
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
