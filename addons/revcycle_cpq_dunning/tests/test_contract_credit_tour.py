"""The main journey of revcycle_cpq_dunning in the backend, in a browser: a contract's activation refused by the
customer's credit limit, the limit raised by the credit manager, the contract activated."""

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestContractCreditTour(HttpCase):
    def test_activation_refused_then_allowed_after_the_limit_is_raised(self):
        """A signed monthly prepaid contract of 100.00 (untaxed) from today, for a new customer with a 250.00 limit
        and nothing else owed. Over the 3-month horizon it will bill today, +1 and +2 months: 3 x 100 = 300.00 >
        250.00, so Activate is refused with both figures and the contract stays signed. The credit manager raises
        the limit to 300.00 from the customer's form (exactly at the limit is allowed) and the contract activates.
        Checked afterwards: the contract is active and the limit the browser wrote is 300.00."""
        company = self.env.ref("base.main_company")
        company.write({"revcycle_credit_check_on_confirm": True, "revcycle_exposure_contract_months": 3,
                       "revcycle_exposure_include_contract": True})
        self.env.ref("base.user_admin").groups_id |= (
            self.env.ref("revcycle_dunning.group_revcycle_dunning_manager")
            | self.env.ref("revcycle_cpq.group_revcycle_cpq_manager")
        )
        customer = self.env["res.partner"].with_company(company).create(
            {"name": "Tour Credit Customer", "is_company": True, "credit_limit": 250.0})
        product = self.env["product.product"].create(
            {"name": "Tour support plan", "type": "service", "list_price": 100.0, "taxes_id": [Command.clear()]})
        contract_model = self.env["revcycle.contract"]
        contract = contract_model.create({
            "partner_id": customer.id,
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            # the server's today (the admin's time zone): a start before it would add a fourth period
            "date_start": fields.Date.context_today(contract_model.with_user(self.env.ref("base.user_admin"))),
            "billing_period": "month",
            "billing_mode": "prepaid",
            "line_ids": [Command.create({"product_id": product.id, "name": "Support", "quantity": 1,
                                         "price_unit": 100.0, "tax_ids": [Command.clear()]})],
        })
        contract.action_sign()

        self.start_tour(f"/odoo/revcycle-contracts/{contract.id}", "revcycle_contract_credit_tour", login="admin")

        self.assertEqual(contract.state, "active")
        self.assertEqual(customer.with_company(company).credit_limit, 300.0)
