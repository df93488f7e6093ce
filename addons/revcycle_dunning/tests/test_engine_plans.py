"""Payment plans and promises on tables of cases: no database (issue 18)."""
from datetime import date

from odoo.tests import BaseCase, tagged

from ..engine import Instalment, PaymentPlanError, check_instalments, plan_status, split_evenly

D1, D2, D3 = date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)


@tagged("post_install", "-at_install", "revcycle")
class TestEnginePlans(BaseCase):
    def test_split_evenly_adds_up_exactly(self):
        cases = [
            # (total, count, digits, months, days, expected amounts, expected dates)
            # 100.00 / 3 = 33.333...: 10,000 cents = 3 x 3,333 + 1, the spare cent goes to the first instalment
            (100.0, 3, 2, 1, 0, [33.34, 33.33, 33.33], [D1, D2, D3]),
            # 1,000.00 in 4 divides: 250.00 each
            (1000.0, 4, 2, 1, 0, [250.0] * 4, [D1, D2, D3, date(2025, 5, 1)]),
            # 0.05 in 3: 5 cents = 3 x 1 + 2, the first two get the spare cents
            (0.05, 3, 2, 0, 14, [0.02, 0.02, 0.01], [D1, date(2025, 2, 15), date(2025, 3, 1)]),
            # JPY, no decimals: 10,000 in 3 = 3,334 + 3,333 + 3,333
            (10000.0, 3, 0, 1, 0, [3334.0, 3333.0, 3333.0], [D1, D2, D3]),
            # 3 decimals (KWD): 1.000 in 3 = 0.334 + 0.333 + 0.333
            (1.0, 3, 3, 1, 0, [0.334, 0.333, 0.333], [D1, D2, D3]),
            # a promise-sized plan: one instalment of the whole
            (600.0, 1, 2, 1, 0, [600.0], [D1]),
        ]
        for total, count, digits, months, days, amounts, dates in cases:
            with self.subTest(total=total, count=count, digits=digits):
                split = split_evenly(total, count, D1, digits, months=months, days=days)
                self.assertEqual([instalment.amount for instalment in split], amounts)
                self.assertEqual([instalment.date for instalment in split], dates)
                self.assertTrue(check_instalments(total, split, digits))

    def test_split_evenly_refuses(self):
        cases = [
            (100.0, 0, 1, 0, "count"),
            (0.0, 2, 1, 0, "total"),
            (0.02, 3, 1, 0, "count"),  # 2 cents cannot make 3 instalments
            (100.0, 2, 0, 0, "interval"),
        ]
        for total, count, months, days, code in cases:
            with self.subTest(total=total, count=count), self.assertRaises(PaymentPlanError) as caught:
                split_evenly(total, count, D1, 2, months=months, days=days)
            self.assertEqual(caught.exception.code, code)

    def test_check_instalments(self):
        cases = [
            # (total, instalments, exact, error code or None)
            (100.0, [(D1, 33.34), (D2, 33.33), (D3, 33.33)], True, None),
            (100.0, [(D1, 33.33), (D2, 33.33), (D3, 33.33)], True, "sum"),  # 99.99: one cent short
            (100.0, [(D1, 50.0), (D2, 50.01)], True, "sum"),  # one cent over
            (100.0, [(D1, 50.0), (D1, 50.0)], True, "dates"),  # same date twice
            (100.0, [(D2, 50.0), (D1, 50.0)], True, "dates"),  # not in date order
            (100.0, [(D1, 100.0), (D2, 0.0)], True, "amount"),
            (100.0, [(D1, 100.004)], True, None),  # rounds to 100.00 in cents
            (100.0, [], True, "empty"),
            (100.0, [(D1, 40.0)], False, None),  # a promise of part of what is owed
            (100.0, [(D1, 100.01)], False, "sum"),  # a promise of more than is owed
        ]
        for total, rows, exact, code in cases:
            instalments = [Instalment(day, amount) for day, amount in rows]
            with self.subTest(rows=rows, exact=exact):
                if code is None:
                    self.assertTrue(check_instalments(total, instalments, 2, exact=exact))
                else:
                    with self.assertRaises(PaymentPlanError) as caught:
                        check_instalments(total, instalments, 2, exact=exact)
                    self.assertEqual(caught.exception.code, code)

    def test_plan_status(self):
        plan = [Instalment(D1, 400.0), Instalment(D2, 300.0), Instalment(D3, 300.0)]  # 1,000.00 in 3
        cases = [
            # (paid, on date, due, missed, done, next instalment date)
            (0.0, D1, 0.0, None, False, D1),  # on the first date: not missed yet
            (0.0, date(2025, 2, 2), 400.0, D1, False, D1),  # the day after, unpaid: missed
            (400.0, date(2025, 2, 2), 400.0, None, False, D2),  # paid on time
            (399.99, date(2025, 2, 2), 400.0, D1, False, D1),  # one cent short is missed
            # a partial payment of 550 covers the first (400) and 150 of the second (300): missed on 2 March
            (550.0, date(2025, 3, 2), 700.0, D2, False, D2),
            (700.0, date(2025, 3, 2), 700.0, None, False, D3),
            (1000.0, date(2025, 3, 2), 700.0, None, True, None),  # paid ahead: done
            (1000.0, date(2025, 9, 1), 1000.0, None, True, None),
            (1200.0, D1, 0.0, None, True, None),  # more than planned (a credit note): done
        ]
        for paid, on_date, due, missed, done, next_date in cases:
            with self.subTest(paid=paid, on_date=on_date):
                status = plan_status(plan, paid, on_date, 2)
                self.assertEqual((status.due, status.missed, status.done), (due, missed, done))
                self.assertEqual(status.next_instalment.date if status.next_instalment else None, next_date)
