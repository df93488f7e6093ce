"""The revenue invariant (docs/domain.md §3, §6) on generated lives of subscription contracts (``hypothesis``).

Each example is a monthly prepaid contract of 2026 followed, month by month, by what a customer does: nothing, an
amendment of the seats on some day of the month (invoiced now, carried to the next invoice, or not prorated), a
pause of whole months (extending the term or not), a termination at the end of a later month. The invoicing and
terms jobs run on each month's first day, the recognition run after each month end. After every month end, in the
general ledger of the test company:
    recognised + deferred revenue - contract asset = consideration billed to date (invoices less credit notes);
at the close (the term, the pause's extension or the termination over, everything invoiced) recognised = billed,
no deferred revenue, no contract asset, and every revenue contract of the subscription closed.

Every example runs in a savepoint rolled back afterwards; derandomised (fixed seed), so a failure repeats on every
run and hypothesis prints the failing life.
"""

import logging
import time
from contextlib import closing
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from odoo.tests import tagged

from .common import SubscriptionRevenueCase

_logger = logging.getLogger(__name__)

# 3-8 s an example (quiet / shared machine): the test-time budget
MAX_EXAMPLES = 5

# amendments first: hypothesis starts from the first branch, so the few examples the budget allows all change
# something ("nothing" is last)
MONTH = st.one_of(
    st.tuples(
        st.just("amend"),
        st.integers(1, 25),  # new number of seats
        st.integers(1, 28),  # effective day of the month
        st.sampled_from(("always_invoice", "create_prorations", "none")),
    ),
    st.tuples(st.just("pause"), st.integers(1, 2)),  # months paused, from next month
    st.just(("nothing",)),
)
CONTRACT = st.fixed_dictionaries(
    {
        "seats": st.integers(1, 12),
        "price": st.sampled_from((10.0, 9.99, 33.33)),
        "extends": st.booleans(),
        # terminated in that month (None: never), at the end of it or of a later one
        "terminate": st.one_of(st.none(), st.tuples(st.integers(2, 12), st.integers(0, 2))),
    }
)


@tagged("post_install", "-at_install", "revcycle")
class TestContractInvariantProperty(SubscriptionRevenueCase):
    scenarios = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seats = cls._recurring("Seats", "ratable_monthly", 10.0, 0.0, "month")

    @classmethod
    def tearDownClass(cls):
        _logger.info("revcycle_cpq_revrec invariant: %s generated contract lives ran", cls.scenarios)
        super().tearDownClass()

    # -- the life of a contract ----------------------------------------------------------------------------------

    def _start(self, spec):
        self.applied = []  # the events that happened (those drawn but impossible then are skipped)
        self.contract = self._subscription(((self.seats, spec["seats"], spec["price"]),), "month",
                                           pause_extends_term=spec["extends"])

    def _first_day(self, day):
        """The jobs of a month's first day: terms (pauses start and end, terminations finish), then invoicing."""
        with freeze_time(day):
            self.Contract.sudo()._cron_manage_terms()
            if self.contract.state in ("active", "pending_termination"):  # what the invoicing job bills
                self.contract._revcycle_invoice_periods(day)

    def _amend(self, first, seats, day, behaviour):
        effective = first.replace(day=day)
        contract = self.contract
        if contract.state != "active" or effective > contract.date_end or seats == contract.line_ids.quantity:
            return
        with freeze_time(effective):
            preview = contract.action_amend(
                {"kind": "quantity", "line_id": contract.line_ids.id, "quantity": seats,
                 "effective_date": effective, "proration_behavior": behaviour}
            )
            self.env["revcycle.contract.amendment"].browse(preview["amendment_id"]).action_apply()
        self.applied.append(f"amend {effective} {seats} {behaviour}")

    def _pause(self, first, months):
        contract = self.contract
        start = first + relativedelta(months=1)
        end = start + relativedelta(months=months) - timedelta(days=1)
        if contract.state != "active" or contract.pause_from or end > contract.date_end:
            return
        with freeze_time(first):
            contract.action_pause(start, end)
        self.applied.append(f"pause {start} {end}")

    def _terminate(self, first, later):
        contract = self.contract
        end = first + relativedelta(months=later + 1) - timedelta(days=1)
        if contract.state not in ("active", "suspended") or end > contract.date_end:
            return
        with freeze_time(first):
            contract.action_terminate(end, reason="Generated", override_notice=True)
        self.applied.append(f"terminate {end}")

    def _month_end(self, first):
        last = first + relativedelta(day=31)
        with freeze_time(last + timedelta(days=1)):
            self.env["revcycle.revenue.contract"].recognize_until(last)
        return self._check(last)

    def _revenues(self):
        return self.env["revcycle.revenue.contract"].search([("origin", "=", self.contract.name)])

    # -- the invariant -------------------------------------------------------------------------------------------

    def _check(self, on):
        balances = self._balances(on)
        moves = self.env["account.move"].search(
            [("move_type", "in", ("out_invoice", "out_refund")), ("state", "=", "posted"), ("date", "<=", on),
             ("company_id", "=", self.company.id)]
        )
        figures = {
            "recognised": -balances.get(self.income, 0.0),
            "deferred": -balances.get(self.deferred, 0.0),
            "asset": balances.get(self.asset, 0.0),
            "billed": self.company.currency_id.round(sum(moves.mapped("amount_untaxed_signed"))),
        }
        msg = f"on {on}: {figures}"
        self.assertAlmostEqual(
            figures["recognised"] + figures["deferred"] - figures["asset"], figures["billed"], places=2, msg=msg
        )
        # and for each revenue contract, its revenue read from its revenue lines (an income item may sum contracts)
        self.assertContractsTieOut(on, msg)
        for revenue in self._revenues():
            currency = revenue.currency_id
            self.assertFalse(
                currency.compare_amounts(sum(revenue.obligation_ids.mapped("allocated_amount")),
                                         revenue.transaction_price),
                f"allocation sums to the price {msg}",
            )
            for obligation in revenue.obligation_ids:
                self.assertFalse(
                    currency.compare_amounts(sum(obligation.line_ids.mapped("amount")), obligation.allocated_amount),
                    f"{obligation.name}: its lines sum to its allocation {msg}",
                )
        return figures

    def _close(self, first):
        """Run the months to the end of the (moved) term, then the terms job and the last recognition."""
        while first <= self.contract.date_end:
            self._first_day(first)
            self._month_end(first)
            first += relativedelta(months=1)
        self._first_day(first)
        figures = self._close_figures(first)
        self.assertAlmostEqual(figures["recognised"], figures["billed"], places=2, msg="recognised = billed")
        self.assertAlmostEqual(figures["deferred"], 0.0, places=2, msg="no deferred revenue left")
        self.assertAlmostEqual(figures["asset"], 0.0, places=2, msg="no contract asset left")
        for revenue in self._revenues():
            self.assertEqual(revenue.state, "closed", revenue.close_note)

    def _close_figures(self, first):
        """The last recognition (the month before ``first``) and the ledger's figures the close is read from."""
        return self._month_end(first - relativedelta(months=1))

    # -- the property --------------------------------------------------------------------------------------------

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None, print_blob=True,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(spec=CONTRACT, months=st.lists(MONTH, min_size=3, max_size=12))
    def test_every_month_end_ties_out(self, spec, months):
        started = time.monotonic()
        with closing(self.env.cr.savepoint()):
            try:
                self._start(spec)
                first = date(2026, 1, 1)
                for number, action in enumerate(months, start=1):
                    kind, *args = action
                    if kind == "pause":
                        self._pause(first, *args)  # before the month's invoice: the next month is not billed
                    self._first_day(first)
                    if kind == "amend":
                        self._amend(first, *args)
                    if spec["terminate"] and spec["terminate"][0] == number:
                        self._terminate(first, spec["terminate"][1])
                    self._month_end(first)
                    first += relativedelta(months=1)
                self._close(first)
                type(self).scenarios += 1
                _logger.info("contract life %s: %s, %s months, events: %s; in %.1fs", type(self).scenarios, spec,
                             len(months), ", ".join(self.applied) or "none", time.monotonic() - started)
            finally:
                self.env.invalidate_all()
