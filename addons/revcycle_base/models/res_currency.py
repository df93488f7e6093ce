from odoo import fields, models


class ResCurrency(models.Model):
    _inherit = "res.currency"

    def _revcycle_to_company_currency(self, amount, company, date=None):
        """``amount`` in this currency converted to ``company``'s currency at the rate of ``date`` (today when not
        given), rounded in the company currency: the one conversion rule of the suite, so two currencies are never
        added as if they were one."""
        self.ensure_one()
        return self._convert(amount, company.currency_id, company, date or fields.Date.context_today(self))
