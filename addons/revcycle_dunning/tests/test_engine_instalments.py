"""Card charges of invoices in instalments on tables of cases: no database (issue 18)."""
from datetime import date

from odoo.tests import BaseCase, tagged

from ..engine import OpenInstalment, due_charge, instalment_key

D0, D10, D60 = date(2026, 3, 2), date(2026, 3, 12), date(2026, 5, 1)


@tagged("post_install", "-at_install", "revcycle")
class TestEngineInstalments(BaseCase):
    def test_due_charge(self):
        # a 30/70 invoice of 1,000.00: item 1 = 300.00 due D0, item 2 = 700.00 due D60
        thirty_seventy = [OpenInstalment(2, D60, 700.0), OpenInstalment(1, D0, 300.0)]
        cases = [
            # (instalments, today, digits, expected item ids, expected amount, expected first due)
            # the day before the first instalment: nothing due, the first open one is D0
            (thirty_seventy, date(2026, 3, 1), 2, (), 0.0, D0),
            # on D0: the 30 % only (the invoice's own due date, D60, is the last instalment's)
            (thirty_seventy, D0, 2, (1,), 300.0, D0),
            # the day before D60: still the 30 % only, never the 70 %
            (thirty_seventy, date(2026, 4, 30), 2, (1,), 300.0, D0),
            # D60 with the 300 paid (its item gone from the open ones): the 700 alone
            ([OpenInstalment(2, D60, 700.0)], D60, 2, (2,), 700.0, D60),
            # D60 with neither paid (a collection switched on late): both, 300 + 700
            (thirty_seventy, D60, 2, (1, 2), 1000.0, D0),
            # 100 paid by hand on the first: 300 - 100 = 200 left on it
            ([OpenInstalment(1, D0, 200.0), OpenInstalment(2, D60, 700.0)], D10, 2, (1,), 200.0, D0),
            # a fully paid item (0 left, or less than half a cent) is not charged and does not set the first date
            ([OpenInstalment(1, D0, 0.004), OpenInstalment(2, D60, 700.0)], D10, 2, (), 0.0, D60),
            # thirds of 100.00 (33.34 + 33.33 + 33.33) due by today: added in cents, exactly 66.67
            ([OpenInstalment(1, D0, 33.34), OpenInstalment(2, D10, 33.33), OpenInstalment(3, D60, 33.33)], D10, 2,
             (1, 2), 66.67, D0),
            # float noise in the residuals does not leak into the amount: 0.1 + 0.2 → 0.30
            ([OpenInstalment(1, D0, 0.1), OpenInstalment(2, D0, 0.2)], D0, 2, (1, 2), 0.3, D0),
            # JPY, no decimals: 3,000 + 7,000 due
            ([OpenInstalment(1, D0, 3000.0), OpenInstalment(2, D10, 7000.0)], D10, 0, (1, 2), 10000.0, D0),
            # no open instalment at all
            ([], D0, 2, (), 0.0, None),
        ]
        for instalments, today, digits, item_ids, amount, first_due in cases:
            with self.subTest(instalments=instalments, today=today):
                charge = due_charge(instalments, today, digits)
                self.assertEqual(charge.item_ids, item_ids)
                self.assertEqual(charge.amount, amount)
                self.assertEqual(charge.first_due, first_due)

    def test_instalment_key(self):
        self.assertEqual(instalment_key([12, 3]), "3.12")
        self.assertEqual(instalment_key((7,)), "7")
        self.assertEqual(instalment_key([]), "")
