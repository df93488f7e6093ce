from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    revcycle_service_start = fields.Date(
        string="Service From", copy=False, help="First day of the contract period this line invoices."
    )
    revcycle_service_end = fields.Date(
        string="Service To", copy=False, help="Last day of the contract period this line invoices."
    )
