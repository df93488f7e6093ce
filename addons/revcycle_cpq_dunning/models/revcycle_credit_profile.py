from odoo import api, fields, models
from odoo.tools import SQL

CONTRACT_STATES_BILLING = ("active", "pending_termination")  # a contract under notice bills to its end


class RevcycleCreditProfile(models.Model):
    _inherit = "revcycle.credit.profile"

    exposure_contract = fields.Monetary(
        string="Contracts to Bill", readonly=True,
        help="What the customer's active contracts will bill from today over the company's contract horizon "
        "(periods not invoiced yet, overdue ones included), taxes included, at today's rate.")

    # the exposure's full dependencies, the contract part added (an override's depends replace the original's)
    @api.depends("exposure_receivable", "exposure_invoice", "exposure_order", "exposure_draft", "exposure_contract",
                 "company_id.revcycle_exposure_include_receivable", "company_id.revcycle_exposure_include_invoice",
                 "company_id.revcycle_exposure_include_order", "company_id.revcycle_exposure_include_draft",
                 "company_id.revcycle_exposure_include_contract")
    def _compute_exposure(self):  # pylint: disable=useless-parent-delegation
        # only the dependencies change: the sum itself goes through _revcycle_exposure_part_fields below
        return super()._compute_exposure()

    @api.model
    def _revcycle_exposure_part_fields(self):
        return {**super()._revcycle_exposure_part_fields(),
                "contract": ("exposure_contract", "revcycle_exposure_include_contract")}

    @api.model
    def _revcycle_order_lines_billed_elsewhere(self, line):
        """Recurring lines are billed period by period by the contract their order created, never by the order: they
        count through the contract part, not as "orders not invoiced" forever."""
        return SQL(
            """%s.product_id IN (SELECT product.id FROM product_product product
                                  JOIN product_template template ON template.id = product.product_tmpl_id
                                 WHERE template.revcycle_recurring)""", line)

    def _revcycle_gather_exposure(self):
        result = super()._revcycle_gather_exposure()
        for key, amount in self._revcycle_gather_contracts().items():
            result.setdefault(key, {})["contract"] = amount
        return result

    def _revcycle_exposure_vals(self, exposure, limit):
        vals = super()._revcycle_exposure_vals(exposure, limit)
        vals["exposure_contract"] = exposure.get("contract", 0.0)
        return vals

    def _revcycle_gather_contracts(self):
        """{(partner id, company id): what the active contracts will bill over each company's horizon}."""
        today = fields.Date.context_today(self)
        # sudo: exposure is the system's bookkeeping, measured whoever's action marked the customer
        contracts = self.env["revcycle.contract"].sudo().search([
            ("partner_id.commercial_partner_id", "in", self.partner_id.ids),
            ("company_id", "in", self.company_id.ids),
            ("state", "in", CONTRACT_STATES_BILLING),
        ])
        result = {}
        for contract in contracts:
            key = (contract.partner_id.commercial_partner_id.id, contract.company_id.id)
            result[key] = result.get(key, 0.0) + contract._revcycle_billing_ahead(today)
        return result
