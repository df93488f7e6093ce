"""The run's candidate query applies the engine's escalation rule in SQL (engine/levels.py ``escalation_sql``, built
from the same definitions as ``escalation_level``): both must agree on every case of a table, boundaries included
(issue 18: the gap rule used to be applied in Python only, so a second run read every dunned item again)."""
import itertools
from datetime import date, timedelta

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from ..engine import levels as L

FRIENDLY, FIRST, LETTER, CALL, AGENCY = (
    L.DunningLevel(key=1, sequence=10, days=-3),
    L.DunningLevel(key=2, sequence=20, days=7),
    L.DunningLevel(key=3, sequence=30, days=21),
    L.DunningLevel(key=4, sequence=40, days=35),
    L.DunningLevel(key=5, sequence=50, days=60, min_overdue_amount=100.0),
)
LADDER = [FRIENDLY, FIRST, LETTER, CALL, AGENCY]
OTHER_LADDER_KEY = 99  # a level of another policy's ladder
DUE = date(2025, 1, 1)
# (last level key, days after the due date it was sent, waiting): nothing sent, each level sent at, before and
# after the gap to the next one, a notice not sent yet, and a level of another ladder
HISTORIES = [(None, None, False)] + [
    (level.key, sent, waiting)
    for level in LADDER
    for sent in (level.days, level.days + 5)
    for waiting in (False, True)
] + [(OTHER_LADDER_KEY, 10, False)]
ON_DAYS = [-5, -3, -1, 0, 6, 7, 14, 20, 21, 28, 34, 35, 45, 59, 60, 70, 85]
AMOUNTS = [99.99, 100.0]
INITIAL = [None, LETTER.key]


def _cases():
    for (last_key, sent, waiting), on_day, amount, initial in itertools.product(HISTORIES, ON_DAYS, AMOUNTS, INITIAL):
        if sent is not None and sent > on_day:
            continue  # a notice is not sent after the day of the run
        yield last_key, sent, waiting, on_day, amount, initial


@tagged("post_install", "-at_install", "revcycle")
class TestEscalationSqlAgreesWithEngine(TransactionCase):
    def test_escalation_sql_agrees_with_the_engine(self):
        cases = list(_cases())
        ladder = SQL("(SELECT * FROM (VALUES %s) AS ladder(id, sequence, days, min_overdue_amount))", SQL(", ").join(
            SQL("(%s, %s, %s, %s::numeric)", level.key, level.sequence, level.days, level.min_overdue_amount)
            for level in LADDER))
        by_key = {level.key: level for level in LADDER}
        columns = list(zip(*[
            (index, last_key, by_key[last_key].sequence if last_key in by_key else None,
             by_key[last_key].days if last_key in by_key else None,
             DUE + timedelta(days=sent) if sent is not None else None, waiting, DUE + timedelta(days=on_day),
             amount, initial)
            for index, (last_key, sent, waiting, on_day, amount, initial) in enumerate(cases)], strict=True))
        rows = self.env.execute_query(SQL(
            "SELECT c.i, %s FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::date[], %s::bool[], "
            "%s::date[], %s::numeric[], %s::int[]) AS c(i, last_key, last_sequence, last_days, last_date, waiting, "
            "on_date, amount, initial)",
            L.escalation_sql(ladder, SQL("c.on_date"), SQL("%s::date", DUE), SQL("c.amount"), SQL("c.last_key"),
                             SQL("c.last_sequence"), SQL("c.last_days"), SQL("c.last_date"), SQL("c.waiting"),
                             SQL("c.initial")),
            *[list(column) for column in columns]))
        self.assertEqual(len(rows), len(cases))
        agreed = 0
        given = sum(1 for _index, in_sql in rows if in_sql)
        # both outcomes are well represented: the table is not all "nothing to send"
        self.assertGreater(given, 50)
        self.assertGreater(len(rows) - given, 50)
        for index, in_sql in rows:
            last_key, sent, waiting, on_day, amount, initial = cases[index]
            history = L.ItemHistory(last_key, DUE + timedelta(days=sent) if sent is not None else None, waiting)
            expected = L.escalation_level(LADDER, DUE + timedelta(days=on_day), DUE, amount, history, initial)
            with self.subTest(case=cases[index]):
                self.assertEqual(in_sql, expected is not None)
            agreed += 1
        self.assertGreater(agreed, 500, "the table covers the ladder's boundaries")
