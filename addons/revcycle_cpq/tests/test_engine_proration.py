"""Amendment proration on tables of cases: no database. Figures computed by hand in the comments."""

from datetime import date

from hypothesis import given, seed, settings
from hypothesis import strategies as st
from odoo.addons.revcycle_base.engine.periods import Period
from odoo.tests import BaseCase, tagged

from ..engine import ProrationError, prorate, value_lowered_percent

APRIL = Period(date(2026, 4, 1), date(2026, 4, 30), date(2026, 4, 1), date(2026, 4, 30))  # 30 days
FEBRUARY = Period(date(2026, 2, 1), date(2026, 2, 28), date(2026, 2, 1), date(2026, 2, 28))  # 28 days
# a calendar-aligned first period cut to 16-31 March (16 days of a 31-day month)
CUT_MARCH = Period(date(2026, 3, 16), date(2026, 3, 31), date(2026, 3, 1), date(2026, 3, 31))


@tagged("post_install", "-at_install", "revcycle")
class TestProrationEngine(BaseCase):
    def test_table(self):
        cases = [
            # (delta, period, effective, invoiced, behaviour) -> (amount, days, plan)
            # upgrade +200 on 16 April, April invoiced: 15 days left (16-30): 200 x 15 / 30 = 100, invoiced now
            (200.0, APRIL, date(2026, 4, 16), True, "always_invoice", (100.0, 15, "invoice_now")),
            # the same carried to the next invoice
            (200.0, APRIL, date(2026, 4, 16), True, "create_prorations", (100.0, 15, "next_invoice")),
            # no proration: nothing, the new price from May
            (200.0, APRIL, date(2026, 4, 16), True, "none", (0.0, 15, "none")),
            # downgrade -90 on 21 April, invoiced: 10 days left: -90 x 10 / 30 = -30, a credit note whatever the choice
            (-90.0, APRIL, date(2026, 4, 21), True, "always_invoice", (-30.0, 10, "credit_now")),
            (-90.0, APRIL, date(2026, 4, 21), True, "create_prorations", (-30.0, 10, "credit_now")),
            # postpaid (April not invoiced): +300 from 11 April, the April invoice at the new price corrected for the
            # 10 days before: -300 x 10 / 30 = -100 on that invoice
            (300.0, APRIL, date(2026, 4, 11), False, "always_invoice", (-100.0, 10, "next_invoice")),
            # postpaid decrease -60 from 11 April: +60 x 10 / 30 = +20 on the April invoice
            (-60.0, APRIL, date(2026, 4, 11), False, "create_prorations", (20.0, 10, "next_invoice")),
            # from the first day of a not-invoiced period: nothing to correct
            (300.0, APRIL, date(2026, 4, 1), False, "always_invoice", (0.0, 0, "none")),
            # on the first day of an invoiced period: the whole period, 100 x 28 / 28
            (100.0, FEBRUARY, date(2026, 2, 1), True, "always_invoice", (100.0, 28, "invoice_now")),
            # last day: one day of 28, 100 / 28 = 3.571.. -> 3.57
            (100.0, FEBRUARY, date(2026, 2, 28), True, "always_invoice", (3.57, 1, "invoice_now")),
            # cut first period 16-31 March, change on 24 March: 8 days of the full 31: 31 x 8 / 31 = 8
            (31.0, CUT_MARCH, date(2026, 3, 24), True, "always_invoice", (8.0, 8, "invoice_now")),
        ]
        for delta, period, effective, invoiced, behaviour, expected in cases:
            with self.subTest(delta=delta, effective=effective, invoiced=invoiced, behaviour=behaviour):
                result = prorate(delta, period, effective, invoiced, behaviour)
                self.assertEqual((result.amount, result.days, result.plan), expected)

    def test_bad_input(self):
        with self.assertRaises(ProrationError):
            prorate(10.0, APRIL, date(2026, 5, 1), True, "always_invoice")
        with self.assertRaises(ProrationError):
            prorate(10.0, APRIL, date(2026, 4, 5), True, "sometimes")

    def test_value_lowered(self):
        self.assertEqual(value_lowered_percent(400.0, 300.0), 25.0)
        self.assertEqual(value_lowered_percent(400.0, 500.0), 0.0)
        self.assertEqual(value_lowered_percent(0.0, 0.0), 0.0)

    @seed(17)
    @settings(max_examples=200, deadline=None)
    @given(
        old=st.integers(min_value=0, max_value=100000),
        new=st.integers(min_value=0, max_value=100000),
        day=st.integers(min_value=1, max_value=30),
    )
    def test_period_total_is_old_before_and_new_after(self, old, new, day):
        """Invariant: whether the period was invoiced before the change (old price + proration) or after (new price
        + correction), the customer pays old x days before + new x days from the effective day, within a cent."""
        effective = date(2026, 4, day)
        before_days, after_days = day - 1, 30 - day + 1
        owed = old * before_days / 30 + new * after_days / 30
        invoiced_first = old + prorate(new - old, APRIL, effective, True, "always_invoice").amount
        invoiced_after = new + prorate(new - old, APRIL, effective, False, "always_invoice").amount
        self.assertAlmostEqual(invoiced_first, owed, delta=0.006)
        self.assertAlmostEqual(invoiced_after, owed, delta=0.006)
