from dateutil.relativedelta import relativedelta
from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestContractUsagePortal(HttpCase):
    """The customer sees the current period's usage and its estimated charge on the portal contract page."""

    def test_portal_contract_page_shows_the_usage_estimate(self):
        today = fields.Date.context_today(self.env["revcycle.contract"])
        product = self.env["product.product"].create(
            {
                "name": "Portal metered calls",
                "type": "service",
                "revcycle_recurring": True,
                "revcycle_metered": True,
                "revcycle_charge_model": "per_unit",
                "revcycle_usage_included": 100,
            }
        )
        user = new_test_user(self.env, "rc_portal_usage", groups="base.group_portal", name="Usage Portal")
        contract = self.env["revcycle.contract"].create(
            {
                "partner_id": user.partner_id.id,
                "date_start": today + relativedelta(day=1),
                "date_end": today + relativedelta(months=12, day=1, days=-1),
                "line_ids": [
                    Command.create({"product_id": product.id, "name": "Calls", "quantity": 1, "price_unit": 0.5})
                ],
            }
        )
        contract.action_sign()
        contract.action_activate()
        result = self.env["revcycle.usage.record"].revcycle_report_usage(
            [
                {
                    "contract_line_id": contract.line_ids.id,
                    "date": fields.Date.to_string(today),
                    "quantity": 130,
                    "key": "portal-usage-1",
                },
            ]
        )
        self.assertEqual(result["created"], 1)
        self.authenticate(user.login, user.login)
        page = self.url_open(f"/my/contracts/{contract.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Usage this period", page.text)
        # 130 used, 100 included: 30 x 0.50 = 15.00
        self.assertIn("15.00", page.text)
        self.assertIn("30.00 at 0.5", page.text)
