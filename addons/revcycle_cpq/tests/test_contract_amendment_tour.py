"""The contract amendment journey of revcycle_cpq in the backend, in a browser: Amend, a quantity, Submit, Apply."""

from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestContractAmendmentTour(HttpCase):
    def test_amend_an_active_contract_in_the_browser(self):
        """An active monthly contract of 10 seats at 30 (MRR 300) since the first of this year is amended to 15
        seats from today through its form: afterwards the line has 15 seats, the amendment is applied with MRR
        300 -> 450, and the contract's MRR history has its expansion event (300 -> 450)."""
        company = self.env.ref("base.main_company")
        customer = self.env["res.partner"].create({"name": "Tour Amendment Customer", "is_company": True})
        product = self.env["product.product"].create(
            {"name": "Tour seat", "type": "service", "list_price": 30.0, "taxes_id": [Command.clear()]}
        )
        start = self.env.cr.now().date().replace(month=1, day=1)
        contract = self.env["revcycle.contract"].create(
            {
                "partner_id": customer.id,
                "company_id": company.id,
                "currency_id": company.currency_id.id,
                "billing_period": "month",
                "date_start": start,
                "line_ids": [
                    Command.create({"product_id": product.id, "name": "Tour Seats", "quantity": 10, "price_unit": 30})
                ],
            }
        )
        contract.action_sign()
        contract.action_activate()

        self.start_tour(f"/odoo/revcycle-contracts/{contract.id}", "revcycle_contract_amendment_tour", login="admin")

        amendment = contract.amendment_ids
        self.assertEqual(len(amendment), 1)
        self.assertEqual((amendment.state, amendment.kind), ("applied", "quantity"))
        self.assertEqual((amendment.mrr_before, amendment.mrr_after), (300.0, 450.0))
        self.assertEqual(contract.line_ids.quantity, 15)
        expansion = contract.mrr_event_ids.filtered(lambda event: event.kind == "expansion")
        self.assertEqual((expansion.mrr_before, expansion.mrr_after), (300.0, 450.0))
