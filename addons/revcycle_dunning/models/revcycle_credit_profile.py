import logging
from datetime import timedelta
from functools import partial

from markupsafe import Markup
from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import SQL, float_compare, float_is_zero, format_amount, format_date
from psycopg2.errors import TransactionRollbackError

from ..engine import credit as credit_engine

_logger = logging.getLogger(__name__)

CUSTOMER_DOCUMENTS = ("out_invoice", "out_refund", "out_receipt")
DIRTY_KEY = "revcycle_credit_dirty"
SCORE_LOOKBACK_DAYS = 365
SCORE_LOOKBACK_MONTHS = 12
CRON_BATCH_SIZE = 200


RISK_CLASS_SELECTION = [*((code, code) for code in credit_engine.RISK_CLASSES), (credit_engine.UNRATED, "Unrated")]


class RevcycleCreditProfile(models.Model):
    """The credit position of one commercial partner in one company.

    Odoo's credit limit is company-dependent and so is everything measured against it, which is why these values
    live here, one row per (partner, company), rather than in columns of res.partner: they stay stored, indexed
    and searchable per company. The res.partner fields of the public interface read the row of the current company.
    """

    _name = "revcycle.credit.profile"
    _description = "Customer Credit Profile"
    _order = "exposure desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", string="Company", required=True, readonly=True, index=True,
                                 ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    exposure_receivable = fields.Monetary(
        string="Open Receivables", readonly=True,
        help="Receivable balance that is not a customer invoice: unallocated payments, opening balances, entries.")
    exposure_invoice = fields.Monetary(
        string="Unpaid Invoices", readonly=True,
        help="What is still open on posted customer invoices and credit notes.")
    exposure_order = fields.Monetary(
        string="Orders Not Invoiced", readonly=True,
        help="Confirmed sale orders, the part not invoiced yet, taxes included, at today's rate.")
    exposure_draft = fields.Monetary(string="Draft Invoices", readonly=True)
    exposure = fields.Monetary(
        compute="_compute_exposure", store=True, index=True, aggregator="sum",
        help="The parts switched on in Settings, in the company currency.")
    credit_limit = fields.Monetary(
        string="Credit Limit", readonly=True,
        help="The customer's credit limit in this company, raised by an active temporary limit; 0 means no limit.")
    temporary_limit_date_end = fields.Date(string="Temporary Limit Until", readonly=True)
    over_limit = fields.Boolean(compute="_compute_over_limit", store=True, index=True)
    open_amount = fields.Monetary(string="Open Debit", readonly=True,
                                  help="Open receivable lines in the customer's debit (before payments on account).")
    overdue_amount = fields.Monetary(string="Overdue", readonly=True)
    overdue_average_days = fields.Float(
        string="Average Days Overdue", readonly=True, digits=(16, 1),
        help="Of what is overdue now, the amount-weighted average number of days past its due date.")
    oldest_overdue_date = fields.Date(string="Oldest Overdue Due Date", readonly=True)
    overdue_days = fields.Integer(string="Days Overdue", compute="_compute_overdue_days")
    hold = fields.Boolean(string="On Credit Hold", readonly=True, index=True)
    hold_source = fields.Selection(
        selection=[("manual", "Set by Hand"), ("dunning", "Dunning Level")], readonly=True)
    hold_reason = fields.Char(readonly=True)
    hold_date = fields.Date(readonly=True)
    hold_release_on_payment = fields.Boolean(
        string="Lift When Paid", readonly=True,
        help="The hold is lifted automatically once nothing is overdue any more.")
    score = fields.Integer(string="Credit Score", readonly=True, aggregator="avg",
                           help="0 to 100 from payment behaviour; empty while the customer is unrated.")
    risk_class = fields.Selection(
        selection=RISK_CLASS_SELECTION, string="Risk Class", readonly=True, index=True,
        help="A (best) to E from the score; Unrated while there is no payment behaviour to judge (nothing paid in "
        "the last twelve months, nothing overdue): the company's policy for new customers applies.")
    score_breakdown = fields.Html(
        string="Why This Class", readonly=True, sanitize_overridable=False,
        help="Each factor of the score: its inputs, its value between 0 and 1, its weight and the points it gives.")
    history_months = fields.Integer(
        string="Months of History", readonly=True,
        help="Months the customer has been invoiced, up to twelve: the average monthly sales divide by these.")
    monthly_sales = fields.Monetary(
        string="Average Monthly Sales", readonly=True,
        help="Invoiced in the last twelve months divided by the months of history.")
    score_date = fields.Date(string="Scored On", readonly=True, index=True)
    suggested_limit = fields.Monetary(readonly=True)
    suggested_payment_term_id = fields.Many2one("account.payment.term", readonly=True)
    refresh_date = fields.Datetime(string="Updated On", readonly=True)
    dunning_level_id = fields.Many2one("revcycle.dunning.level", string="Dunning Level", readonly=True,
                                       ondelete="set null")
    dunning_last_date = fields.Date(string="Last Contact", readonly=True)
    dunning_next_level_id = fields.Many2one("revcycle.dunning.level", string="Next Action", readonly=True,
                                            ondelete="set null")
    dunning_next_date = fields.Date(string="Next Action On", readonly=True)

    _sql_constraints = [
        ("credit_profile_partner_company_unique", "UNIQUE (partner_id, company_id)",
         "A customer has one credit profile per company."),
    ]

    @api.depends("exposure_receivable", "exposure_invoice", "exposure_order", "exposure_draft",
                 "company_id.revcycle_exposure_include_receivable", "company_id.revcycle_exposure_include_invoice",
                 "company_id.revcycle_exposure_include_order", "company_id.revcycle_exposure_include_draft")
    def _compute_exposure(self):
        for profile in self:
            profile.exposure = profile.currency_id.round(sum(profile._revcycle_exposure_parts().values()))

    @api.depends("exposure", "credit_limit")
    def _compute_over_limit(self):
        for profile in self:
            currency = profile.currency_id
            profile.over_limit = (
                currency.compare_amounts(profile.credit_limit, 0.0) > 0
                and currency.compare_amounts(profile.exposure, profile.credit_limit) > 0
            )

    @api.depends("oldest_overdue_date")
    @api.depends_context("tz")
    def _compute_overdue_days(self):
        today = fields.Date.context_today(self)
        for profile in self:
            oldest = profile.oldest_overdue_date
            profile.overdue_days = (today - oldest).days if oldest else 0

    # ------------------------------------------------------------------
    # Event-driven refresh: callers mark (partner, company) pairs, one aggregate refresh runs before the commit
    # ------------------------------------------------------------------

    @api.model
    def _revcycle_mark_dirty(self, pairs, score=False):
        """Refresh these (commercial partner id, company id) pairs before the transaction commits.

        Many writes of one transaction (an invoice posted, reconciled, its order updated) cost one refresh.
        """
        pairs = {(partner_id, company_id) for partner_id, company_id in pairs if partner_id and company_id}
        if not pairs:
            return
        data = self.env.cr.precommit.data
        if DIRTY_KEY not in data:
            data[DIRTY_KEY] = {"exposure": set(), "score": set()}
            self.env.cr.precommit.add(self._revcycle_flush_dirty)
        data[DIRTY_KEY]["exposure"] |= pairs
        if score:
            data[DIRTY_KEY]["score"] |= pairs

    def _revcycle_flush_dirty(self):
        dirty = self.env.cr.precommit.data.pop(DIRTY_KEY, None)
        if not dirty:
            return
        try:
            with self.env.cr.savepoint():
                self._revcycle_refresh_pairs(dirty)
        except TransactionRollbackError:
            # Another transaction measured the same customer and committed after this one began: under Odoo's
            # repeatable-read isolation this one may not write over it. The business transaction must not fail for
            # its bookkeeping (a cron batch would fall back, contracts be flagged), so the figures are measured
            # again right after the commit, on a fresh snapshot.
            self.env.invalidate_all()
            _logger.info("Credit profiles measured concurrently; measuring %s again after the commit",
                         len(dirty["exposure"]))
            self.env.cr.postcommit.add(partial(self._revcycle_refresh_after_commit, self.env.registry, dirty))

    def _revcycle_refresh_pairs(self, dirty):
        # bookkeeping of the system, not an action of the user: it runs whatever their rights
        profiles = self.sudo()._revcycle_ensure(dirty["exposure"])
        scored = profiles.filtered(lambda profile: (profile.partner_id.id, profile.company_id.id) in dirty["score"])
        profiles._revcycle_refresh(scored)
        # precommit hooks run after the ORM flush: what they write must be flushed here or it is lost
        self.env.flush_all()

    @api.model
    def _revcycle_refresh_after_commit(self, registry, dirty):
        """The postcommit second chance of a refresh that met a concurrent one: its own transaction. Should that meet
        yet another, the profiles are left stale (no refresh date), so the next credit decision measures them."""
        for attempt in range(3):
            try:
                with registry.cursor() as cr:
                    api.Environment(cr, SUPERUSER_ID, {})["revcycle.credit.profile"]._revcycle_refresh_pairs(dirty)
                return
            except TransactionRollbackError:
                _logger.info("Credit profiles still measured concurrently (attempt %s)", attempt + 1)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["revcycle.credit.profile"]._revcycle_find(sorted(dirty["exposure"])).write({"refresh_date": False})

    @api.model
    def _revcycle_ensure(self, pairs):
        """The profiles of these (partner id, company id) pairs, created when missing.

        INSERT ... ON CONFLICT so that two transactions creating the same profile do not fail each other.
        """
        pairs = sorted(set(pairs))
        if not pairs:
            return self.browse()
        self.flush_model()
        # the common case, every profile there already, costs one query
        found = self._revcycle_find(pairs)
        if len(found) == len(pairs):
            return found
        # a concurrent insert of the same pair raises a serialization failure the caller handles: not logged as a bad
        # query (log_exceptions=False)
        self.env.cr.execute(SQL(
            """
            INSERT INTO revcycle_credit_profile (partner_id, company_id, create_uid, write_uid, create_date, write_date)
            SELECT pair.partner_id, pair.company_id, %(uid)s, %(uid)s,
                   NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
              FROM unnest(%(partners)s::int[], %(companies)s::int[]) AS pair(partner_id, company_id)
              -- a partner deleted in the same transaction as the documents that marked it leaves nothing to measure
              JOIN res_partner partner ON partner.id = pair.partner_id
              JOIN res_company company ON company.id = pair.company_id
            ON CONFLICT (partner_id, company_id) DO NOTHING
            """,
            uid=self.env.uid, partners=[pair[0] for pair in pairs], companies=[pair[1] for pair in pairs],
        ), log_exceptions=False)
        return self._revcycle_find(pairs)

    @api.model
    def _revcycle_find(self, pairs):
        """The existing profiles of these (partner id, company id) pairs, in one query."""
        rows = self.env.execute_query(SQL(
            """
            SELECT profile.id
              FROM revcycle_credit_profile profile
              JOIN unnest(%(partners)s::int[], %(companies)s::int[]) AS pair(partner_id, company_id)
                ON pair.partner_id = profile.partner_id AND pair.company_id = profile.company_id
            """,
            partners=[pair[0] for pair in pairs], companies=[pair[1] for pair in pairs],
        ))
        return self.browse(row[0] for row in rows)

    @api.model
    def _revcycle_decision_fields(self):
        """The stored fields a credit decision reads."""
        return ["partner_id", "company_id", "exposure", "credit_limit", "hold", "hold_reason", "overdue_amount",
                "oldest_overdue_date", "score", "risk_class", "refresh_date"]

    def _revcycle_is_stale(self):
        """Must the figures be measured again before a decision?

        The stored figures follow every document by events (a refresh before each commit that changed the
        customer), so only two things can be missing from them: what this transaction changed and has not
        committed yet, and what time changed since the last refresh (invoices falling overdue, rates, temporary
        limits ending), which the nightly refresh and the first decision of each day catch.
        """
        self.ensure_one()
        dirty = self.env.cr.precommit.data.get(DIRTY_KEY)
        if dirty and (self.partner_id.id, self.company_id.id) in dirty["exposure"]:
            return True
        today = fields.Date.context_today(self)
        return not self.refresh_date or fields.Date.context_today(self, self.refresh_date) < today

    def _revcycle_refresh(self, scored=None):
        """Recompute exposure, limit and overdue of these profiles, and the score of ``scored`` (a subset)."""
        if not self:
            return
        exposure_data = self._revcycle_gather_exposure()
        limits = self._revcycle_gather_limits()
        score_data = scored._revcycle_gather_score_inputs() if scored else {}
        for profile in self:
            key = (profile.partner_id.id, profile.company_id.id)
            profile.write(profile._revcycle_exposure_vals(exposure_data.get(key, {}), limits.get(key, {})))
            if key in score_data:
                profile.write(profile._revcycle_score_vals(score_data[key]))
        self._revcycle_release_paid_holds()

    def _revcycle_exposure_vals(self, exposure, limit):
        self.ensure_one()
        return {
            "exposure_receivable": exposure.get("receivable", 0.0),
            "exposure_invoice": exposure.get("invoice", 0.0),
            "exposure_order": exposure.get("order", 0.0),
            "exposure_draft": exposure.get("draft", 0.0),
            "open_amount": exposure.get("open", 0.0),
            "overdue_amount": exposure.get("overdue", 0.0),
            "overdue_average_days": (exposure.get("overdue_days", 0.0) / exposure["overdue"]
                                     if exposure.get("overdue") else 0.0),
            "oldest_overdue_date": exposure.get("oldest_overdue_date") or False,
            "credit_limit": limit.get("limit", 0.0),
            "temporary_limit_date_end": limit.get("date_end") or False,
            "refresh_date": fields.Datetime.now(),
        }

    def _revcycle_sql_partner_ids(self):
        """All contacts of the profiles' commercial partners: move lines and orders may carry a contact."""
        return SQL("SELECT id FROM res_partner WHERE commercial_partner_id = ANY(%s)", self.partner_id.ids)

    def _revcycle_gather_exposure(self):
        """{(partner id, company id): {part: amount, ...}} for these profiles, in three aggregate queries."""
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env["sale.order.line"].flush_model()
        self.env["sale.order"].flush_model()
        today = fields.Date.context_today(self)
        result = {}
        companies = {company.id: company for company in self.company_id}
        for row in self.env.execute_query(SQL(
            # the WHERE clause repeats the predicate of account_move_line__unreconciled_index so it is used.
            # Per currency: an item in a foreign currency counts at today's rate, as orders do (its company-currency
            # residual is at the rate of its own date); "days" sums open overdue amount x days past due.
            """
            SELECT partner.commercial_partner_id, line.company_id, line.currency_id,
                   SUM(line.amount_residual) FILTER (WHERE move.move_type IN %(documents)s),
                   SUM(line.amount_residual) FILTER (WHERE move.move_type NOT IN %(documents)s),
                   SUM(line.amount_residual) FILTER (WHERE line.amount_residual > 0),
                   SUM(line.amount_residual) FILTER (WHERE line.amount_residual > 0 AND line.date_maturity < %(today)s),
                   SUM(line.amount_residual_currency) FILTER (WHERE move.move_type IN %(documents)s),
                   SUM(line.amount_residual_currency) FILTER (WHERE move.move_type NOT IN %(documents)s),
                   SUM(line.amount_residual_currency) FILTER (WHERE line.amount_residual > 0),
                   SUM(line.amount_residual_currency)
                       FILTER (WHERE line.amount_residual > 0 AND line.date_maturity < %(today)s),
                   SUM(line.amount_residual * (%(today)s - line.date_maturity))
                       FILTER (WHERE line.amount_residual > 0 AND line.date_maturity < %(today)s),
                   MIN(line.date_maturity) FILTER (WHERE line.amount_residual > 0 AND line.date_maturity < %(today)s)
              FROM account_move_line line
              JOIN account_account account ON account.id = line.account_id
              JOIN account_move move ON move.id = line.move_id
              JOIN res_partner partner ON partner.id = line.partner_id
             WHERE (line.reconciled IS NULL OR line.reconciled = false OR line.reconciled IS NOT true)
               AND line.parent_state = 'posted'
               AND account.account_type = 'asset_receivable'
               AND line.partner_id IN (%(partners)s)
               AND line.company_id = ANY(%(companies)s)
             GROUP BY partner.commercial_partner_id, line.company_id, line.currency_id
            """,
            documents=CUSTOMER_DOCUMENTS, today=today, partners=self._revcycle_sql_partner_ids(),
            companies=self.company_id.ids,
        )):
            partner_id, company_id, currency_id = row[:3]
            company = companies[company_id]
            own, foreign = row[3:7], row[7:11]
            if currency_id != company.currency_id.id:
                currency = self.env["res.currency"].browse(currency_id)
                own = [currency._revcycle_to_company_currency(amount or 0.0, company, today) for amount in foreign]
            parts = result.setdefault((partner_id, company_id), {
                "invoice": 0.0, "receivable": 0.0, "open": 0.0, "overdue": 0.0, "overdue_days": 0.0,
                "oldest_overdue_date": None})
            for key, amount in zip(("invoice", "receivable", "open", "overdue"), own, strict=True):
                parts[key] += amount or 0.0
            parts["overdue_days"] += row[11] or 0.0
            oldest = row[12]
            if oldest and (not parts["oldest_overdue_date"] or oldest < parts["oldest_overdue_date"]):
                parts["oldest_overdue_date"] = oldest
        for (partner_id, company_id), amount in self._revcycle_gather_orders(today).items():
            result.setdefault((partner_id, company_id), {})["order"] = amount
        for partner_id, company_id, currency_id, amount in self.env.execute_query(SQL(
            """
            SELECT partner.commercial_partner_id, move.company_id, move.currency_id,
                   SUM(move.amount_total_in_currency_signed)
              FROM account_move move
              JOIN res_partner partner ON partner.id = move.partner_id
             WHERE move.state = 'draft'
               AND move.move_type IN %(documents)s
               AND move.partner_id IN (%(partners)s)
               AND move.company_id = ANY(%(companies)s)
             GROUP BY partner.commercial_partner_id, move.company_id, move.currency_id
            """,
            documents=CUSTOMER_DOCUMENTS, partners=self._revcycle_sql_partner_ids(), companies=self.company_id.ids,
        )):
            converted = self.env["res.currency"].browse(currency_id)._revcycle_to_company_currency(
                amount or 0.0, companies[company_id], today)
            parts = result.setdefault((partner_id, company_id), {})
            parts["draft"] = parts.get("draft", 0.0) + converted
        return result

    def _revcycle_gather_orders(self, today):
        """Confirmed orders, the part that will still be billed (draft invoices count as invoiced: they have a part
        of their own), taxes included, converted to the company currency at today's rate.

        A down payment is billed out of the order's total: once invoiced (draft or posted) it is counted by its
        invoice, so the order counts that much less, until the final invoice deducts it again (10,000 ordered, 3,000
        down payment invoiced: 7,000 here + 3,000 invoiced = 10,000, not 13,000). Lines whose billing another addon
        takes over (``_revcycle_order_lines_billed_elsewhere``) are left to that addon's own exposure part."""
        rows = self.env.execute_query(SQL(
            """
            SELECT partner.commercial_partner_id, sale.company_id, sale.currency_id, SUM(remaining.amount)
              FROM (
                    SELECT line.order_id,
                           line.price_total * GREATEST(line.product_uom_qty - line.qty_invoiced, 0)
                           / line.product_uom_qty AS amount
                      FROM sale_order_line line
                     WHERE line.display_type IS NULL
                       AND line.product_uom_qty > 0
                       AND line.is_downpayment IS NOT TRUE
                       AND NOT (%(billed_elsewhere)s)
                 UNION ALL
                    -- down payments invoiced and not yet deducted, taxes included, in the invoice (= order) currency
                    -- (the final invoice's deduction line is negative; a credit note of the down payment counts
                    -- against it)
                    SELECT sol.order_id,
                           -SUM(aml.price_total * CASE WHEN am.move_type = 'out_refund' THEN -1 ELSE 1 END)
                      FROM sale_order_line sol
                      JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                      JOIN account_move am ON am.id = aml.move_id
                     WHERE sol.is_downpayment AND am.state != 'cancel'
                  GROUP BY sol.order_id
                   ) remaining
              JOIN sale_order sale ON sale.id = remaining.order_id
              JOIN res_partner partner ON partner.id = sale.partner_id
             WHERE sale.state = 'sale'
               AND sale.partner_id IN (%(partners)s)
               AND sale.company_id = ANY(%(companies)s)
             GROUP BY partner.commercial_partner_id, sale.company_id, sale.currency_id
            """,
            partners=self._revcycle_sql_partner_ids(), companies=self.company_id.ids,
            billed_elsewhere=self._revcycle_order_lines_billed_elsewhere(SQL("line")),
        ))
        companies = self.env["res.company"].browse({row[1] for row in rows})
        currencies = self.env["res.currency"].browse({row[2] for row in rows})
        result = {}
        for partner_id, company_id, currency_id, amount in rows:
            company = companies.browse(company_id)
            converted = currencies.browse(currency_id)._revcycle_to_company_currency(amount or 0.0, company, today)
            result[partner_id, company_id] = result.get((partner_id, company_id), 0.0) + converted
        return result

    @api.model
    def _revcycle_order_lines_billed_elsewhere(self, line):
        """SQL condition on the sale order line alias ``line``: lines another addon bills and measures itself
        (revcycle_cpq_dunning: recurring lines, billed by their contract). None here."""
        return SQL("FALSE")

    def _revcycle_gather_limits(self):
        """{(partner id, company id): {'limit': effective limit, 'date_end': end of the temporary limit}}."""
        today = fields.Date.context_today(self)
        temporary = {
            (partner.id, company.id): (limit, date_end)
            for partner, company, limit, date_end in self.env["revcycle.credit.override"].sudo()._read_group(
                [("override_type", "=", "limit"), ("date_end", ">=", today),
                 ("partner_id", "in", self.partner_id.ids), ("company_id", "in", self.company_id.ids)],
                groupby=["partner_id", "company_id"], aggregates=["credit_limit:max", "date_end:max"])
        }
        result = {}
        for company, profiles in self.grouped("company_id").items():
            # one read of the company-dependent column for the whole batch
            partners = profiles.partner_id.with_company(company).sudo()
            unrated = {profile.partner_id.id for profile in profiles if profile._revcycle_is_unrated()}
            new_customer_limit = (company.revcycle_new_customer_limit
                                  if company.revcycle_new_customer_policy == "limit" else 0.0)
            for partner in partners:
                base = partner.credit_limit
                if partner.id in unrated and float_is_zero(base, precision_rounding=company.currency_id.rounding):
                    base = new_customer_limit  # no limit of their own yet: the policy's default limit
                temporary_limit, date_end = temporary.get((partner.id, company.id), (0.0, False))
                # 0 means no limit: a temporary limit raises a limit, it never imposes one
                has_base = float_compare(base, 0.0, precision_rounding=company.currency_id.rounding) > 0
                raised = has_base and float_compare(
                    temporary_limit, base, precision_rounding=company.currency_id.rounding) > 0
                result[partner.id, company.id] = {
                    "limit": temporary_limit if raised else (base if has_base else 0.0),
                    "date_end": date_end if raised else False,
                }
        return result

    # ------------------------------------------------------------------
    # Credit score
    # ------------------------------------------------------------------

    def _revcycle_gather_score_inputs(self):
        """{(partner id, company id): PaymentBehaviour and sales figures} from two aggregate queries."""
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        today = fields.Date.context_today(self)
        since = today - timedelta(days=SCORE_LOOKBACK_DAYS)
        payments = {}
        for partner_id, company_id, paid, days_late, on_time in self.env.execute_query(SQL(
            # credit notes settle an invoice but say nothing about how the customer pays: left out
            """
            SELECT partner.commercial_partner_id, debit.company_id,
                   SUM(partial.amount),
                   SUM(partial.amount * GREATEST(partial.max_date - debit.date_maturity, 0)),
                   SUM(partial.amount) FILTER (WHERE partial.max_date <= debit.date_maturity)
              FROM account_partial_reconcile partial
              JOIN account_move_line debit ON debit.id = partial.debit_move_id
              JOIN account_move invoice ON invoice.id = debit.move_id
              JOIN account_move_line credit ON credit.id = partial.credit_move_id
              JOIN account_move settlement ON settlement.id = credit.move_id
              JOIN res_partner partner ON partner.id = debit.partner_id
             WHERE invoice.move_type IN ('out_invoice', 'out_receipt')
               AND settlement.move_type != 'out_refund'
               AND debit.date_maturity IS NOT NULL
               AND partial.max_date >= %(since)s
               AND debit.partner_id IN (%(partners)s)
               AND debit.company_id = ANY(%(companies)s)
             GROUP BY partner.commercial_partner_id, debit.company_id
            """,
            since=since, partners=self._revcycle_sql_partner_ids(), companies=self.company_id.ids,
        )):
            payments[partner_id, company_id] = (paid or 0.0, days_late or 0.0, on_time or 0.0)
        invoicing = {}
        for partner_id, company_id, first_date, sales in self.env.execute_query(SQL(
            """
            SELECT partner.commercial_partner_id, move.company_id, MIN(move.invoice_date),
                   SUM(move.amount_total_signed) FILTER (WHERE move.invoice_date >= %(since)s)
              FROM account_move move
              JOIN res_partner partner ON partner.id = move.partner_id
             WHERE move.state = 'posted'
               AND move.move_type IN %(documents)s
               AND move.partner_id IN (%(partners)s)
               AND move.company_id = ANY(%(companies)s)
             GROUP BY partner.commercial_partner_id, move.company_id
            """,
            since=since, documents=CUSTOMER_DOCUMENTS, partners=self._revcycle_sql_partner_ids(),
            companies=self.company_id.ids,
        )):
            invoicing[partner_id, company_id] = (first_date, sales or 0.0)
        dunning = self._revcycle_dunning_counts(since)
        classes = self.env["revcycle.risk.class"]._revcycle_class_map(self.company_id)
        result = {}
        for profile in self:
            key = (profile.partner_id.id, profile.company_id.id)
            paid, days_late, on_time = payments.get(key, (0.0, 0.0, 0.0))
            first_date, sales = invoicing.get(key, (False, 0.0))
            months = credit_engine.history_months(first_date, today, SCORE_LOOKBACK_MONTHS)
            result[key] = {
                "paid_amount": paid, "paid_days_late": days_late, "paid_on_time_amount": on_time,
                "account_age_days": (today - first_date).days if first_date else 0,
                "dunning_count": dunning.get(key, 0),
                "history_months": months,
                "monthly_sales": credit_engine.monthly_sales(max(sales, 0.0), first_date, today,
                                                             SCORE_LOOKBACK_MONTHS),
                "classes": classes,
            }
        return result

    def _revcycle_dunning_counts(self, since):
        """{(partner id, company id): dunning notices issued since ``since``, sent or queued for sending}."""
        groups = self.env["revcycle.dunning.notice"].sudo()._read_group(
            [("state", "in", ("draft", "sent")), ("date", ">=", since), ("partner_id", "in", self.partner_id.ids),
             ("company_id", "in", self.company_id.ids)],
            ["partner_id", "company_id"], ["__count"])
        return {(partner.id, company.id): count for partner, company, count in groups}

    def _revcycle_score_vals(self, inputs):
        """Run the engine on one profile; called after its exposure is current."""
        self.ensure_one()
        company = self.company_id
        behaviour = credit_engine.PaymentBehaviour(
            paid_amount=inputs["paid_amount"], paid_days_late=inputs["paid_days_late"],
            paid_on_time_amount=inputs["paid_on_time_amount"], open_amount=self.open_amount,
            overdue_amount=self.overdue_amount, overdue_days_late=self.overdue_amount * self.overdue_average_days,
            exposure=self.exposure, credit_limit=self.credit_limit,
            account_age_days=inputs["account_age_days"], dunning_count=inputs["dunning_count"])
        settings = credit_engine.ScoreSettings(precision_digits=company.currency_id.decimal_places)
        weights = company._revcycle_score_weights()
        result = self._revcycle_compute_score(behaviour, weights, settings)
        if result.risk_class == credit_engine.UNRATED:
            suggested = company.revcycle_new_customer_limit if company.revcycle_new_customer_policy == "limit" else 0.0
            payment_term = company.revcycle_new_customer_payment_term_id
        else:
            risk_class = inputs["classes"].get((company.id, result.risk_class))
            suggested = credit_engine.suggested_limit(
                inputs["monthly_sales"], risk_class.limit_months if risk_class else 0.0)
            payment_term = risk_class.payment_term_id if risk_class else self.env["account.payment.term"]
        return {
            "score": result.score if result.score is not None else False,
            "risk_class": result.risk_class,
            "score_breakdown": self._revcycle_score_breakdown(behaviour, weights, result),
            "score_date": fields.Date.context_today(self),
            "history_months": inputs["history_months"],
            "monthly_sales": inputs["monthly_sales"],
            "suggested_limit": suggested,
            "suggested_payment_term_id": payment_term.id,
        }

    def _revcycle_score_breakdown(self, behaviour, weights, result):
        """The score explained: one row per factor with its inputs, value, weight and points (what a credit manager
        reads under "Why this class")."""
        self.ensure_one()
        currency = self.currency_id
        money = lambda amount: format_amount(self.env, amount, currency)  # noqa: E731
        fell_due = behaviour.paid_amount + behaviour.overdue_amount
        inputs = {
            "lateness": self.env._(
                "%(paid)s paid in 12 months and %(overdue)s overdue now, on average %(days)s days late",
                paid=money(behaviour.paid_amount), overdue=money(behaviour.overdue_amount),
                days=round((behaviour.paid_days_late + behaviour.overdue_days_late) / fell_due, 1) if fell_due else 0),
            "on_time": self.env._("%(on_time)s of %(due)s paid by the due date",
                                  on_time=money(behaviour.paid_on_time_amount), due=money(fell_due)),
            "overdue": self.env._("%(overdue)s overdue of %(open)s open", overdue=money(behaviour.overdue_amount),
                                  open=money(behaviour.open_amount)),
            "utilisation": self.env._("exposure %(exposure)s against a limit of %(limit)s",
                                      exposure=money(behaviour.exposure),
                                      limit=money(behaviour.credit_limit) if behaviour.credit_limit
                                      else self.env._("none")),
            "age": self.env._("%(days)s days since the first invoice", days=behaviour.account_age_days),
            "dunning": self.env._("%(count)s dunning notices in 12 months", count=behaviour.dunning_count),
        }
        labels = {
            "lateness": self.env._("Lateness"), "on_time": self.env._("Paid on time"),
            "overdue": self.env._("Overdue now"), "utilisation": self.env._("Limit used"),
            "age": self.env._("Customer age"), "dunning": self.env._("Dunning"),
        }
        total_weight = sum(getattr(weights, name) for name in credit_engine.FACTORS) or 1
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td>"
                   "<td class='text-end'>%s</td></tr>") % (
                labels[name], inputs[name], f"{result.factors[name]:.2f}", getattr(weights, name),
                f"{100.0 * result.factors[name] * getattr(weights, name) / total_weight:.1f}")
            for name in credit_engine.FACTORS)
        header = Markup("<tr><th>%s</th><th>%s</th><th class='text-end'>%s</th><th class='text-end'>%s</th>"
                        "<th class='text-end'>%s</th></tr>") % (
            self.env._("Factor"), self.env._("Inputs"), self.env._("Value"), self.env._("Weight"),
            self.env._("Points"))
        if result.risk_class == credit_engine.UNRATED:
            verdict = self.env._("Unrated: nothing paid in the last twelve months and nothing overdue; the policy "
                                 "for new customers applies.")
        else:
            verdict = self.env._("Score %(score)s, class %(risk_class)s.", score=result.score,
                                 risk_class=result.risk_class)
        return Markup("<p>%s</p><table class='table table-sm'><thead>%s</thead><tbody>%s</tbody></table>") % (
            verdict, header, rows)

    @api.model
    def _revcycle_compute_score(self, behaviour, weights, settings):
        """The engine's score; override to change the formula."""
        return credit_engine.credit_score(behaviour, weights, settings)

    @api.model
    def _cron_refresh_credit(self, batch_size=CRON_BATCH_SIZE):
        """Nightly: exposure (rates, overdue and temporary limits move with time) and score, in bounded batches.

        Rows are taken with FOR UPDATE SKIP LOCKED so two workers share the work; a profile that fails is logged,
        stamped for today and retried tomorrow, so it cannot stall the queue.
        """
        today = fields.Date.context_today(self)
        self.flush_model(["score_date"])
        rows = self.env.execute_query(SQL(
            """
            SELECT id FROM revcycle_credit_profile
             WHERE score_date IS NULL OR score_date < %(today)s
             ORDER BY score_date NULLS FIRST, id
             LIMIT %(limit)s
               FOR UPDATE SKIP LOCKED
            """,
            today=today, limit=batch_size,
        ))
        profiles = self.sudo().browse(row[0] for row in rows)
        done = profiles._revcycle_refresh_each()
        remaining = self.sudo().search_count(["|", ("score_date", "=", False), ("score_date", "<", today)])
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    def _revcycle_refresh_each(self):
        """Refresh exposure and score with one set of aggregate queries, each profile written in its savepoint."""
        if not self:
            return 0
        exposure_data = self._revcycle_gather_exposure()
        limits = self._revcycle_gather_limits()
        score_data = self._revcycle_gather_score_inputs()
        done = 0
        for profile in self:
            key = (profile.partner_id.id, profile.company_id.id)
            try:
                with self.env.cr.savepoint():
                    profile.write(profile._revcycle_exposure_vals(exposure_data.get(key, {}), limits.get(key, {})))
                    profile.write(profile._revcycle_score_vals(score_data[key]))
                    profile._revcycle_release_paid_holds()
                    self.env.flush_all()
                done += 1
            except Exception:
                _logger.exception("Credit profile %s (partner %s, company %s) could not be refreshed",
                                  profile.id, *key)
                self.env.invalidate_all()
                self.env.execute_query(SQL(
                    "UPDATE revcycle_credit_profile SET score_date = %s WHERE id = %s", fields.Date.context_today(self),
                    profile.id))
        return done

    # ------------------------------------------------------------------
    # Decisions and holds
    # ------------------------------------------------------------------

    def _revcycle_decide(self, amount):
        """The credit decision for ``amount`` more (company currency), as the public dict of the interface."""
        self.ensure_one()
        company = self.company_id
        currency = company.currency_id
        decision = credit_engine.check_credit(
            self.exposure, amount, self.credit_limit, on_hold=self.hold, oldest_overdue_days=self.overdue_days,
            block_after_days=company.revcycle_credit_overdue_days, precision_digits=currency.decimal_places,
            prepayment_required=self._revcycle_is_unrated() and company.revcycle_new_customer_policy == "prepayment")
        return {
            "allowed": decision.allowed,
            "reason_code": decision.reason or False,
            "reason": self._revcycle_reason_text(decision, amount) if decision.reason else "",
            "partner": self.partner_id.display_name,
            "currency": currency.name,
            "exposure": self.exposure,
            "exposure_parts": self._revcycle_exposure_parts(),
            "amount": currency.round(amount),
            "limit": self.credit_limit,
            "hold": self.hold,
            "overdue_amount": self.overdue_amount,
            "overdue_days": self.overdue_days,
            "score": self.score,
            "risk_class": self.risk_class or False,
        }

    def _revcycle_exposure_parts(self):
        """{part: amount} of the parts the company counts in the exposure (they add up to it)."""
        self.ensure_one()
        return {part: self[fname] for part, (fname, included) in self._revcycle_exposure_part_fields().items()
                if self.company_id[included]}

    @api.model
    def _revcycle_exposure_part_fields(self):
        """{part: (profile field, company switch)}; a bridge adding a part adds it here."""
        return {
            "receivable": ("exposure_receivable", "revcycle_exposure_include_receivable"),
            "invoice": ("exposure_invoice", "revcycle_exposure_include_invoice"),
            "order": ("exposure_order", "revcycle_exposure_include_order"),
            "draft": ("exposure_draft", "revcycle_exposure_include_draft"),
        }

    def _revcycle_is_unrated(self):
        """No payment behaviour judged yet: never scored, or scored unrated."""
        self.ensure_one()
        return self.risk_class in (False, credit_engine.UNRATED)

    def _revcycle_reason_text(self, decision, amount):
        self.ensure_one()
        currency = self.currency_id
        limit = (format_amount(self.env, self.credit_limit, currency)
                 if float_compare(self.credit_limit, 0.0, precision_rounding=currency.rounding) > 0
                 else self.env._("no limit"))
        values = {
            "partner": self.partner_id.display_name,
            "exposure": format_amount(self.env, self.exposure, currency),
            "amount": format_amount(self.env, amount, currency),
            "total": format_amount(self.env, decision.exposure_after, currency),
            "limit": limit,
        }
        if decision.reason == credit_engine.REASON_HOLD:
            hold_reason = self.hold_reason or self.env._("no reason given")
            return self.env._(
                "%(partner)s is on credit hold (%(hold_reason)s); exposure %(exposure)s, credit limit %(limit)s. "
                "A credit manager can lift the hold or approve an override.",
                hold_reason=hold_reason, **values)
        if decision.reason == credit_engine.REASON_PREPAYMENT:
            return self.env._(
                "%(partner)s is a new customer without payment history, and new customers pay in advance in "
                "%(company)s: have the order paid first, or ask a credit manager to set a credit limit or approve an "
                "override.", company=self.company_id.name, **values)
        if decision.reason == credit_engine.REASON_OVERDUE:
            return self.env._(
                "%(partner)s has an invoice overdue by %(days)s days, more than the %(max_days)s days allowed "
                "(due %(due)s); exposure %(exposure)s, credit limit %(limit)s. Collect the overdue invoices or ask "
                "a credit manager to approve an override.",
                days=self.overdue_days, max_days=self.company_id.revcycle_credit_overdue_days,
                due=format_date(self.env, self.oldest_overdue_date), **values)
        return self.env._(
            "%(partner)s would be over their credit limit: exposure %(exposure)s plus %(amount)s makes %(total)s, "
            "above the credit limit of %(limit)s. Record a payment, reduce the amount, or ask a credit manager to "
            "approve an override.", **values)

    def _revcycle_set_hold(self, reason, source="manual", release_on_payment=False):
        """Put these customers on hold; dunning levels call this with source='dunning'.

        Profiles are written by the system only (no group may write them): callers check who may decide, then
        call this on sudo()-ed profiles, as res.partner.action_revcycle_credit_hold does.
        """
        for profile in self.filtered(lambda profile: not profile.hold or profile.hold_reason != reason):
            profile.write({
                "hold": True, "hold_source": source, "hold_reason": reason,
                "hold_date": fields.Date.context_today(self), "hold_release_on_payment": release_on_payment,
            })
            profile.partner_id._revcycle_log_credit_decision(self.env._(
                "Credit hold set in %(company)s: %(reason)s", company=profile.company_id.name, reason=reason))

    def _revcycle_release_hold(self, reason):
        for profile in self.filtered("hold"):
            profile.write({"hold": False, "hold_source": False, "hold_reason": False, "hold_date": False,
                           "hold_release_on_payment": False})
            profile.partner_id._revcycle_log_credit_decision(self.env._(
                "Credit hold lifted in %(company)s: %(reason)s", company=profile.company_id.name, reason=reason))

    def _revcycle_release_paid_holds(self):
        paid = self.filtered(lambda profile: profile.hold and profile.hold_release_on_payment and float_is_zero(
            profile.overdue_amount, precision_rounding=profile.currency_id.rounding))
        paid._revcycle_release_hold(self.env._("the overdue amount is paid"))

    # ------------------------------------------------------------------
    # Install
    # ------------------------------------------------------------------

    @api.model
    def _revcycle_init_profiles(self, chunk_size=1000):
        """A profile for every customer with receivables, orders or draft invoices; the nightly cron scores them."""
        rows = self.env.execute_query(SQL(
            """
            SELECT DISTINCT partner.commercial_partner_id, line.company_id
              FROM account_move_line line
              JOIN account_account account ON account.id = line.account_id
              JOIN res_partner partner ON partner.id = line.partner_id
             WHERE line.parent_state = 'posted' AND account.account_type = 'asset_receivable'
            UNION
            SELECT partner.commercial_partner_id, sale.company_id
              FROM sale_order sale JOIN res_partner partner ON partner.id = sale.partner_id
             WHERE sale.state = 'sale'
            UNION
            SELECT move.commercial_partner_id, move.company_id
              FROM account_move move
             WHERE move.state = 'draft' AND move.move_type IN %(documents)s AND move.commercial_partner_id IS NOT NULL
            """,
            documents=CUSTOMER_DOCUMENTS,
        ))
        for start in range(0, len(rows), chunk_size):
            self.sudo()._revcycle_ensure(rows[start:start + chunk_size])._revcycle_refresh()

    def action_open_collections(self):
        """The workbench row's customer, on its collections page: open items with their levels, notices, card
        attempts, promise and pauses, and the chatter to log calls and plan activities."""
        self.ensure_one()
        self.env["revcycle.access"]._revcycle_require_collections_user()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "views": [(False, "form")],
            "context": {"revcycle_collections": True},
        }
