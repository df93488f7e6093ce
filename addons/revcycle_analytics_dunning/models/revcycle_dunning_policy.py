from odoo import models


class RevcycleDunningPolicy(models.Model):
    _inherit = "revcycle.dunning.policy"

    def _revcycle_engine_levels(self):
        """The ladder without the levels the dunning run skips for the items it is planning
        (context ``revcycle_skip_level_ids``: levels whose minimum late probability those items do not reach)."""
        levels = super()._revcycle_engine_levels()
        skipped = self.env.context.get("revcycle_skip_level_ids")
        return [level for level in levels if level.key not in skipped] if skipped else levels
