from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    revcycle_default_tier_mode = fields.Selection(
        selection=[("graduated", "Graduated"), ("volume", "Volume")],
        string="Default Tier Mode",
        default="volume",
        required=True,
        help="Tier mode given to products that get a tier table.\n"
        "Graduated: each unit is priced in its own tier. Volume: all units at the tier the quantity reaches.",
    )
