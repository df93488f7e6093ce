"""Multi-currency contracts, multi-company rules, roles and bad input."""
from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import RevrecCommon


@tagged("post_install", "-at_install", "revcycle")
class TestMultiCurrencyCompany(RevrecCommon):
    def test_contract_in_a_foreign_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])  # 1 USD = 2 EUR
        for product, ssp in ((self.licence, 120000.0), (self.support, 72000.0), (self.installation, 48000.0)):
            self.env["revcycle.ssp"].create({"product_tmpl_id": product.product_tmpl_id.id, "currency_id": eur.id,
                                             "company_id": self.company.id, "date_from": "2025-01-01",
                                             "price": ssp})
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": eur.id,
                                                          "company_id": self.company.id})
        order = self._confirmed_order([(self.licence, 100000.0), (self.support, 60000.0),
                                       (self.installation, 20000.1)], pricelist_id=pricelist.id)
        contract = order.revcycle_revenue_contract_ids
        self.assertEqual(contract.currency_id, eur)
        allocated = contract.obligation_ids.mapped("allocated_amount")
        # 180,000.10 EUR by 120 : 72 : 48; the odd cent goes to the largest remainder.
        self.assertEqual(allocated, [90000.05, 54000.03, 36000.02])
        self.assertEqual(round(sum(allocated), 2), contract.transaction_price)
        self.env["revcycle.revenue.contract"].recognize_until("2026-01-31")
        line = self._obligation(contract, self.support).line_ids[0]
        # 54,000.03 over 12 months: January takes 4,500.01 (largest remainder, earliest on ties), half in USD.
        self.assertEqual((line.state, line.amount, line.amount_company), ("posted", 4500.01, 2250.01))
        income_line = line.move_id.line_ids.filtered(lambda ml: ml.revcycle_kind == "recognition")
        self.assertEqual((income_line.currency_id, income_line.amount_currency, income_line.balance),
                         (eur, -4500.01, -2250.01))
        # Not billed yet: the earned 2,250 USD is a contract asset in company currency.
        self.assertBalances("2026-01-31", {self.asset: 2250.01, self.income: -2250.01})

    def test_product_ssp_serves_a_foreign_currency_order(self):
        """Issue 16 item 11: without an SSP table row in EUR, the products' SSPs (USD 60,000 : 36,000 : 24,000)
        are converted at 1 USD = 2 EUR (120,000 : 72,000 : 48,000) instead of being ignored (which weighed the
        selling prices): 180,000.10 EUR -> 90,000.05 / 54,000.03 / 36,000.02, as with the table."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": eur.id,
                                                          "company_id": self.company.id})
        order = self._confirmed_order([(self.licence, 100000.0), (self.support, 60000.0),
                                       (self.installation, 20000.1)], pricelist_id=pricelist.id)
        contract = order.revcycle_revenue_contract_ids
        self.assertEqual(contract.obligation_ids.mapped("allocated_amount"), [90000.05, 54000.03, 36000.02])
        self.assertEqual(contract.obligation_ids.mapped("ssp_source"), ["ssp"] * 3)

    def test_companies_see_only_their_contracts(self):
        order = self._confirmed_order()
        contract = order.revcycle_revenue_contract_ids
        other = self.setup_other_company(name="revcycle other company")["company"]
        groups = "revcycle_revrec.group_revcycle_revrec_manager,base.group_user"
        outsider = new_test_user(self.env, "rc_revrec_outsider", groups=groups, company_id=other.id,
                                 company_ids=[Command.set(other.ids)])
        insider = new_test_user(self.env, "rc_revrec_insider", groups=groups, company_id=self.company.id,
                                company_ids=[Command.set(self.company.ids)])
        for model, records in (("revcycle.revenue.contract", contract),
                               ("revcycle.performance.obligation", contract.obligation_ids),
                               ("revcycle.revenue.line", contract.line_ids)):
            with self.subTest(model=model):
                self.assertFalse(self.env[model].with_user(outsider).search([("id", "in", records.ids)]))
                self.assertEqual(self.env[model].with_user(insider).search([("id", "in", records.ids)]), records)
        # The outsider's run sees nothing of the other company and posts nothing there.
        with freeze_time("2027-01-01"):  # on 2027-01-01, 2026-12-31 is past: no future recognition
            summary = self.env["revcycle.revenue.contract"].with_user(outsider).with_company(other).recognize_until(
                "2026-12-31")
        self.assertEqual(summary["lines"], 0)
        self.assertEqual(contract.recognized_amount, 0.0)

    def test_only_managers_post_revenue(self):
        self._confirmed_order()
        reader = new_test_user(self.env, "rc_revrec_reader", groups="revcycle_revrec.group_revcycle_revrec_user",
                               company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        with self.assertRaisesRegex(AccessError, "manager"):
            self.env["revcycle.revenue.contract"].with_user(reader).recognize_until("2026-12-31")
        self.assertFalse(self.env["revcycle.revenue.line"].search([("state", "=", "posted")]))

    def test_order_without_settings_makes_no_contract(self):
        other = self.setup_other_company(name="revcycle plain company")["company"]
        self.env.user.company_ids |= other
        # Issue 16 item 10: loading its chart proposed the three records, without switching recognition on
        deferred, asset, journal = (
            self.env["account.account"].with_company(other).search([("code", "=", "REVDEF")]),
            self.env["account.account"].with_company(other).search([("code", "=", "REVCAS")]),
            self.env["account.journal"].search([("company_id", "=", other.id), ("code", "=", "REVR")]),
        )
        self.assertEqual((len(deferred), len(asset), len(journal)), (1, 1, 1))
        self.assertEqual((deferred.account_type, asset.account_type, journal.type),
                         ("liability_current", "asset_current", "general"))
        self.assertFalse(other._revcycle_revrec_enabled())
        self.assertNotEqual(self.env["account.journal"].search(
            [("company_id", "=", other.id), ("type", "=", "general")], limit=1), journal,
            "not taken for the company's default miscellaneous journal")
        order = self.env["sale.order"].with_company(other).create({
            "partner_id": self.partner_a.id, "company_id": other.id,
            "order_line": [Command.create({"product_id": self.support.id, "price_unit": 10.0})]})
        order.action_confirm()
        self.assertFalse(order.revcycle_revenue_contract_ids)
        # Issue 16 item 10: not in silence: the order says recognition is off, and so do the settings...
        self.assertIn("Revenue recognition is off", order.message_ids[:1].body)
        settings = self.env["res.config.settings"].with_company(other).create({})
        self.assertTrue(settings.revcycle_revrec_setup_missing)
        # ...which create the three settings in one click, as the demo does.
        settings.action_revcycle_revrec_setup_accounts()
        self.assertTrue(other._revcycle_revrec_enabled())
        # the proposed records, not new ones
        self.assertEqual((other.revcycle_deferred_revenue_account_id, other.revcycle_contract_asset_account_id,
                          other.revcycle_recognition_journal_id), (deferred, asset, journal))
        self.assertEqual(self.env["account.journal"].search_count(
            [("company_id", "=", other.id), ("code", "=", "REVR")]), 1)
        self.assertFalse(self.env["res.config.settings"].with_company(other).create({}).revcycle_revrec_setup_missing)

    def test_bad_input_is_refused(self):
        contracts_before = self.env["revcycle.revenue.contract"].search_count([])
        template = self.support.product_tmpl_id
        with self.assertRaisesRegex(ValidationError, "at least 1 month"), self.env.cr.savepoint():
            template.revcycle_term_months = 0
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            template.revcycle_ssp = -1.0
            template.flush_recordset()
        self.assertEqual((template.revcycle_term_months, template.revcycle_ssp), (12, 36000.0))
        contract = self._confirmed_order().revcycle_revenue_contract_ids
        obligation = self._obligation(contract, self.support)
        for values in ({"date_end": "2025-12-31"}, {"ssp": -5.0}):
            with self.subTest(**values), self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), \
                    self.env.cr.savepoint():
                obligation.write(values)
                obligation.flush_recordset()
        obligation.invalidate_recordset()
        self.assertEqual((str(obligation.date_end), obligation.ssp), ("2026-12-31", 36000.0))
        self.assertEqual(self.env["revcycle.revenue.contract"].search_count([]), contracts_before + 1)

    def test_salesman_and_billing_clerk_need_no_revenue_rights(self):
        """Confirming and invoicing are their rights; the contract and its entries follow without revrec groups."""
        salesman = new_test_user(self.env, "rc_revrec_salesman", groups="sales_team.group_sale_salesman_all_leads",
                                 company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        clerk = new_test_user(self.env, "rc_revrec_clerk", groups="account.group_account_invoice",
                              company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        order = self.env["sale.order"].with_user(salesman).create({
            "partner_id": self.partner_a.id,
            "order_line": [Command.create({"product_id": self.support.id, "price_unit": 1200.0,
                                           "tax_id": [Command.clear()]})]})
        order.action_confirm()
        order.read()  # the salesman reads the whole order: revenue fields are left out, not refused
        order = order.with_user(self.env.user)
        contract = order.revcycle_revenue_contract_ids
        self.assertEqual(contract.transaction_price, 1200.0)
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"):
            contract.with_user(salesman).read(["transaction_price"])
        invoice = order._create_invoices()
        invoice.invoice_date = "2026-01-01"
        invoice.with_user(clerk).action_post()
        self.assertEqual(invoice.invoice_line_ids.account_id, self.deferred)
        self.assertEqual(contract.contract_liability, 1200.0)
