"""The month-end's usage estimate (``_revcycle_accrue_usage``) at scale: read set-based, in a number of queries
that does not grow with the contracts or the periods it estimates; nothing locked or written when nothing changed;
once per run when the cron posts in batches."""

from contextlib import nullcontext
from datetime import date
from unittest.mock import patch

from odoo.tests import tagged

from ..models.revcycle_revenue_contract import ACCRUED_CACHE_KEY
from .test_usage_revenue import UsageRevenueCase


@tagged("post_install", "-at_install", "revcycle")
class TestUsageAccrual(UsageRevenueCase):
    """The setUp's contract (platform 100, calls at 0.10 with a 50.00 monthly commitment) and others like it, none
    invoiced yet, so every closed month is estimated."""

    def _another(self, tag, months):
        contract = self._subscription(((self.platform, 1, 100.0), (self.calls, 1, 0.10)), "month")
        line = contract.line_ids.filtered("revcycle_metered")
        result = self.env["revcycle.usage.record"].revcycle_report_usage(
            [
                {"contract_line_id": line.id, "key": f"{tag}-{month}", "quantity": 800, "date": f"2026-{month:02d}-10"}
                for month in months
            ]
        )
        self.assertFalse(result["refused"], result)
        return contract

    def _queries(self, day, **patches):
        """Queries of one estimate up to ``day`` for the test company, the ORM cache emptied first."""
        Contract = self.env["revcycle.contract"]
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        Obligation = type(self.env["revcycle.performance.obligation"])
        with patch.multiple(Obligation, **patches) if patches else nullcontext():
            Contract._revcycle_accrue_usage(day, self.company)
            self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def _variables(self, contract):
        obligation = contract.revcycle_revenue_contract_ids.obligation_ids.filtered(
            lambda ob: ob.product_id == self.calls
        )
        lines = obligation.line_ids.filtered(lambda rl: rl.kind == "variable").sorted("variable_period_end")
        return [(line.variable_period_end, line.amount) for line in lines]

    def test_queries_do_not_grow_with_contracts_or_periods(self):
        def no_writes(obligation, *_args):
            return obligation.env["revcycle.revenue.line"]

        # the reads only: no lock, no allocation (what those write grows with what changed, rightly)
        read_only = {"_revcycle_sync_variable": no_writes, "_revcycle_lock": lambda obligations: None}
        self._report(("j1", "2026-01-10", 800))
        # 1 contract, 1 month to estimate (January)
        self._queries(date(2026, 1, 31), **read_only)  # warm-up: the language and texts are read once per process
        small = self._queries(date(2026, 1, 31), **read_only)
        # 4 contracts, 3 months each (January to March: 800 calls a month on the 3 new ones)
        others = [self._another(f"c{index}", (1, 2, 3)) for index in range(3)]
        large = self._queries(date(2026, 3, 31), **read_only)
        self.assertEqual(large, small, "the estimate's reads do not grow with contracts and periods")
        # the estimate itself: each month of 800 calls holds 80.00 - 50.00 = 30.00; the first contract's February
        # and March had no calls, billed at the commitment: nothing variable
        self._queries(date(2026, 3, 31))
        expected = [(date(2026, 1, 31), 30.0), (date(2026, 2, 28), 30.0), (date(2026, 3, 31), 30.0)]
        for contract in others:
            self.assertEqual(self._variables(contract), expected)
        self.assertEqual(self._variables(self.contract), [(date(2026, 1, 31), 30.0)])
        # run again with nothing new: the same reads, nothing locked or written
        lines = self.env["revcycle.revenue.line"].search_count([])
        locked = []
        again = self._queries(date(2026, 3, 31), _revcycle_lock=lambda obligations: locked.append(obligations))
        self.assertEqual(again, small)
        self.assertEqual(sum(len(obligations) for obligations in locked), 0)
        self.assertEqual(self.env["revcycle.revenue.line"].search_count([]), lines)

    def test_the_cron_batches_estimate_once_per_run(self):
        """The cron posts in batches on one cursor, committing after each: the estimate committed by the first
        batch holds for the next ones (a commit is simulated by running the cursor's post-commit callbacks, a
        rollback by clearing them)."""
        self.addCleanup(self.env.cr.cache.pop, ACCRUED_CACHE_KEY, None)
        self._report(("j1", "2026-01-10", 800))
        Contract = type(self.env["revcycle.contract"])
        calls = []
        accrue = Contract._revcycle_accrue_usage

        def counting(contracts, day, companies):
            calls.append(day)
            return accrue(contracts, day, companies)

        cr = self.env.cr
        with patch.object(Contract, "_revcycle_accrue_usage", counting):
            cr.postcommit.clear()  # callbacks of the test's set-up: never meant to run
            self._recognise("2026-01-31")
            self._recognise("2026-01-31")  # the same transaction, not committed yet: estimated again
            cr.postcommit.run()  # committed
            self._recognise("2026-01-31")  # the cron's next batch: skipped
            self._recognise("2026-02-28")  # another day: estimated
            cr.postcommit.clear()  # rolled back
            self._recognise("2026-02-28")  # not remembered: estimated again
        self.assertEqual(calls, [date(2026, 1, 31)] * 2 + [date(2026, 2, 28)] * 2)
        # January estimated once: 800 x 0.10 - 50.00 = 30.00
        self.assertEqual(self._variables(self.contract), [(date(2026, 1, 31), 30.0)])
