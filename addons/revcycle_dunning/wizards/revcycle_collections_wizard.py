from odoo import fields, models

from ..models.res_partner_collections import CALL_OUTCOMES


class RevcycleCollectionsWizard(models.TransientModel):
    """The small forms of the customer's collections page: log a call, record a promise, propose a payment plan,
    pause dunning. Each calls the public method that XML-RPC callers use with plain data."""

    _name = "revcycle.collections.wizard"
    _description = "Collections Action"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    action = fields.Selection(
        [("call", "Log a Call"), ("promise", "Record a Promise"), ("plan", "Propose a Payment Plan"),
         ("pause", "Pause Dunning")], required=True, default="call")
    call_outcome = fields.Selection(CALL_OUTCOMES, string="Outcome", default="reached")
    note = fields.Text()
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    promise_date = fields.Date(string="Promised By")
    promise_amount = fields.Monetary(string="Amount Promised")
    plan_count = fields.Integer(string="Instalments", default=3)
    plan_first_date = fields.Date(string="First Instalment")
    plan_months = fields.Integer(string="Months Between", default=1)
    pause_until = fields.Date(string="Pause Until")
    pause_reason = fields.Char(string="Reason")

    def action_confirm(self):
        self.ensure_one()
        partner = self.partner_id
        Plan = self.env["revcycle.payment.plan"]
        if self.action == "call":
            partner.revcycle_log_call(self.call_outcome, self.note or None)
        elif self.action == "promise":
            result = Plan.revcycle_record_promise(partner.id, self.promise_date, self.promise_amount,
                                                  note=self.note or None)
            return self._revcycle_open_plan(result["plan_id"])
        elif self.action == "plan":
            result = Plan.revcycle_make_plan(partner.id, self.plan_count, self.plan_first_date,
                                             months=self.plan_months, propose=False)
            return self._revcycle_open_plan(result["plan_id"])
        else:
            partner.revcycle_pause_dunning(self.pause_until, self.pause_reason)
        return {"type": "ir.actions.act_window_close"}

    def _revcycle_open_plan(self, plan_id):
        return {"type": "ir.actions.act_window", "res_model": "revcycle.payment.plan", "res_id": plan_id,
                "views": [(False, "form")]}
