from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    revcycle_aging_bucket_count = fields.Integer(string="Aging Buckets", compute="_compute_revcycle_aging_bucket_count")
    revcycle_forecast_grace_days = fields.Integer(
        string="Late Payment Grace (Days)", config_parameter="revcycle_analytics.forecast_grace_days", default=5,
        help="The cash forecast's late-payment score counts an invoice late when it is paid more than this many "
        "days after its due date.")

    def _compute_revcycle_aging_bucket_count(self):
        """The buckets the company's aging really uses: its own, else the shared defaults (never both added up)."""
        Bucket = self.env["revcycle.aging.bucket"]
        for settings in self:
            settings.revcycle_aging_bucket_count = Bucket.search_count(
                [("company_id", "=", settings.company_id.id)]
            ) or Bucket.search_count([("company_id", "=", False)])
