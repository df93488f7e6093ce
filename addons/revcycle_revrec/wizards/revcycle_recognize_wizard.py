from odoo import fields, models


class RevcycleRecognizeWizard(models.TransientModel):
    """The web client's 'Recognise up to…' on a revenue contract: the date, and a confirmation. API callers call
    revcycle.revenue.contract.recognize_contract_until(date) on the contracts."""

    _name = "revcycle.recognize.wizard"
    _description = "Recognise a Revenue Contract up to a Date"

    contract_ids = fields.Many2many("revcycle.revenue.contract", string="Revenue Contracts", required=True)
    date = fields.Date(string="Recognise up to", required=True, default=fields.Date.context_today,
                       help="Every revenue line due on or before this date is posted now, today at the latest.")

    def action_recognize(self):
        self.ensure_one()
        self.contract_ids.recognize_contract_until(self.date)
        return {"type": "ir.actions.act_window_close"}
