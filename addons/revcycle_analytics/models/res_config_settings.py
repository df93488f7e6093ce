from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    revcycle_aging_bucket_count = fields.Integer(string="Aging Buckets", compute="_compute_revcycle_aging_bucket_count")

    def _compute_revcycle_aging_bucket_count(self):
        for settings in self:
            settings.revcycle_aging_bucket_count = self.env["revcycle.aging.bucket"].search_count(
                [("company_id", "in", (settings.company_id.id, False))]
            )
