from odoo import api, fields, models
from odoo.tools import float_is_zero, formatLang

from ..engine import approvals as approval_engine
from ..engine import bundles as bundle_engine
from ..engine import config_rules as rule_engine
from ..engine import exact_prices
from ..engine import tiers as tier_engine


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    revcycle_bundle_line_id = fields.Many2one(
        "sale.order.line",
        string="Bundle Line",
        ondelete="cascade",
        index="btree_not_null",
        copy=False,
        help="The bundle line this component line was added by.",
    )
    revcycle_bundle_component_id = fields.Many2one(
        "revcycle.bundle.component", string="Bundle Component", ondelete="set null", copy=False
    )
    revcycle_bundle_component_line_ids = fields.One2many(
        "sale.order.line", "revcycle_bundle_line_id", string="Bundle Component Lines"
    )
    revcycle_list_price = fields.Float(
        string="List Price",
        digits="Product Price",
        compute="_compute_revcycle_price_breakdown",
        help="The product's price on the quotation's pricelist before tiers and discounts.",
    )
    revcycle_tier_total = fields.Float(
        string="Tier Amount", digits="Product Price", compute="_compute_revcycle_price_breakdown"
    )
    revcycle_exact_price_unit = fields.Float(
        string="Exact Unit Price",
        compute="_compute_revcycle_exact_price_unit",
        store=True,
        precompute=True,
        readonly=True,
        copy=True,
        help="The tier total divided by the quantity, unrounded. While the unit price is its rounding, the line's "
        "amounts (subtotal, taxes, invoice, credit note, down payment) are computed from it, so they equal the "
        "tier total to the cent whatever the unit price precision.",
    )
    revcycle_price_breakdown = fields.Char(
        string="Price Breakdown",
        compute="_compute_revcycle_price_breakdown",
        help="How the price was reached: list price, tier slices, bundle, discount, net.",
    )

    @api.depends("product_id.revcycle_recurring")
    def _compute_qty_to_invoice(self):  # pylint: disable=missing-return
        # Recurring lines are invoiced period by period by their contract, never by the order itself.
        super()._compute_qty_to_invoice()
        for line in self.filtered(lambda sol: sol.product_id.revcycle_recurring):
            line.qty_to_invoice = 0.0

    # -- pricing ------------------------------------------------------------------------------------------------
    def _get_display_price(self):
        self.ensure_one()
        own_price, _exact = self._revcycle_own_unit_price()
        if own_price is not None:
            return own_price
        return super()._get_display_price()

    def _revcycle_own_unit_price(self):
        """(unit price, exact) when revcycle prices the line — a bundle component's share, the bundle line's
        remainder, a tier total over the quantity (exact: unrounded) —; (None, False) when the pricelist does."""
        if self.revcycle_bundle_line_id and self.revcycle_bundle_component_id:
            bundle = self.revcycle_bundle_line_id._revcycle_bundle_price()
            return bundle.unit_prices.get(self.revcycle_bundle_component_id.id, 0.0), False
        if self.product_id.revcycle_is_bundle and self.product_id.revcycle_bundle_component_ids:
            bundle = self._revcycle_bundle_price()
            return (bundle.remainder if self.product_id.revcycle_bundle_pricing == "spread" else 0.0), False
        tier_price = self._revcycle_tier_price()
        if tier_price is not None:
            return self._revcycle_tier_unit_price(tier_price), True
        return None, False

    def _revcycle_priced_line(self):
        """The line's reference (what the pricelist, tier table or bundle would charge for it, computed afresh from
        the current quantity) and what it actually charges, both before taxes, for the approval rules."""
        self.ensure_one()
        own_price, _exact = self._revcycle_own_unit_price()
        reference_unit = own_price if own_price is not None else self._revcycle_pricelist_unit_price()
        quantity = self.product_uom_qty
        actual_unit = self._revcycle_amount_price_unit() * (1 - (self.discount or 0.0) / 100)
        return approval_engine.PricedLine(reference=reference_unit * quantity, actual=actual_unit * quantity)

    def _revcycle_pricelist_unit_price(self):
        """The unit price after the pricelist's own rule (its discounts included), as sale would charge it."""
        if not self.product_id or not self.product_uom:
            return 0.0
        return self.with_company(self.company_id)._get_pricelist_price()

    @api.depends("product_id", "product_uom", "product_uom_qty", "order_id.pricelist_id")
    def _compute_revcycle_exact_price_unit(self):
        # Its own compute, not sale's _compute_price_unit: sharing it would recompute a unit price given at creation
        # while the exact one is precomputed. Whatever the unit price, the exact one is only used while the unit
        # price is its rounding (engine/exact_prices.py), so a price typed by hand is never overridden.
        for line in self:
            own_price, exact = line._revcycle_own_unit_price() if line.product_id and not line.display_type else (0, 0)
            line.revcycle_exact_price_unit = own_price if exact else 0.0

    def _revcycle_amount_price_unit(self):
        """The unit price the line's amounts are computed from (see engine/exact_prices.py)."""
        self.ensure_one()
        return exact_prices.amount_unit_price(
            self.price_unit,
            self.revcycle_exact_price_unit,
            self.env["decimal.precision"].precision_get("Product Price"),
        )

    def _prepare_base_line_for_taxes_computation(self, **kwargs):
        # Every amount of the line and of the order goes through here (subtotal, taxes, totals, down payments).
        if "price_unit" not in kwargs and self.revcycle_exact_price_unit:
            kwargs["price_unit"] = self._revcycle_amount_price_unit()
        if self.product_id.revcycle_metered:
            # a metered line quotes a rate: its usage is billed by the contract, so it adds nothing to the totals
            kwargs["quantity"] = 0.0
        return super()._prepare_base_line_for_taxes_computation(**kwargs)

    @api.depends("revcycle_exact_price_unit", "product_id.revcycle_metered")
    def _compute_amount(self):  # pylint: disable=missing-return
        super()._compute_amount()

    def _prepare_invoice_line(self, **optional_values):
        values = super()._prepare_invoice_line(**optional_values)
        if self.revcycle_exact_price_unit and not self.display_type and not self.is_downpayment:
            values["revcycle_exact_price_unit"] = self.revcycle_exact_price_unit
        return values

    def _revcycle_price_date(self):
        return self.order_id.date_order or fields.Date.context_today(self)

    def _revcycle_catalogue_price(self, product):
        """Unit price of ``product`` on the order's pricelist, in the order's currency."""
        order = self.order_id
        if order.pricelist_id:
            return order.pricelist_id._get_product_price(
                product, 1.0, currency=self.currency_id, date=self._revcycle_price_date()
            )
        return product.currency_id._convert(
            product.lst_price,
            self.currency_id or order.company_id.currency_id,
            order.company_id,
            self._revcycle_price_date(),
        )

    def _revcycle_tiers(self):
        return self.env["revcycle.price.tier"]._revcycle_tiers_for(
            self.product_id.product_tmpl_id, self.order_id.pricelist_id, self.order_id.company_id
        )

    def _revcycle_tier_price(self):
        """The tier engine's result for this line's quantity (in the product's unit), or None without tiers."""
        tiers = self._revcycle_tiers()
        if not tiers:
            return None
        currency = self.currency_id or self.order_id.company_id.currency_id
        engine_tiers = [
            tier_engine.Tier(
                tier.min_quantity,
                tier.currency_id._convert(
                    tier.price, currency, self.order_id.company_id, self._revcycle_price_date(), round=False
                ),
            )
            for tier in tiers
        ]
        quantity = self.product_uom._compute_quantity(self.product_uom_qty, self.product_id.uom_id)
        return self.env["revcycle.price.tier"]._revcycle_price_by_tiers(
            quantity,
            engine_tiers,
            self.product_id.product_tmpl_id._revcycle_effective_tier_mode(),
            currency.decimal_places,
        )

    def _revcycle_tier_unit_price(self, tier_price):
        if float_is_zero(self.product_uom_qty, precision_rounding=self.product_uom.rounding or 0.01):
            return tier_price.lines[0].price if tier_price.lines else 0.0
        # A graduated total spread over the quantity can need more decimals than the unit price keeps: the
        # breakdown shows the exact tier amount next to the line's total.
        return tier_price.total / self.product_uom_qty

    def _revcycle_bundle_price(self):
        self.ensure_one()
        template = self.product_id.product_tmpl_id
        components = [
            bundle_engine.Component(
                component.id, component.quantity, self._revcycle_catalogue_price(component.product_id)
            )
            for component in template.revcycle_bundle_component_ids
        ]
        currency = self.currency_id or self.order_id.company_id.currency_id
        return bundle_engine.price_bundle(
            self._revcycle_catalogue_price(self.product_id),
            components,
            template.revcycle_bundle_pricing,
            currency_digits=currency.decimal_places,
            unit_price_digits=self.env["decimal.precision"].precision_get("Product Price"),
        )

    @api.depends("product_id", "product_uom_qty", "product_uom", "price_unit", "discount", "order_id.pricelist_id")
    def _compute_revcycle_price_breakdown(self):
        for line in self:
            line.revcycle_list_price = 0.0
            line.revcycle_tier_total = 0.0
            line.revcycle_price_breakdown = False
            if line.display_type or not line.product_id or not line.order_id:
                continue
            line.revcycle_list_price = line._revcycle_catalogue_price(line.product_id)
            parts = [line.env._("List %(price)s", price=line._revcycle_money(line.revcycle_list_price))]
            tier_price = line._revcycle_tier_price()
            if tier_price is not None and tier_price.lines:
                line.revcycle_tier_total = tier_price.total
                slices = line._revcycle_tier_slices(tier_price)
                parts.append(
                    line.env._(
                        "Tiers %(slices)s = %(total)s", slices=slices, total=line._revcycle_money(tier_price.total)
                    )
                )
            if line.revcycle_bundle_line_id:
                parts.append(
                    line.env._(
                        "Share of bundle %(bundle)s", bundle=line.revcycle_bundle_line_id.product_id.display_name
                    )
                )
            if line.discount:
                discount = f"{line.discount:g}"  # outside _(): the translation extractor cannot read f-strings
                parts.append(line.env._("Discount %(discount)s%%", discount=discount))
            parts.append(line.env._("Net %(net)s", net=line._revcycle_money(line.price_subtotal)))
            line.revcycle_price_breakdown = " · ".join(parts)

    def _revcycle_tier_slices(self, tier_price):
        return " + ".join(
            f"{tier_line.quantity:g} × {self._revcycle_money(tier_line.price)}" for tier_line in tier_price.lines
        )

    # -- the customer's document ------------------------------------------------------------------------------------
    def _revcycle_customer_tier_text(self):
        """How a tier-priced line was reached, for the customer (only when the company prints it), else ''."""
        self.ensure_one()
        if self.display_type or not self.product_id or not self.order_id.company_id.revcycle_quote_show_tier_slices:
            return ""
        tier_price = self._revcycle_tier_price()
        if tier_price is None or len(tier_price.lines) < 2:
            return ""  # a single slice (volume pricing, or one tier) says nothing the unit price does not
        return self.env._("Tiers: %(slices)s", slices=self._revcycle_tier_slices(tier_price))

    def _revcycle_customer_bundle_text(self):
        """What a bundle line holds, for the customer, else ''."""
        self.ensure_one()
        components = self.revcycle_bundle_component_line_ids
        if not components:
            return ""
        contents = ", ".join(f"{line.product_uom_qty:g} × {line.product_id.display_name}" for line in components)
        return self.env._("Includes: %(contents)s", contents=contents)

    def _revcycle_money(self, amount):
        return formatLang(self.env, amount, currency_obj=self.currency_id or self.order_id.company_id.currency_id)

    # -- bundles --------------------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if not self.env.context.get("revcycle_syncing_bundle"):
            lines._revcycle_sync_bundle_components()
        return lines

    def write(self, vals):
        result = super().write(vals)
        if {"product_id", "product_uom_qty"} & set(vals) and not self.env.context.get("revcycle_syncing_bundle"):
            self._revcycle_sync_bundle_components()
        return result

    def _revcycle_sync_bundle_components(self):
        """Bundle lines hold one component line per bundle component, quantities following the bundle's."""
        for line in self.filtered(lambda sol: not sol.display_type and not sol.revcycle_bundle_line_id):
            template = line.product_id.product_tmpl_id
            wanted = (
                template.revcycle_bundle_component_ids
                if template.revcycle_is_bundle
                else self.env["revcycle.bundle.component"]
            )
            stale = line.revcycle_bundle_component_line_ids.filtered(
                lambda sol, wanted=wanted: sol.revcycle_bundle_component_id not in wanted
            )
            stale.unlink()
            by_component = {sol.revcycle_bundle_component_id: sol for sol in line.revcycle_bundle_component_line_ids}
            new_vals = []
            for component in wanted:
                quantity = component.quantity * line.product_uom_qty
                if component in by_component:
                    by_component[component].with_context(revcycle_syncing_bundle=True).product_uom_qty = quantity
                    continue
                new_vals.append(
                    {
                        "order_id": line.order_id.id,
                        "product_id": component.product_id.id,
                        "product_uom_qty": quantity,
                        "sequence": line.sequence,
                        "revcycle_bundle_line_id": line.id,
                        "revcycle_bundle_component_id": component.id,
                    }
                )
            if new_vals:
                self.with_context(revcycle_syncing_bundle=True).create(new_vals)

    # -- configuration rules ----------------------------------------------------------------------------------------
    def _revcycle_quote_line(self):
        self.ensure_one()
        values = (
            self.product_id.product_template_attribute_value_ids.product_attribute_value_id
            | self.product_no_variant_attribute_value_ids.product_attribute_value_id
        )
        return rule_engine.QuoteLine(
            key=self.id,
            name=self.name or self.product_id.display_name,
            product_id=self.product_id.id,
            template_id=self.product_id.product_tmpl_id.id,
            value_ids=frozenset(values.ids),
        )

    @api.constrains("product_id", "product_no_variant_attribute_value_ids", "order_id")
    def _check_revcycle_exclusions(self):
        # Only exclusions while the quotation is being built: a requirement can be met by a line added later,
        # so requirements are checked when the quotation is sent or confirmed.
        self.order_id._revcycle_check_config_rules(("excludes",))
