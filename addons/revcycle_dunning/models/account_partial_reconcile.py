from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._revcycle_mark_credit_dirty()
        return partials

    def unlink(self):
        self._revcycle_mark_credit_dirty()
        return super().unlink()

    def _revcycle_mark_credit_dirty(self):
        """A payment matched or unmatched moves exposure and overdue, and says how the customer pays: rescore."""
        lines = (self.debit_move_id | self.credit_move_id).filtered(
            lambda line: line.partner_id and line.account_type == "asset_receivable")
        self.env["revcycle.credit.profile"]._revcycle_mark_dirty(
            {(line.partner_id.commercial_partner_id.id, line.company_id.id) for line in lines}, score=True)
