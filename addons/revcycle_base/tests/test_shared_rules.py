"""The shared rules that need a database: SQL built from the engine agrees with it, line amounts go through Odoo's
tax engine, currency conversion, the access helper and the hand-over of the legacy base.revcycle_* xml ids."""

from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from ..engine import aging, periods
from ..hooks import move_legacy_xmlids
from .test_engine_aging import BUCKETS, CASES


@tagged("post_install", "-at_install", "revcycle")
class TestSharedRules(TransactionCase):
    def test_aging_sql_agrees_with_engine(self):
        # every day count of the table, plus every boundary +-1, bucketed by PostgreSQL from the SQL the engine builds
        days = sorted({d for d, _ in CASES} | {b + step for _n, f, t in BUCKETS for b in (f, t) if b is not None
                                               for step in (-1, 0, 1)})
        rows = self.env.execute_query(SQL(
            "SELECT d, %s FROM unnest(%s::int[]) AS d", aging.bucket_index_sql(SQL("d"), BUCKETS), days))
        self.assertEqual(dict(rows), {d: aging.bucket_index(d, BUCKETS) for d in days})
        # a gap: SQL gives NULL where the engine refuses
        (row,) = self.env.execute_query(SQL("SELECT %s", aging.bucket_index_sql(SQL("45"), [("1-30", 1, 30)])))
        self.assertIsNone(row[0])

    def test_aging_sql_with_column_bounds_agrees(self):
        # bounds read from columns (NULL = open), as the AR aging report reads its bucket table
        query = SQL(
            "SELECT d, MIN(b.idx) FROM unnest(%s::int[]) AS d"
            " JOIN (VALUES (0, NULL::int, 0), (1, 1, 30), (2, 31, NULL)) AS b(idx, f, t) ON %s GROUP BY d",
            [-5, 0, 1, 30, 31, 400],
            aging.holds_sql(SQL("d"), SQL("b.f"), SQL("b.t")),
        )
        engine_buckets = [("c", None, 0), ("1-30", 1, 30), ("31+", 31, None)]
        self.assertEqual(dict(self.env.execute_query(query)),
                         {d: aging.bucket_index(d, engine_buckets) for d in (-5, 0, 1, 30, 31, 400)})

    def test_period_months_sql_agrees_with_engine(self):
        names = [*periods.PERIOD_MONTHS, "week"]
        rows = self.env.execute_query(SQL(
            "SELECT p, %s FROM unnest(%s::varchar[]) AS p", periods.period_months_sql(SQL("p")), names))
        expected = {name: periods.PERIOD_MONTHS.get(name) for name in names}  # unknown: NULL, as the engine refuses it
        self.assertEqual(dict(rows), expected)

    def _tax(self, amount, price_include):
        return self.env["account.tax"].create({
            "name": f"VAT {amount}% {'incl' if price_include else 'excl'}",
            "amount": amount,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": "tax_included" if price_include else "tax_excluded",
            "company_id": self.env.company.id,
        })

    def test_line_amounts_through_the_tax_engine(self):
        Tax = self.env["account.tax"]
        usd = self.env.company.currency_id
        common = {"currency": usd, "company": self.env.company}
        # 3 x 100 less 10 %, 21 % on top: untaxed 270.00, tax 56.70, total 326.70
        self.assertEqual(
            Tax._revcycle_line_amounts(price_unit=100.0, quantity=3, discount=10.0, taxes=self._tax(21, False),
                                       **common),
            {"untaxed": 270.0, "tax": 56.7, "total": 326.7})
        # 121.00 tax included at 21 %: 100.00 net, 21.00 tax (by hand: 121 / 1.21 = 100)
        self.assertEqual(
            Tax._revcycle_line_amounts(price_unit=121.0, quantity=1, discount=0.0, taxes=self._tax(21, True),
                                       **common),
            {"untaxed": 100.0, "tax": 21.0, "total": 121.0})
        # no tax, a price that does not divide: 3 x 33.333 = 99.999 -> 100.00 in the currency's precision
        self.assertEqual(
            Tax._revcycle_line_amounts(price_unit=33.333, quantity=3, discount=0.0, taxes=Tax, **common),
            {"untaxed": 100.0, "tax": 0.0, "total": 100.0})

    def test_conversion_to_company_currency(self):
        company = self.env.company
        other = self.env["res.currency"].with_context(active_test=False).search(
            [("id", "!=", company.currency_id.id)], limit=1)
        other.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": other.id, "name": date(2026, 1, 1), "rate": 2.0, "company_id": company.id})
        # 1 company unit = 2 units of the other currency: 1,000.00 of it is 500.00 of the company's
        self.assertEqual(other._revcycle_to_company_currency(1000.0, company, date(2026, 6, 30)), 500.0)
        self.assertEqual(company.currency_id._revcycle_to_company_currency(12.345, company, date(2026, 6, 30)),
                         company.currency_id.round(12.345))

    def test_access_helper(self):
        user = new_test_user(self.env, login="revcycle_base_plain", groups="base.group_user")
        Access = self.env["revcycle.access"].with_user(user)
        self.assertTrue(Access._revcycle_require(["base.group_user"], "never shown"))
        with self.assertRaisesRegex(AccessError, "needs the system group"):
            Access._revcycle_require(["base.group_user", "base.group_system"], "needs the system group")
        self.assertTrue(Access._revcycle_require([("base.group_system", "base.group_user")], "any of two"))
        # companies: the user's own passes; another company, or an unknown id, is refused by name
        self.assertEqual(Access._revcycle_check_companies([user.company_id.id]), user.company_id)
        other = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        with self.assertRaisesRegex(AccessError, "may not act for Elsewhere Ltd"):
            Access._revcycle_check_companies([other.id])
        with self.assertRaisesRegex(UserError, "Unknown company ids"):
            Access._revcycle_check_companies([other.id + 1000])

    def test_legacy_xmlids_are_handed_over(self):
        # a database from before revcycle_base held the app menu as base.revcycle_menu_root: simulate it, hand over
        menu = self.env.ref("revcycle_base.revcycle_menu_root")
        self.env.cr.execute(
            "UPDATE ir_model_data SET module = 'base', noupdate = TRUE"
            " WHERE module = 'revcycle_base' AND name = 'revcycle_menu_root'")
        self.env.registry.clear_cache()
        move_legacy_xmlids(self.env.cr)
        self.env.registry.clear_cache()
        self.assertEqual(self.env.ref("revcycle_base.revcycle_menu_root"), menu)
        self.assertFalse(self.env.ref("base.revcycle_menu_root", raise_if_not_found=False))
