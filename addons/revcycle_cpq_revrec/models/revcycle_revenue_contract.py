from functools import partial

from odoo import api, fields, models

# cr.cache key: the (day, companies) whose usage estimate this cursor committed (the cron's batches share a cursor)
ACCRUED_CACHE_KEY = "revcycle_usage_accrued"


class RevcycleRevenueContract(models.Model):
    _inherit = "revcycle.revenue.contract"

    revcycle_contract_ids = fields.Many2many(
        "revcycle.contract",
        compute="_compute_revcycle_contract_ids",
        string="Subscription Contracts",
        help="The subscription contracts whose lines are obligations of this revenue contract.",
    )

    @api.depends("obligation_ids.revcycle_contract_line_id")
    def _compute_revcycle_contract_ids(self):
        for revenue in self:
            revenue.revcycle_contract_ids = revenue.obligation_ids.revcycle_contract_line_id.contract_id

    def _revcycle_prepare_obligation_vals(self, item, ssp, amount, date):
        vals = super()._revcycle_prepare_obligation_vals(item, ssp, amount, date)
        if item.get("revcycle_contract_line"):
            vals["revcycle_contract_line_id"] = item["revcycle_contract_line"].id
            vals["revcycle_subscription_id"] = item["revcycle_contract_line"].contract_id.id
        return vals

    @api.model
    def recognize_until(self, date, company_ids=None, limit=None):
        """The month-end also estimates the usage of the periods it closes (``_revcycle_accrue_usage``): the calls of
        January are January's revenue, though their invoice comes on 1 February."""
        self.env["revcycle.access"]._revcycle_require_revrec_manager()
        day = self._revcycle_check_date(date)
        companies = self._revcycle_for_companies(company_ids).env.companies
        self._revcycle_accrue_usage_once(day, companies)
        return super().recognize_until(date, company_ids, limit)

    @api.model
    def _revcycle_accrue_usage_once(self, day, companies):
        """The usage estimate of the month-end up to ``day`` for ``companies``, once per run. The cron posts in
        batches (``limit``): each batch is a call of ``recognize_until`` on the cron job's cursor, committed one
        after the other. Once a batch's estimate is committed, the next batches on that cursor skip it; a new run (the
        next cron job, another ``recognize_until`` call, each on its own cursor) estimates again, and finds only what
        changed (``_revcycle_accrue_usage``). Usage reported while one run's batches go on is left to the next run or
        its invoice's true-up, as if it had come right after the run; an estimate taken back (the transaction
        rolled back) is not remembered."""
        key = (day, frozenset(companies.ids))
        accrued = self.env.cr.cache.setdefault(ACCRUED_CACHE_KEY, set())
        if key in accrued:
            return
        self.env["revcycle.contract"]._revcycle_accrue_usage(day, companies)
        self.env.cr.postcommit.add(partial(accrued.add, key))

    @api.model
    def _revcycle_item_ssp(self, item, currency, date, company, ssp_rows=None):
        """Without an SSP a line is weighed by its price: a metered line by its fixed price, not with the usage
        billed above its commitment, which is allocated to its own period (ASC 606-10-32-40)."""
        ssp = super()._revcycle_item_ssp(item, currency, date, company, ssp_rows)
        variable = item.get("revcycle_variable_price")
        if ssp is None and variable and not currency.is_zero(variable):
            return currency.round(item["selling_price"] - variable)
        return ssp

    @api.model
    def _revcycle_item_key(self, item):
        """A subscription line is found again by its contract line (it may have no order line at all)."""
        if item.get("revcycle_contract_line"):
            return ("contract_line", item["revcycle_contract_line"].id)
        if item.get("revcycle_ended_obligation"):
            return ("ended", item["revcycle_ended_obligation"].id)
        return super()._revcycle_item_key(item)

    @api.model
    def _revcycle_obligation_key(self, obligation):
        if obligation.revcycle_contract_line_id:
            return ("contract_line", obligation.revcycle_contract_line_id.id)
        if obligation.revcycle_subscription_id:
            return ("ended", obligation.id)  # its line was removed by an amendment
        return super()._revcycle_obligation_key(obligation)

    def _revcycle_has_posted(self):
        self.ensure_one()
        return bool(self.line_ids.filtered(lambda line: line.state == "posted"))
