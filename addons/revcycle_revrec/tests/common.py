from freezegun import freeze_time
from odoo import Command, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class RevrecCommon(AccountTestInvoicingCommon):
    """A company with a chart and the recognition settings, and the three products of docs/domain.md §3."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.env.user.groups_id |= cls.env.ref("revcycle_revrec.group_revcycle_revrec_manager")
        cls.company._revcycle_revrec_setup_accounts()
        cls.deferred = cls.company.revcycle_deferred_revenue_account_id
        cls.asset = cls.company.revcycle_contract_asset_account_id
        cls.journal = cls.company.revcycle_recognition_journal_id
        cls.income = cls.company_data["default_account_revenue"]
        cls.receivable = cls.company_data["default_account_receivable"]
        cls.licence = cls._revrec_product("Licence", "delivery", 60000.0)
        cls.support = cls._revrec_product("Support", "ratable_monthly", 36000.0, term=12)
        cls.installation = cls._revrec_product("Installation", "delivery", 24000.0)

    @classmethod
    def _revrec_product(cls, name, method, ssp, term=12):
        return cls.env["product.product"].create({
            "name": name, "type": "service", "invoice_policy": "order", "revcycle_recognition": method,
            "revcycle_ssp": ssp, "revcycle_term_months": term, "taxes_id": [Command.clear()],
            "property_account_income_id": cls.income.id,
        })

    def _confirmed_order(self, lines=None, on="2026-01-01", **values):
        """The worked example sold at list prices that differ from the SSPs: 50,000 + 30,000 + 10,000 = 90,000."""
        lines = lines or [(self.licence, 50000.0), (self.support, 30000.0), (self.installation, 10000.0)]
        order = self.env["sale.order"].create({
            "partner_id": self.partner_a.id,
            "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1.0, "price_unit": price,
                                           "tax_id": [Command.clear()]}) for product, price in lines],
            **values,
        })
        with freeze_time(on):
            order.action_confirm()
        return order

    def _obligation(self, contract, product):
        return contract.obligation_ids.filtered(lambda ob: ob.product_id == product)

    def _satisfy(self, contract, product, on):
        self._obligation(contract, product).with_context(revcycle_date=on).action_revcycle_satisfy()

    def _january(self):
        """The worked example's order, invoiced in full on 1 January, licence and installation delivered, January
        recognised."""
        order = self._confirmed_order()
        contract = order.revcycle_revenue_contract_ids
        self._invoice(order, "2026-01-01")
        self._satisfy(contract, self.licence, "2026-01-01")
        self._satisfy(contract, self.installation, "2026-01-31")
        self.env["revcycle.revenue.contract"].recognize_until("2026-01-31")
        return order, contract

    def _invoice(self, order, on, lines=None, move_type="out_invoice"):
        """``lines``: (sale line, amount); default: the order's own invoice for everything."""
        if lines is None and move_type == "out_invoice":
            invoice = order._create_invoices()
            invoice.invoice_date = on
        else:
            invoice = self.env["account.move"].create({
                "move_type": move_type, "partner_id": order.partner_id.id, "invoice_date": on,
                "currency_id": order.currency_id.id,
                "invoice_line_ids": [Command.create({
                    "product_id": sale_line.product_id.id, "quantity": 1.0, "price_unit": amount,
                    "tax_ids": [Command.clear()], "sale_line_ids": [Command.set(sale_line.ids)],
                }) for sale_line, amount in lines],
            })
        invoice.action_post()
        return invoice

    def _balances(self, on, company=None):
        """{account: balance} of the posted general ledger up to ``on`` (debit positive)."""
        company = company or self.company
        groups = self.env["account.move.line"]._read_group(
            [("company_id", "=", company.id), ("parent_state", "=", "posted"),
             ("date", "<=", fields.Date.to_date(on))], ["account_id"], ["balance:sum"])
        return dict(groups)

    def assertBalances(self, on, expected):
        balances = self._balances(on)
        for account, amount in expected.items():
            with self.subTest(date=on, account=account.name):
                self.assertAlmostEqual(balances.get(account, 0.0), amount, places=2)

    def assertContractsTieOut(self, on, msg=""):
        """The invariant per revenue contract of the company, up to ``on`` (company currency): recognised +
        exchange differences + deferred revenue - contract asset = billed. Recognised is what the contract's
        posted revenue lines were booked at (the income items may sum several contracts: Settings > Revenue Cycle
        > Month-end income lines); the rest is the contract's own items (billing, position, netting, exchange).
        Also: the ledger's revenue from recognition entries is the sum of those lines, so the links tie out."""
        company = self.company
        rounding = company.currency_id.round
        lines = self.env["revcycle.revenue.line"].search(
            [("company_id", "=", company.id), ("state", "=", "posted"), ("move_id.date", "<=", on)])
        items = self.env["account.move.line"].search(
            [("company_id", "=", company.id), ("parent_state", "=", "posted"), ("date", "<=", on),
             ("revcycle_contract_id", "!=", False), ("revcycle_kind", "!=", "recognition")])
        income = self.env["account.move.line"].search(
            [("company_id", "=", company.id), ("parent_state", "=", "posted"), ("date", "<=", on),
             ("revcycle_kind", "=", "recognition")])
        self.assertAlmostEqual(-sum(income.mapped("balance")), sum(lines.mapped("amount_company")), places=2,
                               msg=f"income items against their revenue lines on {on} {msg}")
        deferred_account, asset_account = company.revcycle_deferred_revenue_account_id, \
            company.revcycle_contract_asset_account_id

        def total(items, sign=1):
            return rounding(sign * sum(items.mapped("balance")))

        for contract in lines.contract_id | items.revcycle_contract_id:
            mine = items.filtered(lambda item, c=contract: item.revcycle_contract_id == c)
            figures = {
                "recognised": rounding(sum(lines.filtered(lambda line, c=contract: line.contract_id == c)
                                           .mapped("amount_company"))),
                "exchange": total(mine.filtered(lambda item: item.revcycle_kind == "exchange"), -1),
                "deferred": total(mine.filtered(lambda item: item.account_id == deferred_account), -1),
                "asset": total(mine.filtered(lambda item: item.account_id == asset_account)),
                "billed": total(mine.filtered(lambda item: item.revcycle_kind == "billing"), -1),
            }
            self.assertAlmostEqual(
                figures["recognised"] + figures["exchange"] + figures["deferred"] - figures["asset"],
                figures["billed"], places=2, msg=f"{contract.name} on {on}: {figures} {msg}")
