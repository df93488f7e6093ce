from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    revcycle_exposure_include_contract = fields.Boolean(
        string="Exposure: Contracts", default=True,
        help="Count what active and signed contracts will bill over the horizon, taxes included.")
    revcycle_exposure_contract_months = fields.Integer(
        string="Contract Horizon (Months)", default=3,
        help="How many months ahead of today a contract's billing counts in its customer's exposure.")

    @api.constrains("revcycle_exposure_contract_months")
    def _check_revcycle_exposure_contract_months(self):
        for company in self:
            if not 0 <= company.revcycle_exposure_contract_months <= 36:
                raise ValidationError(self.env._(
                    "The contract horizon of %(company)s must be between 0 and 36 months, not %(months)s.",
                    company=company.name, months=company.revcycle_exposure_contract_months))
