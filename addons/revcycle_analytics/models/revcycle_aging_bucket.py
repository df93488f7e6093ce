import itertools

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import kpis


class RevcycleAgingBucket(models.Model):
    _name = "revcycle.aging.bucket"
    _inherit = ["revcycle.shared.rows.mixin"]
    _description = "AR Aging Bucket"
    _order = "company_id, sequence, days_from"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", string="Company", index=True, help="Empty: the buckets of every company without its own."
    )
    days_from = fields.Integer(string="From Days Past Due", help="Empty on the first bucket: everything not yet due.")
    days_to = fields.Integer(string="To Days Past Due", help="Empty on the last bucket: and beyond.")
    open_ended_start = fields.Boolean(string="No Lower Bound")
    open_ended_end = fields.Boolean(string="No Upper Bound")

    _sql_constraints = [
        (
            "revcycle_aging_bucket_range",
            # NULL flags and NULL bounds must not pass: a NULL in an OR makes the whole CHECK NULL, which PostgreSQL
            # accepts, so each term is made a plain boolean
            "CHECK (COALESCE(open_ended_start, FALSE) OR COALESCE(open_ended_end, FALSE)"
            " OR COALESCE(days_to >= days_from, FALSE))",
            "An aging bucket's 'To' must be on or after its 'From'.",
        ),
    ]

    @api.constrains("days_from", "days_to", "open_ended_start", "open_ended_end", "company_id")
    def _check_buckets_cover_every_day(self):
        for company_id in {bucket.company_id.id for bucket in self}:
            buckets = self.search([("company_id", "=", company_id)])
            table = buckets._revcycle_engine_buckets()
            ordered = sorted(table, key=lambda b: (b[1] is not None, b[1] or 0))
            for previous, current in itertools.pairwise(ordered):
                if previous[2] is None or current[1] is None or current[1] != previous[2] + 1:
                    raise ValidationError(
                        self.env._(
                            "Aging buckets %(a)s and %(b)s leave a gap or overlap: each bucket must start the day "
                            "after the previous one ends.",
                            a=previous[0],
                            b=current[0],
                        )
                    )

    def _revcycle_engine_buckets(self):
        return [
            (b.name, None if b.open_ended_start else b.days_from, None if b.open_ended_end else b.days_to)
            for b in self.sorted(lambda b: (b.sequence, b.days_from))
        ]

    @api.model
    def revcycle_bucket_for(self, days_past_due, company_id=None):
        Access = self.env["revcycle.access"]
        days_past_due = Access._revcycle_integer(days_past_due, "days_past_due", -100000, 100000)
        company_id = (
            Access._revcycle_check_companies(Access._revcycle_id_list(company_id, "company_id")[:1]).id
            if company_id
            else self.env.company.id
        )
        buckets = self.search([("company_id", "=", company_id)]) or self.search([("company_id", "=", False)])
        try:
            return kpis.aging_bucket(days_past_due, buckets._revcycle_engine_buckets())
        except kpis.KpiError as error:
            raise ValidationError(str(error)) from error
