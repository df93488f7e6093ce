"""Usage revenue on generated lives of metered contracts (``hypothesis``): docs/domain.md §6, "Usage billing".

Each example is a monthly prepaid contract of 2026 with seats and a metered line (0.10 a call, 100 calls included,
at least 50.00 a month). Month by month the customer uses some calls; some arrive late (after their month was
billed: an adjustment on the next invoice), some are corrected (a credit note when the period's charge falls); a
pause or a termination may come. The jobs run as in ``test_contract_invariant_property``, whose checks hold after
every month end (ledger: recognised + deferred - asset = billed; allocations sum to the price, lines to their
allocation). At the close, beyond recognised = billed with no balance left, the usage rule itself:

    the variable consideration of each month's usage period = what was billed for that month's usage, net of
    adjustments and corrections, less the month's commitment (50.00), and it is recognised in that month (estimated
    at its close from the usage reported by then) or, for what changed after the month was closed, later — never in
    a month already closed. The commitment itself is fixed consideration: a pause or termination reallocates it with
    the seats by relative SSP, so the calls' fixed revenue of a month may differ from 50.00.

Derandomised (fixed seed): a failure repeats on every run and hypothesis prints the failing life.
"""

import logging
import time
from collections import defaultdict
from contextlib import closing
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from odoo.tests import tagged

# the module, not its class: a test class imported by name would be collected (and deselected) here a second time
from . import test_contract_invariant_property as contract_property

_logger = logging.getLogger(__name__)

MAX_EXAMPLES = 4  # 4-10 s an example: the test-time budget

USAGE_MONTH = st.fixed_dictionaries(
    {
        "calls": st.sampled_from((0, 300, 601, 2000)),  # below the commitment, exactly at it (+1), above
        "late": st.sampled_from((0, 0, 250)),  # last month's calls reported after it was billed
        "correct": st.sampled_from((None, None, 0.5, 1.0)),  # share of an earlier report taken back
        "pause": st.sampled_from((0, 0, 0, 1)),  # months paused, from next month
    }
)


@tagged("post_install", "-at_install", "revcycle")
class TestUsageInvariantProperty(contract_property.TestContractInvariantProperty):
    # this class draws usage lives; the seats-only lives are the parent's own test
    test_every_month_end_ties_out = None
    scenarios = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calls = cls._recurring("API calls", "ratable_monthly", 0.10, 0.0, "month")
        cls.calls.write({"revcycle_metered": True, "revcycle_charge_model": "per_unit",
                         "revcycle_usage_included": 100, "revcycle_usage_minimum": 50.0})

    def _start(self, spec):
        self.applied, self.reports = [], []
        self.contract = self._subscription(
            ((self.seats, spec["seats"], spec["price"]), (self.calls, 1, 0.10)), "month",
            pause_extends_term=spec["extends"])
        self.metered_line = self.contract.line_ids.filtered("revcycle_metered")

    def _report(self, when, quantity, corrects=None):
        """Report calls on ``when`` (the customer's meter); refused ones (outside the term, in a pause) are
        left out, as a caller would."""
        self.key = getattr(self, "key", 0) + 1
        record = {"contract_line_id": self.metered_line.id, "quantity": quantity, "key": f"k{self.key}"}
        if corrects:
            record["corrects"] = corrects
        else:
            record["date"] = datetime.combine(when, datetime.min.time()) + timedelta(hours=12)
        with freeze_time(when):
            result = self.env["revcycle.usage.record"].revcycle_report_usage([record])
        if result["created"]:
            self.reports.append((record["key"], quantity))
            self.applied.append(f"{quantity:+} calls {'correcting ' + corrects if corrects else when}")

    def _use(self, first, month):
        if month["calls"]:
            self._report(first + timedelta(days=9), month["calls"])
        if month["late"] and first.month > 1:
            self._report(first - relativedelta(months=1) + timedelta(days=14), month["late"])
        if month["correct"] and self.reports:
            key, quantity = next(((k, q) for k, q in reversed(self.reports) if q > 0), (None, 0))
            if key and quantity:
                self._report(first + timedelta(days=20), -int(quantity * month["correct"]), corrects=key)

    def _close_figures(self, first):
        """The close is read on the day after the term: the last month's usage is billed then (in arrears), so on
        the term's last day it is a contract asset, rightly."""
        self._month_end(first - relativedelta(months=1))
        return self._check(first)

    def _check_usage_months(self):
        """Each usage period's variable consideration = the net amount billed for it less its commitment, dated in
        the period or after it, posted in a month that was open when it was posted."""
        currency = self.company.currency_id
        billed = defaultdict(float)
        for item in self.env["account.move.line"].search([
                ("revcycle_contract_line_id", "=", self.metered_line.id), ("parent_state", "=", "posted"),
                ("revcycle_usage_billing", "=", True)]):
            sign = -1 if item.move_id.move_type == "out_refund" else 1
            billed[item.revcycle_service_start.strftime("%Y-%m")] += sign * item.price_subtotal
        allocated = defaultdict(float)
        obligations = self._revenues().obligation_ids.filtered(lambda ob: ob.product_id == self.calls)
        for line in obligations.line_ids.filtered(lambda rl: rl.kind == "variable"):
            self.assertEqual(line.state, "posted", "every month of the term was closed")
            self.assertGreaterEqual(line.date, line.variable_period_end)
            self.assertEqual(line.move_id.date.replace(day=1), line.period_date,
                             "posted in its own month: no closed month reopened")
            allocated[line.variable_period_end.strftime("%Y-%m")] += line.amount
        for month in sorted(set(billed) | set(allocated)):
            variable = currency.round(billed[month] - 50.0) if month in billed else 0.0
            self.assertFalse(
                currency.compare_amounts(variable, allocated[month]),
                f"calls of {month}: billed {billed[month]:.2f}, variable allocated {allocated[month]:.2f}; "
                f"events: {self.applied}",
            )

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=True,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(spec=contract_property.CONTRACT, months=st.lists(USAGE_MONTH, min_size=3, max_size=12))
    def test_usage_is_revenue_of_the_month_used(self, spec, months):
        started = time.monotonic()
        with closing(self.env.cr.savepoint()):
            try:
                self._start(spec)
                first = date(2026, 1, 1)
                for number, month in enumerate(months, start=1):
                    if month["pause"]:
                        self._pause(first, month["pause"])
                    self._first_day(first)  # bills last month's usage, with what arrived late
                    self._use(first, month)
                    if spec["terminate"] and spec["terminate"][0] == number:
                        self._terminate(first, spec["terminate"][1])
                    self._month_end(first)
                    first += relativedelta(months=1)
                self._close(first)
                self._check_usage_months()
                type(self).scenarios += 1
                _logger.info("usage life %s: %s, %s months, events: %s; in %.1fs", type(self).scenarios, spec,
                             len(months), ", ".join(self.applied) or "none", time.monotonic() - started)
            finally:
                self.env.invalidate_all()
