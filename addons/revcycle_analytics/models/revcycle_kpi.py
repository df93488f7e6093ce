"""The revenue-cycle KPIs of docs/domain.md §2 for a period and its predecessor, in one JSON-ready dict.

Aggregates come from a handful of SQL queries (one pass over the receivable journal items for every AR balance and
credit-sales window, one for the as-of aging, one per sibling source); the formulas live in ``engine/``.
Which sources exist is decided in one place, ``_revcycle_kpi_sources``: a KPI whose source addon is missing is absent
from the dict, never 0.
"""

from collections import defaultdict
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from odoo import api, fields, models
from odoo.addons.revcycle_base.engine import aging
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round

from .. import engine

COUNTBACK_MONTHS = 24  # AR older than two years of sales counts no further countback days
TREND_MONTHS = 12
CONTRACT_STATES = ("active", "expired", "terminated")  # contracts that billed; suspended ones bill nothing
AR_KPIS = ("ar_total", "credit_sales", "dso_simple", "dso_countback", "best_possible_dso", "add", "cei", "ar_aging")
CONTRACT_KPIS = ("mrr", "arr", "mrr_movements", "customer_churn_rate", "grr", "nrr", "arpa", "cltv")
SALES_KPIS = ("win_rate", "quote_to_close_days", "average_deal_size")


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
        result["cards"] = [
            dict(card, action=self._revcycle_drilldown(card["key"], date_from, date_to, companies))
            for card in self._revcycle_kpi_catalog()
            if card["key"] in result["kpis"]
        ]
        result["allowed_companies"] = [
            {"id": company.id, "name": company.name} for company in self.env.user.company_ids.sorted("name")
        ]
        return result

    # -- what is available and allowed -----------------------------------------------------------------------------
    @api.model
    def _revcycle_kpi_sources(self):
        """The data sources installed in this database; override to add or hide one. 'receivables' and 'sales'
        come from account and sale (dependencies); the others from the sibling revcycle addons when installed."""
        sources = {"receivables", "sales"}
        if "revcycle.contract.line" in self.env:
            sources.add("contracts")
        if "revcycle.dunning.notice.line" in self.env:
            sources.add("dunning")
        if "revcycle_deferred_revenue_account_id" in self.env["res.company"]._fields:
            sources.add("revrec")
        return frozenset(sources)

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
        """The KPI dict for ``companies`` from the given ``sources`` only (a subset is how a missing addon looks)."""
        prev_from, prev_to = engine.previous_period(date_from, date_to)
        self.env.flush_all()  # the queries below read journal items, contracts, orders and notices in SQL
        periods = {"value": (date_from, date_to), "previous": (prev_from, prev_to)}
        figures = {"value": {}, "previous": {}}
        trend = None
        if "receivables" in sources:
            receivables, trend = self._revcycle_receivable_kpis(periods, companies, with_trend)
            self._revcycle_merge(figures, receivables)
        if "contracts" in sources:
            self._revcycle_merge(figures, self._revcycle_contract_kpis(periods, companies, "receivables" in sources))
        if "sales" in sources:
            self._revcycle_merge(figures, self._revcycle_sales_kpis(periods, companies))
        if "dunning" in sources:
            self._revcycle_merge(figures, self._revcycle_dunning_kpis(periods, companies))
        if "revrec" in sources:
            self._revcycle_merge(figures, self._revcycle_revrec_kpis(periods, companies))
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
                key: {
                    "value": self._revcycle_json_ready(key, value, currency),
                    "previous": self._revcycle_json_ready(key, figures["previous"].get(key), currency),
                }
                for key, value in figures["value"].items()
            },
        }
        if with_trend and trend is not None:
            result["dso_trend"] = [
                {"month": month.isoformat(), "dso": self._revcycle_json_ready("dso_simple", dso, currency)}
                for month, dso in trend
            ]
        return result

    @staticmethod
    def _revcycle_merge(figures, computed):
        for which in ("value", "previous"):
            figures[which].update(computed[which])

    @api.model
    def _revcycle_json_ready(self, key, value, currency):
        """Money to the currency's precision, days and percentages to one decimal, unknown as False (XML-RPC has no
        None), dicts and lists recursively."""
        if value is None:
            return False
        if isinstance(value, dict):
            return {k: self._revcycle_json_ready(k, v, currency) for k, v in value.items()}
        if isinstance(value, list):
            return [self._revcycle_json_ready(key, item, currency) for item in value]
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool | int | str):
            return value
        if key.startswith("customers_"):
            return int(value)
        if key in {
            "dso_simple",
            "dso_countback",
            "best_possible_dso",
            "add",
            "cei",
            "customer_churn_rate",
            "grr",
            "nrr",
            "win_rate",
            "quote_to_close_days",
            "dunning_recovery_rate",
        }:
            return float_round(value, precision_digits=1)
        return float_round(value, precision_digits=currency.decimal_places)

    # -- receivables: AR, DSO, CEI, aging --------------------------------------------------------------------------
    @api.model
    def _revcycle_receivable_kpis(self, periods, companies, with_trend):
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
        trend = None
        if with_trend:
            trend = [
                (start, engine.dso_simple(ar_at(end), sales_between(start, end), engine.period_days(start, end)))
                for start, end in trend_months
            ]
        return result, trend

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

    # -- contracts: MRR and its movements, churn, retention, CLTV ---------------------------------------------------
    @api.model
    def _revcycle_contract_kpis(self, periods, companies, with_margin):
        """MRR per customer at the start (the day before the period) and at the end of each period, from the
        contracts that billed (active, expired, terminated) with their lines normalised to one month."""
        (start, end), (prev_start, _prev_end) = periods["value"], periods["previous"]
        days = {"prev_start": prev_start - timedelta(days=1), "start": start - timedelta(days=1), "end": end}
        rows = self.env.execute_query(
            SQL(
                """
                SELECT contract.partner_id, contract.billing_period,
                       SUM(line.price_subtotal) FILTER (WHERE contract.date_start <= %(prev_start)s
                           AND (contract.date_end IS NULL OR contract.date_end >= %(prev_start)s)),
                       SUM(line.price_subtotal) FILTER (WHERE contract.date_start <= %(start)s
                           AND (contract.date_end IS NULL OR contract.date_end >= %(start)s)),
                       SUM(line.price_subtotal) FILTER (WHERE contract.date_start <= %(end)s
                           AND (contract.date_end IS NULL OR contract.date_end >= %(end)s)),
                       BOOL_OR(contract.date_start <= %(prev_start)s),
                       BOOL_OR(contract.date_start <= %(start)s)
                  FROM revcycle_contract contract
                  JOIN revcycle_contract_line line ON line.contract_id = contract.id
                 WHERE contract.state IN %(states)s
                   AND contract.company_id IN %(companies)s
                   AND contract.date_start <= %(end)s
              GROUP BY 1, 2
                """,
                states=CONTRACT_STATES,
                companies=tuple(companies.ids),
                **days,
            )
        )
        mrr = {key: defaultdict(float) for key in days}
        known = {"prev_start": set(), "start": set()}
        for partner, billing_period, at_prev_start, at_start, at_end, before_prev, before_start in rows:
            for key, amount in (("prev_start", at_prev_start), ("start", at_start), ("end", at_end)):
                if amount:
                    mrr[key][partner] += engine.monthly_value(amount, billing_period)
            if before_prev:
                known["prev_start"].add(partner)
            if before_start:
                known["start"].add(partner)
        margins = self._revcycle_gross_margins(periods, companies) if with_margin else {}
        result = {}
        for which, first, last in (("value", "start", "end"), ("previous", "prev_start", "start")):
            period_start, period_end = periods[which]
            months = engine.months_in_period(engine.period_days(period_start, period_end))
            moves = engine.mrr_movements(mrr[first], mrr[last], known[first])
            churn_rate = engine.ratio_percent(moves["customers_lost"], moves["customers_start"])
            arpa = moves["end"] / moves["customers_end"] if moves["customers_end"] else None
            margin = margins.get(which)
            monthly_churn = engine.monthly_rate(churn_rate, months)
            result[which] = {
                "mrr": moves["end"],
                "arr": moves["end"] * 12,
                "mrr_movements": moves,
                "customer_churn_rate": churn_rate,
                "grr": engine.gross_revenue_retention(moves["start"], moves["churn"], moves["contraction"]),
                "nrr": engine.net_revenue_retention(
                    moves["start"], moves["expansion"], moves["contraction"], moves["churn"]
                ),
                "arpa": arpa,
            }
            if with_margin:
                cltv = None if arpa is None or margin is None else engine.cltv(arpa, margin, monthly_churn)
                result[which]["cltv"] = cltv
        return result

    # -- sales: win rate, quote-to-close, deal size ----------------------------------------------------------------
    @api.model
    def _revcycle_sales_kpis(self, periods, companies):
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

    # -- dunning: recovery rate -------------------------------------------------------------------------------------
    @api.model
    def _revcycle_dunning_kpis(self, periods, companies):
        """Of the amounts dunned by the notices sent in the period (each invoice once, at its largest open amount),
        the share paid since."""
        result = {}
        for which, (start, end) in periods.items():
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT SUM(dunned), SUM(GREATEST(0, LEAST(dunned, dunned - open_now)))
                      FROM (SELECT MAX(notice_line.amount_residual) AS dunned,
                                   MAX(invoice.amount_residual) AS open_now
                              FROM revcycle_dunning_notice_line notice_line
                              JOIN revcycle_dunning_notice notice ON notice.id = notice_line.notice_id
                              JOIN account_move invoice ON invoice.id = notice_line.invoice_id
                             WHERE notice.state = 'sent'
                               AND notice.company_id IN %(companies)s
                               AND notice.date BETWEEN %(start)s AND %(end)s
                          GROUP BY notice_line.invoice_id) AS dunned_invoice
                    """,
                    companies=tuple(companies.ids),
                    start=start,
                    end=end,
                )
            )
            dunned, recovered = rows[0]
            result[which] = {"dunning_recovery_rate": engine.ratio_percent(recovered or 0.0, dunned or 0.0)}
        return result

    # -- revrec: deferred revenue balance ---------------------------------------------------------------------------
    @api.model
    def _revcycle_revrec_kpis(self, periods, companies):
        """Balance of the companies' deferred revenue (contract liability) accounts at each period end, as a positive
        liability; unknown when no selected company has the account set."""
        accounts = companies.sudo().revcycle_deferred_revenue_account_id
        result = {"value": {"deferred_revenue": None}, "previous": {"deferred_revenue": None}}
        if not accounts:
            return result
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
        result["value"]["deferred_revenue"] = rows[0][0] or 0.0
        result["previous"]["deferred_revenue"] = rows[0][1] or 0.0
        return result

    # -- dashboard metadata -----------------------------------------------------------------------------------------
    @api.model
    def _revcycle_kpi_catalog(self):
        """The dashboard cards in display order: key, label, unit ('money', 'days', 'percent'), and whether a rise is
        good news (for the trend colour)."""
        return [
            {"key": "mrr", "label": self.env._("MRR"), "unit": "money", "higher_is_better": True},
            {"key": "arr", "label": self.env._("ARR"), "unit": "money", "higher_is_better": True},
            {"key": "nrr", "label": self.env._("Net Revenue Retention"), "unit": "percent", "higher_is_better": True},
            {"key": "grr", "label": self.env._("Gross Revenue Retention"), "unit": "percent", "higher_is_better": True},
            {
                "key": "customer_churn_rate",
                "label": self.env._("Customer Churn"),
                "unit": "percent",
                "higher_is_better": False,
            },
            {"key": "arpa", "label": self.env._("ARPA"), "unit": "money", "higher_is_better": True},
            {"key": "cltv", "label": self.env._("Customer Lifetime Value"), "unit": "money", "higher_is_better": True},
            {"key": "ar_total", "label": self.env._("Accounts Receivable"), "unit": "money", "higher_is_better": False},
            {"key": "credit_sales", "label": self.env._("Credit Sales"), "unit": "money", "higher_is_better": True},
            {"key": "dso_simple", "label": self.env._("DSO"), "unit": "days", "higher_is_better": False},
            {"key": "dso_countback", "label": self.env._("DSO (countback)"), "unit": "days", "higher_is_better": False},
            {
                "key": "best_possible_dso",
                "label": self.env._("Best Possible DSO"),
                "unit": "days",
                "higher_is_better": False,
            },
            {"key": "add", "label": self.env._("Average Days Delinquent"), "unit": "days", "higher_is_better": False},
            {
                "key": "cei",
                "label": self.env._("Collection Effectiveness"),
                "unit": "percent",
                "higher_is_better": True,
            },
            {
                "key": "dunning_recovery_rate",
                "label": self.env._("Dunning Recovery"),
                "unit": "percent",
                "higher_is_better": True,
            },
            {
                "key": "deferred_revenue",
                "label": self.env._("Deferred Revenue"),
                "unit": "money",
                "higher_is_better": True,
            },
            {"key": "win_rate", "label": self.env._("Win Rate"), "unit": "percent", "higher_is_better": True},
            {
                "key": "quote_to_close_days",
                "label": self.env._("Quote to Close (median)"),
                "unit": "days",
                "higher_is_better": False,
            },
            {
                "key": "average_deal_size",
                "label": self.env._("Average Deal Size"),
                "unit": "money",
                "higher_is_better": True,
            },
        ]

    @api.model
    def _revcycle_drilldown(self, key, date_from, date_to, companies):
        """The window action listing the records behind a KPI card."""
        date_from, date_to = fields.Date.to_string(date_from), fields.Date.to_string(date_to)
        day_after = fields.Datetime.to_string(fields.Date.to_date(date_to) + timedelta(days=1))
        company_domain = [("company_id", "in", companies.ids)]
        if key in AR_KPIS or key == "credit_sales":
            if key == "credit_sales":
                return self._revcycle_list_action(
                    self.env._("Invoices of the Period"),
                    "account.move",
                    company_domain
                    + [
                        ("move_type", "in", ("out_invoice", "out_refund")),
                        ("state", "=", "posted"),
                        ("date", ">=", date_from),
                        ("date", "<=", date_to),
                    ],
                )
            return self._revcycle_list_action(
                self.env._("Open Receivables"),
                "account.move.line",
                company_domain
                + [
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("date", "<=", date_to),
                ],
            )
        if key in CONTRACT_KPIS:
            domain = company_domain + [("state", "in", CONTRACT_STATES), ("date_start", "<=", date_to)]
            if key == "customer_churn_rate":
                domain += [("date_end", ">=", date_from), ("date_end", "<=", date_to)]
            else:
                domain += ["|", ("date_end", "=", False), ("date_end", ">=", date_to)]
            return self._revcycle_list_action(self.env._("Contracts"), "revcycle.contract", domain)
        if key in SALES_KPIS:
            states = ("sale", "cancel") if key == "win_rate" else ("sale",)
            return self._revcycle_list_action(
                self.env._("Orders of the Period"),
                "sale.order",
                company_domain
                + [
                    ("state", "in", states),
                    ("date_order", ">=", date_from + " 00:00:00"),
                    ("date_order", "<", day_after),
                ],
            )
        if key == "dunning_recovery_rate":
            return self._revcycle_list_action(
                self.env._("Dunning Notices"),
                "revcycle.dunning.notice",
                company_domain + [("state", "=", "sent"), ("date", ">=", date_from), ("date", "<=", date_to)],
            )
        if key == "deferred_revenue":
            return self._revcycle_list_action(
                self.env._("Deferred Revenue Items"),
                "account.move.line",
                company_domain
                + [
                    ("account_id", "in", companies.sudo().revcycle_deferred_revenue_account_id.ids),
                    ("parent_state", "=", "posted"),
                    ("date", "<=", date_to),
                ],
            )
        return False

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
