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
        the share paid since. Both sides in the invoice's company currency (the notice line's open amount is the
        invoice's amount_residual_signed when the notice was made; the invoice's signed residual now), then each
        invoice's figures converted to the main company's currency at the rate of its first notice's date."""
        converter = self._revcycle_converter(companies)
        result = {}
        for which, (start, end) in periods.items():
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT invoice.company_id, MIN(notice.date),
                           MAX(notice_line.amount_residual), MAX(invoice.amount_residual_signed)
                      FROM revcycle_dunning_notice_line notice_line
                      JOIN revcycle_dunning_notice notice ON notice.id = notice_line.notice_id
                      JOIN account_move invoice ON invoice.id = notice_line.invoice_id
                     WHERE notice.state = 'sent'
                       AND notice.company_id IN %(companies)s
                       AND notice.date BETWEEN %(start)s AND %(end)s
                  GROUP BY notice_line.invoice_id, invoice.company_id
                    """,
                    companies=tuple(companies.ids),
                    start=start,
                    end=end,
                )
            )
            dunned = recovered = 0.0
            for company_id, day, dunned_amount, open_now in rows:
                dunned_amount, open_now = dunned_amount or 0.0, open_now or 0.0
                dunned += converter.company(dunned_amount, company_id, day)
                paid = max(0.0, min(dunned_amount, dunned_amount - open_now))
                recovered += converter.company(paid, company_id, day)
            result[which] = {"dunning_recovery_rate": engine.ratio_percent(recovered, dunned)}
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
