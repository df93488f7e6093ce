from datetime import timedelta

from odoo import Command, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import new_test_user


class RevcycleCreditCommon(AccountTestInvoicingCommon):
    """A customer with a limit of 1,000, untaxed products at 100, and one user per role."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.company = cls.env.company
        # the accountant who sets the scene also reads the credit models; roles are tested with their own users
        cls.env.user.groups_id |= cls.env.ref("revcycle_dunning.group_revcycle_dunning_manager")
        # immediate payment: an invoice is due on its date, so the tests age invoices by their date
        cls.customer = cls.env["res.partner"].create({
            "name": "Credit Customer Ltd", "is_company": True, "property_payment_term_id": cls.pay_terms_a.id})
        cls.contact = cls.env["res.partner"].create({"name": "Jane Buyer", "parent_id": cls.customer.id})
        cls.customer.credit_limit = 1000.0
        cls.product = cls._create_product(name="Widget", lst_price=100.0, taxes_id=[Command.clear()],
                                          invoice_policy="order")
        cls.salesman = new_test_user(
            cls.env, "rc_salesman", groups="sales_team.group_sale_salesman_all_leads",
            company_ids=[Command.set(cls.env.companies.ids)])
        cls.credit_manager = new_test_user(
            cls.env, "rc_credit_manager",
            groups="sales_team.group_sale_salesman_all_leads,revcycle_dunning.group_revcycle_dunning_manager",
            company_ids=[Command.set(cls.env.companies.ids)])
        cls.collector = new_test_user(
            cls.env, "rc_collector", groups="revcycle_dunning.group_revcycle_dunning_user")

    def _order(self, partner=None, quantity=1.0, price=100.0, pricelist=None, company=None, user=None):
        env = self.env(user=user) if user else self.env
        company = company or self.company
        vals = {
            "partner_id": (partner or self.customer).id,
            "company_id": company.id,
            "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": quantity,
                                           "price_unit": price, "tax_id": [Command.clear()]})],
        }
        if pricelist:
            vals["pricelist_id"] = pricelist.id
        return env["sale.order"].with_company(company).create(vals)

    def _invoice(self, amount, partner=None, days_ago=0, move_type="out_invoice", post=True):
        invoice_date = self.today - timedelta(days=days_ago)
        return self.init_invoice(move_type, partner=partner or self.customer, invoice_date=invoice_date,
                                 amounts=[amount], taxes=[], post=post)

    def _pay(self, invoices, amount, days_ago=0):
        return self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids,
        ).create({"amount": amount, "payment_date": self.today - timedelta(days=days_ago)})._create_payments()

    def _commit_events(self):
        """What the commit would do: run the precommit refresh of the marked customers."""
        self.env.cr.precommit.run()

    def _profile(self, partner=None, company=None):
        return self.env["revcycle.credit.profile"].search([
            ("partner_id", "=", (partner or self.customer).commercial_partner_id.id),
            ("company_id", "=", (company or self.company).id)])
