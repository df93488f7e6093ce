from odoo import fields, models, tools
from odoo.tools import SQL


class RevcycleContractKeyDate(models.Model):
    """The key dates of active contracts (renewal, notice deadline, uplift), for the calendar."""

    _name = "revcycle.contract.key.date"
    _description = "Contract Key Date"
    _auto = False
    _order = "date"
    _rec_name = "contract_id"

    contract_id = fields.Many2one("revcycle.contract", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    kind = fields.Selection(
        [("renewal", "Renewal"), ("notice", "Notice deadline"), ("uplift", "Price uplift")], readonly=True
    )
    date = fields.Date(readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """CREATE VIEW %s AS (
                SELECT c.id * 3 AS id, c.id AS contract_id, c.partner_id, c.company_id, c.user_id,
                       'renewal' AS kind, c.date_end AS date
                  FROM revcycle_contract c WHERE c.state = 'active' AND c.date_end IS NOT NULL
                UNION ALL
                SELECT c.id * 3 + 1, c.id, c.partner_id, c.company_id, c.user_id, 'notice', c.notice_deadline
                  FROM revcycle_contract c WHERE c.state = 'active' AND c.notice_deadline IS NOT NULL
                UNION ALL
                SELECT c.id * 3 + 2, c.id, c.partner_id, c.company_id, c.user_id, 'uplift', c.date_end + 1
                  FROM revcycle_contract c
                 WHERE c.state = 'active' AND c.date_end IS NOT NULL AND c.auto_renew AND c.uplift_percent > 0
            )""",
                SQL.identifier(self._table),
            )
        )
