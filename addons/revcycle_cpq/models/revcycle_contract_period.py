from odoo import fields, models


class RevcycleContractPeriod(models.Model):
    """One row per invoiced billing period: the database's guarantee that no period is invoiced twice."""

    _name = "revcycle.contract.period"
    _description = "Invoiced Contract Period"
    _order = "contract_id, date_start"

    contract_id = fields.Many2one("revcycle.contract", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    date_start = fields.Date(required=True)
    date_end = fields.Date(required=True)
    move_id = fields.Many2one("account.move", string="Invoice", ondelete="set null")

    _sql_constraints = [
        (
            "revcycle_contract_period_unique",
            "UNIQUE (contract_id, date_start)",
            "This period of the contract is already invoiced.",
        ),
    ]
