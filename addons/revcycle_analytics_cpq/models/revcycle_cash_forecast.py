"""Future billing of revcycle_cpq's contracts in the cash forecast of revcycle_analytics (docs/domain.md, Cash
forecast): each contract billing in the horizon brings its next invoices in, tax included, paid by the customer's
learned delay after the usual payment term."""

from datetime import timedelta

from odoo import api, models
from odoo.addons.revcycle_analytics.engine import forecast as fc
from odoo.addons.revcycle_base.engine import periods as period_engine

BILLING_STATES = ("active", "pending_termination")


class RevcycleKpi(models.AbstractModel):
    _inherit = "revcycle.kpi"

    @api.model
    def _revcycle_forecast_items(self, run):
        """The contracts' invoices to come in the horizon: from the next invoice date, one per billing period up
        to the horizon's end (and the contract's end unless it renews itself); periods still to bill from before
        the as-of date count on it. A contract's schedule keeps no
        history, so only a forecast as of today includes them."""
        items = super()._revcycle_forecast_items(run)
        if not (run["with_sources"] and run["current"]):
            return items
        as_of = run["as_of"]
        horizon_end = as_of + timedelta(days=7 * run["weeks"])
        contracts = self.env["revcycle.contract"].sudo().search([  # sudo: the caller is a KPI reader (checked by
            # get_cash_forecast); the contract figures of the KPIs are read the same way, in SQL
            ("company_id", "in", run["companies"].ids), ("state", "in", BILLING_STATES),
            ("next_invoice_date", "!=", False), ("next_invoice_date", "<=", horizon_end)])
        converter = run["converter"]
        term_days = self._revcycle_usual_term_days(run["companies"], as_of) if contracts else 0
        for contract in contracts:
            amount = converter.currency(self._revcycle_contract_amount_with_taxes(contract),
                                        contract.currency_id.id, as_of)
            if amount <= 0:
                continue
            partner = contract.partner_id.commercial_partner_id
            for invoice_date in self._revcycle_contract_billing_dates(contract, as_of, horizon_end):
                items.append(fc.ForecastItem(
                    ref=f"revcycle.contract,{contract.id}", source="contract", amount=amount,
                    due=invoice_date + timedelta(days=term_days),
                    distribution=run["distribution"](partner.id), label=contract.display_name,
                    partner_id=partner.id, shifts_with_billing=True,
                    extra={"partner_name": partner.name or "", "invoice_date": invoice_date}))
        return items

    @api.model
    def _revcycle_contract_billing_dates(self, contract, as_of, horizon_end):
        months = period_engine.period_months(contract.billing_period)
        first = contract.next_invoice_date
        last = horizon_end if contract.auto_renew or not contract.date_end else min(horizon_end, contract.date_end)
        dates, step = [], 0
        while True:
            day = period_engine.add_months(first, months * step, first.day)
            if day > last:
                return dates
            dates.append(max(day, as_of))  # a period not billed yet is billed by the next run: as of now
            step += 1

    @api.model
    def _revcycle_contract_amount_with_taxes(self, contract):
        """One billing period of the contract, taxes included, in the contract's currency."""
        total = 0.0
        for line in contract.line_ids:
            taxes = line.tax_ids.compute_all(line.price_subtotal, contract.currency_id, 1.0, product=line.product_id,
                                             partner=contract.partner_id, handle_price_include=False)
            total += taxes["total_included"]
        return total
