"""The revenue recognition KPI of revcycle_revrec in the KPI registry of revcycle_analytics: the deferred revenue
(contract liability) balance, read from the ledger on the accounts revcycle_revrec posts to."""

from odoo import api, models
from odoo.addons.revcycle_analytics.engine import KpiDeclaration


class RevcycleKpi(models.AbstractModel):
    _inherit = "revcycle.kpi"

    @api.model
    def _revcycle_kpi_declarations(self):
        return [
            *super()._revcycle_kpi_declarations(),
            KpiDeclaration(
                "deferred_revenue",
                self.env._("Deferred Revenue"),
                "money",
                True,
                source="revrec",
                compute="_revcycle_kpi_compute_deferred_revenue",
                drilldown="_revcycle_kpi_drilldown_deferred_revenue",
                sequence=300,
            ),
        ]

    @api.model
    def _revcycle_deferred_revenue_accounts(self, companies):
        return companies.sudo().revcycle_deferred_revenue_account_id

    @api.model
    def _revcycle_kpi_compute_deferred_revenue(self, periods, companies, run):
        """Balance of the companies' deferred revenue accounts at each period end, as a positive liability; unknown
        when no selected company has the account set."""
        accounts = self._revcycle_deferred_revenue_accounts(companies)
        balances = self._revcycle_account_balances(accounts, periods, companies)
        return {which: {"deferred_revenue": balance} for which, balance in balances.items()}

    @api.model
    def _revcycle_kpi_drilldown_deferred_revenue(self, declaration, period, companies):
        return self._revcycle_account_items_action(
            self.env._("Deferred Revenue Items"), self._revcycle_deferred_revenue_accounts(companies), period, companies
        )
