from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..engine import tiers as tier_engine


class RevcyclePriceTier(models.Model):
    _name = "revcycle.price.tier"
    _inherit = ["revcycle.shared.rows.mixin"]
    _description = "Price Tier"
    _order = "product_tmpl_id, pricelist_id, min_quantity"

    product_tmpl_id = fields.Many2one(
        "product.template", string="Product", required=True, ondelete="cascade", index=True
    )
    pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Pricelist",
        ondelete="cascade",
        index=True,
        help="Leave empty for a tier table that applies to every pricelist without one of its own.",
    )
    company_id = fields.Many2one(
        "res.company", string="Company", related="product_tmpl_id.company_id", store=True, index=True
    )
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id", string="Currency")
    min_quantity = fields.Float(
        string="From Quantity",
        required=True,
        default=0.0,
        digits="Product Unit of Measure",
        help="The tier applies from this quantity on.",
    )
    price = fields.Monetary(string="Unit Price", required=True, currency_field="currency_id")

    _sql_constraints = [
        (
            "revcycle_price_tier_min_quantity_positive",
            "CHECK (min_quantity >= 0)",
            "A tier's starting quantity cannot be negative: tiers start at 0 or more.",
        ),
        (
            "revcycle_price_tier_price_positive",
            "CHECK (price >= 0)",
            "A tier's unit price cannot be negative: use 0 or more.",
        ),
    ]

    def init(self):
        # One tier per threshold and table, the generic table (no pricelist) included: PostgreSQL < 15 has no
        # UNIQUE NULLS NOT DISTINCT, hence an index on COALESCE. The Python check below gives the readable refusal.
        tools.create_unique_index(
            self.env.cr,
            "revcycle_price_tier_threshold_unique",
            self._table,
            ["product_tmpl_id", "COALESCE(pricelist_id, 0)", "min_quantity"],
        )

    @api.depends("pricelist_id.currency_id", "product_tmpl_id.currency_id")
    def _compute_currency_id(self):
        for tier in self:
            tier.currency_id = tier.pricelist_id.currency_id or tier.product_tmpl_id.currency_id

    @api.model_create_multi
    def create(self, vals_list):
        self.env["revcycle.access"]._revcycle_check_vals(self, vals_list)  # before anything reads them
        # Checked before the INSERT: the unique index would otherwise answer first, with a bare database error.
        seen = set()
        for vals in vals_list:
            key = (vals.get("product_tmpl_id"), vals.get("pricelist_id") or False, float(vals.get("min_quantity", 0.0)))
            if key in seen:
                self._revcycle_refuse_duplicate_threshold(*key)
            seen.add(key)
            self._revcycle_check_threshold_free(*key)
        return super().create(vals_list)

    def write(self, vals):
        self.env["revcycle.access"]._revcycle_check_vals(self, [vals])  # before anything reads them
        if {"product_tmpl_id", "pricelist_id", "min_quantity"} & set(vals):
            for tier in self:
                self._revcycle_check_threshold_free(
                    vals.get("product_tmpl_id", tier.product_tmpl_id.id),
                    vals.get("pricelist_id", tier.pricelist_id.id) or False,
                    float(vals.get("min_quantity", tier.min_quantity)),
                    exclude=self,
                )
        return super().write(vals)

    @api.model
    def _revcycle_check_threshold_free(self, product_tmpl_id, pricelist_id, min_quantity, exclude=None):
        domain = [
            ("product_tmpl_id", "=", product_tmpl_id),
            ("pricelist_id", "=", pricelist_id),
            ("min_quantity", "=", min_quantity),
        ]
        if exclude:
            domain.append(("id", "not in", exclude.ids))
        # sudo: the unique index spans every company, so the check must too; it only reveals that a clash exists.
        if self.sudo().search_count(domain, limit=1):
            self._revcycle_refuse_duplicate_threshold(product_tmpl_id, pricelist_id, min_quantity)

    @api.model
    def _revcycle_refuse_duplicate_threshold(self, product_tmpl_id, pricelist_id, min_quantity):
        template = self.env["product.template"].browse(product_tmpl_id)
        pricelist = self.env["product.pricelist"].browse(pricelist_id)
        if pricelist:
            raise ValidationError(
                self.env._(
                    "%(product)s already has a tier from quantity %(quantity)s on pricelist %(pricelist)s; "
                    "change its price instead of adding a second one.",
                    product=template.display_name,
                    quantity=min_quantity,
                    pricelist=pricelist.name,
                )
            )
        raise ValidationError(
            self.env._(
                "%(product)s already has a tier from quantity %(quantity)s; "
                "change its price instead of adding a second one.",
                product=template.display_name,
                quantity=min_quantity,
            )
        )

    @api.model
    def _revcycle_tiers_for(self, template, pricelist, company):
        """The pricelist's own tier table of the product, else its generic one (empty when it has neither).

        Read through the product's one2many rather than searched: the ORM then loads the tiers of every product of
        the lines being priced together in one query (a 500-line quote made 500 searches before, 2.5 s of it)."""
        tiers = template.with_env(self.env).revcycle_tier_ids.filtered(
            lambda tier: not tier.company_id or tier.company_id == company
        )
        own = tiers.filtered(lambda tier: pricelist and tier.pricelist_id == pricelist)
        return own or tiers.filtered(lambda tier: not tier.pricelist_id)

    @api.model
    def _revcycle_price_by_tiers(self, quantity, tiers, mode, precision_digits):
        """Overridable entry point to the pricing engine."""
        return tier_engine.price_by_tiers(quantity, tiers, mode, precision_digits)

    @api.model
    def revcycle_compute_price(self, product_tmpl_id, quantity, pricelist_id=False):
        """Price ``quantity`` of a product on its tier table (the pricelist's own, else the generic one).

        Returns a JSON-ready dict: total, unit_price, mode and one line per tier used; or False when the
        product has no tier table.
        """
        Access = self.env["revcycle.access"]
        if (
            isinstance(product_tmpl_id, int)
            and not isinstance(product_tmpl_id, bool)
            and 0 < product_tmpl_id < 2**31
            and not self.env["product.template"].browse(product_tmpl_id).exists()
        ):
            raise ValidationError(self.env._("There is no product template with id %(id)s.", id=product_tmpl_id))
        template = Access._revcycle_record("product.template", product_tmpl_id, "product_tmpl_id")
        quantity = Access._revcycle_number(quantity, "quantity", 0.0, 1e12)
        pricelist = Access._revcycle_record("product.pricelist", pricelist_id, "pricelist_id", required=False)
        pricelist_id = pricelist.id
        tiers = self.search([("product_tmpl_id", "=", template.id), ("pricelist_id", "=", pricelist_id or False)])
        if not tiers and pricelist_id:
            tiers = self.search([("product_tmpl_id", "=", template.id), ("pricelist_id", "=", False)])
        if not tiers:
            return False
        currency = tiers[:1].currency_id
        mode = template._revcycle_effective_tier_mode()
        try:
            result = self._revcycle_price_by_tiers(
                quantity, [tier_engine.Tier(t.min_quantity, t.price) for t in tiers], mode, currency.decimal_places
            )
        except tier_engine.TierError as error:
            raise ValidationError(str(error)) from error
        return {
            "mode": mode,
            "currency": currency.name,
            "total": result.total,
            "unit_price": result.unit_price,
            "lines": [
                {
                    "min_quantity": line.min_quantity,
                    "quantity": line.quantity,
                    "price": line.price,
                    "amount": line.amount,
                }
                for line in result.lines
            ],
        }
