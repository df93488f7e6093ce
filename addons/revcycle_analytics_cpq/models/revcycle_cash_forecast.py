"""Future billing of revcycle_cpq's contracts in the cash forecast of revcycle_analytics (docs/domain.md, Cash
forecast): each contract billing in the horizon brings its next invoices in, tax included, paid by the customer's
learned delay after the usual payment term. A metered line's part of each invoice is what the invoicing run would
bill for usage on that date (revcycle_cpq's own rating: the usage recorded and not billed yet of the periods closed
by then, the commitment of a period without usage yet), a separate "usage" item."""

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
            partner = contract.partner_id.commercial_partner_id
            dates = self._revcycle_contract_billing_dates(contract, as_of, horizon_end)
            fixed = self._revcycle_contract_amount_with_taxes(contract, metered=False)
            usage = self._revcycle_contract_usage_with_taxes(contract, dates)
            for invoice_date, usage_amount in zip(dates, usage, strict=True):
                for source, amount in (("contract", fixed), ("usage", usage_amount)):
                    # each part in the contract's currency, converted once: never two currencies added
                    amount = converter.currency(amount, contract.currency_id.id, as_of)
                    if amount <= 0:
                        continue
                    items.append(fc.ForecastItem(
                        ref=f"revcycle.contract,{contract.id}", source=source, amount=amount,
                        due=invoice_date + timedelta(days=term_days),
                        distribution=run["distribution"](partner.id), label=contract.display_name,
                        partner_id=partner.id, shifts_with_billing=True,
                        extra={"partner_name": partner.name or "", "invoice_date": invoice_date}))
        return items

    @api.model
    def _revcycle_contract_usage_with_taxes(self, contract, dates):
        """Per invoice date, what the contract's invoice of that date bills for its metered lines, taxes included,
        in the contract's currency: revcycle_cpq's usage bills for those dates in order (each closed period once,
        on the first invoice after it; usage recorded and not billed yet, a commitment shortfall, an adjustment of
        a period billed before less what an adjustment credits). Nothing is written."""
        if not dates or not contract.line_ids.filtered("revcycle_metered"):
            return [0.0] * len(dates)
        bills = contract._revcycle_usage_bills([(contract, None)] * len(dates), list(dates))
        totals = []
        for index in range(len(dates)):
            bill = bills.get(index)
            totals.append(self._revcycle_commands_with_taxes(contract, bill.invoice_commands)
                          - self._revcycle_commands_with_taxes(contract, bill.credit_commands) if bill else 0.0)
        return totals

    @api.model
    def _revcycle_commands_with_taxes(self, contract, commands):
        """The total, taxes included, of invoice line commands (quantity x unit price with their taxes)."""
        total = 0.0
        for command in commands:
            values = command[2]
            tax_ids = next((tax_command[2] for tax_command in values.get("tax_ids", []) if tax_command[0] == 6), [])
            price = values.get("quantity", 1.0) * values.get("price_unit", 0.0)
            # a price-included tax is part of the price: compute_all takes it out of the price, not on top
            taxes = self.env["account.tax"].browse(tax_ids)
            total += taxes.compute_all(price, contract.currency_id, 1.0, partner=contract.partner_id)["total_included"]
        return total

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
    def _revcycle_contract_amount_with_taxes(self, contract, metered=True):
        """One billing period of the contract, taxes included, in the contract's currency (without its metered
        lines' commitments when ``metered`` is False: their part is the usage bill's)."""
        total = 0.0
        lines = contract.line_ids if metered else contract.line_ids.filtered(lambda line: not line.revcycle_metered)
        for line in lines:
            taxes = line.tax_ids.compute_all(line.price_subtotal, contract.currency_id, 1.0, product=line.product_id,
                                             partner=contract.partner_id, handle_price_include=False)
            total += taxes["total_included"]
        return total
