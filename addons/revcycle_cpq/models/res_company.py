from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    revcycle_default_tier_mode = fields.Selection(
        selection=[("graduated", "Graduated"), ("volume", "Volume")],
        string="Default Tier Mode",
        default="volume",
        required=True,
        help="Tier mode given to products that get a tier table.\n"
        "Graduated: each unit is priced in its own tier. Volume: all units at the tier the quantity reaches.",
    )
    revcycle_quote_show_tier_slices = fields.Boolean(
        string="Show Tier Slices on Quotes",
        default=False,
        help="Print how a tier-priced line was reached (for example 100 × $ 10.00 + 50 × $ 8.00) under the line on "
        "the quotation sent to the customer. Off, the customer sees the line's unit price and amount only.",
    )
    revcycle_contract_billing_mode = fields.Selection(
        selection=[("prepaid", "Prepaid (start of period)"), ("postpaid", "Postpaid (end of period)")],
        string="Default Billing Mode",
        default="prepaid",
        required=True,
        help="Billing mode of the contracts created from confirmed quotations.",
    )
    revcycle_contract_proration_behavior = fields.Selection(
        selection=[
            ("always_invoice", "Invoice the difference now"),
            ("create_prorations", "Carry it to the next invoice"),
            ("none", "No proration"),
        ],
        string="Amendment Proration",
        default="always_invoice",
        required=True,
        help="What a mid-period contract amendment bills by default (each amendment can choose): the prorated "
        "difference invoiced at once, added to the next invoice, or nothing until the next period. A decrease of "
        "invoiced time is always credited by a credit note.",
    )
    revcycle_contract_reminder_days = fields.Integer(
        string="Reminder Lead Time (Days)",
        default=30,
        help="How many days before a renewal, a notice deadline or an uplift the salesperson and the customer "
        "are reminded.",
    )
    revcycle_contract_credit_unused = fields.Boolean(
        string="Credit Unused Prepaid Time",
        default=True,
        help="When a prepaid contract is terminated, issue a credit note for the invoiced time after its end.",
    )
    revcycle_contract_auto_post = fields.Boolean(
        string="Post Contract Invoices",
        default=True,
        help="Post the invoices the contract invoicing job creates. Off, they are left in draft for a review "
        "before they are posted and sent.",
    )
