"""The main journey of revcycle_dunning in the backend, in a browser: a dunning run made, run, its notice sent."""

from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestDunningRunTour(HttpCase):
    def test_dunning_run_then_notice_sent_in_the_browser(self):
        """A customer with a 600.00 invoice due 2024-12-01 and a one-level email ladder ('Tour reminder', 1 day):
        a run as of 2025-01-15 for that customer (45 days late) makes one notice at that level, which the user
        sends from its form. Checked afterwards: one notice, sent, its email queued to the customer and logged on
        the notice."""
        company = self.env.ref("base.main_company")
        customer = self.env["res.partner"].create(
            {"name": "Tour Dunning Customer", "is_company": True, "email": "ap@tour-dunning.example.com"}
        )
        policy = self.env["revcycle.dunning.policy"].create(
            {
                "name": "Tour ladder",
                "company_id": company.id,
                "level_ids": [Command.create({"name": "Tour reminder", "days": 1, "channel": "email"})],
            }
        )
        company.revcycle_dunning_policy_id = policy
        invoice = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": "2024-12-01",
                    "invoice_date_due": "2024-12-01",
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [
                        Command.create({"name": "Service", "quantity": 1, "price_unit": 600, "tax_ids": []})
                    ],
                }
            )
        )
        invoice.action_post()
        run = self.env["revcycle.dunning.run"].create(
            {"date": "2025-01-15", "company_id": company.id, "partner_ids": [Command.set(customer.ids)]}
        )

        self.start_tour("/odoo", "revcycle_dunning_run_tour", login="admin")

        self.assertEqual(run.state, "done")
        notice = self.env["revcycle.dunning.notice"].search([("partner_id", "=", customer.id)])
        self.assertEqual((len(notice), notice.level_id.name, notice.state), (1, "Tour reminder", "sent"))
        self.assertEqual(notice.line_ids.invoice_id, invoice)
        mail = self.env["mail.mail"].search([("model", "=", notice._name), ("res_id", "=", notice.id)])
        self.assertEqual(mail.recipient_ids, customer)
        self.assertIn(mail.mail_message_id, notice.message_ids)
