from datetime import timedelta

from odoo import Command, fields

from .common import RevcycleCreditCommon


class RevcycleDunningCommon(RevcycleCreditCommon):
    """The credit fixture plus a five-level ladder as the company default and a taxed late fee product."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "ap@credit-customer.example.com"
        cls.policy = cls.env["revcycle.dunning.policy"].create({
            "name": "Test ladder",
            "company_id": cls.company.id,
            "level_ids": [
                Command.create({"sequence": 10, "name": "Friendly", "days": -3, "channel": "email"}),
                Command.create({"sequence": 20, "name": "First", "days": 7, "channel": "email"}),
                Command.create({"sequence": 30, "name": "Letter", "days": 21, "channel": "letter",
                                "fee_fixed": 15.0, "fee_percent": 1.0}),
                Command.create({"sequence": 40, "name": "Call", "days": 35, "channel": "phone",
                                "sets_credit_hold": True}),
                Command.create({"sequence": 50, "name": "Agency", "days": 60, "channel": "agency",
                                "min_overdue_amount": 100.0}),
            ],
        })
        cls.friendly, cls.first, cls.letter, cls.call, cls.agency = cls.policy.level_ids.sorted("sequence")
        cls.company.revcycle_dunning_policy_id = cls.policy
        cls.company.revcycle_credit_check_on_invoice = False
        cls.fee_tax = cls.company_data["default_tax_sale"]
        cls.fee_product = cls.env.ref("revcycle_dunning.product_product_late_fee")
        cls.fee_product.taxes_id = cls.fee_tax
        cls.company.revcycle_dunning_fee_product_id = cls.fee_product
        cls.Run = cls.env["revcycle.dunning.run"]
        cls.Notice = cls.env["revcycle.dunning.notice"]
        cls.base_date = fields.Date.from_string("2025-03-03")

    def _due_invoice(self, amount, due, partner=None):
        """A posted invoice due on ``due`` (immediate terms: due on its date)."""
        return self.init_invoice("out_invoice", partner=partner or self.customer, invoice_date=due,
                                 amounts=[amount], taxes=[], post=True)

    def _customer(self, name, **vals):
        return self.env["res.partner"].create({
            "name": name, "is_company": True, "property_payment_term_id": self.pay_terms_a.id, **vals})

    def _day(self, days):
        return self.base_date + timedelta(days=days)

    def _deliver(self):
        """What the sending job and the collector do after a run: emails queued, letters printed, calls made."""
        self.Notice._cron_send_notices()
        self.Notice.search([("state", "=", "to_print")]).action_mark_printed()
        calls = self.env["mail.activity"].search([
            ("res_model", "=", self.Notice._name),
            ("activity_type_id", "=", self.env.ref("mail.mail_activity_data_call").id)])
        calls.action_feedback(feedback="Called")

    def _notices(self, partner=None):
        return self.Notice.search([("partner_id", "=", (partner or self.customer).id)]).sorted("id")
