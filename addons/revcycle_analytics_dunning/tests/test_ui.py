"""The main journey of revcycle_analytics_dunning in a browser: the Dunning Recovery card of the dashboard and its
drill-down into the notices behind the figure."""

from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestDunningRecoveryTour(HttpCase):
    def test_recovery_card_and_drilldown_in_the_browser(self):
        """A 1,000.00 invoice due 2011-12-01, dunned by a notice sent on 2012-01-10 at its 1,000.00 open amount, then
        400.00 paid on 2012-01-20 (600.00 still open). The notices sent in January 2012 dunned 1,000.00, of which
        400.00 was paid since: 400 / 1,000 = 40.0 %. The card shows 40.0 % and its drill-down lists the notice.
        Checked here too: the server's figure for the period, and the card's domain finding that one notice."""
        company = self.env.ref("base.main_company")
        customer = self.env["res.partner"].create({"name": "Tour Recovery Customer", "is_company": True})
        invoice = self.env["account.move"].with_company(company).create({
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_date": "2011-12-01",
            "invoice_date_due": "2011-12-01",
            "invoice_payment_term_id": False,
            "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 1000,
                                                 "tax_ids": []})],
        })
        invoice.action_post()
        policy = self.env["revcycle.dunning.policy"].create({"name": "Tour recovery policy", "company_id": company.id})
        level = self.env["revcycle.dunning.level"].create(
            {"policy_id": policy.id, "name": "Tour reminder", "days": 1, "channel": "email"})
        notice = self.env["revcycle.dunning.notice"].create({
            "partner_id": customer.id,
            "company_id": company.id,
            "level_id": level.id,
            "channel": "email",
            "date": "2012-01-10",
            "state": "sent",
            "amount_overdue": 1000,
            "line_ids": [Command.create({"invoice_id": invoice.id, "level_id": level.id, "amount_residual": 1000})],
        })
        self.env["account.payment.register"].with_company(company).with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"amount": 400, "payment_date": "2012-01-20"})._create_payments()
        self.assertAlmostEqual(invoice.amount_residual, 600.0)
        data = self.env["revcycle.kpi"].get_dashboard_data("2012-01-01", "2012-01-31", company.ids)
        self.assertAlmostEqual(data["kpis"]["dunning_recovery_rate"]["value"], 40.0)
        card = next(card for card in data["cards"] if card["key"] == "dunning_recovery_rate")
        self.assertEqual(self.env["revcycle.dunning.notice"].search(card["action"]["domain"]), notice)

        self.start_tour("/odoo", "revcycle_dunning_recovery_tour", login="admin")
