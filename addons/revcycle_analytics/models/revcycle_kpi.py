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
        # best possible DSO counts the current AR (not yet due, less the unapplied), ADD the overdue rest
        current_items = {**receivables, "drilldown": "_revcycle_kpi_drilldown_current_receivables"}
        overdue_items = {**receivables, "drilldown": "_revcycle_kpi_drilldown_overdue_receivables"}
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
                "best_possible_dso", self.env._("Best Possible DSO"), "days", False, sequence=140, **current_items
            ),
            KpiDeclaration(
                "add", self.env._("Average Days Delinquent"), "days", False, sequence=150, **overdue_items
            ),
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
        currency = self._revcycle_main_company(companies).currency_id
        result = {
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "previous_date_from": prev_from.isoformat(),
            "previous_date_to": prev_to.isoformat(),
            "company_ids": companies.ids,
            "currency": currency.name,
            "currency_id": currency.id,
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

    # -- currencies: every money figure in the main company's currency ---------------------------------------------
    @api.model
    def _revcycle_main_company(self, companies):
        """The company whose currency the KPIs are stated in: the current company if selected, else the first."""
        return companies & self.env.company or companies[:1]

    @api.model
    def _revcycle_converter(self, companies, currencies=None):
        """A ``KpiConverter`` to the main company's currency for the companies' currencies (and ``currencies``, e.g.
        those of contracts), with the main company's rates read once (docs/domain.md §2, Currencies)."""
        main = self._revcycle_main_company(companies)
        currency_ids = set(companies.currency_id.ids) | set((currencies or self.env["res.currency"]).ids)
        currency_ids.add(main.currency_id.id)
        rates = {currency_id: [] for currency_id in currency_ids}
        if len(currency_ids) > 1:
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT currency_id, name, rate, company_id IS NOT NULL
                      FROM res_currency_rate
                     WHERE currency_id IN %(currencies)s AND (company_id IS NULL OR company_id = %(root)s)
                    """,
                    currencies=tuple(currency_ids),
                    root=main.root_id.id,
                )
            )
            for currency_id, day, rate, specific in rows:
                rates[currency_id].append((day, rate, specific))
        company_currency = {company.id: company.currency_id.id for company in companies}
        return engine.KpiConverter(engine.RateTable(rates), main.currency_id.id, company_currency)

    # -- receivables: AR, DSO, CEI, aging --------------------------------------------------------------------------
    @api.model
    def _revcycle_kpi_compute_receivables(self, periods, companies, run):
        """AR, credit sales, DSO (simple, countback, best possible), ADD, CEI and the aging, for both periods; with
        ``run["with_trend"]`` also the 12-month DSO trend, from the same pass over the journal items.

        Balances are as of min(period end, today): a period ending in the future is measured on what is known today,
        over the days elapsed. Unapplied credits and payments have their own aging row and reduce the AR and the
        current AR alike, so best possible DSO <= DSO and ADD >= 0 (docs/domain.md §2)."""
        today = fields.Date.context_today(self)
        date_to = periods["value"][1]
        prev_from, prev_to = periods["previous"]
        trend_months = engine.trend_months(date_to, TREND_MONTHS)
        floor = min(prev_from, prev_to - relativedelta(months=COUNTBACK_MONTHS), trend_months[0][0]) - timedelta(days=1)
        converter = self._revcycle_converter(companies)
        opening, daily = self._revcycle_daily_receivables(companies, floor, date_to, converter)
        as_of = {which: max(start, min(end, today)) for which, (start, end) in periods.items()}
        aging = self._revcycle_aging_as_of(sorted(set(as_of.values())), companies, converter)

        def ar_at(day):
            return opening + sum(balance for when, (balance, _sales) in daily.items() if when <= day)

        def sales_between(start, end):
            return sum(sales for when, (_balance, sales) in daily.items() if start <= when <= end)

        result = {}
        for which, (start, _end) in periods.items():
            end = as_of[which]
            days = engine.period_days(start, end)
            months = engine.months_in_period(days)
            ending_ar, opening_ar = ar_at(end), ar_at(start - timedelta(days=1))
            sales = sales_between(start, end)
            buckets = aging[end]
            current_ar = self._revcycle_netted_current_ar(buckets)
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
                if start <= today else (start, None)
                for start, end in ((start, min(end, today)) for start, end in trend_months)
            ]
        return result

    @staticmethod
    def _revcycle_netted_current_ar(buckets):
        """The AR that would be open if every customer paid on time: what is not yet due (the first bucket) less
        the unapplied credits and payments (the last row, negative), the same netting as the total AR."""
        if not buckets:
            return 0.0
        unapplied = buckets[-1]["amount"] if buckets[-1].get("unapplied") else 0.0
        return buckets[0]["amount"] + unapplied

    @staticmethod
    def _revcycle_receivable_accounts():
        """Receivable accounts, as SQL: accounts may be shared between companies, the lines' company filters."""
        return SQL("(SELECT id FROM account_account WHERE account_type = 'asset_receivable')")

    @api.model
    def _revcycle_daily_receivables(self, companies, floor, date_to, converter):
        """One pass over the posted receivable items up to ``date_to``: the AR balance on ``floor`` and, per day
        after it, the net AR movement and the credit sales: invoices minus credit notes, tax included as AR is; that
        is the receivable terms of customer invoices (display type 'payment_term'), sales receipts (cash sales)
        excepted. Only the few receipts are joined, not every journal entry.
        Amounts are the items' company-currency balances, converted to the main company's currency at the rate of
        each item's date: the companies in another currency are grouped by their items' own dates."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT line.company_id,
                       CASE WHEN line.company_id = ANY(%(foreign)s::int[]) THEN line.date
                            ELSE GREATEST(line.date, %(floor)s) END AS day,
                       SUM(line.balance),
                       SUM(line.balance) FILTER (WHERE line.display_type = 'payment_term' AND receipt.id IS NULL)
                  FROM account_move_line line
             LEFT JOIN (SELECT id FROM account_move WHERE move_type = 'out_receipt') AS receipt
                    ON receipt.id = line.move_id
                 WHERE line.account_id IN %(accounts)s
                   AND line.company_id IN %(companies)s
                   AND line.parent_state = 'posted'
                   AND line.date <= %(date_to)s
              GROUP BY 1, 2
                """,
                floor=floor,
                foreign=list(converter.foreign_companies),
                accounts=self._revcycle_receivable_accounts(),
                companies=tuple(companies.ids),
                date_to=date_to,
            )
        )
        opening, daily = 0.0, {}
        for company_id, day, balance, sales in rows:
            balance = converter.company(balance or 0.0, company_id, day)
            if day <= floor:
                opening += balance  # sales on or before the floor are outside every window
            else:
                day_balance, day_sales = daily.get(day, (0.0, 0.0))
                daily[day] = (day_balance + balance, day_sales + converter.company(sales or 0.0, company_id, day))
        return opening, daily

    @api.model
    def _revcycle_aging_buckets(self, companies):
        """The aging buckets of the main selected company (its own, else the shared defaults)."""
        company = companies & self.env.company or companies[:1]
        Bucket = self.env["revcycle.aging.bucket"].sudo()
        buckets = Bucket.search([("company_id", "=", company.id)]) or Bucket.search([("company_id", "=", False)])
        return buckets._revcycle_engine_buckets()

    @api.model
    def _revcycle_aging_as_of(self, as_of_dates, companies, converter=None):
        """Open receivables per aging bucket as they stood on each date, days past due counted from the due date,
        then an "Unapplied" row: the credit items (payments, credit notes) not yet matched with an invoice, which
        are not debts falling due and belong in no bucket. The rows sum to the AR ledger balance on that date.
        An item's open amount on a date is its residual today plus what was reconciled with it after that date, so
        only the items open today (Odoo's unreconciled index) and the reconciliations after the earliest date are
        read, never the whole history. Amounts are in company currency, converted to the main company's currency at
        the rate of each item's date."""
        converter = converter or self._revcycle_converter(companies)
        buckets = self._revcycle_aging_buckets(companies)

        def rows_of_day():
            return [{"bucket": name, "amount": 0.0} for name, _f, _t in buckets] + [
                {"bucket": self.env._("Unapplied"), "amount": 0.0, "unapplied": True}
            ]

        result = {day: rows_of_day() for day in as_of_dates}
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
                SELECT item.day, %(bucket)s AS bucket, item.balance < 0 AS unapplied, item.company_id,
                       CASE WHEN item.company_id = ANY(%(foreign)s::int[]) THEN item.date END AS rate_day,
                       SUM(item.amount)
                  FROM (
                        -- what is open today, on the items already there on each day
                        SELECT as_of.day, line.date, line.date_maturity, line.balance, line.company_id,
                               line.amount_residual AS amount
                          FROM account_move_line line
                          JOIN as_of ON line.date <= as_of.day
                         WHERE line.account_id IN %(accounts)s
                           AND line.company_id IN %(companies)s
                           AND (line.reconciled IS NULL OR line.reconciled = false OR line.reconciled IS NOT true)
                           AND line.parent_state = 'posted'
                     UNION ALL
                        -- plus what was reconciled with them after the day, on either side
                        SELECT as_of.day, line.date, line.date_maturity, line.balance, line.company_id, side.amount
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
              GROUP BY 1, 2, 3, 4, 5
                """,
                earliest=earliest,
                days=days_list,
                foreign=list(converter.foreign_companies),
                accounts=self._revcycle_receivable_accounts(),
                companies=tuple(companies.ids),
                bucket=bucket_case,
            )
        )
        for day, bucket, unapplied, company_id, rate_day, amount in rows:
            if unapplied:
                bucket = len(buckets)
            if bucket is not None:
                result[day][bucket]["amount"] += converter.company(amount or 0.0, company_id, rate_day or day)
        return result

    @api.model
    def _revcycle_gross_margins(self, periods, companies):
        """Gross margin of each period from the ledger: (income - cost of revenue) / income."""
        (start, end), (prev_start, _prev_end) = periods["value"], periods["previous"]
        converter = self._revcycle_converter(companies)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT line.date >= %(start)s AS current, line.company_id,
                       CASE WHEN line.company_id = ANY(%(foreign)s::int[]) THEN line.date END,
                       -SUM(line.balance) FILTER (WHERE account.account_type = 'income'),
                       SUM(line.balance) FILTER (WHERE account.account_type = 'expense_direct_cost')
                  FROM account_move_line line
                  JOIN account_account account ON account.id = line.account_id
                 WHERE account.account_type IN ('income', 'expense_direct_cost')
                   AND line.company_id IN %(companies)s
                   AND line.parent_state = 'posted'
                   AND line.date BETWEEN %(prev_start)s AND %(end)s
              GROUP BY 1, 2, 3
                """,
                start=start,
                end=end,
                prev_start=prev_start,
                foreign=list(converter.foreign_companies),
                companies=tuple(companies.ids),
            )
        )
        totals = {"value": [0.0, 0.0], "previous": [0.0, 0.0]}
        for current, company, day, revenue, cost in rows:
            total = totals["value" if current else "previous"]
            total[0] += converter.company(revenue or 0.0, company, day or end)
            total[1] += converter.company(cost or 0.0, company, day or end)
        present = {"value" if current else "previous" for current, *_rest in rows}
        return {
            which: engine.gross_margin(*totals[which]) if which in present else None for which in ("value", "previous")
        }

    # -- sales: win rate, quote-to-close, deal size ----------------------------------------------------------------
    @api.model
    def _revcycle_deal_chains_sql(self, companies):
        """SQL of the rows (first_id, final_id): each deal's first quotation and its final revision. Here every order
        is a deal of its own; revcycle_analytics_cpq follows the chains of revisions."""
        return SQL(
            "SELECT id AS first_id, id AS final_id FROM sale_order WHERE company_id IN %s", tuple(companies.ids)
        )

    @api.model
    def _revcycle_deals(self, start, end, companies):
        """The decided deals whose first quotation was made in [start, end] (docs/domain.md §2, Win rate): rows
        (final order id, 'won' or 'lost', days from the first quotation to the confirmation, amount untaxed in the
        main company's currency). Won: the final revision is confirmed; lost: it is cancelled, or still a quotation
        whose validity date has passed. Open deals are left out."""
        today = fields.Date.context_today(self)
        rows = self.env.execute_query(
            SQL(
                """
                WITH deal AS (%(deals)s)
                SELECT final.id,
                       CASE WHEN final.state = 'sale' THEN 'won' ELSE 'lost' END,
                       EXTRACT(EPOCH FROM final.date_order - first.create_date) / 86400.0,
                       final.amount_untaxed / COALESCE(NULLIF(final.currency_rate, 0), 1),
                       final.company_id,
                       final.date_order::date
                  FROM deal
                  JOIN sale_order first ON first.id = deal.first_id
                  JOIN sale_order final ON final.id = deal.final_id
                 WHERE first.create_date >= %(start)s AND first.create_date < %(stop)s
                   AND (final.state IN ('sale', 'cancel')
                        OR (final.state IN ('draft', 'sent') AND final.validity_date < %(today)s))
                """,
                deals=self._revcycle_deal_chains_sql(companies),
                start=start,
                stop=end + timedelta(days=1),
                today=today,
            )
        )
        converter = self._revcycle_converter(companies)
        return [
            (order_id, outcome, max(0.0, float(days or 0.0)), converter.company(amount or 0.0, company_id, day))
            for order_id, outcome, days, amount, company_id, day in rows
        ]

    @api.model
    def _revcycle_kpi_compute_sales(self, periods, companies, run):
        """Win rate, quote-to-close and average deal size over the deals of each period (``_revcycle_deals``)."""
        result = {}
        for which, (start, end) in periods.items():
            deals = self._revcycle_deals(start, end, companies)
            won = [deal for deal in deals if deal[1] == "won"]
            result[which] = {
                "win_rate": engine.ratio_percent(len(won), len(deals)),
                "quote_to_close_days": engine.median(deal[2] for deal in won),
                "average_deal_size": engine.mean(deal[3] for deal in won),
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
        converter = self._revcycle_converter(companies)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT company_id, CASE WHEN company_id = ANY(%(foreign)s::int[]) THEN date END,
                       -SUM(balance), -SUM(balance) FILTER (WHERE date <= %(prev_end)s)
                  FROM account_move_line
                 WHERE account_id IN %(accounts)s
                   AND company_id IN %(companies)s
                   AND parent_state = 'posted'
                   AND date <= %(end)s
              GROUP BY 1, 2
                """,
                foreign=list(converter.foreign_companies),
                accounts=tuple(accounts.ids),
                companies=tuple(companies.ids),
                end=end,
                prev_end=prev_end,
            )
        )
        # company-currency balances converted at each item's date (the other companies need no conversion)
        return {
            "value": sum(converter.company(balance or 0.0, company, day or end) for company, day, balance, _p in rows),
            "previous": sum(converter.company(before or 0.0, company, day or end) for company, day, _b, before in rows),
        }

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
    def _revcycle_kpi_as_of(self, period):
        """The date the balances of ``period`` are taken on: min(period end, today), not before its start."""
        return max(period[0], min(period[1], fields.Date.context_today(self)))

    @api.model
    def _revcycle_kpi_drilldown_open_receivables(self, declaration, period, companies, extra_domain=(), name=None):
        """The receivable items open on the as-of date (the period end), by the rule the AR balance and the aging
        use: posted on or before it and not yet reconciled then (open today, or reconciled after that date). The
        as-of date is min(period end, today), as for the figures."""
        as_of = fields.Date.to_string(self._revcycle_kpi_as_of(period))
        return self._revcycle_list_action(
            name or self.env._("Open Receivables"),
            "account.move.line",
            [
                *extra_domain,
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
    def _revcycle_kpi_current_days(self, companies):
        """The last day past due of the first aging bucket (the "not due" one): an item is current up to it."""
        buckets = self._revcycle_aging_buckets(companies)
        return buckets[0][2] if buckets and buckets[0][2] is not None else 0

    @api.model
    def _revcycle_kpi_drilldown_current_receivables(self, declaration, period, companies):
        """The items behind best possible DSO's current AR: the open items of the first aging bucket (not yet due on
        the as-of date) and the unapplied credits and payments (credit balance), the same netting as the figure."""
        return self._revcycle_kpi_drilldown_receivables_split(
            declaration, period, companies, current=True, name=self.env._("Current Receivables"))

    @api.model
    def _revcycle_kpi_drilldown_overdue_receivables(self, declaration, period, companies):
        """The items behind ADD (= overdue AR / credit sales x days): the open debts past the first aging bucket on
        the as-of date; the unapplied credits are netted in the current AR, not here."""
        return self._revcycle_kpi_drilldown_receivables_split(
            declaration, period, companies, current=False, name=self.env._("Overdue Receivables"))

    @api.model
    def _revcycle_kpi_drilldown_receivables_split(self, declaration, period, companies, current, name):
        """The open items split in two by one rule, so that each item is listed on exactly one side: *current* is a
        credit (balance < 0) or a debt of the first aging bucket (due, or dated when it has no due date, on or after
        the as-of date less the bucket's days); *overdue* is every other debt (balance > 0). Both sides negate the
        same rule: an item's aging date (its due date, or its date when it has none) against the first bucket's
        start. The overdue side spells the complement out rather than negating with "!": Odoo turns
        ``! date_maturity >= X`` into ``date_maturity < X``, which would drop the items without a due date."""
        current_from = self._revcycle_kpi_as_of(period) - timedelta(days=self._revcycle_kpi_current_days(companies))
        current_from = fields.Date.to_string(current_from)

        def aged_from(operator):
            return ["|", ("date_maturity", operator, current_from),
                    "&", ("date_maturity", "=", False), ("date", operator, current_from)]

        if current:
            extra_domain = ["|", ("balance", "<", 0), *aged_from(">=")]
        else:
            extra_domain = ["&", ("balance", ">", 0), *aged_from("<")]
        return self._revcycle_kpi_drilldown_open_receivables(
            declaration, period, companies, extra_domain=extra_domain, name=name)

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
        """The final revisions of the deals behind the figure: won and lost ones for the win rate, won ones for the
        deal size and quote-to-close."""
        deals = self._revcycle_deals(period[0], period[1], companies)
        wanted = ("won", "lost") if declaration.key == "win_rate" else ("won",)
        return self._revcycle_list_action(
            self.env._("Deals of the Period"),
            "sale.order",
            [("id", "in", [order_id for order_id, outcome, _days, _amount in deals if outcome in wanted])],
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
