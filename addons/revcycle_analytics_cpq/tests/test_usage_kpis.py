"""Usage billing's KPIs (issue 22): usage revenue and overage share beside MRR, from the posted contract invoices."""

from datetime import date

from odoo import Command
from odoo.addons.revcycle_analytics.tests.common import RevcycleKpiCommon
from odoo.tests import tagged


@tagged("post_install", "-at_install", "revcycle")
class TestUsageKpis(RevcycleKpiCommon):
    def test_usage_revenue_and_overage_share(self):
        fixed, metered = self.env["product.product"].create(
            [
                {"name": "Platform", "type": "service", "revcycle_recurring": True, "taxes_id": [Command.clear()]},
                {
                    "name": "Metered units",
                    "type": "service",
                    "revcycle_recurring": True,
                    "revcycle_metered": True,
                    "taxes_id": [Command.clear()],
                },
            ]
        )
        contract = (
            self.env["revcycle.contract"]
            .sudo()
            .create(
                {
                    "partner_id": self.env["res.partner"].create({"name": "Usage subscriber"}).id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "date_start": date(2024, 1, 1),
                    "date_end": date(2024, 12, 31),
                    "line_ids": [
                        Command.create({"product_id": fixed.id, "name": "Platform", "price_unit": 100.0}),
                        Command.create({"product_id": metered.id, "name": "Units", "price_unit": 1.0}),
                    ],
                }
            )
        )
        contract.action_sign()
        contract.action_activate()
        self.env["revcycle.usage.record"].sudo().revcycle_report_usage(
            [
                {"contract_line_id": contract.line_ids[1].id, "date": "2024-01-20", "quantity": 30, "key": "kpi-usage"},
            ]
        )
        contract._revcycle_invoice_due_periods(date(2024, 2, 1))
        kpis = self._kpis()
        # January's invoice: 100; February's: 100 + January's usage 30 x 1.00 = 130. Usage revenue 30; contract
        # billing 230; overage share 30 / 230 = 13.04 %. MRR counts the 100 committed only (the line has no minimum).
        self.assertKpi(kpis, "usage_revenue", 30.0, 0.0)
        self.assertKpi(kpis, "overage_share", 13.04, False)
        self.assertAlmostEqual(contract._revcycle_mrr(), 100.0)
