"""The main journey of revcycle_analytics_revrec in a browser: the Deferred Revenue card of the dashboard and its
drill-down into the ledger items behind the figure."""

from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestDeferredRevenueTour(HttpCase):
    def test_deferred_revenue_card_and_drilldown_in_the_browser(self):
        """The company's deferred revenue account is a new one, so no other data counts in it. One entry on
        2012-01-15 bills 900.00 ahead (receivable 900 debit / deferred revenue 900 credit): the balance on
        31 January 2012 is a 900.00 liability, the card shows 900.00 and its drill-down lists that item. Checked here
        too: the card's figure from the server for the same period, and its drill-down domain finding that one item."""
        company = self.env.ref("base.main_company")
        Account = self.env["account.account"].with_company(company)
        deferred = Account.create({"code": "TOURDEF", "name": "Tour deferred revenue account",
                                   "account_type": "liability_current"})
        company.revcycle_deferred_revenue_account_id = deferred
        customer = self.env["res.partner"].create({"name": "Tour Deferred Customer"})
        misc = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "general")], limit=1)
        entry = self.env["account.move"].with_company(company).create({
            "move_type": "entry",
            "date": "2012-01-15",
            "journal_id": misc.id,
            "line_ids": [
                Command.create({"account_id": customer.with_company(company).property_account_receivable_id.id,
                                "partner_id": customer.id, "debit": 900, "name": "Tour billed ahead"}),
                Command.create({"account_id": deferred.id, "partner_id": customer.id, "credit": 900,
                                "name": "Tour deferred revenue"}),
            ],
        })
        entry.action_post()
        data = self.env["revcycle.kpi"].get_dashboard_data("2012-01-01", "2012-01-31", company.ids)
        self.assertAlmostEqual(data["kpis"]["deferred_revenue"]["value"], 900.0)
        card = next(card for card in data["cards"] if card["key"] == "deferred_revenue")
        self.assertEqual(self.env["account.move.line"].search(card["action"]["domain"]),
                         entry.line_ids.filtered(lambda line: line.account_id == deferred))

        self.start_tour("/odoo", "revcycle_deferred_revenue_tour", login="admin")
