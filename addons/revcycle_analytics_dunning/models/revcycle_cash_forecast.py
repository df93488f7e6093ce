"""What revcycle_dunning knows of each customer in the cash forecast of revcycle_analytics (docs/domain.md, Cash
forecast): promises to pay and planned card charges re-time the open items; the risk class is the segment thin
histories are pooled toward; dunning notices, failed card charges, broken promises and the risk class are features
of the late-payment score."""

from datetime import timedelta

from odoo import api, models
from odoo.addons.revcycle_analytics.engine import forecast as fc
from odoo.tools import SQL

# A promise is taken as kept with this probability; the rest follows the customer's learned delay. revcycle_dunning
# keeps only the current promise of an invoice (no history of kept and broken ones to learn a rate from).
PROMISE_KEPT_SHARE = 0.8
RISK_CLASS_RANK = {"A": 0.0, "B": 1.0, "C": 2.0, "D": 3.0, "E": 4.0, "unrated": 2.0}
NOTICE_WINDOW_DAYS = 365
MAX_PRIOR_FAILURES = 3  # the card success rate by 0, 1, 2, 3+ failed tries before


class RevcycleKpi(models.AbstractModel):
    _inherit = "revcycle.kpi"

    @api.model
    def _revcycle_forecast_watched_tables(self):
        """The late model learns from the notices and card tries dated up to its origin: a write to them changes
        the ledger's version (the cache of what was learned)."""
        return super()._revcycle_forecast_watched_tables() + ["revcycle_dunning_notice", "revcycle_payment_attempt"]

    @api.model
    def _revcycle_forecast_segments(self, run):
        """The customers' risk class (current only: classes keep no history, so only a forecast as of today)."""
        segments = super()._revcycle_forecast_segments(run)
        rows = self.env.execute_query(SQL(
            """SELECT partner_id, risk_class FROM revcycle_credit_profile
                WHERE company_id IN %s AND risk_class IS NOT NULL ORDER BY company_id""",
            tuple(run["companies"].ids)))
        segments.update(dict(rows))  # a customer rated in several companies: one class, of the last company
        return segments

    @api.model
    def _revcycle_forecast_partner_features(self, run):
        """Per customer, as of the run's date: notices sent in the year before, failed card charges before, and
        when the run is as of today the broken promises (promise date passed, invoice still open) and the risk
        class (A = 0 .. E = 4)."""
        features = super()._revcycle_forecast_partner_features(run)
        as_of, companies = run["as_of"], tuple(run["companies"].ids)

        def add(partner, key, value):
            features.setdefault(partner, {})[key] = float(value)

        for partner, count in self.env.execute_query(SQL(
            """
            SELECT COALESCE(partner.commercial_partner_id, notice.partner_id), COUNT(*)
              FROM revcycle_dunning_notice notice JOIN res_partner partner ON partner.id = notice.partner_id
             WHERE notice.state = 'sent' AND notice.company_id IN %(companies)s
               AND notice.date <= %(as_of)s AND notice.date > %(since)s
          GROUP BY 1
            """, companies=companies, as_of=as_of, since=as_of - timedelta(days=NOTICE_WINDOW_DAYS))):
            add(partner, "dunning", count)
        for partner, count in self.env.execute_query(SQL(
            """
            SELECT COALESCE(partner.commercial_partner_id, attempt.partner_id), COUNT(*)
              FROM revcycle_payment_attempt attempt JOIN res_partner partner ON partner.id = attempt.partner_id
             WHERE attempt.state = 'failed' AND attempt.company_id IN %(companies)s
               AND attempt.date < %(next_day)s
          GROUP BY 1
            """, companies=companies, next_day=as_of + timedelta(days=1))):
            add(partner, "failed_charges", count)
        if run["current"]:
            for partner, count in self.env.execute_query(SQL(
                """
                SELECT move.commercial_partner_id, COUNT(*)
                  FROM account_move move
                 WHERE move.company_id IN %(companies)s AND move.state = 'posted'
                   AND move.payment_state NOT IN ('paid', 'in_payment', 'reversed')
                   AND move.revcycle_promise_date < %(as_of)s
              GROUP BY 1
                """, companies=companies, as_of=as_of)):
                add(partner, "broken_promises", count)
            for partner, risk_class in run["segments"].items():
                add(partner, "risk_class", RISK_CLASS_RANK.get(risk_class, 2.0))
        return features

    @api.model
    def _revcycle_forecast_items(self, run):
        """Accepted payment plans and promises to pay (``revcycle.payment.plan``): what is left of each instalment
        takes the place of the covered invoices' open items for the amount it covers, due on the instalment's date
        and paid by the customer's learned delay from it (``engine.forecast.schedule_covered``: nothing counted
        twice). What a promise leaves uncovered stays on the invoices' own due dates. A plan's state keeps no
        history: as of today only."""
        items = super()._revcycle_forecast_items(run)
        if not (run["with_sources"] and run["current"]):
            return items
        by_move = {}
        for item in items:
            if item.source == "receivable" and item.extra.get("move_id"):
                by_move.setdefault(item.extra["move_id"], []).append(item)
        plans = self._revcycle_forecast_plans(run, list(by_move)) if by_move else []
        if not plans:
            return items
        digits = self._revcycle_main_company(run["companies"]).currency_id.decimal_places
        replaced = {}
        for plan in plans:
            covered = [item for move_id in plan["move_ids"] for item in by_move.get(move_id, ())]
            if not covered:
                continue
            scheduled, left = fc.schedule_covered(
                [(item.ref, item.due, replaced.get(item.ref, item.amount)) for item in covered], plan["residual"],
                fc.unpaid_instalments(plan["instalments"], plan["paid"], plan["digits"]), digits)
            replaced.update({item.ref: 0.0 for item in covered})
            replaced.update(dict(left))
            partner = covered[0].partner_id
            for day, amount in scheduled:
                items.append(fc.ForecastItem(
                    ref=f"revcycle.payment.plan,{plan['id']}", source=plan["kind"], amount=amount, due=day,
                    distribution=run["distribution"](partner), label=f"{plan['name']} ({day.isoformat()})",
                    partner_id=partner, extra={"partner_name": covered[0].extra.get("partner_name", ""),
                                               "plan_id": plan["id"]}))
        result = []
        for item in items:
            if item.ref in replaced:
                if replaced[item.ref] <= 0:
                    continue
                item.amount = replaced[item.ref]
            result.append(item)
        return result

    @api.model
    def _revcycle_forecast_plans(self, run, move_ids):
        """The accepted plans of the run's companies covering some of ``move_ids``: id, name, kind ("payment_plan"
        or "promise"), the covered invoices, what they owe now and what was paid on the plan since it was proposed
        (both in the plan's currency, whose ``digits`` they are counted in), and the instalments (date, amount)."""
        rows = self.env.execute_query(SQL(
            """
            SELECT plan.id, plan.name, plan.kind, plan.amount_covered, currency.decimal_places,
                   ARRAY_AGG(DISTINCT move.id), SUM(move.amount_residual)
              FROM revcycle_payment_plan plan
              JOIN res_currency currency ON currency.id = plan.currency_id
              JOIN revcycle_payment_plan_invoice_rel covered ON covered.plan_id = plan.id
              JOIN account_move move ON move.id = covered.invoice_id
             WHERE plan.state = 'accepted' AND plan.company_id IN %(companies)s
               AND EXISTS (SELECT 1 FROM revcycle_payment_plan_invoice_rel mine
                            WHERE mine.plan_id = plan.id AND mine.invoice_id = ANY(%(moves)s))
          GROUP BY plan.id, currency.id
          ORDER BY plan.id
            """, companies=tuple(run["companies"].ids), moves=move_ids))
        if not rows:
            return []
        instalments = {}
        for plan_id, day, amount in self.env.execute_query(SQL(
                "SELECT plan_id, date, amount FROM revcycle_payment_plan_line WHERE plan_id = ANY(%s) "
                "ORDER BY date, id", [row[0] for row in rows])):
            instalments.setdefault(plan_id, []).append((day, amount))
        return [{"id": plan_id, "name": name or "", "kind": "promise" if kind == "promise" else "payment_plan",
                 "move_ids": move_ids_of_plan, "residual": residual, "paid": (covered_amount or 0.0) - residual,
                 "digits": digits, "instalments": instalments.get(plan_id, [])}
                for plan_id, name, kind, covered_amount, digits, move_ids_of_plan, residual in rows]

    @api.model
    def _revcycle_forecast_adjust(self, items, run):
        """As of today: an item promised by a date (on the invoice, else on the customer) is expected then with
        PROMISE_KEPT_SHARE; an invoice whose card charge is being retried is expected on the next try with the
        success rate of tries after as many failures (``_revcycle_card_success_rates``), the rest by the learned
        delay; of an invoice in instalments, only those due by the next try (the ones it charges). Promises and
        retry plans keep no history: a past as-of date is left as the ledger says."""
        items = super()._revcycle_forecast_adjust(items, run)
        if not run["current"]:
            return items
        by_move = {}
        for item in items:
            if item.source == "receivable" and item.extra.get("move_id"):
                by_move.setdefault(item.extra["move_id"], []).append(item)
        if not by_move:
            return items
        as_of = run["as_of"]
        rates = self._revcycle_card_success_rates(run)
        rows = self.env.execute_query(SQL(
            """
            SELECT move.id, COALESCE(move.revcycle_promise_date, customer.revcycle_promise_date),
                   move.revcycle_autocollect_state = 'retrying', move.revcycle_autocollect_next::date,
                   (SELECT COUNT(*) FROM revcycle_payment_attempt attempt
                     WHERE attempt.invoice_id = move.id AND attempt.state = 'failed')
              FROM account_move move
              JOIN res_partner customer ON customer.id = move.commercial_partner_id
             WHERE move.id = ANY(%(ids)s)
               AND (move.revcycle_promise_date >= %(as_of)s OR customer.revcycle_promise_date >= %(as_of)s
                    OR move.revcycle_autocollect_state = 'retrying')
            """, ids=list(by_move), as_of=as_of))
        for move_id, promise, retrying, next_try, failures in rows:
            for item in by_move[move_id]:
                if promise and promise >= as_of:
                    item.date, item.probability, item.source = promise, PROMISE_KEPT_SHARE, "promise"
                # a retry charges the instalments due by then: a later instalment waits for its own date
                elif retrying and next_try and (not item.due or item.due <= next_try):
                    rate = rates.get(min(failures, MAX_PRIOR_FAILURES))
                    if rate is not None:
                        item.date, item.probability, item.source = max(next_try, as_of), rate, "card"
        return items

    @api.model
    def _revcycle_card_success_rates(self, run):
        """{failed tries before: share of the tries that succeeded} over the card tries made up to the as-of date."""
        rows = self.env.execute_query(SQL(
            """
            SELECT LEAST(prior, %(cap)s), COUNT(*) FILTER (WHERE state = 'succeeded'), COUNT(*)
              FROM (SELECT attempt.state,
                           COUNT(*) FILTER (WHERE attempt.state = 'failed') OVER (
                               PARTITION BY attempt.invoice_id ORDER BY attempt.date, attempt.id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prior
                      FROM revcycle_payment_attempt attempt
                     WHERE attempt.company_id IN %(companies)s AND attempt.date < %(next_day)s
                       AND attempt.state IN ('succeeded', 'failed')) tries
          GROUP BY 1
            """, cap=MAX_PRIOR_FAILURES, companies=tuple(run["companies"].ids),
            next_day=run["as_of"] + timedelta(days=1)))
        return {int(prior or 0): succeeded / total for prior, succeeded, total in rows if total}
