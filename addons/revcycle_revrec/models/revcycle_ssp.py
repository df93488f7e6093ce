from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RevcycleSsp(models.Model):
    _name = "revcycle.ssp"
    _description = "Standalone Selling Price"
    _order = "product_tmpl_id, currency_id, date_from desc"

    product_tmpl_id = fields.Many2one("product.template", string="Product", required=True, ondelete="cascade",
                                      index=True)
    company_id = fields.Many2one("res.company", string="Company", required=True, index=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one("res.currency", string="Currency", required=True,
                                  default=lambda self: self.env.company.currency_id)
    date_from = fields.Date(string="Valid From", required=True)
    date_to = fields.Date(string="Valid To", help="Empty: valid until a later row replaces it.")
    price = fields.Monetary(string="SSP", required=True, currency_field="currency_id")

    _sql_constraints = [
        ("revcycle_ssp_price_positive", "CHECK (price >= 0)", "A standalone selling price cannot be negative."),
        ("revcycle_ssp_dates_ordered", "CHECK (date_to IS NULL OR date_to >= date_from)",
         "An SSP cannot end before it starts: set 'Valid To' on or after 'Valid From'."),
    ]

    @api.constrains("product_tmpl_id", "company_id", "currency_id", "date_from", "date_to")
    def _check_no_overlap(self):
        for ssp in self:
            domain = [
                ("id", "!=", ssp.id),
                ("product_tmpl_id", "=", ssp.product_tmpl_id.id),
                ("company_id", "=", ssp.company_id.id),
                ("currency_id", "=", ssp.currency_id.id),
                "|", ("date_to", "=", False), ("date_to", ">=", ssp.date_from),
            ]
            if ssp.date_to:
                domain.append(("date_from", "<=", ssp.date_to))
            if self.search_count(domain, limit=1):
                raise ValidationError(self.env._(
                    "%(product)s already has an SSP in %(currency)s for part of %(start)s to %(end)s; "
                    "end the earlier row before this one starts.",
                    product=ssp.product_tmpl_id.display_name, currency=ssp.currency_id.name,
                    start=ssp.date_from, end=ssp.date_to or "..."))

    @api.model
    def revcycle_get_ssp(self, product_tmpl_id, currency_id, on_date, company_id=None):
        """SSP of the product in that currency on that date: the table's row, else the product's field (in the
        company currency, converted at that date's rate for another currency), else False (the caller then uses the
        selling price): XML-RPC cannot carry None."""
        Access = self.env["revcycle.access"]
        product_tmpl_id = Access._revcycle_record("product.template", product_tmpl_id, "product_tmpl_id").id
        currency_id = Access._revcycle_record("res.currency", currency_id, "currency_id").id
        on_date = Access._revcycle_date(on_date, "on_date")
        if company_id:
            company_id = Access._revcycle_check_companies(Access._revcycle_id_list(company_id, "company_id")[:1]).id
        ssp = self._revcycle_ssp(product_tmpl_id, currency_id, on_date, company_id)
        return False if ssp is None else ssp

    @api.model
    def _revcycle_ssp_rows(self, product_tmpl_ids, currency_id, on_date, company_id):
        """{template id: SSP table price} of the products that have a row in that currency on that date, in one
        query: a contract of 500 lines reads its SSPs at once, not with 500 searches."""
        rows = self.search([
            ("product_tmpl_id", "in", list(product_tmpl_ids)), ("company_id", "=", company_id),
            ("currency_id", "=", currency_id), ("date_from", "<=", on_date),
            "|", ("date_to", "=", False), ("date_to", ">=", on_date),
        ], order="date_from desc, id desc")
        found = {}
        for row in rows:
            found.setdefault(row.product_tmpl_id.id, row.price)  # rows cannot overlap: the latest start is the one
        return found

    @api.model
    def _revcycle_ssp(self, product_tmpl_id, currency_id, on_date, company_id=None, rows=None):
        """revcycle_get_ssp for Python callers: None when there is no SSP (an SSP of 0.0 is one). ``rows``: the
        result of _revcycle_ssp_rows for these currency, date and company, when the caller read many at once."""
        company_id = company_id or self.env.company.id
        if rows is None:
            rows = self._revcycle_ssp_rows([product_tmpl_id], currency_id, on_date, company_id)
        if product_tmpl_id in rows:
            return rows[product_tmpl_id]
        template = self.env["product.template"].browse(product_tmpl_id)
        company = self.env["res.company"].browse(company_id)
        if not template.revcycle_ssp:
            return None
        if currency_id == company.currency_id.id:
            return template.revcycle_ssp
        currency = self.env["res.currency"].browse(currency_id)
        return company.currency_id._convert(template.revcycle_ssp, currency, company, on_date, round=False)
