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


class AccountMove(models.Model):
    _inherit = "account.move"

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
        notes the contract it comes from)."""
        checked = self._fields["checked"]
        with self.env.protecting([checked], self):
            self.with_context(tracking_disable=True, mail_notrack=True).action_post()
        return self
