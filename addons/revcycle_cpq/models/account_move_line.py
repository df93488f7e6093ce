from odoo import api, fields, models

from ..engine import exact_prices


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    revcycle_service_start = fields.Date(
        string="Service From", copy=False, help="First day of the contract period this line invoices."
    )
    revcycle_service_end = fields.Date(
        string="Service To", copy=False, help="Last day of the contract period this line invoices."
    )
    revcycle_exact_price_unit = fields.Float(
        string="Exact Unit Price",
        readonly=True,
        help="The unrounded unit price of the sales order line this line invoices (a tier total divided by its "
        "quantity). While the unit price is its rounding, the line's amounts are computed from it; credit notes "
        "copy it.",
    )

    def _revcycle_amount_price_unit(self):
        """The unit price the line's amounts are computed from (see engine/exact_prices.py)."""
        self.ensure_one()
        return exact_prices.amount_unit_price(
            self.price_unit,
            self.revcycle_exact_price_unit,
            self.env["decimal.precision"].precision_get("Product Price"),
        )

    @api.depends("revcycle_exact_price_unit")
    def _compute_totals(self):  # pylint: disable=missing-return
        super()._compute_totals()


class AccountMove(models.Model):
    _inherit = "account.move"

    def _prepare_product_base_line_for_taxes_computation(self, product_line):
        # The invoice line's subtotal, its journal item balance and the tax lines all start from here.
        base_line = super()._prepare_product_base_line_for_taxes_computation(product_line)
        if product_line.revcycle_exact_price_unit and self.is_invoice(include_receipts=True):
            base_line["price_unit"] = product_line._revcycle_amount_price_unit()
        return base_line
