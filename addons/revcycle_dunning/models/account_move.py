from odoo import api, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        moves._revcycle_mark_credit_dirty()
        return moves

    def write(self, vals):
        if "partner_id" in vals or "company_id" in vals:
            self._revcycle_mark_credit_dirty()
        result = super().write(vals)
        self._revcycle_mark_credit_dirty()
        return result

    def unlink(self):
        self._revcycle_mark_credit_dirty()
        return super().unlink()

    def _post(self, soft=True):
        self._revcycle_check_credit_on_post()
        return super()._post(soft=soft)

    def _revcycle_credit_moves(self):
        """Moves that can change a customer's exposure: sale documents and entries on a receivable account."""
        return self.filtered(lambda move: move.commercial_partner_id and (
            move.is_sale_document(include_receipts=True)
            or any(line.account_type == "asset_receivable" for line in move.line_ids)))

    def _revcycle_mark_credit_dirty(self):
        self.env["revcycle.credit.profile"]._revcycle_mark_dirty(
            (move.commercial_partner_id.id, move.company_id.id) for move in self._revcycle_credit_moves())

    def _revcycle_check_credit_on_post(self):
        invoices = self.filtered(lambda move: (
            move.move_type == "out_invoice" and move.state == "draft"
            and move.company_id.revcycle_credit_check_on_invoice
            and not move._revcycle_credit_override_covers()))
        for (partner, company), moves in invoices.grouped(
                lambda move: (move.commercial_partner_id, move.company_id)).items():
            # a counted draft invoice is in the exposure already: posting it adds nothing more
            amount = 0.0 if company.revcycle_exposure_include_draft else sum(moves.mapped("amount_total_signed"))
            result = partner.with_company(company)._revcycle_credit_decision(amount)
            if not result["allowed"]:
                raise UserError(self.env._(
                    "%(invoices)s cannot be posted: %(reason)s",
                    invoices=", ".join(moves.mapped("display_name")), reason=result["reason"]))

    def _revcycle_credit_override_covers(self):
        """An invoice of an order a credit manager let through is let through too."""
        self.ensure_one()
        orders = self.sudo().line_ids.sale_line_ids.order_id
        return bool(orders) and all(order.revcycle_credit_override_ids.filtered("active") for order in orders)
