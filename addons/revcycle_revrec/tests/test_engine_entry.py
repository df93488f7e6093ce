"""The summarised income items of a recognition entry on tables of cases: no database (engine/entry.py)."""

from odoo.tests import BaseCase, tagged

from ..engine import IncomeAmount, summarise_income

SALES, HOSTING = ("sales", "USD", "support", "{}"), ("hosting", "USD", "hosting", "{}")
NORTH = ("sales", "USD", "support", '{"7": 100.0}')
EUR_SALES = ("sales", "EUR", "support", "{}")


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestEntryEngine(BaseCase):
    def test_summarise_income_table(self):
        cases = [
            # name, amounts (key, balance, amount in currency), expected items (key, credit, indexes, balance,
            # amount in currency)
            ("two contracts on one key: one item of the sum",
             [(SALES, -2250.0, -2250.0), (SALES, -2250.0, -2250.0)],
             [(SALES, True, (0, 1), -4500.0, -4500.0)]),
            ("another account or analytic distribution: another item",
             [(SALES, -2250.0, -2250.0), (HOSTING, -100.0, -100.0), (NORTH, -2250.0, -2250.0),
              (SALES, -2250.0, -2250.0)],
             [(SALES, True, (0, 3), -4500.0, -4500.0), (HOSTING, True, (1,), -100.0, -100.0),
              (NORTH, True, (2,), -2250.0, -2250.0)]),
            ("EUR at 1.25: the euros and the dollars summed apart, exactly",
             [(EUR_SALES, -125.0, -100.0), (EUR_SALES, -125.0, -100.0), (SALES, -100.0, -100.0)],
             [(EUR_SALES, True, (0, 1), -250.0, -200.0), (SALES, True, (2,), -100.0, -100.0)]),
            ("a credit and a debit at other rates stay two items (their sum: -10 EUR, +12.50 USD)",
             [(EUR_SALES, -100.0, -100.0), (EUR_SALES, 112.5, 90.0), (EUR_SALES, -50.0, -40.0)],
             [(EUR_SALES, True, (0, 2), -150.0, -140.0), (EUR_SALES, False, (1,), 112.5, 90.0)]),
            ("a balance rounding to 0 goes by its amount in currency; nothing at all is left out",
             [(EUR_SALES, 0.0, -0.01), (EUR_SALES, -0.01, -0.01), (SALES, 0.0, 0.0)],
             [(EUR_SALES, True, (0, 1), -0.01, -0.02)]),
            ("cents that float addition would blur sum exactly",
             [(SALES, -0.1, -0.1), (SALES, -0.2, -0.2), (SALES, -1234567.89, -1234567.89)],
             [(SALES, True, (0, 1, 2), -1234568.19, -1234568.19)]),
        ]
        for name, amounts, expected in cases:
            with self.subTest(name):
                items = summarise_income([IncomeAmount(key, balance, in_currency)
                                          for key, balance, in_currency in amounts])
                self.assertEqual([(item.key, item.credit, item.indexes, item.balance, item.amount_currency)
                                  for item in items], expected)
                summed = [index for item in items for index in item.indexes]
                for index, (_key, balance, in_currency) in enumerate(amounts):
                    self.assertEqual(index in summed, bool(balance or in_currency), "every amount in one item")
