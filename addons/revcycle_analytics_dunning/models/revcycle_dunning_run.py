"""The dunning run's levels with a minimum late probability (``revcycle.dunning.level``
``revcycle_min_late_probability``): an item whose late-payment score is below a level's minimum is planned on the
ladder without that level. revcycle_dunning's candidate SQL is left as it is (a superset); the choice is made here,
around the engine's plan."""

from odoo import models
from odoo.tools import float_compare

SCORE_DIGITS = 4  # a late probability is compared with a level's minimum to 4 decimals


class RevcycleDunningRun(models.Model):
    _inherit = "revcycle.dunning.run"

    def _revcycle_plan(self, locked):
        """The engine's plan, the items grouped by the levels they skip (those whose minimum late probability they
        do not reach), each group planned on its ladder without them; one plan per customer again. ``locked`` and
        the plan are read by name (revcycle_dunning's LockedItem and PlannedItem), never by position."""
        self.ensure_one()
        policy_ids = {row.policy_id for rows in locked.values() for row in rows}
        thresholds = self.env["revcycle.dunning.level"].search([
            ("policy_id", "in", list(policy_ids)), ("revcycle_min_late_probability", ">", 0)])
        if not thresholds:
            return super()._revcycle_plan(locked)
        item_ids = [row.item_id for rows in locked.values() for row in rows]
        scores = self._revcycle_late_scores(item_ids)
        histories = self._revcycle_item_histories(item_ids)
        groups = {}
        for partner_id, rows in locked.items():
            for row in rows:
                last_sent = histories[row.item_id][0].last_key if row.item_id in histories else None
                skipped = frozenset(
                    level.id for level in thresholds
                    if level.policy_id.id == row.policy_id and level.id != last_sent  # a level sent stays its history
                    and float_compare(scores.get(row.item_id, 0.0), level.revcycle_min_late_probability,
                                      precision_digits=SCORE_DIGITS) < 0)
                groups.setdefault(skipped, {}).setdefault(partner_id, []).append(row)
        order = {item_id: index for index, item_id in enumerate(item_ids)}
        plan = {}
        for skipped, part in groups.items():
            planned = super(RevcycleDunningRun, self.with_context(revcycle_skip_level_ids=skipped))._revcycle_plan(
                part)
            for partner_id, customer in planned.items():
                # the credit applied is the customer's whole (every open item), the same in each group
                merged = plan.setdefault(partner_id, {"items": [], "credit": customer["credit"]})
                merged["items"].extend(customer["items"])
        for customer in plan.values():
            customer["items"].sort(key=lambda chosen: order[chosen.item_id])
        return plan

    def _revcycle_late_scores(self, item_ids):
        """{item id: late-payment probability} as of the run's date, by the cash forecast's late score (an item no
        longer owed after the customer's credits is absent)."""
        company = self.company_id
        kpi = self.env["revcycle.kpi"].sudo().with_company(company)  # sudo: the run's input; it is allowed to dun
        run = kpi._revcycle_forecast_run(self.date, 1, company, with_sources=False)
        wanted = set(item_ids)
        return {row["line_id"]: kpi._revcycle_late_score(row, run)[0] for row in run["open"]
                if row["line_id"] in wanted}
