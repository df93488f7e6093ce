from odoo import api, models

MANAGER_GROUP = "revcycle_revrec.group_revcycle_revrec_manager"


class RevcycleAccess(models.AbstractModel):
    _inherit = "revcycle.access"

    @api.model
    def _revcycle_require_revrec_manager(self):
        return self._revcycle_require([MANAGER_GROUP], self.env._(
            "Only a Revenue Recognition manager can post or reverse revenue; ask one to do it."))
