from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    revcycle_contract_id = fields.Many2one("revcycle.revenue.contract", string="Revenue Contract",
                                           index="btree_not_null", copy=False, readonly=True)
    revcycle_obligation_id = fields.Many2one("revcycle.performance.obligation", string="Performance Obligation",
                                             index="btree_not_null", copy=False, readonly=True)
    revcycle_revenue_line_ids = fields.One2many(
        "revcycle.revenue.line", "move_line_id", string="Revenue Lines Posted", readonly=True,
        groups="revcycle_revrec.group_revcycle_revrec_user",
        help="The revenue lines (contract, obligation, period, amount) this income item posts: one contract's, or "
        "every contract's an item summed on its account.")
    revcycle_kind = fields.Selection(
        [("billing", "Billing"), ("recognition", "Recognition"), ("position", "Contract position"),
         ("netting", "Netting"), ("exchange", "Exchange Difference")],
        string="Revenue Recognition Role", copy=False, readonly=True,
        help="Billing: an invoice line sent to deferred revenue; Recognition: revenue earned; Contract position: "
        "the liability or asset the recognition moves; Netting: liability set against asset after an invoice; "
        "Exchange Difference: in a foreign-currency netting, the liability (at its billing rates) and the asset "
        "(at its recognition rates) differ in company currency.")
