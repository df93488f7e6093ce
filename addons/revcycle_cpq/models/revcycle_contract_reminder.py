from odoo import fields, models


class RevcycleContractReminder(models.Model):
    """A reminder sent: once per contract, kind and key date, whatever the number of runs or workers."""

    _name = "revcycle.contract.reminder"
    _description = "Contract Reminder"
    _order = "date desc"

    contract_id = fields.Many2one("revcycle.contract", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    kind = fields.Selection(
        [("renewal", "Renewal"), ("notice", "Notice deadline"), ("uplift", "Price uplift")], required=True
    )
    date = fields.Date(string="Key Date", required=True)

    _sql_constraints = [
        ("revcycle_contract_reminder_unique", "UNIQUE (contract_id, kind, date)", "This reminder was already sent."),
    ]
