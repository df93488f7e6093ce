import re
import secrets

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import instalments as instalment_engine

PAY_TOKEN_BYTES = 12  # 96 random bits, 16 URL-safe characters
PAY_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16}")


class AccountMove(models.Model):
    _inherit = "account.move"

    revcycle_dunning_dispute = fields.Boolean(
        string="In Dispute", copy=False, tracking=True,
        help="Pauses dunning and card collection of this invoice until cleared.")
    revcycle_promise_date = fields.Date(
        string="Promised to Pay By", copy=False, tracking=True,
        help="Pauses dunning of this invoice up to and including this date.")
    revcycle_dunning_line_ids = fields.One2many(
        "revcycle.dunning.notice.line", "invoice_id", string="Dunning History", readonly=True)
    # computed when read, not stored: storing it rewrote every dunned invoice row in each run, which cost more
    # than the run itself; the notice lines it is read from are the record
    revcycle_dunning_level_id = fields.Many2one(
        "revcycle.dunning.level", string="Dunning Level", compute="_compute_revcycle_dunning_level",
        help="The most severe level this invoice received.")
    revcycle_dunning_fee = fields.Boolean(string="Late Fee Invoice", readonly=True, copy=False)
    revcycle_payment_attempt_ids = fields.One2many(
        "revcycle.payment.attempt", "invoice_id", string="Card Payment Attempts", readonly=True)
    revcycle_autocollect_state = fields.Selection(
        selection=[("retrying", "Retrying"), ("stopped", "Stopped"), ("paid", "Paid by Card")],
        string="Card Collection", readonly=True, copy=False, index=True)
    revcycle_autocollect_next = fields.Datetime(string="Next Card Try", readonly=True, copy=False)
    revcycle_pay_token = fields.Char(
        string="Short Payment Token", readonly=True, copy=False, groups="base.group_system",
        help="The key of the invoice's short payment link /pay/<token> in letters and emails.")

    _sql_constraints = [
        ("revcycle_pay_token_unique", "UNIQUE (revcycle_pay_token)", "A short payment link belongs to one invoice."),
    ]

    @api.depends("revcycle_dunning_line_ids.level_id")
    def _compute_revcycle_dunning_level(self):
        for move in self:
            levels = move.revcycle_dunning_line_ids.level_id
            move.revcycle_dunning_level_id = levels.sorted("sequence")[-1:] if levels else False

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
        self._revcycle_add_pending_fees()
        self._revcycle_check_credit_on_post()
        return super()._post(soft=soft)

    def _revcycle_due_charge(self, today):
        """What a card charge of this invoice covers on ``today`` (engine ``due_charge``): its receivable lines
        (instalments) due by then and still open, net of what was paid on them, in the invoice's currency."""
        self.ensure_one()
        items = self.line_ids.filtered(lambda line: line.account_type == "asset_receivable" and not line.reconciled)
        return instalment_engine.due_charge(
            [instalment_engine.OpenInstalment(line.id, line.date_maturity or self.invoice_date_due,
                                              line.amount_residual_currency) for line in items],
            today, self.currency_id.decimal_places)

    def _revcycle_ensure_access_tokens(self):
        """Portal access tokens for these moves, in one statement.

        Odoo's portal writes a missing token through the ORM on first use; on a posted invoice that write runs the
        whole journal entry synchronisation for a column nothing else depends on, a tenth of a second per invoice
        in a dunning run. The token is the same random UUID the portal would make.
        """
        if not self:
            return
        self.flush_recordset(["access_token"])
        self.env.execute_query(SQL(
            "UPDATE account_move SET access_token = gen_random_uuid()::varchar WHERE id = ANY(%s) "
            "AND access_token IS NULL", self.ids))
        self.invalidate_recordset(["access_token"])

    def _revcycle_payment_urls(self):
        """{invoice id: payment link} for these invoices of one company: a short link ``/pay/<token>`` that a
        customer can type from a letter, which redirects to the invoice's customer portal page (with its access
        token), where Odoo's payment form (Stripe included) takes the payment.

        Missing tokens are made first, then every link is built from one query: a run makes tens of thousands, and
        the portal's own URL computation reads each invoice."""
        if not self:
            return {}
        self._revcycle_ensure_access_tokens()
        self._revcycle_ensure_pay_tokens()
        base_url = self[:1].get_base_url()
        rows = self.env.execute_query(SQL(
            "SELECT id, revcycle_pay_token FROM account_move WHERE id = ANY(%s)", self.ids))
        return {move_id: f"{base_url}/pay/{token}" for move_id, token in rows}

    def _revcycle_ensure_pay_tokens(self):
        """Short payment tokens for these moves, in one statement: 96 random bits (16 URL-safe characters), unique
        by the database's index, so a link cannot be guessed from another one."""
        self.flush_recordset(["revcycle_pay_token"])
        missing = [move_id for (move_id,) in self.env.execute_query(SQL(
            "SELECT id FROM account_move WHERE id = ANY(%s) AND revcycle_pay_token IS NULL", self.ids))]
        if missing:
            self.env.execute_query(SQL(
                "UPDATE account_move SET revcycle_pay_token = short.token "
                "FROM unnest(%s::int[], %s::varchar[]) AS short(id, token) "
                "WHERE account_move.id = short.id AND account_move.revcycle_pay_token IS NULL",
                missing, [secrets.token_urlsafe(PAY_TOKEN_BYTES) for _move in missing]))
        self.invalidate_recordset(["revcycle_pay_token"])

    @api.model
    def _revcycle_portal_url_for_pay_token(self, token):
        """The portal page (with its access token) of the posted invoice whose short payment token is ``token``;
        None for anything else, which the route answers with 404."""
        if not isinstance(token, str) or not PAY_TOKEN_PATTERN.fullmatch(token):
            return None
        # sudo: the public route finds the invoice by its unguessable token only, and reveals only its portal link
        move = self.sudo().search([("revcycle_pay_token", "=", token)], limit=1)  # sudo: the token is the key
        if not move or move.state != "posted" or move.move_type not in ("out_invoice", "out_refund"):
            return None
        move._revcycle_ensure_access_tokens()
        return move.get_portal_url()

    def _revcycle_add_pending_fees(self):
        """Late fees of companies that bill them on the next invoice: added to it as it is posted."""
        invoices = self.filtered(lambda move: (
            move.move_type == "out_invoice" and move.state == "draft" and not move.revcycle_dunning_fee
            and move.company_id.revcycle_dunning_fee_mode == "next_invoice"))
        if not invoices:
            return
        notices = self.env["revcycle.dunning.notice"].sudo().search([
            ("fee_state", "=", "pending"), ("partner_id", "in", invoices.commercial_partner_id.ids),
            ("company_id", "in", invoices.company_id.ids)])
        for invoice in invoices:
            pending = notices.filtered(lambda notice, invoice=invoice: (
                notice.partner_id == invoice.commercial_partner_id and notice.company_id == invoice.company_id
                and notice.fee_state == "pending"))
            if not pending:
                continue
            # the fee is the company's own decision, so it is added whatever the poster may edit on notices
            invoice.write({"invoice_line_ids": [
                fields.Command.create(notice._revcycle_fee_line_vals(
                    invoice.currency_id, invoice.invoice_date or fields.Date.context_today(invoice)))
                for notice in pending]})
            pending.write({"fee_state": "invoiced", "fee_invoice_id": invoice.id})

    def _revcycle_credit_moves(self):
        """Moves that can change a customer's exposure: sale documents and entries on a receivable account."""
        return self.filtered(lambda move: move.commercial_partner_id and (
            move.is_sale_document(include_receipts=True)
            or any(line.account_type == "asset_receivable" for line in move.line_ids)))

    def _revcycle_mark_credit_dirty(self):
        self.env["revcycle.credit.profile"]._revcycle_mark_dirty(
            (move.commercial_partner_id.id, move.company_id.id) for move in self._revcycle_credit_moves())

    def _revcycle_check_credit_on_post(self):
        # late fees follow from overdue invoices: refusing them because the customer is overdue would defeat them
        invoices = self.filtered(lambda move: (
            move.move_type == "out_invoice" and move.state == "draft" and not move.revcycle_dunning_fee
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
