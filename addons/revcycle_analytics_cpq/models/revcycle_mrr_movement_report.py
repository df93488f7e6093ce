from odoo import fields, models
from odoo.addons.revcycle_analytics.engine import kpis
from odoo.addons.revcycle_base.engine import periods
from odoo.tools import SQL

from .revcycle_kpi import CONTRACT_STATES

MOVEMENTS = [
    ("new", "New"),
    ("expansion", "Expansion"),
    ("contraction", "Contraction"),
    ("churn", "Churn"),
    ("reactivation", "Reactivation"),
    ("flat", "No Change"),
]


class RevcycleMrrMovementReport(models.Model):
    """MRR per customer (commercial partner) at each month end and how it moved since the previous month end, by
    the rule of the MRR KPIs (``revcycle.kpi._revcycle_mrr_snapshots``): a contract with an MRR history is worth the
    MRR after its latest event on or before the month end, for the customer that event names; a contract without
    history keeps the rule of its lines' values over its dates. So a line edited today does not restate past months,
    and a month's rows add up to the MRR bridge of that month (docs/domain.md §2, MRR movements pivot).

    Amounts are in the contract's currency (``currency_id``): the pivot groups them by currency rather than adding
    two currencies; the dashboard's bridge converts them to the main company's currency."""

    _name = "revcycle.mrr.movement.report"
    _description = "MRR Movements Analysis"
    _auto = False
    _order = "date desc, partner_id"
    _rec_name = "partner_id"

    date = fields.Date(string="Month", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    movement = fields.Selection(MOVEMENTS, readonly=True)
    mrr_start = fields.Monetary(string="MRR at Start", readonly=True, currency_field="currency_id")
    mrr_end = fields.Monetary(string="MRR at End", readonly=True, currency_field="currency_id")
    amount = fields.Monetary(string="MRR Change", readonly=True, currency_field="currency_id")

    def _revcycle_query(self):
        return SQL(
            """
            WITH months AS (
                SELECT month::date AS month, (month + INTERVAL '1 month - 1 day')::date AS month_end
                  FROM generate_series(
                       (SELECT date_trunc('month', MIN(first_day)) FROM (
                               SELECT MIN(date) AS first_day FROM revcycle_contract_mrr_event
                               UNION ALL
                               SELECT MIN(date_start) FROM revcycle_contract WHERE state IN %(states)s) AS firsts),
                       date_trunc('month', CURRENT_DATE), INTERVAL '1 month') AS month
            ), logged AS (
                -- contracts with an MRR history: the MRR after their latest event on or before the month end
                SELECT months.month, last.company_id, last.currency_id, last.commercial_partner_id AS partner_id,
                       last.mrr_after AS mrr
                  FROM months
            CROSS JOIN LATERAL (
                       SELECT DISTINCT ON (event.contract_id) event.company_id, event.currency_id,
                              event.commercial_partner_id, event.mrr_after
                         FROM revcycle_contract_mrr_event event
                        WHERE event.date <= months.month_end
                     ORDER BY event.contract_id, event.date DESC, event.id DESC) AS last
            ), unlogged AS (
                -- contracts without history: their lines' values while they run (those that billed)
                SELECT months.month, contract.company_id, contract.currency_id,
                       COALESCE(partner.commercial_partner_id, partner.id) AS partner_id,
                       SUM(line.price_subtotal / %(period_months)s) AS mrr
                  FROM months
                  JOIN revcycle_contract contract
                    ON contract.state IN %(states)s AND contract.date_start <= months.month_end
                   AND (contract.date_end IS NULL OR contract.date_end >= months.month_end)
                  JOIN res_partner partner ON partner.id = contract.partner_id
                  JOIN revcycle_contract_line line ON line.contract_id = contract.id
                 WHERE NOT EXISTS (SELECT 1 FROM revcycle_contract_mrr_event event
                                    WHERE event.contract_id = contract.id)
              GROUP BY 1, 2, 3, 4
            ), mrr AS (
                SELECT month, company_id, currency_id, partner_id, SUM(mrr) AS mrr
                  FROM (SELECT * FROM logged UNION ALL SELECT * FROM unlogged) AS contract_mrr
              GROUP BY 1, 2, 3, 4
                HAVING SUM(mrr) > 0
            ), pairs AS (
                SELECT COALESCE(current.month, (previous.month + INTERVAL '1 month')::date) AS month,
                       COALESCE(current.company_id, previous.company_id) AS company_id,
                       COALESCE(current.currency_id, previous.currency_id) AS currency_id,
                       COALESCE(current.partner_id, previous.partner_id) AS partner_id,
                       COALESCE(previous.mrr, 0) AS mrr_start, COALESCE(current.mrr, 0) AS mrr_end
                  FROM mrr current
             FULL JOIN mrr previous
                    ON previous.month = (current.month - INTERVAL '1 month')::date
                   AND previous.company_id = current.company_id AND previous.currency_id = current.currency_id
                   AND previous.partner_id = current.partner_id
                 WHERE COALESCE(current.month, (previous.month + INTERVAL '1 month')::date)
                       <= date_trunc('month', CURRENT_DATE)
            )
            SELECT row_number() OVER (ORDER BY pairs.month, pairs.company_id, pairs.currency_id,
                                      pairs.partner_id)::integer AS id,
                   pairs.month AS date, pairs.company_id, pairs.currency_id, pairs.partner_id,
                   %(movement)s AS movement,
                   pairs.mrr_start, pairs.mrr_end, pairs.mrr_end - pairs.mrr_start AS amount
              FROM pairs
            """,
            states=CONTRACT_STATES,
            period_months=periods.period_months_sql(SQL("contract.billing_period")),
            # the movement rules of the KPIs (revcycle_analytics engine), compiled to SQL; a customer is known
            # before the month (a return is a reactivation) by the KPIs' rule: an event with MRR dated before the
            # month, or a contract without history that started before it
            movement=kpis.movement_kind_sql(
                SQL("pairs.mrr_start"), SQL("pairs.mrr_end"),
                SQL("""(EXISTS (SELECT 1 FROM revcycle_contract_mrr_event earlier
                                 WHERE earlier.commercial_partner_id = pairs.partner_id
                                   AND earlier.company_id = pairs.company_id
                                   AND earlier.mrr_after > 0 AND earlier.date < pairs.month)
                        OR EXISTS (SELECT 1 FROM revcycle_contract earlier
                                     JOIN res_partner partner ON partner.id = earlier.partner_id
                                    WHERE COALESCE(partner.commercial_partner_id, partner.id) = pairs.partner_id
                                      AND earlier.company_id = pairs.company_id
                                      AND earlier.state IN %s AND earlier.date_start < pairs.month
                                      AND NOT EXISTS (SELECT 1 FROM revcycle_contract_mrr_event event
                                                       WHERE event.contract_id = earlier.id)))""",
                    CONTRACT_STATES)),
        )

    def init(self):
        self.env.cr.execute(SQL("DROP VIEW IF EXISTS %s", SQL.identifier(self._table)))
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._revcycle_query()))
