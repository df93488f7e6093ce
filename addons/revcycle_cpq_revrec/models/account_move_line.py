from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools.misc import clean_context

# The two fields below decide how an invoice line's revenue is recognised: the obligation it bills, and whether its
# amount is a usage period's variable consideration. Only the code that bills a contract sets them, holding this
# token: the contract invoicing and the usage rating (invoices, credit notes, amendments' prorations), and Odoo's
# Reverse, whose credit note (and "Reverse and Create Invoice" copy) keeps them. No XML-RPC or JSON-RPC caller can
# put the object in a context.
_BILLING_TOKEN = object()
BILLING_FIELDS = ("revcycle_contract_line_id", "revcycle_usage_billing")


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # Not copied by "Duplicate": a duplicate is a document made by hand, which no contract invoicing or rating made
    # (no invoiced period, no rating points to it); linked, it would change the contract's consideration and a usage
    # period's revenue behind the rating's back. Copied by "Reverse" (``_copy_data_extend_business_fields``), as
    # Odoo copies a line's sale order lines: the credit note reverses the same obligation, and a usage one corrects
    # the same usage periods.
    revcycle_contract_line_id = fields.Many2one(
        "revcycle.contract.line",
        string="Contract Line",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The subscription contract line this invoice line bills: its revenue follows that line's obligation. "
        "Set by the contract invoicing only.",
    )
    revcycle_usage_billing = fields.Boolean(
        string="Usage Billing",
        readonly=True,
        copy=False,
        help="Bills a metered line's usage period (usage, shortfall, adjustment or correction, made by the usage "
        "rating): its amount above the commitment is revenue of the period of its service dates. Set by the usage "
        "rating only.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if not self._revcycle_billing_allowed():
            # read from the new lines, not ``vals_list``: a default (a context's ``default_...``, a user default)
            # sets them as surely; the caller's transaction is refused as a whole
            self._revcycle_refuse_billing_fields({name for name in BILLING_FIELDS if any(lines.mapped(name))})
        return lines

    def write(self, vals):
        if BILLING_FIELDS & vals.keys() and not self._revcycle_billing_allowed():
            # writing what a line holds already changes nothing (a form or an integration sending the whole line)
            self._revcycle_refuse_billing_fields(
                {
                    name
                    for name in BILLING_FIELDS
                    if name in vals
                    and any(self._revcycle_billing_value(name, line[name])
                            != self._revcycle_billing_value(name, vals[name]) for line in self)
                }
            )
        return super().write(vals)

    def _copy_data_extend_business_fields(self, values):  # pylint: disable=missing-return
        """Reverse (and "Reverse and Create Invoice") keep the contract line and the usage flag: the credit note
        reverses what the line billed. A usage line keeps its service dates too: they name the usage period it
        corrects (without them its amount would belong to no period). Another copy of the business fields (a
        debit note) is a new charge made by hand: it keeps none of them."""
        super()._copy_data_extend_business_fields(values)
        if self._revcycle_billing_allowed():
            values.update(
                revcycle_contract_line_id=self.revcycle_contract_line_id.id,
                revcycle_usage_billing=self.revcycle_usage_billing,
            )
            if self.revcycle_usage_billing:
                values.update(
                    revcycle_service_start=self.revcycle_service_start,
                    revcycle_service_end=self.revcycle_service_end,
                )

    # -- the billing fields' gate ------------------------------------------------------------------------------------
    def _revcycle_billing_allowed(self):
        return self.env.context.get("revcycle_billing_write") is _BILLING_TOKEN

    @api.model
    def _revcycle_billing_context(self):
        """The whole context under which the contract's billing code creates (or reverses) its invoice lines: the
        caller's without any ``default_...`` key, plus the token. A caller's defaults must not reach what is made
        under the token: ``default_line_ids``/``default_invoice_line_ids`` would add lines of the caller's choosing
        (flagged ones too), and a ``default_revcycle_...`` would flag the tax and receivable lines made beside the
        ones that say what they bill; the fields' own ``default_`` set to False outweighs a user-defined default."""
        return {
            **clean_context(self.env.context),
            "revcycle_billing_write": _BILLING_TOKEN,
            **{f"default_{name}": False for name in BILLING_FIELDS},
        }

    @api.model
    def _revcycle_with_billing_token(self, records):
        """``records`` under the billing context. The whole context is replaced on purpose, not extended: the
        caller's ``default_`` keys must not reach what is made under the token (``_revcycle_billing_context``)."""
        return records.with_context(self._revcycle_billing_context())  # pylint: disable=context-overridden

    @api.model
    def _revcycle_billing_value(self, name, value):
        """``value`` of the billing field ``name`` as the database would store it, through the field's own
        conversions (an id or None, a bool): resending what a line holds (an id, 0 or False for none, a flag) is
        no change. A dict (a new record's values) is always a change: nothing to compare it with."""
        if isinstance(value, dict):
            return value
        field = self._fields[name]
        return field.convert_to_column(field.convert_to_cache(value, self, validate=False), self, validate=False)

    def _revcycle_refuse_billing_fields(self, names):
        if names:
            raise AccessError(
                self.env._(
                    "Invoice line field(s) %(fields)s cannot be written: they decide how the line's revenue is "
                    "recognised, so only the contract invoicing and the usage rating set them (Reverse keeps them on "
                    "the credit note). Let the contract's invoicing bill the contract, or reverse the invoice "
                    "(Reverse, or Reverse and Create Invoice) to correct it.",
                    fields=", ".join(sorted(self._fields[name]._description_string(self.env) for name in names)),
                )
            )
