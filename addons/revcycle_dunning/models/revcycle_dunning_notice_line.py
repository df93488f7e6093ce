from odoo import fields, models


class RevcycleDunningNoticeLine(models.Model):
    """One invoice in one notice: the record that the invoice received this level.

    The database refuses a second row for the same invoice and level, which is what keeps a second run, or a second
    worker running at the same time, from sending a level twice.
    """

    _name = "revcycle.dunning.notice.line"
    _description = "Dunning Notice Invoice"
    _order = "notice_id, date_due, id"

    notice_id = fields.Many2one("revcycle.dunning.notice", string="Notice", required=True, ondelete="cascade",
                                index=True)
    invoice_id = fields.Many2one("account.move", string="Invoice", required=True, ondelete="cascade", index=True)
    level_id = fields.Many2one("revcycle.dunning.level", string="Level", required=True, ondelete="restrict",
                               index=True)
    partner_id = fields.Many2one(related="notice_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="notice_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    date = fields.Date(related="notice_id.date", store=True)
    date_due = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(string="Days Overdue", readonly=True)
    amount_residual = fields.Monetary(string="Open Amount", readonly=True,
                                      help="What was still open on the invoice when the notice was made.")
    payment_url = fields.Char(string="Payment Link", readonly=True,
                              help="The invoice's customer portal page, where it can be paid online.")

    _sql_constraints = [
        ("notice_line_invoice_level_unique", "UNIQUE (invoice_id, level_id)",
         "An invoice never receives the same dunning level twice."),
    ]
