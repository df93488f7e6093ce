from odoo import Command, api, fields, models

from ..engine import exact_prices


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    revcycle_service_start = fields.Date(
        string="Service From", copy=False, help="First day of the contract period this line invoices."
    )
    revcycle_service_end = fields.Date(
        string="Service To", copy=False, help="Last day of the contract period this line invoices."
    )
    revcycle_exact_price_unit = fields.Float(
        string="Exact Unit Price",
        readonly=True,
        help="The unrounded unit price of the sales order line this line invoices (a tier total divided by its "
        "quantity). While the unit price is its rounding, the line's amounts are computed from it; credit notes "
        "copy it.",
    )

    def _revcycle_amount_price_unit(self):
        """The unit price the line's amounts are computed from (see engine/exact_prices.py)."""
        self.ensure_one()
        return exact_prices.amount_unit_price(
            self.price_unit,
            self.revcycle_exact_price_unit,
            self.env["decimal.precision"].precision_get("Product Price"),
        )

    @api.depends("revcycle_exact_price_unit")
    def _compute_totals(self):  # pylint: disable=missing-return
        super()._compute_totals()


# Context key set while the invoicing run creates and posts a batch of contract invoices (see _revcycle_post_batch).
BATCH_CONTEXT = "revcycle_invoice_batch"
# What Odoo writes on the whole batch that changes no invoice line: the flag its create() resets once the lines are
# made, and the posting itself (the number is computed with it; amounts, accounts and dates stay as they are).
LINE_NEUTRAL_WRITES = ({"is_manually_modified"}, {"state", "posted_before"})


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _revcycle_batch_token(self):
        """The batch of contract invoices the run is making or posting (None outside one): the shortcuts below
        apply only there."""
        return self.env.context.get(BATCH_CONTEXT)

    def write(self, vals):
        moves = self
        if self._revcycle_batch_token() and self._revcycle_leaves_lines_alone(vals):
            # Odoo's write snapshots every dynamic line (taxes, payment terms, rounding, discounts) before and after,
            # to redo the lines a change needs: these writes change nothing those lines depend on, so for a batch of
            # contract invoices the two snapshots are work without a result
            moves = self.with_context(skip_invoice_sync=True)
        return super(AccountMove, moves).write(vals)

    @staticmethod
    def _revcycle_leaves_lines_alone(vals):
        keys = set(vals)
        return any(keys <= neutral for neutral in LINE_NEUTRAL_WRITES) and vals.get("state", "posted") == "posted"

    def _get_next_sequence_format(self):
        """In a batch posted by the invoicing run, the invoices of one journal, type and month continue one and the
        same sequence: its format is looked up for the first of them (Odoo's query on the journal's last number, which
        also locks the sequence) and reused for the others, whose numbers then come from Odoo's own sequence cache,
        one after the other in Odoo's posting order. Odoo would look the last number up again for each invoice (a
        search, a query and the flush of the previous number each), to find the number it had just given."""
        token = self._revcycle_batch_token()
        if not token or not self.date:
            return super()._get_next_sequence_format()
        formats = self.env.cr.cache.setdefault(BATCH_CONTEXT, {}).setdefault(token, {})
        key = (self.journal_id.id, self.move_type, bool(self.origin_payment_id), self.date.year, self.date.month)
        if key not in formats or not self._revcycle_sequence_cached(*formats[key]):
            # the first of its group, or Odoo's cache no longer holds the sequence (its number would then come from
            # the database again): Odoo's own look-up
            formats[key] = super()._get_next_sequence_format()
        format_string, format_values = formats[key]
        return format_string, dict(format_values)

    def _revcycle_sequence_cached(self, format_string, format_values):
        """Whether Odoo's sequence cache holds the sequence of this format (the key ``_locked_increment`` uses)."""
        values = {name: value for name, value in format_values.items() if name != "seq"}
        key = (format_string.format(**values, seq=0), self._sequence_index and self[self._sequence_index])
        return key in self._get_sequence_cache()

    def _prepare_product_base_line_for_taxes_computation(self, product_line):
        # The invoice line's subtotal, its journal item balance and the tax lines all start from here.
        base_line = super()._prepare_product_base_line_for_taxes_computation(product_line)
        if product_line.revcycle_exact_price_unit and self.is_invoice(include_receipts=True):
            base_line["price_unit"] = product_line._revcycle_amount_price_unit()
        return base_line

    def _revcycle_subscribe_each(self, partners_by_move):
        """Subscribe to each invoice of ``self`` its own partners (``{move id: res.partner}``), with the subtypes
        ``message_subscribe`` gives (the customer's for portal and other outside partners), in one statement for the
        batch instead of one subscription per invoice (a search and an insert each)."""
        if not self:
            return
        self.check_access("write")  # what message_subscribe checks before adding followers
        partner_ids = {pid for partners in partners_by_move.values() for pid in partners.filtered("active").ids}
        if not partner_ids:
            return
        default, _internal, external = self.env["mail.message.subtype"].default_subtypes(self._name)
        outside = set(
            self.env["res.partner"].sudo().search([("id", "in", list(partner_ids)), ("partner_share", "=", True)]).ids
        )  # sudo: which partners are outside users, as message_subscribe reads it
        Followers = self.env["mail.followers"].sudo()  # sudo: write access to the invoices was checked above
        existing = {
            (res_id, partner_id)
            for _fid, res_id, partner_id, _sids in Followers._get_subscription_data(
                [(self._name, self.ids)], list(partner_ids)
            )
        }
        Followers.with_context(default_partner_id=False).create(
            [
                {
                    "res_model": self._name,
                    "res_id": move_id,
                    "partner_id": partner_id,
                    "subtype_ids": [Command.set((external if partner_id in outside else default).ids)],
                }
                for move_id, partners in partners_by_move.items()
                for partner_id in partners.ids
                if partner_id in partner_ids and (move_id, partner_id) not in existing
            ]
        )

    def _revcycle_post_batch(self):
        """Post a batch of contract invoices with Odoo's own ``action_post``, without its per-invoice costs that
        change nothing in the invoices: posting sets each invoice's "Checked" flag one invoice at a time (a full
        invoice write each, re-synchronising its tax and payment lines), set here in the cache and written for the
        whole batch in one statement; no field tracking (the state change is the posting itself, and each invoice
        notes the contract it comes from); under the batch's context key, the sequence looked up once per journal,
        type and month and the posting's own write without a snapshot of the lines (see above)."""
        checked = self._fields["checked"]
        token = self.env.context.get(BATCH_CONTEXT) or f"post-{min(self.ids, default=0)}-{len(self)}"
        try:
            with self.env.protecting([checked], self):
                self.with_context(tracking_disable=True, mail_notrack=True, **{BATCH_CONTEXT: token}).action_post()
        finally:
            self.env.cr.cache.get(BATCH_CONTEXT, {}).pop(token, None)  # the formats hold for this posting only
        return self
