from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL


class RevcycleRevenueLine(models.Model):
    _name = "revcycle.revenue.line"
    _description = "Revenue Line"
    _order = "date, obligation_id, id"
    _check_company_auto = True

    obligation_id = fields.Many2one("revcycle.performance.obligation", required=True, ondelete="cascade",
                                    index=True)
    contract_id = fields.Many2one(related="obligation_id.contract_id", store=True, index=True)
    company_id = fields.Many2one(related="obligation_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="obligation_id.currency_id")
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    partner_id = fields.Many2one(related="obligation_id.partner_id", store=True, string="Customer")
    product_id = fields.Many2one(related="obligation_id.product_id", store=True)
    date = fields.Date(required=True, index=True, help="When the revenue is due to be recognised.")
    period_date = fields.Date(compute="_compute_period_date", store=True, string="Period",
                              help="First day of the month of the line: one posted line per obligation and period.")
    amount = fields.Monetary(required=True)
    amount_company = fields.Monetary(currency_field="company_currency_id", readonly=True,
                                     string="Amount (Company Currency)", help="Set when posted, at that day's rate.")
    posted_amount = fields.Monetary(compute="_compute_split", store=True, string="Recognised")
    remaining_amount = fields.Monetary(compute="_compute_split", store=True, string="Remaining")
    state = fields.Selection([("planned", "Planned"), ("posted", "Posted")], default="planned", required=True,
                             index=True)
    kind = fields.Selection([("schedule", "Schedule"), ("reversal", "Reversal")], default="schedule",
                            required=True)
    ready = fields.Boolean(default=True, help="Point-in-time lines wait for their delivery or invoice.")
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, index="btree_not_null",
                              ondelete="restrict", copy=False)

    def init(self):
        # A posted schedule line is unique per obligation and period: a second run or worker cannot post it again.
        self.env.cr.execute(SQL(
            """CREATE UNIQUE INDEX IF NOT EXISTS revcycle_revenue_line_posted_period_uniq
               ON revcycle_revenue_line (obligation_id, period_date)
               WHERE state = 'posted' AND kind = 'schedule'"""))
        self.env.cr.execute(SQL(
            """CREATE INDEX IF NOT EXISTS revcycle_revenue_line_due_idx
               ON revcycle_revenue_line (contract_id, date) WHERE state = 'planned'"""))

    @api.depends("date")
    def _compute_period_date(self):
        for line in self:
            line.period_date = line.date.replace(day=1) if line.date else False

    @api.depends("state", "amount")
    def _compute_split(self):
        for line in self:
            posted = line.state == "posted"
            line.posted_amount = line.amount if posted else 0.0
            line.remaining_amount = 0.0 if posted else line.amount

    @api.model
    def _revcycle_sums(self, records, field):
        """{record id: {'posted': sum, 'planned': sum}} of the lines under ``records``, one query."""
        if not records.ids:
            return {}
        result = defaultdict(dict)
        for record, state, amount in self._read_group(
                [(field, "in", records.ids)], [field, "state"], ["amount:sum"]):
            result[record.id][state] = amount
        return result
