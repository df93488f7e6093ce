"""Credit notes, cancellation, re-runs and parallel runs."""
import importlib.util
from pathlib import Path
from unittest.mock import patch

from freezegun import freeze_time
from odoo import Command, api
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import RevrecCommon


def _load_migration(version):
    """The addon's post-migrate script of ``version`` as a module (its folder name is no Python package name)."""
    path = Path(__file__).parent.parent / "migrations" / version / "post-migrate.py"
    spec = importlib.util.spec_from_file_location(f"revcycle_revrec_post_migrate_{version.replace('.', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install", "revcycle")
class TestChanges(RevrecCommon):
    def test_credit_note_lowers_the_price_on_the_inception_basis(self):
        """Half the support (15,000 of its 30,000 price) is credited on 15 February.

        The former expectation here (income 76,500 at the end against 75,000 billed, a 1,500 contract asset left
        for ever) reversed half of the support's *allocation* instead of the amount credited. A credit note lowers
        the transaction price by what it credits (ASC 606-10-32-42): 90,000 - 15,000 = 75,000, and the change is
        allocated on the inception basis, SSP 60,000 : 36,000 : 24,000 (ratio 0.125): licence -7,500, support
        -4,500, installation -3,000 -> 37,500 / 22,500 / 15,000.
        Catch-up on 15 February for what is satisfied: licence and installation (delivered) -7,500 and -3,000;
        support keeps its progress (1 month of 12 recognised): 22,500 x 1/12 = 1,875 earned against 2,250
        recognised -> -375, and its 11 planned months become 24,750 x 22,500 / 27,000 = 20,625 (1,875 each).
        Income 65,250 - 10,875 = 54,375; billed 75,000 -> deferred 20,625. At 31 December: 54,375 + 20,625 =
        75,000 = billed, both balances 0.
        """
        order, contract = self._january()
        support_line = order.order_line.filtered(lambda line: line.product_id == self.support)
        self._invoice(order, "2026-02-15", [(support_line, 15000.0)], move_type="out_refund")
        self.assertEqual((contract.transaction_price, contract.credited_amount), (75000.0, 15000.0))
        self.assertEqual([self._obligation(contract, product).allocated_amount
                          for product in (self.licence, self.support, self.installation)],
                         [37500.0, 22500.0, 15000.0])
        catch_ups = contract.line_ids.filtered(lambda line: line.kind == "adjustment")
        self.assertEqual(sorted((line.product_id.name, line.amount, line.state, str(line.date)) for line in catch_ups),
                         [("Installation", -3000.0, "posted", "2026-02-15"),
                          ("Licence", -7500.0, "posted", "2026-02-15"),
                          ("Support", -375.0, "posted", "2026-02-15")])
        support = self._obligation(contract, self.support)
        planned = support.line_ids.filtered(lambda line: line.state == "planned")
        self.assertEqual(set(planned.mapped("amount")), {1875.0})
        self.assertEqual(len(planned), 11)
        self.assertBalances("2026-02-15", {self.income: -54375.0, self.deferred: -20625.0, self.asset: 0.0})
        with freeze_time("2027-01-01"):  # on 2027-01-01, 2026-12-31 is past: no future recognition
            self.env["revcycle.revenue.contract"].recognize_until("2026-12-31")
        self.assertBalances("2026-12-31", {self.income: -75000.0, self.deferred: 0.0, self.asset: 0.0})

    def test_credited_installation_leaves_nothing_deferred(self):
        """Issue 16 item 2: the installation sold at 10,000 (allocated 18,000) credited in full on 15 February.
        Price 90,000 - 10,000 = 80,000, by SSP (ratio 80,000 / 120,000 = 2/3): licence 40,000, support 24,000
        (2,000 a month), installation 16,000. Not 8,000 deferred for ever: at the end income 80,000 = billed."""
        order, contract = self._january()
        installation_line = order.order_line.filtered(lambda line: line.product_id == self.installation)
        self._invoice(order, "2026-02-15", [(installation_line, 10000.0)], move_type="out_refund")
        self.assertEqual([self._obligation(contract, product).allocated_amount
                          for product in (self.licence, self.support, self.installation)],
                         [40000.0, 24000.0, 16000.0])
        # 40,000 + 16,000 + one month of support at 2,000 = 58,000 earned; billed 80,000 -> 22,000 deferred.
        self.assertBalances("2026-02-15", {self.income: -58000.0, self.deferred: -22000.0, self.asset: 0.0})
        with freeze_time("2027-01-01"):  # on 2027-01-01, 2026-12-31 is past: no future recognition
            self.env["revcycle.revenue.contract"].recognize_until("2026-12-31")
        self.assertBalances("2026-12-31", {self.income: -80000.0, self.deferred: 0.0, self.asset: 0.0})

    def test_reordering_after_a_credit_keeps_the_credit(self):
        """Re-saving an order line after a credit note does not bring the credited amount back."""
        order, contract = self._january()
        support_line = order.order_line.filtered(lambda line: line.product_id == self.support)
        self._invoice(order, "2026-02-15", [(support_line, 15000.0)], move_type="out_refund")
        support_line.price_unit = 30000.0
        self.assertEqual(contract.transaction_price, 75000.0)
        self.assertEqual(sum(contract.obligation_ids.mapped("allocated_amount")), 75000.0)

    def test_cancelled_order_reverses_everything(self):
        order, contract = self._january()
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(contract.state, "cancelled")
        self.assertFalse(contract.line_ids.filtered(lambda line: line.state == "planned"))
        self.assertEqual(contract.recognized_amount, 0.0)
        self.assertEqual(self._balances("2099-12-31").get(self.income, 0.0), 0.0)
        with freeze_time("2027-01-01"):  # on 2027-01-01, 2026-12-31 is past: no future recognition
            summary = self.env["revcycle.revenue.contract"].recognize_until("2026-12-31")
        self.assertEqual(summary["lines"], 0)

    def test_rerun_posts_nothing_twice(self):
        # One income item per contract is the "per contract" layout; the default (summarised: one item per
        # account) runs the same re-run in test_monthend_entry.py.
        self.company.revcycle_income_line_mode = "per_contract"
        orders = [self._confirmed_order(), self._confirmed_order()]
        Contract = self.env["revcycle.revenue.contract"]
        first = Contract.recognize_until("2026-03-31")
        self.assertEqual((first["contracts"], first["lines"], first["amount"]), (2, 6, 13500.0))
        # One entry per period (three months), one income line per obligation in each.
        moves = self.env["account.move"].browse(first["move_ids"])
        self.assertEqual(len(moves), 3)
        for move in moves:
            self.assertEqual(len(move.line_ids.filtered(lambda line: line.revcycle_kind == "recognition")), 2)
        moves_before = self.env["account.move"].search_count([("journal_id", "=", self.journal.id)])
        second = Contract.recognize_until("2026-03-31")
        self.assertEqual((second["contracts"], second["lines"], second["move_ids"]), (0, 0, []))
        self.assertEqual(self.env["account.move"].search_count([("journal_id", "=", self.journal.id)]), moves_before)
        # The database refuses a second posted line for the same obligation and period.
        posted = orders[0].revcycle_revenue_contract_ids.line_ids.filtered(lambda line: line.state == "posted")[:1]
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            # sudo: past the ORM's refusal of a posted line written by hand (test below), the database's index
            posted.sudo().copy({"move_id": False, "state": "posted"})
            self.env.flush_all()

    def test_posting_fields_are_written_only_by_the_month_end(self):
        """State, entry and income item of a revenue line are the month-end's: a revrec manager's plain write or
        create of them (XML-RPC, an import) is refused by name and writes nothing; a planned line is still made
        and its planned fields still written."""
        order = self._confirmed_order()
        contract = order.revcycle_revenue_contract_ids
        summary = self.env["revcycle.revenue.contract"].recognize_until("2026-01-31")
        posted = contract.line_ids.filtered(lambda line: line.state == "posted")[:1]
        planned = contract.line_ids.filtered(lambda line: line.state == "planned")[:1]
        other_item = self.env["account.move"].browse(summary["move_ids"]).line_ids - posted.move_line_id
        manager = self.env.user
        self.assertFalse(self.env.su)
        self.assertTrue(manager.has_group("revcycle_revrec.group_revcycle_revrec_manager"))
        for vals in ({"move_line_id": other_item[:1].id}, {"state": "planned"}, {"move_id": False}):
            with self.assertRaisesRegex(AccessError, "set when the month-end posts it"), self.env.cr.savepoint():
                posted.write(vals)
        self.assertEqual((posted.state, posted.move_id.id), ("posted", summary["move_ids"][0]))
        with self.assertRaisesRegex(AccessError, "set when the month-end posts it"), self.env.cr.savepoint():
            planned.write({"state": "posted"})
        with self.assertRaisesRegex(AccessError, "set when the month-end posts it"), self.env.cr.savepoint():
            self.env["revcycle.revenue.line"].create({"obligation_id": planned.obligation_id.id, "date": "2026-12-31",
                                                      "amount": 1.0, "state": "posted"})
        made = self.env["revcycle.revenue.line"].create({"obligation_id": planned.obligation_id.id,
                                                         "date": "2026-12-31", "amount": 0.0, "state": "planned"})
        self.assertEqual(made.state, "planned")

    def test_a_period_is_one_entry_with_a_line_per_contract(self):
        """Three contracts due in January: one entry for the period, with an
        income line per contract and account naming its obligation and contract (the audit trail), and the revenue
        lines marked posted on it at the amount booked (2,250 each: 27,000 of support over 12 months).
        That is the "One per contract" layout of Settings > Revenue Cycle > Month-end income lines, the detailed
        trail a consultant may keep; the default sums the income per account (test_monthend_entry.py)."""
        self.company.revcycle_income_line_mode = "per_contract"
        orders = [self._confirmed_order() for _ in range(3)]
        contracts = self.env["revcycle.revenue.contract"].concat(
            *(order.revcycle_revenue_contract_ids for order in orders))
        summary = self.env["revcycle.revenue.contract"].recognize_until("2026-01-31")
        self.assertEqual((summary["contracts"], summary["lines"], summary["amount"]), (3, 3, 6750.0))
        move = self.env["account.move"].browse(summary["move_ids"])
        self.assertEqual((len(move), move.state, str(move.date)), (1, "posted", "2026-01-31"))
        income = move.line_ids.filtered(lambda line: line.revcycle_kind == "recognition")
        self.assertEqual(income.revcycle_contract_id, contracts)
        for line in income:
            obligation = line.revcycle_contract_id.obligation_ids.filtered(
                lambda ob: ob.recognition == "ratable_monthly")
            self.assertEqual((line.revcycle_obligation_id, line.name, line.credit),
                             (obligation, obligation.display_name, 2250.0))
        revenue_lines = contracts.line_ids.filtered(lambda line: line.move_id == move)
        self.assertEqual(len(revenue_lines), 3)
        # each revenue line leads to its contract's income item
        self.assertEqual({(line.contract_id, line.move_line_id.revcycle_contract_id) for line in revenue_lines},
                         {(contract, contract) for contract in contracts})
        self.assertEqual({(line.state, line.amount_company, line.posted_amount, line.remaining_amount)
                          for line in revenue_lines}, {("posted", 2250.0, 2250.0, 0.0)})
        self.assertBalances("2026-01-31", {self.income: -6750.0, self.asset: 6750.0})

    def test_migration_keeps_the_layout_of_a_company_that_has_recognised(self):
        """18.0.1.3.0's post-migrate: a database from before it had income items per contract and revenue lines
        without their item. The company that has posted recognition entries keeps "One per contract"; each posted
        line is linked back to its contract's income item of its entry (here: 3 contracts, 3 lines, 3 items)."""
        self.company.revcycle_income_line_mode = "per_contract"
        orders = [self._confirmed_order() for _ in range(3)]
        contracts = self.env["revcycle.revenue.contract"].concat(
            *(order.revcycle_revenue_contract_ids for order in orders))
        self.env["revcycle.revenue.contract"].recognize_until("2026-01-31")
        posted = contracts.line_ids.filtered(lambda line: line.state == "posted")
        linked = {line.id: line.move_line_id.id for line in posted}
        self.assertEqual(len(posted), 3)
        # the database as the older version left it: the default layout written on update, no links
        self.company.revcycle_income_line_mode = "summarised"
        self.env.flush_all()
        self.env.cr.execute("UPDATE revcycle_revenue_line SET move_line_id = NULL WHERE id IN %s", [tuple(posted.ids)])
        _load_migration("18.0.1.3.0").migrate(self.env.cr, "18.0.1.2.0")
        self.env.invalidate_all()
        self.assertEqual(self.company.revcycle_income_line_mode, "per_contract")
        self.assertEqual({line.id: line.move_line_id.id for line in posted}, linked)
        self.assertTrue(all(linked.values()))

    def test_a_failing_entry_is_posted_contract_by_contract(self):
        """If the period's entry cannot be posted, each contract is tried in an entry of its own: the bad one is
        skipped and named, the others post (here the entry fails whenever it holds the second contract)."""
        orders = [self._confirmed_order() for _ in range(3)]
        bad = orders[1].revcycle_revenue_contract_ids
        Contract = type(self.env["revcycle.revenue.contract"])
        original = Contract._revcycle_create_entry

        def failing(self, company, move_date, prepared):
            if any(contract == bad for contract, *_rest in prepared):
                raise ValueError("refused")
            return original(self, company, move_date, prepared)

        with patch.object(Contract, "_revcycle_create_entry", failing), \
                mute_logger("odoo.addons.revcycle_revrec.models.revcycle_revenue_contract"):
            summary = self.env["revcycle.revenue.contract"].recognize_until("2026-01-31")
        self.assertEqual(summary["failed_contract_ids"], bad.ids)
        self.assertEqual((summary["lines"], summary["amount"], len(summary["move_ids"])), (2, 4500.0, 2))
        self.assertEqual(bad.recognized_amount, 0.0)
        self.assertBalances("2026-01-31", {self.income: -4500.0, self.asset: 4500.0})

    def test_monthly_cron_recognises_what_is_due(self):
        contract = self._confirmed_order().revcycle_revenue_contract_ids
        cron = self.env.ref("revcycle_revrec.ir_cron_revenue_recognition")
        self.assertEqual((cron.interval_type, cron.interval_number), ("months", 1))
        with freeze_time("2026-03-01"):
            summary = self.env["revcycle.revenue.contract"].with_user(self.env.ref("base.user_root"))._cron_recognize()
        self.assertEqual((summary["lines"], summary["amount"]), (2, 4500.0))
        self.assertEqual(contract.recognized_amount, 4500.0)

    def test_one_bad_contract_does_not_stop_the_batch(self):
        good, bad = self._confirmed_order(), self._confirmed_order()
        self._obligation(bad.revcycle_revenue_contract_ids, self.support).income_account_id = False
        with mute_logger("odoo.addons.revcycle_revrec.models.revcycle_revenue_contract"):
            summary = self.env["revcycle.revenue.contract"].recognize_until("2026-01-31")
        self.assertEqual(summary["failed_contract_ids"], bad.revcycle_revenue_contract_ids.ids)
        self.assertEqual(summary["lines"], 1)
        self.assertEqual(good.revcycle_revenue_contract_ids.recognized_amount, 2250.0)
        self.assertEqual(bad.revcycle_revenue_contract_ids.recognized_amount, 0.0)

    def test_delivery_picking_releases_the_obligation(self):
        goods = self.env["product.product"].create({
            "name": "Appliance", "is_storable": False, "type": "consu", "invoice_policy": "order",
            "revcycle_recognition": "delivery", "revcycle_ssp": 1000.0, "taxes_id": [],
            "property_account_income_id": self.income.id})
        order = self._confirmed_order([(goods, 800.0), (self.support, 400.0)])
        contract = order.revcycle_revenue_contract_ids
        # 1,200 split by SSP 1,000 : 36,000.
        self.assertEqual(self._obligation(contract, goods).allocated_amount, 32.43)
        self.assertEqual(self._obligation(contract, self.support).allocated_amount, 1167.57)
        picking = order.picking_ids
        picking.move_ids.quantity = 1.0
        picking.button_validate()
        line = self._obligation(contract, goods).line_ids
        self.assertEqual((line.state, line.ready), ("posted", True))
        self.assertAlmostEqual(self._balances("2099-12-31").get(self.income, 0.0), -line.amount, places=2)
        self.assertAlmostEqual(self._balances("2099-12-31").get(self.asset, 0.0), line.amount, places=2)


@tagged("post_install", "-at_install", "revcycle")
class TestParallelRuns(RevrecCommon):
    def test_locked_contracts_are_skipped(self):
        """Two workers on two real cursors: the second skips the contract the first holds, then takes it when
        the first is done. The rows are committed by the first cursor (another cursor cannot see the test
        transaction) and removed at the end."""
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            env_a = api.Environment(cr_a, api.SUPERUSER_ID, {})
            env_b = api.Environment(cr_b, api.SUPERUSER_ID, {})
            company = env_a.ref("base.main_company")
            product = env_a["product.product"].create({"name": "revcycle lock probe", "type": "service"})
            probe = env_a["revcycle.revenue.contract"].create({
                "partner_id": company.partner_id.id, "company_id": company.id,
                "currency_id": company.currency_id.id, "date": "2026-01-01"})
            obligation = env_a["revcycle.performance.obligation"].create({
                "contract_id": probe.id, "name": "lock probe", "product_id": product.id,
                "recognition": "ratable_monthly", "date_start": "2026-01-01", "date_end": "2026-01-31",
                "allocated_amount": 1.0})
            obligation._revcycle_plan()
            cr_a.commit()
            try:
                lock_a = env_a["revcycle.revenue.contract"]._revcycle_lock_due
                lock_b = env_b["revcycle.revenue.contract"]._revcycle_lock_due
                self.assertEqual(lock_a("2026-01-31", company.ids, 0, 10), probe.ids)
                self.assertEqual(lock_b("2026-01-31", company.ids, 0, 10), [],
                                 "the second worker must skip the contract the first one holds")
                cr_a.rollback()
                self.assertEqual(lock_b("2026-01-31", company.ids, 0, 10), probe.ids)
                cr_b.rollback()
            finally:
                env_a.invalidate_all()
                env_a["revcycle.revenue.contract"].browse(probe.id).unlink()
                env_a["product.product"].browse(product.id).unlink()
                cr_a.commit()


@tagged("post_install", "-at_install", "revcycle")
class TestModification(RevrecCommon):
    def test_added_line_reallocates_what_is_left_prospectively(self):
        """Training (SSP 6,000) added at 5,000, below its SSP: not a separate contract (issue 16 item 7: that is for
        distinct goods at their SSP, test_modifications) but a prospective modification (ASC 606-10-25-13(a))."""
        order, contract = self._january()
        training = self._revrec_product("Training", "delivery", 6000.0)
        with freeze_time("2026-02-15"):
            order.write({"order_line": [Command.create({"product_id": training.id, "price_unit": 5000.0,
                                                        "tax_id": [Command.clear()]})]})
        # 95,000 less the 65,250 recognised = 29,750, by SSP of the work left: 11/12 of support (33,000) and
        # training (6,000): 29,750 x 6,000 / 39,000 = 4,576.92 and 29,750 x 33,000 / 39,000 = 25,173.08 (the cent
        # left goes to the larger remainder, .077 against .923 of a cent).
        self.assertEqual(contract.transaction_price, 95000.0)
        self.assertEqual(contract.modification_ids.kind, "prospective")
        support, new = self._obligation(contract, self.support), self._obligation(contract, training)
        self.assertEqual(new.allocated_amount, 4576.92)
        self.assertEqual(str(new.date_start), "2026-02-15")
        self.assertEqual(support.allocated_amount, 2250.0 + 25173.08)
        planned = support.line_ids.filtered(lambda line: line.state == "planned")
        self.assertEqual(len(planned), 11)
        self.assertAlmostEqual(sum(planned.mapped("amount")), 25173.08, places=2)
        self.assertEqual(self._obligation(contract, self.licence).allocated_amount, 45000.0)
        self.assertAlmostEqual(sum(contract.line_ids.mapped("amount")), 95000.0, places=2)
        # Re-saving the same prices changes nothing.
        order.order_line[0].price_unit = 50000.0
        self.assertEqual(support.allocated_amount, 27423.08)
        self.assertEqual(len(contract.modification_ids), 1)
