from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    revcycle_credit_check_on_delivery = fields.Boolean(
        string="Credit Check at Delivery Validation",
        help="Also refuse to validate a delivery to a customer who is over their credit limit, on credit hold or "
        "overdue beyond the days allowed.",
    )
