"""The collections KPI of revcycle_dunning in the KPI registry of revcycle_analytics: the dunning recovery rate."""

from odoo import api, fields, models
from odoo.addons.revcycle_analytics import engine
from odoo.addons.revcycle_analytics.engine import KpiDeclaration
from odoo.tools import SQL


class RevcycleKpi(models.AbstractModel):
    _inherit = "revcycle.kpi"

    @api.model
    def _revcycle_kpi_declarations(self):
        return [
            *super()._revcycle_kpi_declarations(),
            KpiDeclaration(
                "dunning_recovery_rate",
                self.env._("Dunning Recovery"),
                "percent",
                True,
                source="dunning",
                compute="_revcycle_kpi_compute_dunning",
                drilldown="_revcycle_kpi_drilldown_dunning_notices",
                sequence=200,
            ),
        ]

    @api.model
    def _revcycle_kpi_compute_dunning(self, periods, companies, run):
        """Of the amounts dunned by the notices sent in the period (each invoice once, at its largest open amount),
        the share paid since. Both sides in company currency: the notice line's open amount and the invoice's
        signed residual."""
        result = {}
        for which, (start, end) in periods.items():
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT SUM(dunned), SUM(GREATEST(0, LEAST(dunned, dunned - open_now)))
                      FROM (SELECT MAX(notice_line.amount_residual) AS dunned,
                                   MAX(invoice.amount_residual_signed) AS open_now
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

    @api.model
    def _revcycle_kpi_drilldown_dunning_notices(self, declaration, period, companies):
        date_from, date_to = (fields.Date.to_string(day) for day in period)
        return self._revcycle_list_action(
            self.env._("Dunning Notices"),
            "revcycle.dunning.notice",
            [
                ("company_id", "in", companies.ids),
                ("state", "=", "sent"),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
            ],
        )
