from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RevcycleBundleComponent(models.Model):
    _name = "revcycle.bundle.component"
    _inherit = ["revcycle.shared.rows.mixin"]
    _description = "Bundle Component"
    _order = "bundle_tmpl_id, sequence, id"

    bundle_tmpl_id = fields.Many2one("product.template", string="Bundle", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="bundle_tmpl_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    product_id = fields.Many2one("product.product", string="Component", required=True, ondelete="restrict")
    quantity = fields.Float(
        default=1.0,
        required=True,
        digits="Product Unit of Measure",
        help="Units of the component in one unit of the bundle.",
    )

    _sql_constraints = [
        (
            "bundle_component_quantity_positive",
            "CHECK (quantity > 0)",
            "A bundle component needs a positive quantity.",
        ),
    ]

    @api.constrains("product_id", "bundle_tmpl_id")
    def _check_no_cycle(self):
        for component in self:
            if component._revcycle_reaches(component.bundle_tmpl_id):
                raise ValidationError(
                    self.env._(
                        "The bundle %(bundle)s cannot contain %(component)s: "
                        "that would make the bundle contain itself.",
                        bundle=component.bundle_tmpl_id.display_name,
                        component=component.product_id.display_name,
                    )
                )

    def _revcycle_reaches(self, bundle_template, seen=None):
        """True when this component is, or contains through nested bundles, ``bundle_template``."""
        seen = set() if seen is None else seen
        template = self.product_id.product_tmpl_id
        if template == bundle_template:
            return True
        if template.id in seen:
            return False
        seen.add(template.id)
        return any(child._revcycle_reaches(bundle_template, seen) for child in template.revcycle_bundle_component_ids)
