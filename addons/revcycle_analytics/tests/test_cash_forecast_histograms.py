"""The payment histograms the cash forecast learns from are built in SQL (GROUP BY window, customer, company and
clipped delay: ``_revcycle_forecast_histories``); they must be what the engine's rule (``payment_histograms``)
gives on the same payments. Here a hand-built ledger of one customer per case, read both ways, and the expected
histograms worked out by hand. Today is frozen on 2024-06-30; USD company, EUR at 0.5 from 2024-01-01 and 0.4 from
2024-05-01 (1 EUR = 2.5 USD then).

    A  1,000 due 03-01: 400 paid 03-11 (+10), 600 paid 04-05 (+35)        partial payments: {10: 400, 35: 600}, 2
    B    500 due 03-15: a credit note of 200 applied on 03-05, 300 paid 03-10 (-5)
                                                                          the credit note is no payment: {-5: 300}, 1
    C  EUR 1,000 (USD 2,000 at 0.5) due 03-31, paid EUR 1,000 on 04-10 (+10, same rate: no exchange difference)
                                                                          the company's currency: {10: 2000}, 1
    D    800 due 03-01, paid 03-05, the reconciliation undone on purpose  no payment: absent
    E    900 due 05-01, paid 06-20 (+50)                                  paid after 05-31: absent then, there on 06-30
    F  in the EUR company: EUR 1,000 due 04-01, paid 04-06 (+5)           EUR 1,000 x 2.5 = USD 2,500 at either date
    G    700 due 2023-10-31, paid 2023-11-20 (+20)                        in both windows of 05-31 (the late model's
                                                                          origin is 182 days before: 2023-12-01)
"""

from datetime import date, timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from ..engine import forecast as fc
from ..models.account_partial_reconcile import FACT_COLUMNS
from ..models.revcycle_cash_forecast import HISTORY_DAYS, TRAINING_LAG_DAYS
from .common import RevcycleForecastCommon


@tagged("post_install", "-at_install", "revcycle")
class TestForecastHistograms(RevcycleForecastCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2024-01-01", 0.5), ("2024-05-01", 0.4)])
        cls.other = cls.setup_other_company(name="EUR company", currency_id=cls.eur.id)["company"]
        partner = {key: cls.env["res.partner"].create({"name": f"Histogram {key}", "is_company": True})
                   for key in "ABCDEFG"}
        cls.partner = partner
        a = cls._invoice(partner["A"], "2024-02-01", "2024-03-01", 1000)
        cls._pay(a, 400, "2024-03-11")
        cls._pay(a, 600, "2024-04-05")
        b = cls._invoice(partner["B"], "2024-02-15", "2024-03-15", 500)
        refund = cls.env["account.move"].create({
            "move_type": "out_refund", "partner_id": partner["B"].id, "invoice_date": "2024-03-05",
            "invoice_line_ids": [Command.create({"name": "Credit", "quantity": 1, "price_unit": 200,
                                                 "tax_ids": []})]})
        refund.action_post()
        (cls._receivable(b) | cls._receivable(refund)).reconcile()
        cls._pay(b, 300, "2024-03-10")
        c = cls.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": partner["C"].id, "invoice_date": "2024-03-01",
            "invoice_date_due": "2024-03-31", "currency_id": cls.eur.id,
            "invoice_line_ids": [Command.create({"name": "S", "quantity": 1, "price_unit": 1000, "tax_ids": []})]})
        c.action_post()
        cls.env["account.payment.register"].with_context(active_model="account.move", active_ids=c.ids).create(
            {"amount": 1000, "currency_id": cls.eur.id, "payment_date": "2024-04-10"})._create_payments()
        d = cls._invoice(partner["D"], "2024-02-01", "2024-03-01", 800)
        cls._pay(d, 800, "2024-03-05")
        cls._receivable(d).remove_move_reconcile()
        e = cls._invoice(partner["E"], "2024-04-01", "2024-05-01", 900)
        cls._pay(e, 900, "2024-06-20")
        f = cls._invoice(partner["F"], "2024-03-01", "2024-04-01", 1000, company=cls.other)
        cls._pay(f, 1000, "2024-04-06")
        g = cls._invoice(partner["G"], "2023-10-01", "2023-10-31", 700)
        cls._pay(g, 700, "2023-11-20")
        cls.companies = cls.company | cls.other

    @staticmethod
    def _receivable(move):
        return move.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")

    def _sql(self, as_of):
        """(now, then) histories as the forecast reads them (SQL), converted to the main company's currency."""
        Kpi = self.Kpi.with_company(self.company)
        return Kpi._revcycle_forecast_histories(self.companies, as_of, as_of - timedelta(days=TRAINING_LAG_DAYS),
                                                Kpi._revcycle_converter(self.companies))

    def _python(self, as_of):
        """The same, by the engine's rule on the payments read through the ORM: each reconciliation of a
        receivable debit with something other than an invoice or credit note, known in the window, its delay the
        reconciliation date - the due date, its amount converted at the window's date."""
        Kpi = self.Kpi.with_company(self.company)
        converter = Kpi._revcycle_converter(self.companies)
        result = []
        for day in (as_of, as_of - timedelta(days=TRAINING_LAG_DAYS)):
            payments = []
            partials = self.env["account.partial.reconcile"].search([("company_id", "in", self.companies.ids)])
            for partial in partials:
                debit, credit = partial.debit_move_id, partial.credit_move_id
                if (debit.account_id.account_type != "asset_receivable"
                        or credit.move_id.move_type in ("out_invoice", "out_refund")
                        or not day - timedelta(days=HISTORY_DAYS) < partial.max_date <= day):
                    continue
                delay = (partial.max_date - (debit.date_maturity or debit.date)).days
                payments.append((debit.partner_id.commercial_partner_id.id, delay,
                                 converter.company(partial.amount, debit.company_id.id, day)))
            histograms = fc.payment_histograms(payments)
            result.append({"partners": histograms, "company": fc.merged_histogram(histograms.values()),
                           "usual": {partner: sum(weights.values()) / count
                                     for partner, (weights, count) in histograms.items()}})
        return result

    def assertHistory(self, actual, expected, msg):
        self.assertEqual(set(actual["partners"]), set(expected["partners"]), msg)
        for partner, (weights, count) in expected["partners"].items():
            self.assertEqual(actual["partners"][partner][1], count, msg)
            self.assertEqual(set(actual["partners"][partner][0]), set(weights), msg)
            for delay, amount in weights.items():
                self.assertAlmostEqual(actual["partners"][partner][0][delay], amount, 6, msg)
        self.assertEqual(actual["company"][1], expected["company"][1], msg)
        self.assertEqual(set(actual["company"][0]), set(expected["company"][0]), msg)
        for delay, amount in expected["company"][0].items():
            self.assertAlmostEqual(actual["company"][0][delay], amount, 6, msg)
        self.assertEqual(set(actual["usual"]), set(expected["usual"]), msg)
        for partner, amount in expected["usual"].items():
            self.assertAlmostEqual(actual["usual"][partner], amount, 6, msg)

    def test_sql_histograms_are_the_engine_rule(self):
        for as_of in (date(2024, 5, 31), date(2024, 6, 30), date(2024, 3, 10), date(2023, 11, 19)):
            for window, (sql, python) in enumerate(zip(self._sql(as_of), self._python(as_of), strict=True)):
                self.assertHistory(sql, python, f"as of {as_of}, window {window}")

    def test_histograms_by_hand(self):
        p = {key: partner.id for key, partner in self.partner.items()}
        now, then = self._sql(date(2024, 5, 31))
        expected = {  # see the module docstring; D (undone) and E (paid after 05-31) are absent
            p["A"]: ({10: 400.0, 35: 600.0}, 2), p["B"]: ({-5: 300.0}, 1), p["C"]: ({10: 2000.0}, 1),
            p["F"]: ({5: 2500.0}, 1), p["G"]: ({20: 700.0}, 1)}
        self.assertEqual(now["partners"], expected)
        # all customers together: +10 holds A's 400 and C's 2,000; 6 payments
        self.assertEqual(now["company"], ({-5: 300.0, 5: 2500.0, 10: 2400.0, 20: 700.0, 35: 600.0}, 6))
        self.assertEqual(now["usual"][p["A"]], 500.0)  # 1,000 in 2 payments
        # as of the origin (2023-12-01), the year before holds G's payment only
        self.assertEqual(then["partners"], {p["G"]: ({20: 700.0}, 1)})
        now, _then = self._sql(date(2024, 6, 30))
        self.assertEqual(now["partners"][p["E"]], ({50: 900.0}, 1))  # known once paid, never before
        # the day before G's payment, nothing was known
        self.assertEqual(self._sql(date(2023, 11, 19))[0], {"partners": {}, "company": ({}, 0), "usual": {}})

    def test_open_items_of_two_days_in_one_query(self):
        """A cold forecast reads the items open at its date and at the late model's origin in one query: each day
        gets what a query of its own gives, and what was known that day only. As of 03-08: A 1,000 (paid from
        03-11), B 500 - the credit note of 200 applied on 03-05 = 300 (paid 03-10), C USD 2,000, F EUR 1,000 at 0.5 =
        USD 2,000 (paid in April); D's payment, unreconciled on purpose, is a credit of 800 that nets its invoice
        to nothing. As of 05-31: E 900 only (paid 06-20, unknown then)."""
        Kpi = self.Kpi.with_company(self.company)
        converter = Kpi._revcycle_converter(self.companies)
        days = [date(2024, 3, 8), date(2024, 5, 31), date(2023, 11, 19), date(2024, 6, 30)]
        for pair in ((days[0], days[1]), (days[2], days[3]), (days[1], days[0]), (days[0], days[0])):
            together = Kpi._revcycle_open_receivables_at(self.companies, pair, converter)
            self.assertEqual(set(together), set(pair))
            for day in pair:
                self.assertEqual(together[day], Kpi._revcycle_open_receivables(self.companies, day, converter),
                                 f"{day} read with {pair}")
        together = Kpi._revcycle_open_receivables_at(self.companies, days[:2], converter)
        # the query skips the reconciliations after a day whose item is dated after it: reading them all (as for a
        # reconciliation inserted in SQL, its items' dates not filled yet) gives the same
        pairs = ((days[0], days[1]), (days[2], days[3]), (days[1], days[3]))
        skipping = [Kpi._revcycle_open_receivables_at(self.companies, pair, converter) for pair in pairs]
        self.env.flush_all()
        self.env.cr.execute("UPDATE account_partial_reconcile SET revcycle_debit_date = NULL,"
                            " revcycle_credit_date = NULL")
        self.assertEqual([Kpi._revcycle_open_receivables_at(self.companies, pair, converter) for pair in pairs],
                         skipping)
        p = {key: partner.id for key, partner in self.partner.items()}
        self.assertEqual({row["partner_id"]: row["amount"] for row in together[days[0]]},
                         {p["A"]: 1000.0, p["B"]: 300.0, p["C"]: 2000.0, p["F"]: 2000.0})
        self.assertEqual({row["partner_id"]: row["amount"] for row in together[days[1]]}, {p["E"]: 900.0})

    def test_payment_facts_on_the_reconciliations(self):
        """The histograms read the receivable's customer, company, due date and account and whether it was a
        payment from the reconciliation itself (models/account_partial_reconcile.py). B's credit note of 200 is no
        payment, its payment of 300 is; A's two payments carry A and its due date 03-01; F's carries the EUR
        company. The statement that fills them on install gives what the ORM computed."""
        partials = self.env["account.partial.reconcile"].search([("company_id", "in", self.companies.ids)])
        by_partner = {}
        for partial in partials:
            by_partner.setdefault(partial.revcycle_debit_partner_id, []).append(partial)
        b_facts = sorted((p.amount, p.revcycle_is_payment) for p in by_partner[self.partner["B"]])
        self.assertEqual(b_facts, [(200.0, False), (300.0, True)])
        self.assertEqual({p.revcycle_debit_due for p in by_partner[self.partner["A"]]}, {date(2024, 3, 1)})
        self.assertEqual(by_partner[self.partner["F"]][0].revcycle_debit_company_id, self.other)
        def facts(partial):
            return (partial.revcycle_debit_partner_id.id, partial.revcycle_debit_company_id.id,
                    partial.revcycle_debit_due, partial.revcycle_debit_account_id.id, partial.revcycle_is_payment,
                    partial.revcycle_debit_date, partial.revcycle_credit_date)

        computed = {p.id: facts(p) for p in partials}
        self.assertEqual({facts(p)[5:] for p in by_partner[self.partner["A"]]},
                         {(date(2024, 2, 1), date(2024, 3, 11)), (date(2024, 2, 1), date(2024, 4, 5))})
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "UPDATE account_partial_reconcile SET %s WHERE id = ANY(%s)",
            SQL(", ").join(SQL("%s = NULL", SQL.identifier(name)) for name in FACT_COLUMNS), partials.ids))
        partials.invalidate_recordset()
        self.env["account.partial.reconcile"]._revcycle_fill_payment_facts(only_missing=True)
        filled = {p.id: facts(p) for p in partials}
        self.assertEqual(filled, computed)

    def test_payment_facts_follow_the_commercial_partner(self):
        """E becomes a contact of A: its payment (900 at +50, known from 06-20) is A's from then on, and E has no
        history of its own any more. The reconciliation keeps the item's own partner (E): the commercial partner is
        read when the forecast runs, so re-parenting a contact rewrites no reconciliation."""
        self.partner["E"].write({"is_company": False, "parent_id": self.partner["A"].id})
        self.assertEqual(self.partner["E"].commercial_partner_id, self.partner["A"])
        self.env.flush_all()  # as a forecast does before reading the ledger in SQL
        kept = self.env["account.partial.reconcile"].search([("revcycle_debit_partner_id", "=", self.partner["E"].id)])
        self.assertEqual(len(kept), 1, "E's payment still names E, the item's partner")
        p = {key: partner.id for key, partner in self.partner.items()}
        now, _then = self._sql(date(2024, 6, 30))
        self.assertNotIn(p["E"], now["partners"])
        self.assertEqual(now["partners"][p["A"]], ({10: 400.0, 35: 600.0, 50: 900.0}, 3))
        day = date(2024, 6, 30)
        for window, (sql, python) in enumerate(zip(self._sql(day), self._python(day), strict=True)):
            self.assertHistory(sql, python, f"window {window}")

    def test_payment_facts_are_not_written_by_hand(self):
        """A fact given by hand (create or write, as an import or XML-RPC would) is refused, naming the field, and
        nothing is written; the compute keeps writing them (the payments above)."""
        accountant = self.env["res.users"].create({
            "name": "Facts accountant", "login": "rc_facts_accountant", "company_id": self.company.id,
            "company_ids": [Command.set(self.companies.ids)],
            "groups_id": [Command.set([self.env.ref("account.group_account_manager").id])]})
        partial = self.env["account.partial.reconcile"].search(
            [("revcycle_debit_partner_id", "=", self.partner["A"].id)], limit=1)
        due = partial.revcycle_debit_due
        with self.assertRaisesRegex(AccessError, r"Due date of the receivable \(revcycle_debit_due\)"):
            partial.with_user(accountant).write({"revcycle_debit_due": "2020-01-01"})
        with self.assertRaisesRegex(AccessError, r"revcycle_is_payment"):
            self.env["account.partial.reconcile"].with_user(accountant).create({
                "debit_move_id": partial.debit_move_id.id, "credit_move_id": partial.credit_move_id.id,
                "amount": 1.0, "revcycle_is_payment": False})
        partial.invalidate_recordset()
        self.assertEqual(partial.revcycle_debit_due, due)
