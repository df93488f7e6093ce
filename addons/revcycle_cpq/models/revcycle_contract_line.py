from odoo import api, fields, models
from odoo.addons.revcycle_base.engine import periods as period_engine


class RevcycleContractLine(models.Model):
    _name = "revcycle.contract.line"
    _description = "Contract Line"
    _order = "contract_id, sequence, id"

    contract_id = fields.Many2one("revcycle.contract", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    sequence = fields.Integer(default=10)
    product_id = fields.Many2one("product.product", string="Product", required=True)
    name = fields.Text(string="Description", required=True)
    quantity = fields.Float(default=1.0, required=True, digits="Product Unit of Measure")
    price_unit = fields.Float(
        string="Unit Price", required=True, digits="Product Price", help="Price for one full billing period."
    )
    discount = fields.Float(string="Discount (%)", digits="Discount")
    tax_ids = fields.Many2many(
        "account.tax", string="Taxes", domain=[("type_tax_use", "=", "sale")], check_company=True
    )
    price_subtotal = fields.Monetary(compute="_compute_price_subtotal", store=True, string="Amount per Period")
    sale_line_id = fields.Many2one("sale.order.line", string="Quotation Line", copy=False)

    _sql_constraints = [
        (
            "revcycle_contract_line_quantity_positive",
            "CHECK (quantity > 0)",
            "A contract line needs a quantity above zero: correct the quantity, or remove the line.",
        ),
        (
            "revcycle_contract_line_discount_range",
            "CHECK (COALESCE(discount, 0) >= 0 AND COALESCE(discount, 0) <= 100)",
            "A contract line's discount is a percentage between 0 and 100.",
        ),
        (
            "revcycle_contract_line_price_positive",
            "CHECK (price_unit >= 0)",
            "A contract line's price cannot be negative; use a discount or a credit note.",
        ),
    ]

    @api.depends("quantity", "price_unit", "discount", "tax_ids", "contract_id.currency_id", "contract_id.company_id")
    def _compute_price_subtotal(self):
        """The untaxed amount per period, as the period's invoice line will carry it: through Odoo's tax engine, so a
        tax-included price counts net of its tax (revcycle_base ``account.tax._revcycle_line_amounts``)."""
        Tax = self.env["account.tax"]
        for line in self:
            currency = line.currency_id or line.contract_id.company_id.currency_id or self.env.company.currency_id
            line.price_subtotal = Tax._revcycle_line_amounts(
                price_unit=line.price_unit,
                quantity=line.quantity,
                discount=line.discount,
                taxes=line.tax_ids,
                currency=currency,
                company=line.contract_id.company_id or self.env.company,
                product=line.product_id,
                partner=line.contract_id.partner_id,
            )["untaxed"]

    @api.onchange("product_id")
    def _onchange_product_id(self):
        if self.product_id:
            self.name = self.product_id.get_product_multiline_description_sale()
            self.price_unit = self.product_id.lst_price
            self.tax_ids = self.product_id.taxes_id.filtered(lambda tax: tax.company_id == self.contract_id.company_id)

    def _prepare_invoice_line_vals(self, period):
        """One invoice line for ``period``: prorated by days when the period is partial, the service period in its
        label and fields."""
        self.ensure_one()
        # the engine prorates by days; kept at the unit-price precision, as the invoice line would keep it anyway
        price = period_engine.period_amount(
            self.price_unit, period, self.env["decimal.precision"].precision_get("Product Price")
        )
        return {
            "product_id": self.product_id.id,
            "name": self.env._("%(line)s (%(start)s to %(end)s)", line=self.name, start=period.start, end=period.end),
            "quantity": self.quantity,
            "price_unit": price,
            "discount": self.discount,
            "tax_ids": [(6, 0, self.tax_ids.ids)],
            "revcycle_service_start": period.start,
            "revcycle_service_end": period.end,
        }
