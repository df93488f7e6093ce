"""The revenue-cycle KPIs of docs/domain.md §2 for a period and its predecessor, in one JSON-ready dict.

Every KPI is declared once, in ``_revcycle_kpi_declarations`` (see ``engine/declarations.py``): the dict, its
rounding, the dashboard cards, the XLSX export and the drill-downs all derive from the declarations. This addon
declares the ledger KPIs (receivables, sales); the bridges ``revcycle_analytics_<addon>`` add theirs with ``super()``,
so a KPI whose addon is missing is absent from the dict, never 0.

Aggregates come from a handful of SQL queries (one pass over the receivable journal items for every AR balance and
credit-sales window, one for the as-of aging, one per batch of KPIs); the formulas live in ``engine/``.
"""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from odoo import api, fields, models
from odoo.addons.revcycle_base.engine import aging
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round

from .. import engine
from ..engine import KpiDeclaration

COUNTBACK_MONTHS = 24  # AR older than two years of sales counts no further countback days
TREND_MONTHS = 12


class RevcycleKpi(models.AbstractModel):
    _name = "revcycle.kpi"
    _description = "Revenue Cycle KPIs"

    # -- public API ------------------------------------------------------------------------------------------------
    @api.model
    def get_kpis(self, date_from, date_to, company_ids=None):
        """Every KPI of the period [date_from, date_to] with the same-length period before it, for ``company_ids``
        (default: the current companies). See readme/USAGE.md for the keys."""
        self.env["revcycle.access"]._revcycle_require_kpi_reader()
        date_from, date_to = self._revcycle_parse_period(date_from, date_to)
        companies = self._revcycle_kpi_companies(company_ids)
        return self._revcycle_compute_kpis(date_from, date_to, companies, self._revcycle_kpi_sources())

    @api.model
    def get_dashboard_data(self, date_from, date_to, company_ids=None):
        """All the dashboard shows, in one call: the KPI dict, the cards' labels and drill-down actions, the chart
        series (DSO over 12 months) and the companies the user may choose."""
        self.env["revcycle.access"]._revcycle_require_kpi_reader()
        date_from, date_to = self._revcycle_parse_period(date_from, date_to)
        companies = self._revcycle_kpi_companies(company_ids)
        sources = self._revcycle_kpi_sources()
        result = self._revcycle_compute_kpis(date_from, date_to, companies, sources, with_trend=True)
        result["cards"] = self._revcycle_kpi_cards(result, (date_from, date_to), companies)
        result["allowed_companies"] = [
            {"id": company.id, "name": company.name} for company in self.env.user.company_ids.sorted("name")
        ]
        return result

    # -- the registry ----------------------------------------------------------------------------------------------
    @api.model
    def _revcycle_kpi_declarations(self):
        """Every KPI this database offers, one ``KpiDeclaration`` each. This addon declares the ledger KPIs; a bridge
        ``revcycle_analytics_<addon>`` extends this method and appends its own (``super()`` + its list)."""
        receivables = {"source": "receivables", "compute": "_revcycle_kpi_compute_receivables"}
        open_items = {**receivables, "drilldown": "_revcycle_kpi_drilldown_open_receivables"}
        sales = {
            "source": "sales",
            "compute": "_revcycle_kpi_compute_sales",
            "drilldown": "_revcycle_kpi_drilldown_orders",
        }
        return [
            KpiDeclaration("ar_total", self.env._("Accounts Receivable"), "money", False, sequence=100, **open_items),
            KpiDeclaration(
                "credit_sales",
                self.env._("Credit Sales"),
                "money",
                True,
                sequence=110,
                drilldown="_revcycle_kpi_drilldown_invoices",
                **receivables,
            ),
            KpiDeclaration("dso_simple", self.env._("DSO"), "days", False, sequence=120, **open_items),
            KpiDeclaration("dso_countback", self.env._("DSO (countback)"), "days", False, sequence=130, **open_items),
            KpiDeclaration(
                "best_possible_dso", self.env._("Best Possible DSO"), "days", False, sequence=140, **open_items
            ),
            KpiDeclaration("add", self.env._("Average Days Delinquent"), "days", False, sequence=150, **open_items),
            KpiDeclaration("cei", self.env._("Collection Effectiveness"), "percent", True, sequence=160, **open_items),
            KpiDeclaration(
                "ar_aging",
                self.env._("AR aging"),
                "money",
                False,
                card=False,
                sequence=170,
                breakdown="_revcycle_kpi_rows_aging",
                **open_items,
            ),
            KpiDeclaration("win_rate", self.env._("Win Rate"), "percent", True, sequence=400, **sales),
            KpiDeclaration(
                "quote_to_close_days", self.env._("Quote to Close (median)"), "days", False, sequence=410, **sales
            ),
            KpiDeclaration("average_deal_size", self.env._("Average Deal Size"), "money", True, sequence=420, **sales),
        ]

    @api.model
    def _revcycle_kpi_registry(self):
        """The declarations in card order, checked (one declaration per key)."""
        return engine.check_declarations(self._revcycle_kpi_declarations())

    # -- what is available and allowed -----------------------------------------------------------------------------
    @api.model
    def _revcycle_kpi_sources(self):
        """The data sources of the declared KPIs: 'receivables' and 'sales' from this addon, the others from the
        bridges installed with their sibling addon."""
        return frozenset(declaration.source for declaration in self._revcycle_kpi_declarations())

    @api.model
    def _revcycle_parse_period(self, date_from, date_to):
        return self.env["revcycle.access"]._revcycle_date_range(
            date_from, date_to, self.env._("The period start (date_from)"), self.env._("The period end (date_to)"))

    @api.model
    def _revcycle_kpi_companies(self, company_ids):
        if not company_ids:
            return self.env.companies
        company_ids = self.env["revcycle.access"]._revcycle_id_list(company_ids, "company_ids")
        allowed = self.env["res.company"].sudo().browse(company_ids).exists()
        if not self.env.su:
            allowed &= self.env.user.company_ids
        unknown = set(company_ids) - set(allowed.ids)
        if unknown:
            raise UserError(
                self.env._(
                    "Unknown company %(ids)s: choose among your companies (%(names)s).",
                    ids=", ".join(str(company_id) for company_id in sorted(unknown, key=str)),
                    names=", ".join(self.env.user.company_ids.mapped("name")),
                )
            )
        return self.env["res.company"].browse(allowed.ids)

    # -- the computation -------------------------------------------------------------------------------------------
    @api.model
    def _revcycle_compute_kpis(self, date_from, date_to, companies, sources, with_trend=False):
        """The KPI dict for ``companies`` from the given ``sources`` only (a subset is how a missing addon looks):
        every declared KPI whose sources are there, each batch method called once for all the KPIs it computes."""
        prev_from, prev_to = engine.previous_period(date_from, date_to)
        declarations = [declaration for declaration in self._revcycle_kpi_registry() if declaration.available(sources)]
        self.env.flush_all()  # the batch methods read journal items, orders and the siblings' records in SQL
        periods = {"value": (date_from, date_to), "previous": (prev_from, prev_to)}
        run = {"sources": frozenset(sources), "keys": {d.key for d in declarations}, "with_trend": with_trend}
        figures = {"value": {}, "previous": {}}
        for compute in dict.fromkeys(declaration.compute for declaration in declarations):
            computed = getattr(self, compute)(periods, companies, run)
            for which in figures:
                figures[which].update(computed[which])
        currency = (companies & self.env.company or companies[:1]).currency_id
        result = {
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "previous_date_from": prev_from.isoformat(),
            "previous_date_to": prev_to.isoformat(),
            "company_ids": companies.ids,
            "currency": currency.name,
            "currency_digits": currency.decimal_places,
            "sources": sorted(sources),
            "kpis": {
                declaration.key: {
                    which: self._revcycle_json_ready(
                        figures[which].get(declaration.key), declaration.rounding_digits(currency.decimal_places)
                    )
                    for which in ("value", "previous")
                }
                for declaration in declarations
            },
        }
        if with_trend and run.get("dso_trend") is not None:
            dso_declaration = next((d for d in declarations if d.key == "dso_simple"), None)
            dso_digits = dso_declaration.rounding_digits(currency.decimal_places) if dso_declaration else 1
            result["dso_trend"] = [
                {"month": month.isoformat(), "dso": self._revcycle_json_ready(dso, dso_digits)}
                for month, dso in run["dso_trend"]
            ]
        return result

    @api.model
    def _revcycle_json_ready(self, value, digits):
        """Figures rounded to ``digits`` decimals, unknown as False (XML-RPC has no None), counts and labels as they
        are, dicts and lists recursively (the aging buckets, the MRR movements)."""
        if value is None:
            return False
        if isinstance(value, dict):
            return {k: self._revcycle_json_ready(v, digits) for k, v in value.items()}
        if isinstance(value, list):
            return [self._revcycle_json_ready(item, digits) for item in value]
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool | int | str):
            return value
        return float_round(value, precision_digits=digits)

    # -- receivables: AR, DSO, CEI, aging --------------------------------------------------------------------------
    @api.model
    def _revcycle_kpi_compute_receivables(self, periods, companies, run):
        """AR, credit sales, DSO (simple, countback, best possible), ADD, CEI and the aging, for both periods; with
        ``run["with_trend"]`` also the 12-month DSO trend, from the same pass over the journal items."""
        date_to = periods["value"][1]
        prev_from, prev_to = periods["previous"]
        trend_months = engine.trend_months(date_to, TREND_MONTHS)
        floor = min(prev_from, prev_to - relativedelta(months=COUNTBACK_MONTHS), trend_months[0][0]) - timedelta(days=1)
        opening, daily = self._revcycle_daily_receivables(companies, floor, date_to)
        aging = self._revcycle_aging_as_of([periods["value"][1], periods["previous"][1]], companies)

        def ar_at(day):
            return opening + sum(balance for when, (balance, _sales) in daily.items() if when <= day)

        def sales_between(start, end):
            return sum(sales for when, (_balance, sales) in daily.items() if start <= when <= end)

        result = {}
        for which, (start, end) in periods.items():
            days = engine.period_days(start, end)
            months = engine.months_in_period(days)
            ending_ar, opening_ar = ar_at(end), ar_at(start - timedelta(days=1))
            sales = sales_between(start, end)
            buckets = aging[end]
            current_ar = buckets[0]["amount"] if buckets else 0.0
            dso = engine.dso_simple(ending_ar, sales, days)
            best = engine.best_possible_dso(current_ar, sales, days)
            countback = [
                (sales_between(window_start, window_end), engine.period_days(window_start, window_end))
                for window_start, window_end in engine.countback_months(end, COUNTBACK_MONTHS)
            ]
            result[which] = {
                "ar_total": ending_ar,
                "credit_sales": sales,
                "dso_simple": dso,
                "dso_countback": engine.dso_countback(ending_ar, countback),
                "best_possible_dso": best,
                "add": engine.average_days_delinquent(dso, best),
                "cei": engine.cei(opening_ar, sales, months, ending_ar, current_ar),
                "ar_aging": buckets,
            }
        if run.get("with_trend"):
            run["dso_trend"] = [
                (start, engine.dso_simple(ar_at(end), sales_between(start, end), engine.period_days(start, end)))
                for start, end in trend_months
            ]
        return result

    @staticmethod
    def _revcycle_receivable_accounts():
        """Receivable accounts, as SQL: accounts may be shared between companies, the lines' company filters."""
        return SQL("(SELECT id FROM account_account WHERE account_type = 'asset_receivable')")

    @api.model
    def _revcycle_daily_receivables(self, companies, floor, date_to):
        """One pass over the posted receivable items up to ``date_to``: the AR balance on ``floor`` and, per day
        after it, the net AR movement and the credit sales: invoices minus credit notes, tax included as AR is; that
        is the receivable terms of customer invoices (display type 'payment_term'), sales receipts (cash sales)
        excepted. Only the few receipts are joined, not every journal entry."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT GREATEST(line.date, %(floor)s) AS day,
                       SUM(line.balance),
                       SUM(line.balance) FILTER (WHERE line.display_type = 'payment_term' AND receipt.id IS NULL)
                  FROM account_move_line line
             LEFT JOIN (SELECT id FROM account_move WHERE move_type = 'out_receipt') AS receipt
                    ON receipt.id = line.move_id
                 WHERE line.account_id IN %(accounts)s
                   AND line.company_id IN %(companies)s
                   AND line.parent_state = 'posted'
                   AND line.date <= %(date_to)s
              GROUP BY 1
                """,
                floor=floor,
                accounts=self._revcycle_receivable_accounts(),
                companies=tuple(companies.ids),
                date_to=date_to,
            )
        )
        opening, daily = 0.0, {}
        for day, balance, sales in rows:
            if day == floor:
                opening = balance or 0.0  # sales on or before the floor are outside every window
            else:
                daily[day] = (balance or 0.0, sales or 0.0)
        return opening, daily

    @api.model
    def _revcycle_aging_buckets(self, companies):
        """The aging buckets of the main selected company (its own, else the shared defaults)."""
        company = companies & self.env.company or companies[:1]
        Bucket = self.env["revcycle.aging.bucket"].sudo()
        buckets = Bucket.search([("company_id", "=", company.id)]) or Bucket.search([("company_id", "=", False)])
        return buckets._revcycle_engine_buckets()

    @api.model
    def _revcycle_aging_as_of(self, as_of_dates, companies):
        """Open receivables per aging bucket as they stood on each date, days past due counted from the due date.
        An item's open amount on a date is its residual today plus what was reconciled with it after that date, so
        only the items open today (Odoo's unreconciled index) and the reconciliations after the earliest date are
        read, never the whole history."""
        buckets = self._revcycle_aging_buckets(companies)
        result = {day: [{"bucket": name, "amount": 0.0} for name, _f, _t in buckets] for day in as_of_dates}
        if not buckets:
            return result
        earliest = min(as_of_dates)
        days_list = sorted(set(as_of_dates))
        # The bucket of each item, by the suite's one aging rule (revcycle_base engine/aging.py) compiled to SQL.
        bucket_case = aging.bucket_index_sql(SQL("(item.day - COALESCE(item.date_maturity, item.date))"), buckets)
        rows = self.env.execute_query(
            SQL(
                """
                WITH as_of AS (SELECT unnest(%(days)s::date[]) AS day)
                SELECT item.day, %(bucket)s AS bucket, SUM(item.amount)
                  FROM (
                        -- what is open today, on the items already there on each day
                        SELECT as_of.day, line.date, line.date_maturity, line.amount_residual AS amount
                          FROM account_move_line line
                          JOIN as_of ON line.date <= as_of.day
                         WHERE line.account_id IN %(accounts)s
                           AND line.company_id IN %(companies)s
                           AND (line.reconciled IS NULL OR line.reconciled = false OR line.reconciled IS NOT true)
                           AND line.parent_state = 'posted'
                     UNION ALL
                        -- plus what was reconciled with them after the day, on either side
                        SELECT as_of.day, line.date, line.date_maturity, side.amount
                          FROM (SELECT debit_move_id AS line_id, max_date, amount
                                  FROM account_partial_reconcile
                                 WHERE max_date > %(earliest)s AND company_id IN %(companies)s
                                UNION ALL
                                SELECT credit_move_id, max_date, -amount
                                  FROM account_partial_reconcile
                                 WHERE max_date > %(earliest)s AND company_id IN %(companies)s) AS side
                          JOIN account_move_line line ON line.id = side.line_id
                          JOIN as_of ON side.max_date > as_of.day AND line.date <= as_of.day
                         WHERE line.account_id IN %(accounts)s
                           AND line.parent_state = 'posted'
                       ) AS item
              GROUP BY 1, 2
                """,
                earliest=earliest,
                days=days_list,
                accounts=self._revcycle_receivable_accounts(),
                companies=tuple(companies.ids),
                bucket=bucket_case,
            )
        )
        for day, bucket, amount in rows:
            if bucket is not None:
                result[day][bucket]["amount"] += amount or 0.0
        return result

    @api.model
    def _revcycle_gross_margins(self, periods, companies):
        """Gross margin of each period from the ledger: (income - cost of revenue) / income."""
        (start, end), (prev_start, _prev_end) = periods["value"], periods["previous"]
        rows = self.env.execute_query(
            SQL(
                """
                SELECT line.date >= %(start)s AS current,
                       -SUM(line.balance) FILTER (WHERE account.account_type = 'income'),
                       SUM(line.balance) FILTER (WHERE account.account_type = 'expense_direct_cost')
                  FROM account_move_line line
                  JOIN account_account account ON account.id = line.account_id
                 WHERE account.account_type IN ('income', 'expense_direct_cost')
                   AND line.company_id IN %(companies)s
                   AND line.parent_state = 'posted'
                   AND line.date BETWEEN %(prev_start)s AND %(end)s
              GROUP BY 1
                """,
                start=start,
                end=end,
                prev_start=prev_start,
                companies=tuple(companies.ids),
            )
        )
        margins = {"value": None, "previous": None}
        for current, revenue, cost in rows:
            margins["value" if current else "previous"] = engine.gross_margin(revenue or 0.0, cost or 0.0)
        return margins

    # -- sales: win rate, quote-to-close, deal size ----------------------------------------------------------------
    @api.model
    def _revcycle_kpi_compute_sales(self, periods, companies, run):
        """Won = confirmed in the period (order date), lost = cancelled quotations dated in the period;
        quote-to-close = days from the quotation's creation to its confirmation."""
        result = {}
        for which, (start, end) in periods.items():
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT COUNT(*) FILTER (WHERE state = 'sale'),
                           COUNT(*) FILTER (WHERE state = 'cancel'),
                           SUM(amount_untaxed / COALESCE(NULLIF(currency_rate, 0), 1)) FILTER (WHERE state = 'sale'),
                           ARRAY_AGG(EXTRACT(EPOCH FROM date_order - create_date) / 86400.0)
                               FILTER (WHERE state = 'sale')
                      FROM sale_order
                     WHERE company_id IN %(companies)s
                       AND state IN ('sale', 'cancel')
                       AND date_order >= %(start)s AND date_order < %(stop)s
                    """,
                    companies=tuple(companies.ids),
                    start=start,
                    stop=end + timedelta(days=1),
                )
            )
            won, lost, amount, durations = rows[0]
            result[which] = {
                "win_rate": engine.ratio_percent(won, won + lost),
                "quote_to_close_days": engine.median(max(0.0, float(d)) for d in durations or []),
                "average_deal_size": amount / won if won else None,
            }
        return result

    # -- ledger helpers the bridges use ------------------------------------------------------------------------------
    @api.model
    def _revcycle_account_balances(self, accounts, periods, companies):
        """Credit balance of ``accounts`` (a liability or income as a positive figure) at the end of each period, as
        ``{"value": ..., "previous": ...}``; None for both when no account is given."""
        if not accounts:
            return {"value": None, "previous": None}
        end, prev_end = periods["value"][1], periods["previous"][1]
        rows = self.env.execute_query(
            SQL(
                """
                SELECT -SUM(balance), -SUM(balance) FILTER (WHERE date <= %(prev_end)s)
                  FROM account_move_line
                 WHERE account_id IN %(accounts)s
                   AND company_id IN %(companies)s
                   AND parent_state = 'posted'
                   AND date <= %(end)s
                """,
                accounts=tuple(accounts.ids),
                companies=tuple(companies.ids),
                end=end,
                prev_end=prev_end,
            )
        )
        return {"value": rows[0][0] or 0.0, "previous": rows[0][1] or 0.0}

    # -- drill-downs: the records behind a figure, for the period and as-of date it was computed for ----------------
    @api.model
    def _revcycle_kpi_cards(self, result, period, companies):
        """The dashboard cards of the KPIs in ``result``, in declaration order, each with its drill-down action."""
        return [
            {
                "key": declaration.key,
                "label": declaration.label,
                "unit": declaration.unit,
                "higher_is_better": declaration.higher_is_better,
                "action": self._revcycle_drilldown(declaration, period, companies),
            }
            for declaration in self._revcycle_kpi_registry()
            if declaration.card and declaration.key in result["kpis"]
        ]

    @api.model
    def _revcycle_drilldown(self, declaration, period, companies):
        """The window action listing the records behind a KPI (a declaration or its key) for ``period``."""
        if isinstance(declaration, str):
            declaration = next((d for d in self._revcycle_kpi_registry() if d.key == declaration), None)
        if not declaration or not declaration.drilldown:
            return False
        return getattr(self, declaration.drilldown)(declaration, period, companies)

    @api.model
    def _revcycle_kpi_drilldown_open_receivables(self, declaration, period, companies):
        """The receivable items open on the as-of date (the period end), by the rule the AR balance and the aging
        use: posted on or before it and not yet reconciled then (open today, or reconciled after that date)."""
        as_of = fields.Date.to_string(period[1])
        return self._revcycle_list_action(
            self.env._("Open Receivables"),
            "account.move.line",
            [
                ("company_id", "in", companies.ids),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("date", "<=", as_of),
                "|",
                "|",
                ("reconciled", "=", False),
                ("matched_debit_ids.max_date", ">", as_of),
                ("matched_credit_ids.max_date", ">", as_of),
            ],
        )

    @api.model
    def _revcycle_kpi_drilldown_invoices(self, declaration, period, companies):
        date_from, date_to = (fields.Date.to_string(day) for day in period)
        return self._revcycle_list_action(
            self.env._("Invoices of the Period"),
            "account.move",
            [
                ("company_id", "in", companies.ids),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ],
        )

    @api.model
    def _revcycle_kpi_drilldown_orders(self, declaration, period, companies):
        states = ("sale", "cancel") if declaration.key == "win_rate" else ("sale",)
        return self._revcycle_list_action(
            self.env._("Orders of the Period"),
            "sale.order",
            [
                ("company_id", "in", companies.ids),
                ("state", "in", states),
                ("date_order", ">=", fields.Datetime.to_string(period[0])),
                ("date_order", "<", fields.Datetime.to_string(period[1] + timedelta(days=1))),
            ],
        )

    @api.model
    def _revcycle_account_items_action(self, name, accounts, period, companies):
        """Posted items of ``accounts`` up to the as-of date: the lines behind ``_revcycle_account_balances``."""
        return self._revcycle_list_action(
            name,
            "account.move.line",
            [
                ("company_id", "in", companies.ids),
                ("account_id", "in", accounts.ids),
                ("parent_state", "=", "posted"),
                ("date", "<=", fields.Date.to_string(period[1])),
            ],
        )

    @api.model
    def _revcycle_list_action(self, name, model, domain):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "views": [[False, "list"], [False, "form"]],
            "domain": [list(term) if isinstance(term, tuple) else term for term in domain],
            "context": {"create": False},
            "target": "current",
        }

    # -- export rows of the structured KPIs -------------------------------------------------------------------------
    @api.model
    def _revcycle_kpi_rows_aging(self, declaration, kpi):
        return [
            (bucket["bucket"], bucket["amount"], before["amount"])
            for bucket, before in zip(kpi["value"], kpi["previous"], strict=True)
        ]
