"""The run's candidate query decides "reached" and "already covered" in SQL; that SQL is built from the engine's own
definitions (engine/levels.py) and must agree with them on every case, boundaries included."""

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from ..engine import levels as L

# (level days, level minimum, days overdue, open amount): before, on and after each boundary, positive and negative
REACHED_CASES = [
    (days, minimum, overdue, amount)
    for days in (-5, 0, 10, 40)
    for minimum in (0.0, 100.0)
    for overdue in (days - 1, days, days + 1)
    for amount in (minimum - 0.01, minimum, minimum + 0.01)
]
COVERED_CASES = [(None, 1), (1, 1), (2, 1), (1, 2)]


@tagged("post_install", "-at_install", "revcycle")
class TestLevelSqlAgreesWithEngine(TransactionCase):
    def test_reached(self):
        rows = self.env.execute_query(SQL(
            "SELECT i, %s FROM unnest(%s::int[], %s::int[], %s::numeric[], %s::int[], %s::numeric[])"
            " AS c(i, days, minimum, overdue, amount)",
            L.is_reached_sql(SQL("c.days"), SQL("c.minimum"), SQL("c.overdue"), SQL("c.amount")),
            list(range(len(REACHED_CASES))), *[list(column) for column in zip(*REACHED_CASES, strict=True)],
        ))
        for index, in_sql in rows:
            days, minimum, overdue, amount = REACHED_CASES[index]
            level = L.DunningLevel(key=1, sequence=1, days=days, min_overdue_amount=minimum)
            with self.subTest(case=REACHED_CASES[index]):
                self.assertEqual(in_sql, L.is_reached(level, overdue, round(amount, 2)))
        self.assertEqual(len(rows), len(REACHED_CASES))

    def test_covered(self):
        for sent, reached in COVERED_CASES:
            (row,) = self.env.execute_query(SQL("SELECT %s", L.is_covered_sql(SQL("%s::int", sent), reached)))
            with self.subTest(sent=sent, reached=reached):
                # NULL (nothing sent) does not cover, as the query's NOT EXISTS finds no sent row at all
                self.assertEqual(bool(row[0]), L.is_covered(sent, reached))
