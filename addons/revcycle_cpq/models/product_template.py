from odoo import api, fields, models


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
