"""The income items of a recognition entry (Settings > Revenue Cycle > Month-end income lines, docs/domain.md "The
month-end entry").

Summarised per account (the default): one income item per income account, currency, analytic distribution and
product, credits and debits apart; the deferred revenue / contract asset items stay one per contract. Each revenue
line links to the income item it was posted to, so every contract's amount is found from the item and the item from
the line. One per contract: an income item per contract and account (test_changes.py checks that layout).

The worked example's order (common.py): support allocated 27,000 over 12 months, 2,250 a month per contract; the
licence and the installation are recognised at delivery, so a month-end without delivery posts the support only."""
from freezegun import freeze_time
from odoo.tests import tagged

from ..models.revcycle_revenue_contract import REVENUE_LINES_KEY
from .common import RevrecCommon

SUMMARY_LABEL = "Revenue recognised %s (%s contracts)"


@tagged("post_install", "-at_install", "revcycle")
class TestSummarisedIncome(RevrecCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Contract = cls.env["revcycle.revenue.contract"]
        # a second customer without customer C's fiscal position (which maps the income account to another one)
        cls.partner_c = cls.env["res.partner"].create({"name": "Customer C"})

    def _income(self, move):
        return move.line_ids.filtered(lambda line: line.revcycle_kind == "recognition")

    def _posted(self, contracts):
        return contracts.line_ids.filtered(lambda line: line.state == "posted")

    def test_summarised_is_the_default_and_a_setting(self):
        self.assertEqual(self.company.revcycle_income_line_mode, "summarised")
        settings = self.env["res.config.settings"].create({"revcycle_income_line_mode": "per_contract"})
        settings.execute()
        self.assertEqual(self.company.revcycle_income_line_mode, "per_contract")

    def test_two_contracts_on_one_account_make_one_income_item(self):
        """Two contracts (two customers) due in January on the same income account and product, no analytic: one
        income item of 2,250 + 2,250 = 4,500, labelled with what it sums, without a contract or customer of its
        own; each contract keeps its contract asset item (2,250 each, nothing billed). Both revenue lines lead to
        the item, and the item and the entry lead back to them (2,250 each, 4,500 in all)."""
        first = self._confirmed_order().revcycle_revenue_contract_ids
        second = self._confirmed_order(partner_id=self.partner_c.id).revcycle_revenue_contract_ids
        summary = self.Contract.recognize_until("2026-01-31")
        self.assertEqual((summary["contracts"], summary["lines"], summary["amount"]), (2, 2, 4500.0))
        move = self.env["account.move"].browse(summary["move_ids"])
        income = self._income(move)
        self.assertEqual(len(income), 1)
        self.assertEqual(
            (income.account_id, income.credit, income.product_id, income.name, income.partner_id.id,
             income.revcycle_contract_id.id, income.revcycle_obligation_id.id),
            (self.income, 4500.0, self.support, SUMMARY_LABEL % ("2026-01", 2), False, False, False))
        positions = move.line_ids.filtered(lambda line: line.revcycle_kind == "position")
        self.assertEqual(sorted((line.revcycle_contract_id.id, line.account_id.id, line.debit) for line in positions),
                         sorted([(first.id, self.asset.id, 2250.0), (second.id, self.asset.id, 2250.0)]))
        posted = self._posted(first | second)
        self.assertEqual(len(posted), 2)
        self.assertEqual(posted.move_line_id, income)
        self.assertEqual(income.revcycle_revenue_line_ids, posted)
        self.assertEqual(move.revcycle_revenue_line_ids, posted)
        self.assertEqual(sorted(posted.mapped(lambda line: (line.contract_id.id, line.amount_company))),
                         sorted([(first.id, 2250.0), (second.id, 2250.0)]))
        self.assertBalances("2026-01-31", {self.income: -4500.0, self.asset: 4500.0})

    def test_other_account_or_analytic_makes_another_item(self):
        """Four contracts due in January: A and B (partner A, the worked example) share account, product and no
        analytic -> one item of 4,500; C (customer C, whom a distribution model sends 100 % to the analytic account
        North) -> its own item of 2,250 with that distribution, keeping C's contract and obligation as it sums one
        contract; D (hosting, 1,200 over 12 months on the hosting revenue account) -> its own item of 100.
        6,850 in all, 4 contract asset items."""
        plan = self.env["account.analytic.plan"].create({"name": "Regions"})
        north = self.env["account.analytic.account"].create(
            {"name": "North", "plan_id": plan.id, "company_id": self.company.id})
        self.env["account.analytic.distribution.model"].create({
            "partner_id": self.partner_c.id, "analytic_distribution": {str(north.id): 100},
            "company_id": self.company.id})
        hosting_revenue = self.env["account.account"].create({
            "code": "400901", "name": "Hosting Revenue", "account_type": "income",
            "company_ids": [self.company.id]})
        hosting = self._revrec_product("Hosting", "ratable_monthly", 1200.0)
        hosting.property_account_income_id = hosting_revenue
        a, b = (self._confirmed_order().revcycle_revenue_contract_ids for _ in range(2))
        c = self._confirmed_order(partner_id=self.partner_c.id).revcycle_revenue_contract_ids
        d = self._confirmed_order([(hosting, 1200.0)]).revcycle_revenue_contract_ids
        summary = self.Contract.recognize_until("2026-01-31")
        self.assertEqual(summary["amount"], 6850.0)
        move = self.env["account.move"].browse(summary["move_ids"])
        income = self._income(move)
        support_c = self._obligation(c, self.support)
        hosting_d = self._obligation(d, hosting)
        self.assertEqual(
            sorted((line.account_id.id, line.product_id.id, str(line.analytic_distribution or {}), line.credit,
                    line.name, line.revcycle_contract_id.id) for line in income),
            sorted([(self.income.id, self.support.id, "{}", 4500.0, SUMMARY_LABEL % ("2026-01", 2), False),
                    (self.income.id, self.support.id, str({str(north.id): 100.0}), 2250.0, support_c.display_name,
                     c.id),
                    (hosting_revenue.id, hosting.id, "{}", 100.0, hosting_d.display_name, d.id)]))
        for contracts in (a | b, c, d):
            posted = self._posted(contracts)
            self.assertEqual(len(posted.move_line_id), 1)
            self.assertAlmostEqual(posted.move_line_id.credit, sum(posted.mapped("amount_company")), places=2)
        self.assertEqual(len(move.line_ids.filtered(lambda line: line.revcycle_kind == "position")), 4)

    def test_foreign_currency_contracts_summed_in_their_currency(self):
        """A USD company; two contracts of 1,200 EUR of support (100 EUR a month) and one of 1,200 USD (100 USD).
        EUR at 1.00 USD in January, 1.25 from 1 February; nothing billed, so the revenue is earned beyond any
        advance and measured at the month-end rate (docs/domain.md §3). January: one EUR item of 200 EUR = 200 USD
        (2 contracts), one USD item of 100. February: one EUR item of 200 EUR = 2 x 125 = 250 USD, one USD item of
        100; each EUR contract's asset item 100 EUR / 125 USD. Never two currencies in one item."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 1.0), ("2026-02-01", 0.8)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": eur.id, "company_id": self.company.id})
        euro = [self._confirmed_order([(self.support, 1200.0)], pricelist_id=pricelist.id)
                .revcycle_revenue_contract_ids for _ in range(2)]
        self._confirmed_order([(self.support, 1200.0)])
        with freeze_time("2026-03-15"):
            summary = self.Contract.recognize_until("2026-02-28")
        moves = self.env["account.move"].browse(summary["move_ids"]).sorted("date")
        self.assertEqual(moves.mapped(lambda move: str(move.date)), ["2026-01-31", "2026-02-28"])
        for move, (period, eur_usd) in zip(moves, [("2026-01", 200.0), ("2026-02", 250.0)], strict=True):
            income = self._income(move)
            self.assertEqual(
                sorted((line.currency_id.name, line.amount_currency, line.balance, line.name) for line in income),
                sorted([("EUR", -200.0, -eur_usd, SUMMARY_LABEL % (period, 2)),
                        ("USD", -100.0, -100.0, income.filtered(lambda line: line.currency_id.name == "USD")
                         .revcycle_obligation_id.display_name)]))
        february_assets = moves[1].line_ids.filtered(
            lambda line: line.revcycle_kind == "position" and line.currency_id == eur)
        self.assertEqual(sorted(february_assets.mapped(lambda line: (line.amount_currency, line.balance))),
                         [(100.0, 125.0), (100.0, 125.0)])
        for contract in euro:
            self.assertEqual(sorted(self._posted(contract).mapped("amount_company")), [100.0, 125.0])
        self.assertBalances("2026-02-28", {self.income: -650.0, self.asset: 650.0})

    def test_rerun_posts_nothing_twice(self):
        """Two contracts, January to March: one entry a month, each with one income item of 2 x 2,250 = 4,500 that
        its two revenue lines lead to. A second run posts nothing and leaves the links as they are."""
        contracts = self.Contract.concat(*(self._confirmed_order().revcycle_revenue_contract_ids for _ in range(2)))
        first = self.Contract.recognize_until("2026-03-31")
        self.assertEqual((first["contracts"], first["lines"], first["amount"]), (2, 6, 13500.0))
        moves = self.env["account.move"].browse(first["move_ids"])
        self.assertEqual(len(moves), 3)
        for move in moves:
            income = self._income(move)
            self.assertEqual((len(income), income.credit), (1, 4500.0))
            self.assertEqual(income.revcycle_revenue_line_ids, self._posted(contracts).filtered(
                lambda line, m=move: line.move_id == m))
        links = {line.id: line.move_line_id.id for line in self._posted(contracts)}
        entries = self.env["account.move"].search_count([("journal_id", "=", self.journal.id)])
        second = self.Contract.recognize_until("2026-03-31")
        self.assertEqual((second["contracts"], second["lines"], second["move_ids"]), (0, 0, []))
        self.assertEqual(self.env["account.move"].search_count([("journal_id", "=", self.journal.id)]), entries)
        self.assertEqual({line.id: line.move_line_id.id for line in self._posted(contracts)}, links)

    def test_invariant_holds_per_contract(self):
        """recognised + deferred revenue - contract asset = billed, for each contract, though their revenue shares
        one income item: recognised is read from the contract's posted revenue lines (what each was booked at), the
        positions from its own deferred revenue / contract asset items, billed from its invoice lines.
        A: the worked example invoiced 90,000 on 1 January, licence (45,000) and installation (18,000) delivered,
        support 3 x 2,250 to March: recognised 69,750, deferred 20,250, asset 0, billed 90,000.
        B: the same order, not invoiced nor delivered: recognised 6,750 (support), deferred 0, asset 6,750, billed 0.
        The ledger's income, 76,500, is the sum of both."""
        _order, a = self._january()
        b = self._confirmed_order().revcycle_revenue_contract_ids
        self.Contract.recognize_until("2026-03-31")
        march = self._posted(a | b).filtered(lambda line: str(line.date) == "2026-03-31").move_line_id
        self.assertEqual((len(march), march.credit), (1, 4500.0))
        billed_items = self.env["account.move.line"].search(
            [("revcycle_kind", "=", "billing"), ("parent_state", "=", "posted")])
        expected = {a: (69750.0, 20250.0, 0.0, 90000.0), b: (6750.0, 0.0, 6750.0, 0.0)}
        for contract, figures in expected.items():
            recognised = sum(self._posted(contract).mapped("amount_company"))
            billed = -sum(billed_items.filtered(lambda line, c=contract: line.revcycle_contract_id == c)
                          .mapped("balance"))
            self.assertEqual((recognised, contract.contract_liability, contract.contract_asset, billed), figures)
            self.assertAlmostEqual(recognised + contract.contract_liability - contract.contract_asset, billed,
                                   places=2)
        self.assertBalances("2026-03-31", {self.income: -76500.0, self.deferred: -20250.0, self.asset: 6750.0})

    def test_credits_and_debits_are_summed_apart(self):
        """Two EUR contracts in one entry: X earns 100 EUR booked at 100 USD, Y gives back 90 EUR booked at 112.50
        USD (a catch-up at another rate). Summed they would make -10 EUR against +12.50 USD, an item whose
        amount in currency and balance have opposite signs (which Odoo refuses): the credit and the debit stay
        two items. Two credits on the same key make one."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 1.0)])
        common = {"account_id": self.income.id, "currency_id": eur.id, "product_id": self.support.id,
                  "revcycle_kind": "recognition", "partner_id": self.partner_a.id}
        x = dict(common, balance=-100.0, amount_currency=-100.0, revcycle_contract_id=1, **{REVENUE_LINES_KEY: [1]})
        y = dict(common, balance=112.5, amount_currency=90.0, revcycle_contract_id=2, **{REVENUE_LINES_KEY: [2]})
        z = dict(common, balance=-50.0, amount_currency=-40.0, revcycle_contract_id=3, **{REVENUE_LINES_KEY: [3]})
        merged = self.Contract._revcycle_summarise_income(
            self.company, [x, y, z], self.env["revcycle.revenue.line"]._fields["date"].to_date("2026-01-31"))
        self.assertEqual(sorted((vals["balance"], vals["amount_currency"], vals[REVENUE_LINES_KEY]) for vals in merged),
                         [(-150.0, -140.0, [1, 3]), (112.5, 90.0, [2])])
