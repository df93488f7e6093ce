from odoo import api, models

from .account_move_line import BATCH_CONTEXT


class AccountAnalyticDistributionModel(models.Model):
    _inherit = "account.analytic.distribution.model"

    @api.model
    def _get_applicable_models(self, vals):
        """While the invoicing run makes a batch of contract invoices, every product line asks which analytic
        distribution models apply to it (a search per line). When the user sees no model at all, none can apply: that
        is looked up once for the batch."""
        token = self.env["account.move"]._revcycle_batch_token()
        if token:
            # with the user's record rules and company as Odoo's own search below, which would find nothing either
            known = self.env.cr.cache.setdefault(BATCH_CONTEXT, {}).setdefault(token, {})
            key = ("any analytic distribution model", self.env.uid, tuple(self.env.companies.ids))
            if key not in known:
                known[key] = bool(self.search_count([], limit=1))
            if not known[key]:
                return self.browse()
        return super()._get_applicable_models(vals)
