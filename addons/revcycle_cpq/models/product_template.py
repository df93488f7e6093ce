from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    revcycle_tier_mode = fields.Selection(
        selection=[("graduated", "Graduated"), ("volume", "Volume")],
        string="Tier Mode",
        help="Graduated: each unit is priced in its own tier. Volume: all units at the tier the quantity reaches.\n"
        "Empty: the company's default tier mode (Settings > Revenue Cycle).",
    )
    revcycle_tier_ids = fields.One2many("revcycle.price.tier", "product_tmpl_id", string="Price Tiers")
    revcycle_tier_count = fields.Integer(compute="_compute_revcycle_tier_count", string="Tier Count")
    revcycle_config_rule_ids = fields.One2many("revcycle.config.rule", "product_tmpl_id", string="Configuration Rules")
    revcycle_is_bundle = fields.Boolean(
        string="Bundle", help="Quoting this product adds its components as lines of their own."
    )
    revcycle_bundle_pricing = fields.Selection(
        selection=[("spread", "Bundle price spread over the components"), ("sum", "Sum of the components' prices")],
        string="Bundle Pricing",
        default="spread",
    )
    revcycle_recurring = fields.Boolean(
        string="Recurring",
        help="Sold by subscription: confirming a quotation with it creates a contract that "
        "invoices it every billing period.",
    )
    revcycle_billing_period = fields.Selection(
        [("month", "Monthly"), ("quarter", "Quarterly"), ("year", "Yearly")], string="Billing Period", default="month"
    )
    revcycle_portal_self_service = fields.Boolean(
        string="Customer Self-Service",
        help="Customers change this subscription in their portal: its quantity, a move to or from another "
        "self-service plan of the same billing period, a pause, a cancellation at the end of the term. Every "
        "change goes through a contract amendment and its checks.",
    )
    # usage-based billing (docs/domain.md, "Usage billing"): a metered product is billed on the usage reported for
    # each billing period, in arrears, rated by its charge model; the sales price is the rate per unit (per block)
    revcycle_metered = fields.Boolean(
        string="Metered",
        help="Billed on reported usage: each billing period's usage is rated at the period end and invoiced in "
        "arrears. Quotes show the rate, not an amount.",
    )
    revcycle_charge_model = fields.Selection(
        [
            ("per_unit", "Per unit"),
            ("graduated", "Graduated tiers"),
            ("volume", "Volume tiers"),
            ("package", "Package (per block)"),
        ],
        string="Charge Model",
        default="per_unit",
        help="Per unit: every unit over the allowance at the sales price. Graduated / Volume: the price tiers. "
        "Package: blocks of the block size at the sales price each, a started block billed whole.",
    )
    revcycle_usage_package_size = fields.Float(
        string="Block Size", default=1.0, digits="Product Unit of Measure", help="Units in one block (package)."
    )
    revcycle_usage_included = fields.Float(
        string="Included per Period",
        digits="Product Unit of Measure",
        help="Units included in every billing period before any usage is charged.",
    )
    revcycle_usage_minimum = fields.Float(
        string="Minimum Commitment per Period",
        digits="Product Price",
        help="The least a billing period's usage is billed (in the company currency): a shortfall is billed on its "
        "own line. It is the metered line's committed recurring revenue (MRR).",
    )
    revcycle_bundle_component_ids = fields.One2many(
        "revcycle.bundle.component", "bundle_tmpl_id", string="Components", copy=True
    )

    @api.model
    def default_get(self, fields):
        # The company's default is applied here rather than as a field default: a field default would also be
        # evaluated to fill existing products while the module installs, before the company column exists.
        defaults = super().default_get(fields)
        if "revcycle_tier_mode" in fields and not defaults.get("revcycle_tier_mode"):
            defaults["revcycle_tier_mode"] = self.env.company.revcycle_default_tier_mode
        return defaults

    def _revcycle_effective_tier_mode(self):
        self.ensure_one()
        return self.revcycle_tier_mode or (self.company_id or self.env.company).revcycle_default_tier_mode

    @api.depends("revcycle_tier_ids")
    def _compute_revcycle_tier_count(self):
        counts = dict(
            self.env["revcycle.price.tier"]._read_group(
                [("product_tmpl_id", "in", self.ids)], ["product_tmpl_id"], ["__count"]
            )
        )
        for template in self:
            template.revcycle_tier_count = counts.get(template._origin, 0)

    @api.constrains("revcycle_metered", "revcycle_recurring", "revcycle_charge_model", "revcycle_usage_package_size",
                    "revcycle_usage_included", "revcycle_usage_minimum")
    def _check_revcycle_usage_terms(self):
        for template in self.filtered("revcycle_metered"):
            if not template.revcycle_recurring:
                raise ValidationError(
                    self.env._("%(product)s is metered: mark it Recurring too, so a confirmed quotation makes the "
                               "contract its usage is billed by.", product=template.display_name)
                )
            if template.revcycle_charge_model == "package" and template.revcycle_usage_package_size <= 0:
                raise ValidationError(
                    self.env._("%(product)s is charged per block: give a Block Size above zero.",
                               product=template.display_name)
                )
            if template.revcycle_usage_included < 0 or template.revcycle_usage_minimum < 0:
                raise ValidationError(
                    self.env._("%(product)s: the included quantity and the minimum commitment cannot be negative.",
                               product=template.display_name)
                )
