from datetime import date

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import new_test_user


class ContractCase(AccountTestInvoicingCommon):
    """A company with a 310-a-month service, a customer and a CPQ salesperson (as tests/test_contract.py has)."""

    @classmethod
    def get_default_groups(cls):
        # AccountTestInvoicingCommon runs as an accountant; contracts are the Quotes & Contracts managers' job
        return super().get_default_groups() | cls.env.ref("revcycle_cpq.group_revcycle_cpq_manager")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = cls.env["product.product"].create(
            {
                "name": "Monthly support",
                "type": "service",
                "list_price": 310.0,
                "revcycle_recurring": True,
                "revcycle_billing_period": "month",
                "taxes_id": [Command.clear()],
            }
        )
        cls.customer = cls.env["res.partner"].create({"name": "Contract Customer"})
        cls.salesman = new_test_user(
            cls.env,
            "rc_contract_case_salesman",
            groups="revcycle_cpq.group_revcycle_cpq_user,account.group_account_invoice",
            company_id=cls.company_data["company"].id,
        )
        cls.Contract = cls.env["revcycle.contract"]

    @classmethod
    def _metered_storage(cls):
        """A metered product: 0.02 a unit after 1,000 included a month, at least 50.00 a month (no tax)."""
        return cls.env["product.product"].create(
            {
                "name": "Storage (GB-hours)",
                "type": "service",
                "list_price": 0.02,
                "revcycle_recurring": True,
                "revcycle_billing_period": "month",
                "revcycle_metered": True,
                "revcycle_charge_model": "per_unit",
                "revcycle_usage_included": 1000,
                "revcycle_usage_minimum": 50.0,
                "taxes_id": [Command.clear()],
            }
        )

    def _contract(self, **values):
        values.setdefault(
            "line_ids",
            [Command.create({"product_id": self.service.id, "name": "Support", "quantity": 1, "price_unit": 310.0})],
        )
        return self.Contract.create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company_data["company"].id,
                "currency_id": self.company_data["currency"].id,
                "date_start": date(2026, 1, 1),
                "date_end": date(2026, 12, 31),
                **values,
            }
        )

    def _active(self, **values):
        contract = self._contract(**values)
        contract.action_sign()
        contract.action_activate()
        return contract
