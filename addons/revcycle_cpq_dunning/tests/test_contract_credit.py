"""Contracts in credit control: recurring order lines count through their contract, an active contract counts by
what it will bill over the horizon, and activation is credit-checked. Figures by hand in the comments."""

from odoo import Command
from odoo.addons.revcycle_dunning.tests.common import RevcycleCreditCommon
from odoo.exceptions import UserError
from odoo.tests import tagged


@tagged("post_install", "-at_install", "revcycle")
class TestContractCredit(RevcycleCreditCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("revcycle_cpq.group_revcycle_cpq_manager")
        cls.subscription = cls._create_product(
            name="Support plan", lst_price=100.0, taxes_id=[Command.clear()], type="service",
            revcycle_recurring=True, revcycle_billing_period="month")
        cls.customer.credit_limit = 0.0

    def _contract(self, price=100.0):
        return self.env["revcycle.contract"].create({
            "partner_id": self.customer.id, "company_id": self.company.id, "currency_id": self.company.currency_id.id,
            "date_start": self.today, "billing_period": "month", "billing_mode": "prepaid",
            "line_ids": [Command.create({"product_id": self.subscription.product_variant_id.id, "name": "Support",
                                         "quantity": 1, "price_unit": price})],
        })

    def test_recurring_order_line_is_not_an_order_left_to_invoice(self):
        # the reproduction: a 100/month recurring line stayed in "orders not invoiced" for ever (100 of exposure for
        # a customer who owes nothing). Its contract bills it; the order part is 0.
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": self.subscription.product_variant_id.id,
                                           "product_uom_qty": 1, "price_unit": 100.0, "tax_id": [Command.clear()]})],
        })
        order.action_confirm()
        self._commit_events()
        self.assertTrue(order.revcycle_contract_ids)
        self.assertRecordValues(self._profile(), [{"exposure_order": 0.0, "exposure_contract": 0.0,
                                                   "exposure": 0.0}])  # its contract is not active yet

    def test_active_contract_counts_what_it_will_bill_over_the_horizon(self):
        contract = self._contract()
        contract.action_sign()
        contract.action_activate()
        self._commit_events()
        # prepaid from today, 100 a month, 3-month horizon: today, +1 month, +2 months = 300
        self.assertRecordValues(self._profile(), [{"exposure_contract": 300.0, "exposure": 300.0}])
        self.assertEqual(self.customer.revcycle_check_credit(0.0)["exposure_parts"]["contract"], 300.0)
        self.company.revcycle_exposure_contract_months = 6
        self.customer.write({"credit_limit": 0.0})  # marks the customer: measured again at the commit
        self._commit_events()
        self.assertEqual(self._profile().exposure_contract, 600.0)  # six periods
        self.company.revcycle_exposure_include_contract = False
        self.assertEqual(self._profile().exposure, 0.0)

    def test_invoiced_period_moves_from_contract_to_invoices(self):
        contract = self._contract()
        contract.action_sign()
        contract.action_activate()
        self.env["revcycle.contract"]._cron_generate_invoices()
        self._commit_events()
        # the first 100 is now an invoice; the contract still has +1 and +2 months to bill: 100 + 200 = 300
        self.assertRecordValues(self._profile(), [{"exposure_invoice": 100.0, "exposure_contract": 200.0,
                                                   "exposure": 300.0}])

    def test_activation_is_credit_checked(self):
        self.customer.credit_limit = 250.0
        contract = self._contract()
        contract.action_sign()
        # 300 over the horizon against a limit of 250: refused with the figures, nothing written
        with self.assertRaisesRegex(UserError, "cannot be activated.*300.00.*250.00"):
            contract.action_activate()
        self.assertEqual(contract.state, "signed")
        self.customer.credit_limit = 300.0  # exactly at the limit is allowed
        contract.action_activate()
        self.assertEqual(contract.state, "active")
