from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

# set only by the month-end's posting (RevcycleRevenueLine._revcycle_mark_posted)
POSTING_FIELDS = ("state", "move_id", "move_line_id")


class RevcycleRevenueLine(models.Model):
    _name = "revcycle.revenue.line"
    _description = "Revenue Line"
    _order = "date, obligation_id, id"
    _check_company_auto = True

    obligation_id = fields.Many2one("revcycle.performance.obligation", required=True, ondelete="cascade",
                                    index=True)
    contract_id = fields.Many2one(related="obligation_id.contract_id", store=True, index=True)
    company_id = fields.Many2one(related="obligation_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="obligation_id.currency_id")
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    partner_id = fields.Many2one(related="obligation_id.partner_id", store=True, string="Customer")
    product_id = fields.Many2one(related="obligation_id.product_id", store=True)
    date = fields.Date(required=True, index=True, help="When the revenue is due to be recognised.")
    period_date = fields.Date(compute="_compute_period_date", store=True, string="Period",
                              help="First day of the month of the line: one posted line per obligation and period.")
    amount = fields.Monetary(required=True)
    variable_period_end = fields.Date(
        string="For the Period Ending", readonly=True,
        help="Variable Consideration: the last day of the period the amount belongs to. It is recognised on that "
        "day while the period is open, else on the day the estimate changed (a closed month is never restated).")
    amount_company = fields.Monetary(
        currency_field="company_currency_id", readonly=True, string="Amount (Company Currency)",
        help="Posted: as booked (an advance at its billing's rate, the rest at the day's rate). Planned: an estimate "
        "at the contract date's rate.")
    # The waterfall's measures: company currency, so a report never adds two currencies.
    posted_amount = fields.Monetary(compute="_compute_split", store=True, string="Recognised",
                                    currency_field="company_currency_id")
    remaining_amount = fields.Monetary(compute="_compute_split", store=True, string="Remaining",
                                       currency_field="company_currency_id",
                                       help="Still to recognise, estimated at the contract date's rate.")
    state = fields.Selection([("planned", "Planned"), ("posted", "Posted")], default="planned", required=True,
                             index=True)
    kind = fields.Selection([("schedule", "Schedule"), ("delivery", "Partial Delivery"),
                             ("invoice", "Invoiced Share"), ("adjustment", "Price Change"),
                             ("reversal", "Reversal"), ("variable", "Variable Consideration")],
                            default="schedule", required=True,
                            help="Schedule: the planned recognition; Partial Delivery: the delivered share of a "
                            "point-in-time obligation (negative after a return); Invoiced Share: the invoiced share "
                            "of an at-invoice obligation; Price Change: the cumulative catch-up when a credit note "
                            "changes the transaction price; Reversal: a cancellation; Variable Consideration: an "
                            "amount that relates to one period of the obligation only (usage billed for it), "
                            "recognised in that period and never reallocated.")
    ready = fields.Boolean(default=True, help="Point-in-time lines wait for their delivery or invoice.")
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, index="btree_not_null",
                              ondelete="restrict", copy=False)
    move_line_id = fields.Many2one(
        "account.move.line", string="Income Journal Item", readonly=True, index="btree_not_null",
        ondelete="set null", copy=False,
        help="The income item of the journal entry this line was posted to: the contract's own item, or the item "
        "that sums the contracts of the entry on one account (Settings > Revenue Cycle > Month-end income lines).")

    def init(self):
        # A posted schedule line is unique per obligation and period: a second run or worker cannot post it again.
        self.env.cr.execute(SQL(
            """CREATE UNIQUE INDEX IF NOT EXISTS revcycle_revenue_line_posted_period_uniq
               ON revcycle_revenue_line (obligation_id, period_date)
               WHERE state = 'posted' AND kind = 'schedule'"""))
        self.env.cr.execute(SQL(
            """CREATE INDEX IF NOT EXISTS revcycle_revenue_line_due_idx
               ON revcycle_revenue_line (contract_id, date) WHERE state = 'planned'"""))

    @api.depends("date")
    def _compute_period_date(self):
        for line in self:
            line.period_date = line.date.replace(day=1) if line.date else False

    @api.depends("state", "amount_company")
    def _compute_split(self):
        for line in self:
            posted = line.state == "posted"
            line.posted_amount = line.amount_company if posted else 0.0
            line.remaining_amount = 0.0 if posted else line.amount_company

    @api.model_create_multi
    def create(self, vals_list):
        self._revcycle_refuse_posting_fields(vals_list, creating=True)
        lines = super().create(vals_list)
        lines.filtered(lambda line: line.state == "planned")._revcycle_estimate_company()
        return lines

    def write(self, vals):
        self._revcycle_refuse_posting_fields([vals])
        result = super().write(vals)
        if "amount" in vals and "amount_company" not in vals:
            self.filtered(lambda line: line.state == "planned")._revcycle_estimate_company()
        return result

    def _revcycle_refuse_posting_fields(self, vals_list, creating=False):
        """A line is posted by the month-end (``_revcycle_mark_posted``, in SQL with its entry), which alone sets its
        state, entry and income item: a plain write or create of them (XML-RPC, an import) would make the schedule
        say what the ledger does not. A new line is planned. The superuser (data migrations) writes them as it
        decides."""
        if self.env.su:
            return
        written = sorted({name for vals in vals_list for name in POSTING_FIELDS
                          if name in vals and not (creating and name == "state" and vals[name] == "planned")
                          and not (creating and name != "state" and not vals[name])})
        if written:
            raise AccessError(self.env._(
                "%(fields)s of a revenue line are set when the month-end posts it (Recognise up to…), not by "
                "writing them.",
                fields=", ".join(self._fields[name]._description_string(self.env) for name in written)))

    def _revcycle_estimate_company(self):
        """Planned lines: their company amount at the contract date's rate (posting books the real one)."""
        rates = self._revcycle_estimate_rates(self.contract_id)
        for line in self:
            line.amount_company = line.company_currency_id.round(line.amount * rates[line.contract_id.id])

    @api.model
    def _revcycle_estimate_rates(self, contracts):
        """{contract id: company units per contract unit on the contract date}."""
        return {contract.id: contract.currency_id._get_conversion_rate(
            contract.currency_id, contract.company_id.currency_id, contract.company_id, contract.date)
            if contract.currency_id != contract.company_id.currency_id else 1.0 for contract in contracts}

    @api.model
    def _revcycle_insert_planned(self, vals_list):
        """New schedules in one INSERT: ``vals_list`` of planned schedule lines (obligation_id, date, amount, ready).

        A month-end of 10,000 obligations plans 120,000 lines; the ORM's create spends nearly all its time filling
        the stored related fields one record at a time, which come here from the obligations in one read. Nothing
        overrides create on this model but to estimate the company amount, done here too, so the rows are exactly what
        create would write. Returns the new lines."""
        if not vals_list:
            return self.browse()
        self.env["revcycle.performance.obligation"].flush_model()
        self.env["revcycle.revenue.contract"].flush_model()
        obligations = self.env["revcycle.performance.obligation"].browse({vals["obligation_id"] for vals in vals_list})
        related = {ob.id: (ob.contract_id.id, ob.company_id.id, ob.partner_id.id or None, ob.product_id.id)
                   for ob in obligations}
        rates = self._revcycle_estimate_rates(obligations.contract_id)
        # {obligation id: how its amounts become company amounts}: the amount itself when the contract is in the
        # company's currency (already rounded to it), else at the contract date's rate, rounded
        to_company = {}
        for ob in obligations:
            company_currency = ob.company_id.currency_id
            if ob.currency_id == company_currency:
                to_company[ob.id] = None
            else:
                to_company[ob.id] = (company_currency, rates[ob.contract_id.id])

        def company_amount(vals):
            conversion = to_company[vals["obligation_id"]]
            return vals["amount"] if conversion is None else conversion[0].round(vals["amount"] * conversion[1])

        columns = list(zip(*[(vals["obligation_id"], *related[vals["obligation_id"]], vals["date"],
                              vals["date"].replace(day=1), vals["amount"], bool(vals["ready"]), company_amount(vals))
                             for vals in vals_list], strict=True))
        rows = self.env.execute_query(SQL(
            """
            INSERT INTO revcycle_revenue_line (
                obligation_id, contract_id, company_id, partner_id, product_id, date, period_date, amount,
                amount_company, posted_amount, remaining_amount, state, kind, ready, create_uid, write_uid,
                create_date, write_date)
            SELECT t.obligation_id, t.contract_id, t.company_id, t.partner_id, t.product_id, t.date, t.period_date,
                   t.amount, t.amount_company, 0, t.amount_company, 'planned', 'schedule', t.ready, %(uid)s, %(uid)s,
                   now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
              FROM unnest(%(obligation)s::int[], %(contract)s::int[], %(company)s::int[], %(partner)s::int[],
                          %(product)s::int[], %(date)s::date[], %(period)s::date[], %(amount)s::numeric[],
                          %(ready)s::bool[], %(amount_company)s::numeric[])
                AS t(obligation_id, contract_id, company_id, partner_id, product_id, date, period_date, amount, ready,
                     amount_company)
            RETURNING id
            """,
            uid=self.env.uid, obligation=list(columns[0]), contract=list(columns[1]), company=list(columns[2]),
            partner=list(columns[3]), product=list(columns[4]), date=list(columns[5]), period=list(columns[6]),
            amount=list(columns[7]), ready=list(columns[8]), amount_company=list(columns[9])))
        # the inverse one2many caches do not know the new rows
        obligations.invalidate_recordset(["line_ids"])
        obligations.contract_id.invalidate_recordset(["line_ids"])
        return self.browse([row[0] for row in rows])

    @api.model
    def _revcycle_mark_posted(self, amounts, move):
        """The lines of ``amounts`` ([(line id, amount in company currency as booked, id of the income journal item
        it was posted to or None)]) posted by ``move``, in one
        UPDATE: a month-end posts thousands of lines, and a write per line (its amount differs) costs more than the
        entry itself. The same values write() would store, the stored split included (``_compute_split``); the
        unique index on posted schedule lines still refuses a second posting of a period."""
        if not amounts:
            return
        self.flush_model()
        ids, values, items = zip(*amounts, strict=True)
        self.env.execute_query(SQL(
            """
            UPDATE revcycle_revenue_line l
               SET state = 'posted', move_id = %(move)s, move_line_id = t.item, amount_company = t.amount,
                   posted_amount = t.amount, remaining_amount = 0, write_uid = %(uid)s,
                   write_date = now() AT TIME ZONE 'UTC'
              FROM unnest(%(ids)s::int[], %(amounts)s::numeric[], %(items)s::int[]) AS t(id, amount, item)
             WHERE l.id = t.id
            """, move=move.id or None, uid=self.env.uid, ids=list(ids), amounts=list(values), items=list(items)))
        self.browse(ids).invalidate_recordset(
            ["state", "move_id", "move_line_id", "amount_company", "posted_amount", "remaining_amount", "write_uid",
             "write_date"])

    @api.model
    def _revcycle_sums(self, records, field):
        """{record id: {'posted': sum, 'planned': sum}} of the lines under ``records``, one query."""
        if not records.ids:
            return {}
        result = defaultdict(dict)
        for record, state, amount in self._read_group(
                [(field, "in", records.ids)], [field, "state"], ["amount:sum"]):
            result[record.id][state] = amount
        return result
