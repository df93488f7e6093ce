"""What the cash forecast learns payment behaviour from, kept on each reconciliation (docs/domain.md, Cash forecast:
Speed).

A payment's delay is known from its reconciliation (``account.partial.reconcile``: the amount and ``max_date``),
the receivable it settles (its customer, company, due date and account) and what settled it (a customer invoice or
credit note is no payment). Reading the last 18 months of payments joined to their two journal items and the
settling entry cost about a second at 500k receivable lines, most of a forecast's first call after the ledger
changed. These fields keep the facts of the receivable side and whether it is a payment on the reconciliation
itself, stored and kept current by the ORM like Odoo's own stored related fields on these tables (``company_id``
here, ``parent_state`` on journal items): the histograms then read one table and the customers (for their
commercial partner, read when the forecast runs: storing it would make re-parenting a contact recompute every
reconciliation of the company's items).

The ORM keeps them; a writer of journal items in SQL (an import, a migration script) that changes an item's partner,
company, date, due date or account, or inserts reconciliations, calls ``_revcycle_fill_payment_facts`` after it (the
daily training job fills only the reconciliations it finds without facts: a stale date would hide a reconciliation
from the open items of the days before it).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, create_index

# the settling entries that are no payment: a credit note or an invoice applied to a receivable
NOT_A_PAYMENT = ("out_invoice", "out_refund")

MISSING_FACTS_INDEX = "account_partial_reconcile__revcycle_facts_missing_index"

# the columns created and filled in one statement when the addon is installed (the ORM would otherwise compute them
# record by record over every reconciliation of the database)
FACT_COLUMNS = (
    "revcycle_debit_partner_id",
    "revcycle_debit_company_id",
    "revcycle_debit_due",
    "revcycle_debit_account_id",
    "revcycle_is_payment",
    "revcycle_debit_date",
    "revcycle_credit_date",
)


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    # indexed: deleting a contact sets this to NULL (the foreign key), which would otherwise scan the table
    revcycle_debit_partner_id = fields.Many2one(
        "res.partner", string="Customer of the receivable", compute="_compute_revcycle_payment_facts",
        store=True, precompute=True, index="btree_not_null")
    # the receivable's own company: the reconciliation's is the payment's when the receivable is no invoice
    revcycle_debit_company_id = fields.Many2one(
        "res.company", string="Company of the receivable", compute="_compute_revcycle_payment_facts", store=True,
        precompute=True)
    revcycle_debit_due = fields.Date(string="Due date of the receivable", compute="_compute_revcycle_payment_facts",
                                     store=True, precompute=True)
    revcycle_debit_account_id = fields.Many2one(
        "account.account", string="Account of the receivable", compute="_compute_revcycle_payment_facts", store=True,
        precompute=True)
    revcycle_is_payment = fields.Boolean(
        string="Counts as a payment", compute="_compute_revcycle_payment_facts", store=True, precompute=True,
        help="Settled by something other than a customer invoice or credit note: what the cash forecast learns "
             "payment delays from.")

    # the dates of both journal items: the forecast's open items as of a past day read only the reconciliations
    # made after that day with an item dated on or before it (the others change no residual of that day)
    revcycle_debit_date = fields.Date(string="Date of the receivable", compute="_compute_revcycle_payment_facts",
                                      store=True, precompute=True)
    revcycle_credit_date = fields.Date(string="Date of the credit", compute="_compute_revcycle_payment_facts",
                                       store=True, precompute=True)

    @api.depends("debit_move_id.partner_id", "debit_move_id.company_id", "debit_move_id.date_maturity",
                 "debit_move_id.date", "debit_move_id.account_id", "credit_move_id.date",
                 "credit_move_id.move_id.move_type")
    def _compute_revcycle_payment_facts(self):
        for partial in self:
            debit = partial.debit_move_id
            partial.revcycle_debit_partner_id = debit.partner_id
            partial.revcycle_debit_company_id = debit.company_id
            partial.revcycle_debit_due = debit.date_maturity or debit.date
            partial.revcycle_debit_account_id = debit.account_id
            partial.revcycle_is_payment = partial.credit_move_id.move_id.move_type not in NOT_A_PAYMENT
            partial.revcycle_debit_date = debit.date
            partial.revcycle_credit_date = partial.credit_move_id.date

    @api.model_create_multi
    def create(self, vals_list):
        self._revcycle_refuse_fact_writes(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._revcycle_refuse_fact_writes([vals])
        return super().write(vals)

    def _revcycle_refuse_fact_writes(self, vals_list):
        """The facts follow the journal items (the compute): given by hand, in the web client's import or over
        XML-RPC, they would make the cash forecast learn from figures the ledger does not hold. Only the compute
        and the fill statement write them (neither goes through create or write with them); superuser code is
        trusted, as Odoo trusts it with its own stored computed fields."""
        if self.env.su:
            return
        written = sorted({name for vals in vals_list for name in vals if name in FACT_COLUMNS})
        if written:
            raise AccessError(self.env._(
                "%(fields)s of a reconciliation follow its journal items and cannot be written: change the journal "
                "item (its partner, dates or account) and they follow.",
                fields=", ".join(f"{self._fields[name]._description_string(self.env)} ({name})"
                                 for name in written)))

    def _auto_init(self):
        """Create the facts' columns and fill them with one UPDATE when they are new (an install on a database with
        years of reconciliations), before the ORM sees them missing and computes them one by one."""
        missing = [name for name in FACT_COLUMNS if not column_exists(self.env.cr, self._table, name)]
        for name in missing:
            field = self._fields[name]
            create_column(self.env.cr, self._table, name, field.column_type[1], field.string)
        if missing:
            self._revcycle_fill_payment_facts_sql(only_missing=False)
        result = super()._auto_init()
        # the reconciliations without facts (inserted by SQL), for the fill's "only missing" mode
        create_index(self.env.cr, MISSING_FACTS_INDEX, self._table, ["id"], where="revcycle_is_payment IS NULL")
        return result

    @api.model
    def _revcycle_fill_payment_facts(self, only_missing=False):
        """The compute's rule in one statement over every reconciliation (``only_missing``: those whose facts were
        never written, such as rows inserted by SQL: found by a partial index, so the check costs nothing when there
        are none). Tested to agree with the compute. Returns the number of reconciliations filled."""
        self.env.flush_all()  # it reads the journal items and entries in SQL
        filled = self._revcycle_fill_payment_facts_sql(only_missing)
        self.invalidate_model(list(FACT_COLUMNS))
        return filled

    @api.model
    def _revcycle_fill_payment_facts_sql(self, only_missing):
        """The statement of ``_revcycle_fill_payment_facts`` (alone in ``_auto_init``, before the ORM is ready)."""
        self.env.cr.execute(SQL(
            """
            UPDATE account_partial_reconcile partial
               SET revcycle_debit_partner_id = debit.partner_id,
                   revcycle_debit_company_id = debit.company_id,
                   revcycle_debit_due = COALESCE(debit.date_maturity, debit.date),
                   revcycle_debit_account_id = debit.account_id,
                   revcycle_is_payment = credit_move.move_type NOT IN %(not_a_payment)s,
                   revcycle_debit_date = debit.date,
                   revcycle_credit_date = credit.date
              FROM account_move_line debit,
                   account_move_line credit
              JOIN account_move credit_move ON credit_move.id = credit.move_id
             WHERE debit.id = partial.debit_move_id AND credit.id = partial.credit_move_id
               %(only_missing)s
            """, not_a_payment=NOT_A_PAYMENT,
            only_missing=SQL("AND partial.revcycle_is_payment IS NULL") if only_missing else SQL()))
        return self.env.cr.rowcount
