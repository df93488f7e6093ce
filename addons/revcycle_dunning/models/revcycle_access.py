from odoo import api, models

USER_GROUP = "revcycle_dunning.group_revcycle_dunning_user"
MANAGER_GROUP = "revcycle_dunning.group_revcycle_dunning_manager"
# who may read a customer's credit figures (exposure, score, overdue): collections and accounting
CREDIT_READER_GROUPS = (USER_GROUP, "account.group_account_invoice", "account.group_account_readonly")


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

    @api.model
    def _revcycle_is_credit_reader(self):
        return self.env.su or any(self.env.user.has_group(group) for group in CREDIT_READER_GROUPS)

    @api.model
    def _revcycle_require_credit_limit_editor(self):
        return self._revcycle_require([MANAGER_GROUP], self.env._(
            "Only a Credit Manager can change a customer's credit limit; ask one to do it (the change is noted in "
            "the customer's chatter)."))
