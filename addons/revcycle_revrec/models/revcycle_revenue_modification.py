from odoo import fields, models

MODIFICATION_KINDS = [
    ("separate", "Separate Contract"),
    ("prospective", "Prospective"),
    ("catch_up", "Cumulative Catch-up"),
    ("termination", "Termination"),
]


class RevcycleRevenueModification(models.Model):
    """A contract modification (ASC 606-10-25-10..13, IFRS 15.18-21) and how it was accounted for: the record of
    what changed, written by the modification itself, never by hand."""

    _name = "revcycle.revenue.modification"
    _description = "Revenue Contract Modification"
    _order = "date desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one("revcycle.revenue.contract", required=True, ondelete="cascade", index=True,
                                  readonly=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    date = fields.Date(required=True, readonly=True)
    kind = fields.Selection(
        MODIFICATION_KINDS, required=True, readonly=True,
        help="Separate Contract: distinct goods added at their standalone selling price (ASC 606-10-25-12); "
        "Prospective: the remaining goods are distinct, the price not yet recognised is reallocated to them "
        "(25-13(a)); Cumulative Catch-up: the remaining goods are part of an obligation partly satisfied, which "
        "keeps its measure of progress and catches up now (25-13(b)); Termination: the obligations end early, each "
        "worth the consideration due for it; what is recognised stays, the rest is spread up to the new end.")
    price_before = fields.Monetary(string="Price Before", readonly=True)
    price_after = fields.Monetary(string="Price After", readonly=True)
    catch_up_amount = fields.Monetary(string="Catch-up", readonly=True,
                                      help="Revenue recognised (or reversed) at once by a cumulative catch-up.")
    allocation_before = fields.Text(readonly=True, help="Each obligation's allocation before the modification.")
    allocation_after = fields.Text(readonly=True, help="Each obligation's allocation after the modification.")
    new_contract_id = fields.Many2one("revcycle.revenue.contract", string="New Contract", readonly=True,
                                      check_company=True, help="The separate contract of the added goods.")
