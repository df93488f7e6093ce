"""The contract KPIs of revcycle_cpq in the KPI registry of revcycle_analytics: MRR, ARR and their movements,
customer churn, gross and net revenue retention, ARPA and CLTV (DOMAIN.md section 2), and the renewal rate."""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.revcycle_analytics import engine
from odoo.addons.revcycle_analytics.engine import KpiDeclaration
from odoo.tools import SQL

# contracts that billed (a contract under notice bills to its end); suspended ones bill nothing
CONTRACT_STATES = ("active", "pending_termination", "expired", "terminated")
# a renewal the customer committed to
RENEWAL_STATES = ("signed", "active", "pending_termination", "suspended", "expired", "terminated")


class RevcycleKpi(models.AbstractModel):
    _inherit = "revcycle.kpi"

    # -- declarations ----------------------------------------------------------------------------------------------
    @api.model
    def _revcycle_kpi_declarations(self):
        contracts = {
            "source": "contracts",
            "compute": "_revcycle_kpi_compute_contracts",
            "drilldown": "_revcycle_kpi_drilldown_contracts",
        }
        return [
            *super()._revcycle_kpi_declarations(),
            KpiDeclaration("mrr", self.env._("MRR"), "money", True, sequence=10, **contracts),
            KpiDeclaration("arr", self.env._("ARR"), "money", True, sequence=20, **contracts),
            KpiDeclaration("nrr", self.env._("Net Revenue Retention"), "percent", True, sequence=30, **contracts),
            KpiDeclaration("grr", self.env._("Gross Revenue Retention"), "percent", True, sequence=40, **contracts),
            KpiDeclaration(
                "customer_churn_rate", self.env._("Customer Churn"), "percent", False, sequence=50, **contracts
            ),
            KpiDeclaration("arpa", self.env._("ARPA"), "money", True, sequence=60, **contracts),
            KpiDeclaration(
                "cltv",
                self.env._("Customer Lifetime Value"),
                "money",
                True,
                sequence=70,
                requires=("receivables",),  # the gross margin comes from the ledger
                **contracts,
            ),
            KpiDeclaration(
                "renewal_rate",
                self.env._("Renewal Rate"),
                "percent",
                True,
                source="contracts",
                compute="_revcycle_kpi_compute_renewals",
                drilldown="_revcycle_kpi_drilldown_contracts",
                sequence=75,
            ),
            KpiDeclaration(
                "mrr_movements",
                self.env._("MRR movements"),
                "money",
                True,
                card=False,
                sequence=80,
                breakdown="_revcycle_kpi_rows_mrr_movements",
                **contracts,
            ),
        ]

    # -- computation -------------------------------------------------------------------------------------------------
    @api.model
    def _revcycle_kpi_compute_contracts(self, periods, companies, run):
        """MRR per customer at the start (the day before the period) and at the end of each period
        (``_revcycle_mrr_snapshots``); CLTV with the ledger's gross margin when it is asked for."""
        with_margin = "cltv" in run["keys"]
        (start, end), (prev_start, _prev_end) = periods["value"], periods["previous"]
        days = {"prev_start": prev_start - timedelta(days=1), "start": start - timedelta(days=1), "end": end}
        mrr, known, _contracts = self._revcycle_mrr_snapshots(days, companies)
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

    @api.model
    def _revcycle_mrr_snapshots(self, days, companies):
        """MRR per customer (commercial partner) on each of ``days`` ({key: date}), in the main company's currency,
        and the customers known before the first two dates (they had MRR earlier: a return is a reactivation).

        A contract with an MRR history (revcycle.contract.mrr.event, written by its activation, amendments, pause,
        resume, termination and expiry) is worth on a date the MRR after its latest event on or before that date,
        converted at the rate of that event's date (when the value applied), for the customer the event names: a
        line edited today does not restate the past, a paused contract counts until its pause, an expansion inside
        one contract is an expansion. A contract without history (made before the log, or outside the contract
        actions) keeps the rule of its lines' values over its dates."""
        mrr = {key: defaultdict(float) for key in days}
        known = {"prev_start": set(), "start": set()}
        dated = [(key, day) for key, day in days.items()]
        event_rows = self.env.execute_query(
            SQL(
                """
                WITH snapshot(key, day) AS (VALUES %(snapshots)s)
                SELECT DISTINCT ON (event.contract_id, snapshot.key)
                       event.contract_id, snapshot.key, event.commercial_partner_id, event.currency_id,
                       event.date, event.mrr_after,
                       EXISTS (SELECT 1 FROM revcycle_contract_mrr_event earlier
                                WHERE earlier.contract_id = event.contract_id AND earlier.mrr_after > 0
                                  AND earlier.date <= snapshot.day)
                  FROM revcycle_contract_mrr_event event
                  JOIN snapshot ON event.date <= snapshot.day
                 WHERE event.company_id IN %(companies)s
              ORDER BY event.contract_id, snapshot.key, event.date DESC, event.id DESC
                """,
                snapshots=SQL(", ").join(SQL("(%s, %s::date)", key, day) for key, day in dated),
                companies=tuple(companies.ids),
            )
        )
        line_rows = self.env.execute_query(
            SQL(
                """
                SELECT contract.id, COALESCE(partner.commercial_partner_id, partner.id), contract.billing_period,
                       contract.currency_id, contract.date_start,
                       SUM(line.price_subtotal) FILTER (WHERE contract.date_start <= %(prev_start)s
                           AND (contract.date_end IS NULL OR contract.date_end >= %(prev_start)s)),
                       SUM(line.price_subtotal) FILTER (WHERE contract.date_start <= %(start)s
                           AND (contract.date_end IS NULL OR contract.date_end >= %(start)s)),
                       SUM(line.price_subtotal) FILTER (WHERE contract.date_start <= %(end)s
                           AND (contract.date_end IS NULL OR contract.date_end >= %(end)s)),
                       BOOL_OR(contract.date_start <= %(prev_start)s),
                       BOOL_OR(contract.date_start <= %(start)s)
                  FROM revcycle_contract contract
                  JOIN res_partner partner ON partner.id = contract.partner_id
                  JOIN revcycle_contract_line line ON line.contract_id = contract.id
                 WHERE contract.state IN %(states)s
                   AND contract.company_id IN %(companies)s
                   AND contract.date_start <= %(end)s
                   AND NOT EXISTS (SELECT 1 FROM revcycle_contract_mrr_event event
                                    WHERE event.contract_id = contract.id)
              GROUP BY contract.id, partner.id
                """,
                states=CONTRACT_STATES,
                companies=tuple(companies.ids),
                **days,
            )
        )
        currencies = self.env["res.currency"].browse({row[3] for row in event_rows} | {row[3] for row in line_rows})
        converter = self._revcycle_converter(companies, currencies)
        contracts = {key: {} for key in days}  # per date, the contracts with MRR on it and their customer
        for contract, key, partner, currency_id, applied_on, amount, had_mrr in event_rows:
            if amount:
                mrr[key][partner] += converter.currency(amount, currency_id, applied_on)
                contracts[key][contract] = partner
            if had_mrr and key in known:
                known[key].add(partner)
        for contract, partner, billing_period, currency_id, applied_on, *amounts, before_prev, before_start in (
            line_rows
        ):
            for key, amount in zip(("prev_start", "start", "end"), amounts, strict=True):
                if amount:
                    # in the main company's currency at the rate of the day the contract's value applied from
                    monthly = engine.monthly_value(amount, billing_period)
                    mrr[key][partner] += converter.currency(monthly, currency_id, applied_on)
                    contracts[key][contract] = partner
            if before_prev:
                known["prev_start"].add(partner)
            if before_start:
                known["start"].add(partner)
        return mrr, known, contracts

    @api.model
    def _revcycle_deal_chains_sql(self, companies):
        """A deal is a chain of revisions (revcycle_cpq): from each final revision (none revises it) walk back
        through 'Revision of' to the first quotation. One row per deal, however often it was revised."""
        return SQL(
            """
            WITH RECURSIVE chain(final_id, current_id, previous_id) AS (
                SELECT o.id, o.id, o.revcycle_previous_revision_id
                  FROM sale_order o
                 WHERE o.company_id IN %(companies)s
                   AND NOT EXISTS (SELECT 1 FROM sale_order later WHERE later.revcycle_previous_revision_id = o.id)
                 UNION  -- not ALL: a (corrupt) cycle of revisions ends the walk instead of looping
                SELECT chain.final_id, earlier.id, earlier.revcycle_previous_revision_id
                  FROM chain JOIN sale_order earlier ON earlier.id = chain.previous_id
            )
            SELECT current_id AS first_id, final_id FROM chain WHERE previous_id IS NULL
            """,
            companies=tuple(companies.ids),
        )

    @api.model
    def _revcycle_kpi_compute_renewals(self, periods, companies, run):
        """Of the contracts whose term ended in the period (those that billed: active, expired, terminated), the
        share renewed: a contract renewing them (its 'Renews' link) was signed."""
        result = {}
        for which, (start, end) in periods.items():
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT COUNT(*),
                           COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM revcycle_contract renewal
                                                          WHERE renewal.previous_contract_id = contract.id
                                                            AND renewal.state IN %(renewed)s))
                      FROM revcycle_contract contract
                     WHERE contract.state IN %(states)s
                       AND contract.company_id IN %(companies)s
                       AND contract.date_end BETWEEN %(start)s AND %(end)s
                    """,
                    renewed=RENEWAL_STATES,
                    states=CONTRACT_STATES,
                    companies=tuple(companies.ids),
                    start=start,
                    end=end,
                )
            )
            ended, renewed = rows[0]
            result[which] = {"renewal_rate": engine.ratio_percent(renewed, ended)}
        return result

    # -- drill-down and export ---------------------------------------------------------------------------------------
    @api.model
    def _revcycle_kpi_drilldown_contracts(self, declaration, period, companies):
        """The contracts behind the figure: those with MRR on the period end (MRR, ARR, ARPA, CLTV) or the day
        before the period (the retention rates' starting cohort), by the rule of ``_revcycle_mrr_snapshots``; for
        the customer churn the starting cohort's contracts of the customers with no MRR left at the end (their
        customers are the churned ones); for the renewal rate the contracts whose term ended in the period."""
        date_from, date_to = (fields.Date.to_string(day) for day in period)
        if declaration.key == "renewal_rate":
            domain = [
                ("company_id", "in", companies.ids),
                ("state", "in", CONTRACT_STATES),
                ("date_end", ">=", date_from),
                ("date_end", "<=", date_to),
            ]
            return self._revcycle_list_action(self.env._("Contracts"), "revcycle.contract", domain)
        key = "start" if declaration.key in ("nrr", "grr") else "end"
        days = {"prev_start": period[0] - timedelta(days=2), "start": period[0] - timedelta(days=1), "end": period[1]}
        mrr, _known, contracts = self._revcycle_mrr_snapshots(days, companies)
        if declaration.key == "customer_churn_rate":
            ends = mrr["end"]
            lost = {partner for partner, amount in mrr["start"].items() if amount > 0 and ends.get(partner, 0.0) <= 0}
            churned = [contract for contract, partner in contracts["start"].items() if partner in lost]
            return self._revcycle_list_action(
                self.env._("Churned Contracts"), "revcycle.contract", [("id", "in", sorted(churned))]
            )
        return self._revcycle_list_action(
            self.env._("Contracts"), "revcycle.contract", [("id", "in", sorted(contracts[key]))]
        )

    @api.model
    def _revcycle_kpi_rows_mrr_movements(self, declaration, kpi):
        labels = {
            "start": self.env._("MRR at start"),
            "new": self.env._("New"),
            "expansion": self.env._("Expansion"),
            "reactivation": self.env._("Reactivation"),
            "contraction": self.env._("Contraction"),
            "churn": self.env._("Churn"),
            "end": self.env._("MRR at end"),
        }
        previous = kpi["previous"] or {}
        return [(label, kpi["value"][name], previous.get(name, False)) for name, label in labels.items()]
