from odoo import api, models

ANALYTICS_USER_GROUP = "revcycle_analytics.group_revcycle_analytics_user"
ACCOUNTING_READERS = ("account.group_account_readonly", "account.group_account_invoice")


class RevcycleAccess(models.AbstractModel):
    _inherit = "revcycle.access"

    @api.model
    def _revcycle_require_kpi_reader(self):
        return self._revcycle_require([ACCOUNTING_READERS, ANALYTICS_USER_GROUP], self.env._(
            "%(user)s may not see the revenue-cycle KPIs: they need the 'Revenue Cycle: Analytics / User' "
            "group and read access to accounting. Ask an administrator to grant them.",
            user=self.env.user.name,
        ))
