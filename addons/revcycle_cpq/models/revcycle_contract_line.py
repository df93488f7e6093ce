from odoo import api, fields, models
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.exceptions import ValidationError


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
    # metered lines (docs/domain.md, "Usage billing"): no fixed amount; the unit price is the rate per unit (per block
    # for a package), the usage of each period is rated at its end and billed in arrears
    revcycle_metered = fields.Boolean(
        related="product_id.revcycle_metered", store=True, string="Metered", readonly=True
    )
    revcycle_charge_model = fields.Selection(related="product_id.revcycle_charge_model", string="Charge Model")
    usage_included_quantity = fields.Float(
        string="Included per Period", digits="Product Unit of Measure",
        help="Units included in every billing period before usage is charged (metered lines).",
    )
    usage_minimum_amount = fields.Monetary(
        string="Minimum Commitment",
        help="The least each billing period's usage is billed, in the contract currency; a shortfall is billed on its "
        "own line. Counted as the line's recurring amount (MRR).",
    )
    usage_date_start = fields.Date(
        string="Usage Counted From",
        help="The first day this metered line's periods are rated (a period with no usage still bills the minimum "
        "commitment): the contract's start for a line signed with it, the day it was added to a running contract.",
    )
    usage_record_ids = fields.One2many("revcycle.usage.record", "contract_line_id", string="Usage")

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
            "revcycle_contract_line_usage_terms",
            "CHECK (COALESCE(usage_included_quantity, 0) >= 0 AND COALESCE(usage_minimum_amount, 0) >= 0)",
            "A metered line's included quantity and minimum commitment cannot be negative.",
        ),
        (
            "revcycle_contract_line_price_positive",
            "CHECK (price_unit >= 0)",
            "A contract line's price cannot be negative; use a discount or a credit note.",
        ),
    ]

    @api.depends(
        "quantity", "price_unit", "discount", "tax_ids", "contract_id.currency_id", "contract_id.company_id",
        "revcycle_metered", "usage_minimum_amount",
    )
    def _compute_price_subtotal(self):
        """The untaxed amount per period, as the period's invoice line will carry it: through Odoo's tax engine, so a
        tax-included price counts net of its tax (revcycle_base ``account.tax._revcycle_line_amounts``). A metered
        line has no fixed amount: its committed amount per period is its minimum commitment (zero without one)."""
        Tax = self.env["account.tax"]
        for line in self:
            currency = line.currency_id or line.contract_id.company_id.currency_id or self.env.company.currency_id
            metered = line.revcycle_metered
            line.price_subtotal = Tax._revcycle_line_amounts(
                price_unit=line.usage_minimum_amount if metered else line.price_unit,
                quantity=1.0 if metered else line.quantity,
                discount=0.0 if metered else line.discount,
                taxes=line.tax_ids,
                currency=currency,
                company=line.contract_id.company_id or self.env.company,
                product=line.product_id,
                partner=line.contract_id.partner_id,
            )["untaxed"]

    @api.model_create_multi
    def create(self, vals_list):
        # a metered line made without its usage terms (XML-RPC, a form) takes its product's
        for vals in vals_list:
            product = self.env["product.product"].browse(vals.get("product_id") or [])
            if product.revcycle_metered and vals.get("contract_id"):
                contract = self.env["revcycle.contract"].browse(vals["contract_id"])
                if "usage_included_quantity" not in vals:
                    for key, value in self._revcycle_usage_defaults(product, contract).items():
                        vals.setdefault(key, value)
                if not vals.get("usage_date_start"):
                    running = contract.state not in ("draft", "negotiation", "signed")
                    vals["usage_date_start"] = fields.Date.context_today(self) if running else contract.date_start
        return super().create(vals_list)

    @api.constrains("revcycle_metered", "discount")
    def _check_revcycle_metered_discount(self):
        for line in self.filtered(lambda line: line.revcycle_metered and line.discount):
            raise ValidationError(
                self.env._("%(line)s is metered: its usage is billed at the negotiated rate, without a discount. Set "
                           "the discount to 0 and lower the unit price (or the tiers) instead.", line=line.name)
            )

    @api.onchange("product_id")
    def _onchange_product_id(self):
        if self.product_id:
            self.name = self.product_id.get_product_multiline_description_sale()
            self.price_unit = self.product_id.lst_price
            self.tax_ids = self.product_id.taxes_id.filtered(lambda tax: tax.company_id == self.contract_id.company_id)
            if self.product_id.revcycle_metered:
                self.update(self._revcycle_usage_defaults(self.product_id, self.contract_id))

    @api.model
    def _revcycle_usage_defaults(self, product, document, on_date=None):
        """A metered product's allowance and minimum commitment for a line of ``document`` (a contract, or the
        quotation that makes it), the commitment converted from the company currency to the document's."""
        company = document.company_id or self.env.company
        currency = document.currency_id or company.currency_id
        minimum = company.currency_id._convert(
            product.revcycle_usage_minimum, currency, company, on_date or fields.Date.context_today(self)
        )
        return {"usage_included_quantity": product.revcycle_usage_included, "usage_minimum_amount": minimum}

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
