from odoo import api, fields, models


class RevcycleDunningNoticeLine(models.Model):
    """One receivable item (an invoice or one instalment) in one notice: the record that it received this level.

    The database refuses a second row for the same invoice and level, which is what keeps a second run, or a second
    worker running at the same time, from sending a level twice.
    """

    _name = "revcycle.dunning.notice.line"
    _description = "Dunning Notice Invoice"
    _order = "notice_id, date_due, id"

    notice_id = fields.Many2one("revcycle.dunning.notice", string="Notice", required=True, ondelete="cascade",
                                index=True)
    invoice_id = fields.Many2one("account.move", string="Invoice", required=True, ondelete="cascade", index=True)
    move_line_id = fields.Many2one(
        "account.move.line", string="Receivable Item", ondelete="cascade", index="btree_not_null",
        help="The receivable line dunned: the invoice, or the one instalment of it that is due.")
    level_id = fields.Many2one("revcycle.dunning.level", string="Level", required=True, ondelete="restrict",
                               index=True)
    partner_id = fields.Many2one(related="notice_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="notice_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    date = fields.Date(related="notice_id.date", store=True)
    level_title = fields.Char(string="Stage", compute="_compute_level_title",
                              help="The item's level as the customer reads it.")
    date_due = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(string="Days Overdue", readonly=True)
    amount_residual = fields.Monetary(string="Open Amount", readonly=True,
                                      help="What was still open on the invoice when the notice was made.")
    interest_days = fields.Integer(
        string="Interest Days", readonly=True,
        help="Days of interest this line may charge: from the day interest was last charged on the item (its due "
        "date when never), to the notice's date, actual/365.")
    interest_date = fields.Date(
        string="Interest Charged To", readonly=True,
        help="Set when the notice charged interest on the item: the next interest counts from this day.")
    payment_url = fields.Char(string="Payment Link", readonly=True,
                              help="The invoice's customer portal page, where it can be paid online.")

    @api.depends_context("lang")
    @api.depends("level_id.customer_title", "level_id.name")
    def _compute_level_title(self):
        for line in self:
            line.level_title = line.level_id.customer_title or line.level_id.name

    _sql_constraints = [
        # per receivable item: each instalment of an invoice climbs the ladder by its own due date
        ("notice_line_invoice_level_unique", "UNIQUE (move_line_id, level_id)",
         "An invoice item never receives the same dunning level twice."),
    ]
