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
    """MRR per customer at each month end and how it moved since the previous month end, from the contracts of
    revcycle_cpq (the contracts that billed, as the MRR KPIs count them)."""

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
                       (SELECT date_trunc('month', MIN(date_start)) FROM revcycle_contract WHERE state IN %(states)s),
                       date_trunc('month', CURRENT_DATE), INTERVAL '1 month') AS month
            ), mrr AS (
                SELECT months.month, contract.company_id, contract.partner_id,
                       SUM(line.price_subtotal / %(period_months)s) AS mrr
                  FROM months
                  JOIN revcycle_contract contract
                    ON contract.state IN %(states)s AND contract.date_start <= months.month_end
                   AND (contract.date_end IS NULL OR contract.date_end >= months.month_end)
                  JOIN revcycle_contract_line line ON line.contract_id = contract.id
              GROUP BY 1, 2, 3
            ), pairs AS (
                SELECT COALESCE(current.month, (previous.month + INTERVAL '1 month')::date) AS month,
                       COALESCE(current.company_id, previous.company_id) AS company_id,
                       COALESCE(current.partner_id, previous.partner_id) AS partner_id,
                       COALESCE(previous.mrr, 0) AS mrr_start, COALESCE(current.mrr, 0) AS mrr_end
                  FROM mrr current
             FULL JOIN mrr previous
                    ON previous.month = (current.month - INTERVAL '1 month')::date
                   AND previous.company_id = current.company_id AND previous.partner_id = current.partner_id
                 WHERE COALESCE(current.month, (previous.month + INTERVAL '1 month')::date)
                       <= date_trunc('month', CURRENT_DATE)
            )
            SELECT row_number() OVER (ORDER BY pairs.month, pairs.company_id, pairs.partner_id)::integer AS id,
                   pairs.month AS date, pairs.company_id, company.currency_id, pairs.partner_id,
                   %(movement)s AS movement,
                   pairs.mrr_start, pairs.mrr_end, pairs.mrr_end - pairs.mrr_start AS amount
              FROM pairs
              JOIN res_company company ON company.id = pairs.company_id
            """,
            states=CONTRACT_STATES,
            period_months=periods.period_months_sql(SQL("contract.billing_period")),
            # the movement rules of the KPIs (revcycle_analytics engine), compiled to SQL
            movement=kpis.movement_kind_sql(
                SQL("pairs.mrr_start"), SQL("pairs.mrr_end"),
                SQL("""EXISTS (SELECT 1 FROM mrr earlier
                                WHERE earlier.partner_id = pairs.partner_id AND earlier.company_id = pairs.company_id
                                  AND earlier.month < pairs.month)""")),
        )

    def init(self):
        self.env.cr.execute(SQL("DROP VIEW IF EXISTS %s", SQL.identifier(self._table)))
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._revcycle_query()))
