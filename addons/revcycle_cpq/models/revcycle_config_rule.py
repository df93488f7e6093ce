from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import config_rules as rule_engine


class RevcycleConfigRule(models.Model):
    _name = "revcycle.config.rule"
    _inherit = ["revcycle.shared.rows.mixin"]
    _description = "Configuration Rule"
    _order = "product_tmpl_id, sequence, id"

    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    product_tmpl_id = fields.Many2one(
        "product.template",
        string="Product",
        required=True,
        ondelete="cascade",
        index=True,
        help="The rule applies to quotations that hold this product.",
    )
    company_id = fields.Many2one(
        "res.company",
        string="Company",
        index=True,
        default=lambda self: self.env.company,
        help="Empty: the rule applies in every company.",
    )
    rule_type = fields.Selection(
        selection=[("requires", "Requires"), ("excludes", "Excludes")], string="Type", required=True, default="requires"
    )
    condition_value_ids = fields.Many2many(
        "product.attribute.value",
        "revcycle_config_rule_condition_value_rel",
        "rule_id",
        "value_id",
        string="When Values",
        help="The rule applies when a line carries one of these values. "
        "Leave both conditions empty for a rule that applies whenever the product is quoted.",
    )
    condition_product_ids = fields.Many2many(
        "product.product",
        "revcycle_config_rule_condition_product_rel",
        "rule_id",
        "product_id",
        string="When Products",
        help="The rule applies when one of these products is quoted.",
    )
    target_value_ids = fields.Many2many(
        "product.attribute.value", "revcycle_config_rule_target_value_rel", "rule_id", "value_id", string="Then Values"
    )
    target_product_ids = fields.Many2many(
        "product.product", "revcycle_config_rule_target_product_rel", "rule_id", "product_id", string="Then Products"
    )
    message = fields.Char(
        required=True,
        translate=True,
        help="Shown to the salesperson when the quotation breaks the rule: say what to change.",
    )

    @api.constrains(
        "rule_type",
        "condition_value_ids",
        "condition_product_ids",
        "target_value_ids",
        "target_product_ids",
        "product_tmpl_id",
        "active",
    )
    def _check_rule_consistency(self):
        for template in self.product_tmpl_id:
            rules = self.search([("product_tmpl_id", "=", template.id)])
            try:
                rule_engine.validate_rule_set([rule._revcycle_engine_rule() for rule in rules])
            except rule_engine.ConfigRuleError as error:
                raise ValidationError(self._revcycle_rule_error_message(error, template)) from error

    def _revcycle_rule_error_message(self, error, template):
        messages = {
            "type": self.env._("Choose whether the rule requires or excludes."),
            "no_target": self.env._(
                "A rule of %(product)s names nothing to require or exclude; add values or products under 'Then'.",
                product=template.display_name,
            ),
            "self_exclusion": self.env._(
                "A rule of %(product)s excludes a value or product that is also its condition, so no quotation "
                "could ever satisfy it; remove it from 'When' or from 'Then'.",
                product=template.display_name,
            ),
            "contradiction": self.env._(
                "Two rules of %(product)s require and exclude the same value or product under the same condition; "
                "remove one of them.",
                product=template.display_name,
            ),
        }
        return messages.get(error.code, str(error))

    def _revcycle_engine_rule(self):
        self.ensure_one()
        return rule_engine.ConfigRule(
            key=self.id,
            template_id=self.product_tmpl_id.id,
            rule_type=self.rule_type,
            message=self.message or "",
            condition_value_ids=frozenset(self.condition_value_ids.ids),
            condition_product_ids=frozenset(self.condition_product_ids.ids),
            target_value_ids=frozenset(self.target_value_ids.ids),
            target_product_ids=frozenset(self.target_product_ids.ids),
        )

    @api.model
    def _revcycle_check_rules(self, quote_lines, rules, rule_types):
        """Overridable entry point to the rule engine."""
        return rule_engine.check_rules(quote_lines, rules, rule_types)
