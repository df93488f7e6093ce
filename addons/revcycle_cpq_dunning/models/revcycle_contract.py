from datetime import timedelta

from dateutil.relativedelta import relativedelta
from odoo import api, fields, models
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.exceptions import AccessError, UserError

# what changes a contract's future billing, hence its customer's exposure
EXPOSURE_FIELDS = {"state", "partner_id", "company_id", "currency_id", "date_start", "date_end", "billing_period",
                   "billing_mode", "billing_anchor", "line_ids"}


# the contract's card is recorded by the card update only (the customer's portal), which holds this token
_CARD_TOKEN = object()


class RevcycleContract(models.Model):
    _inherit = "revcycle.contract"

    revcycle_payment_token_id = fields.Many2one(
        "payment.token", string="Card for Collection", readonly=True, copy=False, ondelete="set null",
        groups="account.group_account_invoice",
        help="The card the customer saved for this contract on its portal page (Update the saved card). Automatic "
        "collection charges the customer's newest saved Stripe card: this one, unless a newer one was saved since.")

    @api.model_create_multi
    def create(self, vals_list):
        self._revcycle_refuse_card_write(vals_list)
        contracts = super().create(vals_list)
        contracts._revcycle_mark_credit_dirty()
        return contracts

    def _revcycle_refuse_card_write(self, vals_list):
        if self.env.context.get("revcycle_card_write") is _CARD_TOKEN:
            return
        if any("revcycle_payment_token_id" in vals for vals in vals_list):
            raise AccessError(self.env._(
                "A contract's card for collection is saved by its customer (Update the saved card, on the contract's "
                "portal page), not written."))

    def _revcycle_set_payment_token(self, token, author):
        """The customer saved ``token`` for this contract: record it, and say so in the chatter."""
        self.ensure_one()
        self.with_context(revcycle_card_write=_CARD_TOKEN).write({"revcycle_payment_token_id": token.id})
        self.message_post(
            body=self.env._("The customer saved a new card for collection: %(card)s.", card=token.display_name),
            author_id=author.id)

    def write(self, vals):
        self._revcycle_refuse_card_write([vals])
        if EXPOSURE_FIELDS & set(vals):
            self._revcycle_mark_credit_dirty()  # the customer before a change of customer or company
        result = super().write(vals)
        if EXPOSURE_FIELDS & set(vals):
            self._revcycle_mark_credit_dirty()
        return result

    def action_activate(self):
        self._revcycle_check_credit_on_activate()
        return super().action_activate()

    def _revcycle_mark_credit_dirty(self):
        self.env["revcycle.credit.profile"]._revcycle_mark_dirty(
            (contract.partner_id.commercial_partner_id.id, contract.company_id.id) for contract in self)

    def _revcycle_check_credit_on_activate(self):
        """An activated contract is future exposure: refuse to activate it when what it will bill over the horizon
        would take the customer over their limit (or the customer is on hold, or overdue), as an order is refused at
        confirmation. A UserError an XML-RPC caller gets as a Fault, before anything is written."""
        today = fields.Date.context_today(self)
        # a renewal starts on its own at the end of the term the customer already committed to (issue 17): the
        # running contract's exposure continues, it is not new business to refuse
        for contract in self.filtered(
            lambda c: c.state == "signed"
            and not c.previous_contract_id
            and c.company_id.revcycle_credit_check_on_confirm
        ):
            amount = contract._revcycle_billing_ahead(today)
            partner = contract.partner_id.commercial_partner_id.with_company(contract.company_id)
            decision = partner._revcycle_credit_decision(amount)
            if not decision["allowed"]:
                raise UserError(self.env._(
                    "%(contract)s cannot be activated: %(reason)s", contract=contract.name, reason=decision["reason"]))

    def _revcycle_billing_ahead(self, today):
        """What this contract will bill from ``today`` over its company's contract horizon, periods not invoiced yet
        (overdue ones included), taxes included, prorated like its invoices, in the company currency at today's
        rate."""
        self.ensure_one()
        company = self.company_id
        # the next N months: periods invoiced from today up to the day before today + N months
        horizon_end = today + relativedelta(months=company.revcycle_exposure_contract_months) - timedelta(days=1)
        periods = self._revcycle_due_periods(horizon_end)
        if not periods:
            return 0.0
        currency = self.currency_id or company.currency_id
        Tax = self.env["account.tax"]
        per_full_period = sum(
            Tax._revcycle_line_amounts(
                price_unit=line.price_unit, quantity=line.quantity, discount=line.discount, taxes=line.tax_ids,
                currency=currency, company=company, product=line.product_id, partner=self.partner_id)["total"]
            for line in self.line_ids)
        amount = sum(
            period_engine.period_amount(per_full_period, period, currency.decimal_places) for period in periods)
        return currency._revcycle_to_company_currency(amount, company, today)
