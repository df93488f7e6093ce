"""Usage billing's KPIs (issue 22) in the KPI registry, beside MRR (which counts only committed revenue): the usage
revenue billed in the period and the overage share, the part of contract billing that is usage."""

from odoo import api, models
from odoo.addons.revcycle_analytics import engine
from odoo.addons.revcycle_analytics.engine import KpiDeclaration
from odoo.tools import SQL


class RevcycleKpi(models.AbstractModel):
    _inherit = "revcycle.kpi"

    @api.model
    def _revcycle_kpi_declarations(self):
        usage = {"source": "contracts", "compute": "_revcycle_kpi_compute_usage"}
        return [
            *super()._revcycle_kpi_declarations(),
            KpiDeclaration("usage_revenue", self.env._("Usage Revenue"), "money", True, sequence=76, **usage),
            KpiDeclaration("overage_share", self.env._("Overage Share"), "percent", True, sequence=77, **usage),
        ]

    @api.model
    def _revcycle_kpi_compute_usage(self, periods, companies, run):
        """From the posted contract invoices and credit notes of each period (lines with a service period): usage
        revenue = what their metered products' lines billed (usage, commitment shortfalls, adjustments, less credit
        notes), in the main company's currency; overage share = usage revenue / all contract billing x 100."""
        converter = self._revcycle_converter(companies)
        result = {}
        for which, (start, end) in periods.items():
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT line.company_id, CASE WHEN line.company_id = ANY(%(foreign)s::int[]) THEN line.date END,
                           -COALESCE(SUM(line.balance) FILTER (WHERE template.revcycle_metered), 0),
                           -SUM(line.balance)
                      FROM account_move_line line
                      JOIN account_move move ON move.id = line.move_id
                      JOIN product_product product ON product.id = line.product_id
                      JOIN product_template template ON template.id = product.product_tmpl_id
                     WHERE move.move_type IN ('out_invoice', 'out_refund')
                       AND line.parent_state = 'posted'
                       AND line.display_type = 'product'
                       AND line.revcycle_service_start IS NOT NULL
                       AND line.company_id IN %(companies)s
                       AND line.date BETWEEN %(start)s AND %(end)s
                  GROUP BY 1, 2
                    """,
                    foreign=list(converter.foreign_companies),
                    companies=tuple(companies.ids),
                    start=start,
                    end=end,
                )
            )
            usage = sum(converter.company(amount, company, day or end) for company, day, amount, _all in rows)
            billed = sum(converter.company(amount, company, day or end) for company, day, _usage, amount in rows)
            result[which] = {"usage_revenue": usage, "overage_share": engine.ratio_percent(usage, billed)}
        return result
