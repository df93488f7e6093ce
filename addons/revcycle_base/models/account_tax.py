from odoo import api, models


class AccountTax(models.Model):
    _inherit = "account.tax"

    @api.model
    def _revcycle_line_amounts(self, *, price_unit, quantity, discount, taxes, currency, company, product=None,
                               partner=None):
        """Untaxed, tax and total amounts of one line, through Odoo's own tax engine, as an invoice line of the same
        values would carry them: a tax-included price gives its amount net of tax, the discount applies before tax,
        every figure is rounded in ``currency``.

        Contract lines, MRR and anything else that prices a line outside a sale order or invoice call this instead
        of multiplying quantity x price x (1 - discount) by hand."""
        base_line = self._prepare_base_line_for_taxes_computation(
            None,
            price_unit=price_unit,
            quantity=quantity,
            discount=discount or 0.0,
            tax_ids=taxes or self.browse(),
            currency_id=currency,
            product_id=product or self.env["product.product"],
            partner_id=partner or self.env["res.partner"],
            company_id=company,
        )
        self._add_tax_details_in_base_line(base_line, company)
        self._round_base_lines_tax_details([base_line], company)
        details = base_line["tax_details"]
        # After Odoo's rounding the untaxed amount and each tax are rounded in the line's currency, as on an invoice.
        untaxed = details["total_excluded_currency"] + details["delta_total_excluded_currency"]
        tax = sum(tax_data["tax_amount_currency"] for tax_data in details["taxes_data"])
        return {"untaxed": currency.round(untaxed), "tax": currency.round(tax), "total": currency.round(untaxed + tax)}
