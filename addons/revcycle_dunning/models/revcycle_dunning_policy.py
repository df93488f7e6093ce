from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import levels as level_engine


class RevcycleDunningPolicy(models.Model):
    _name = "revcycle.dunning.policy"
    _description = "Dunning Policy"
    _order = "company_id, name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", string="Company", default=lambda self: self.env.company, index=True)
    level_ids = fields.One2many("revcycle.dunning.level", "policy_id", string="Levels", copy=True)
    initial_level_id = fields.Many2one(
        "revcycle.dunning.level", string="First Level When Overdue", domain="[('policy_id', '=', id)]",
        help="The level an item first seen past due starts at (it then climbs one level at a time). Empty: the "
        "first level after the due date.")
    level_count = fields.Integer(compute="_compute_level_count", string="Level Count")

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    @api.constrains("level_ids")
    def _check_levels_escalate(self):
        for policy in self:
            try:
                level_engine.validate_levels(policy._revcycle_engine_levels())
            except level_engine.DunningLevelError as error:
                raise ValidationError(self.env._(
                    "Dunning policy %(policy)s: %(reason)s", policy=policy.name, reason=str(error))) from error

    def _revcycle_engine_levels(self):
        self.ensure_one()
        return [level_engine.DunningLevel(level.id, level.sequence, level.days, level.min_overdue_amount)
                for level in self.level_ids]
