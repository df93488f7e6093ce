from odoo import fields, models
from odoo.addons.revcycle_base.engine import aging
from odoo.tools import SQL


class RevcycleArAgingReport(models.Model):
    """Open receivables today, one row per journal item, in the company's aging bucket (its own buckets, else the
    shared defaults), for pivot and graph views."""

    _name = "revcycle.ar.aging.report"
    _description = "AR Aging Analysis"
    _auto = False
    _order = "date_maturity, id"
    _rec_name = "move_id"

    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True)
    account_id = fields.Many2one("account.account", string="Account", readonly=True)
    date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_past_due = fields.Integer(string="Days Past Due", readonly=True, aggregator="max")
    bucket_id = fields.Many2one("revcycle.aging.bucket", string="Aging Bucket", readonly=True)
    amount_residual = fields.Monetary(string="Open Amount", readonly=True, currency_field="currency_id")
    unapplied = fields.Boolean(
        string="Unapplied", readonly=True,
        help="A payment or credit note not yet matched with an invoice: it falls due in no bucket.")

    def _revcycle_query(self):
        return SQL(
            """
            SELECT line.id, line.company_id, company.currency_id, line.partner_id, line.move_id, line.account_id,
                   line.date, COALESCE(line.date_maturity, line.date) AS date_maturity,
                   CURRENT_DATE - COALESCE(line.date_maturity, line.date) AS days_past_due,
                   bucket.id AS bucket_id, line.amount_residual, line.balance < 0 AS unapplied
              FROM account_move_line line
              JOIN account_account account ON account.id = line.account_id
              JOIN res_company company ON company.id = line.company_id
         LEFT JOIN LATERAL (
                SELECT candidate.id FROM revcycle_aging_bucket candidate
                 WHERE (candidate.company_id = line.company_id
                        OR (candidate.company_id IS NULL AND NOT EXISTS (
                            SELECT 1 FROM revcycle_aging_bucket own WHERE own.company_id = line.company_id)))
                   AND %(in_bucket)s
              ORDER BY candidate.sequence, candidate.id
                 LIMIT 1) AS bucket ON line.balance >= 0
             WHERE account.account_type = 'asset_receivable'
               AND line.parent_state = 'posted'
               AND (line.reconciled IS NULL OR line.reconciled = false OR line.reconciled IS NOT true)
               AND line.amount_residual != 0
            """,
            # The suite's one aging rule (revcycle_base engine/aging.py) compiled to SQL; an open side is NULL.
            in_bucket=aging.holds_sql(
                SQL("(CURRENT_DATE - COALESCE(line.date_maturity, line.date))"),
                SQL("(CASE WHEN candidate.open_ended_start THEN NULL ELSE candidate.days_from END)"),
                SQL("(CASE WHEN candidate.open_ended_end THEN NULL ELSE candidate.days_to END)"),
            ),
        )

    def init(self):
        self.env.cr.execute(SQL("DROP VIEW IF EXISTS %s", SQL.identifier(self._table)))
        self.env.cr.execute(SQL("CREATE VIEW %s AS (%s)", SQL.identifier(self._table), self._revcycle_query()))
