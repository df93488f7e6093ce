from odoo import api, models

USER_GROUP = "revcycle_dunning.group_revcycle_dunning_user"
MANAGER_GROUP = "revcycle_dunning.group_revcycle_dunning_manager"


class RevcycleAccess(models.AbstractModel):
    _inherit = "revcycle.access"

    @api.model
    def _revcycle_require_collections_user(self):
        return self._revcycle_require(
            [USER_GROUP], self.env._("Only collections users can run dunning or change dunning notices."))

    @api.model
    def _revcycle_require_credit_manager(self):
        return self._revcycle_require([MANAGER_GROUP], self.env._(
            "Only a Credit Manager can approve credit overrides, temporary limits and holds; "
            "ask one to do it, or to give you the Credit Manager group."))
