"""A dunning level for the risky payers only (docs/domain.md, Cash forecast: proactive collections): with a minimum
late probability, the level is sent only for the items whose late-payment score (the cash forecast's
``_revcycle_late_score``) reaches it, e.g. a call before the due date for the customers likely to pay late and
nothing for reliable payers. The other items go on with the rest of the ladder as if the level were not there."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RevcycleDunningLevel(models.Model):
    _inherit = "revcycle.dunning.level"

    revcycle_min_late_probability = fields.Float(
        string="Minimum Late Probability", digits=(16, 2), default=0.0,
        help="Only the invoices whose late-payment probability (from the cash forecast's late score, 0 to 1) is at "
        "least this get this level, e.g. 0.5 for a call before the due date to the customers likely to pay late. "
        "0 sends it for every invoice. An invoice below it skips the level and goes on with the next ones.")

    _sql_constraints = [
        ("revcycle_min_late_probability_range",
         "CHECK (revcycle_min_late_probability IS NULL OR "
         "(revcycle_min_late_probability >= 0 AND revcycle_min_late_probability <= 1))",
         "The minimum late probability of a dunning level (revcycle_min_late_probability) is from 0 to 1 (e.g. "
         "0.5); use 0 to send the level for every invoice."),
    ]

    @api.constrains("revcycle_min_late_probability")
    def _check_revcycle_min_late_probability(self):
        for level in self:
            value = level.revcycle_min_late_probability
            if not 0.0 <= value <= 1.0:  # a NaN fails both comparisons: refused as well
                raise ValidationError(self.env._(
                    "Dunning level %(level)s: the minimum late probability (revcycle_min_late_probability) is a "
                    "probability from 0 to 1 (e.g. 0.5), not %(value)s; use 0 to send the level for every invoice.",
                    level=level.name, value=value))
