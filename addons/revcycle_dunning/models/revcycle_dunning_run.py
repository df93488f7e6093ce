import datetime
import logging
from collections import defaultdict
from typing import Any, NamedTuple

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, mute_logger
from psycopg2 import IntegrityError
from psycopg2.errors import SerializationFailure

from ..engine import fees as fee_engine
from ..engine import levels as level_engine

_logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Held only by the run's own methods: no XML-RPC or JSON-RPC caller can put this object in a context.
_RUN_TOKEN = object()
# What a collections user sets on a run: when, where and whom to dun, before it runs. The rest is its record.
USER_FIELDS = frozenset({"date", "company_id", "partner_ids"})


class LockedItem(NamedTuple):
    """A receivable item a run holds, as its candidate query locked it (``_revcycle_lock_invoices``); read by name
    by the run and by the addons that extend its plan (revcycle_analytics_dunning)."""

    item_id: int
    invoice_id: int
    policy_id: int
    maturity: datetime.date
    residual: float


class PlannedItem(NamedTuple):
    """An item the engine decided to dun today (``_revcycle_plan``): at which level, for how much, and how many
    days of interest it bears."""

    level: Any  # the revcycle.dunning.level record
    item_id: int
    invoice_id: int
    days_overdue: int
    net: float  # the open amount less the customer's credits applied to it
    maturity: datetime.date
    interest_days: int


class RevcycleDunningRun(models.Model):
    """One pass of dunning over one company's customers for one date.

    Late fee invoices are not dunned themselves: no fee on a fee, no reminder about a reminder.
    The invoices a run may act on are found by one query that already applies the level ladder, the pauses and
    the 'never the same level twice' rule, so a second run over the same date finds nothing and costs one query.
    The engine then decides each invoice's level, and each customer is handled in a savepoint of its own.
    """

    _name = "revcycle.dunning.run"
    _description = "Dunning Run"
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True,
                       help="The day the run acts as of: levels are reached counting from the due dates to it.")
    company_id = fields.Many2one("res.company", string="Company", required=True, default=lambda self: self.env.company,
                                 index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    state = fields.Selection([("draft", "Draft"), ("running", "Running"), ("done", "Done")], default="draft",
                             required=True, readonly=True, index=True)
    is_cron = fields.Boolean(string="Scheduled", readonly=True)
    user_id = fields.Many2one("res.users", string="Run By", default=lambda self: self.env.user, readonly=True)
    notice_ids = fields.One2many("revcycle.dunning.notice", "run_id", string="Notices", readonly=True)
    notice_count = fields.Integer(readonly=True)
    invoice_count = fields.Integer(string="Invoices Dunned", readonly=True)
    customer_count = fields.Integer(string="Customers", readonly=True)
    fee_total = fields.Monetary(string="Late Fees", readonly=True)
    hold_count = fields.Integer(string="Credit Holds", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
    partner_ids = fields.Many2many(
        "res.partner", "revcycle_dunning_run_partner_rel", "run_id", "partner_id", string="Only Customers",
        help="Dun only these customers; empty duns everyone.")
    last_partner_id = fields.Integer(
        string="Last Customer Looked At", readonly=True,
        help="The run goes through customers in id order; it carries on after this one.")
    failed_partner_ids = fields.Many2many(
        "res.partner", "revcycle_dunning_run_failed_partner_rel", "run_id", "partner_id", string="Failed Customers",
        readonly=True, help="Customers whose notices could not be made in this run; see the server log.")

    _sql_constraints = [
        ("revcycle_dunning_run_counts_positive", "CHECK (notice_count >= 0 AND invoice_count >= 0)",
         "Run counters cannot be negative."),
    ]

    def init(self):
        # one scheduled run per company and day: two cron workers starting together cannot both make one
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS revcycle_dunning_run_cron_day_unique "
            "ON revcycle_dunning_run (company_id, date) WHERE is_cron")

    @api.model_create_multi
    def create(self, vals_list):
        if not self._revcycle_system_call():
            self._revcycle_refuse_record_fields({name for vals in vals_list for name in vals} - USER_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        if not self._revcycle_system_call():
            self._revcycle_refuse_record_fields(set(vals) - USER_FIELDS)
            started = self.filtered(lambda run: run.state != "draft")
            if started:
                raise UserError(self.env._(
                    "%(runs)s ran already: its date, company and customers are the record of what it did and "
                    "cannot change; make a new run.", runs=", ".join(started.mapped("name"))))
        return super().write(vals)

    def _revcycle_system_call(self):
        return self.env.su or self.env.context.get("revcycle_run_write") is _RUN_TOKEN

    def _revcycle_refuse_record_fields(self, names):
        if names:
            raise AccessError(self.env._(
                "%(fields)s of a dunning run are written by the run itself, not by hand.",
                fields=", ".join(self._fields[name]._description_string(self.env) if name in self._fields else name
                                 for name in sorted(names))))

    def _revcycle_system(self):
        """These runs, writable by the run's own methods (and only by them)."""
        return self.with_context(revcycle_run_write=_RUN_TOKEN)

    @api.constrains("date")
    def _check_date(self):
        for run in self:
            run._revcycle_check_not_future(run.date)

    @api.model
    def _revcycle_check_not_future(self, date):
        today = fields.Date.context_today(self)
        if date > today:
            raise ValidationError(self.env._(
                "A dunning run cannot be dated %(date)s, after today (%(today)s): fees and levels would be charged "
                "for days that have not come. Run it as of today at the latest.",
                date=fields.Date.to_string(date), today=fields.Date.to_string(today)))

    @api.depends("date", "company_id")
    def _compute_name(self):
        for run in self:
            run.name = self.env._("Dunning %(date)s", date=fields.Date.to_string(run.date) or "")

    # ------------------------------------------------------------------
    # Public interface
    # ------------------------------------------------------------------

    @api.model
    def run_for_date(self, date=None):
        """Dun every customer of the companies of the call as of ``date`` (default today) and return a summary:
        {'date', 'run_ids', 'notices', 'invoices', 'customers', 'fees', 'holds', 'errors'}.

        Running twice over the same date, or in two workers at once, sends nothing twice.
        """
        self.env["revcycle.access"]._revcycle_require_collections_user()
        if not date:
            raise UserError(self.env._("Give the run date to dun as of, like 2025-01-31 (today at the latest)."))
        date = self.env["revcycle.access"]._revcycle_date(date, self.env._("The run date"), upper=False)
        self._revcycle_check_not_future(date)
        runs = self.create([{"date": date, "company_id": company.id} for company in self.env.companies])
        runs.action_run()
        return runs._revcycle_summary()

    def action_run(self):
        """Run now, as of the run's date, every batch until no customer is left."""
        self.env["revcycle.access"]._revcycle_require_collections_user()
        for run in self:
            run._revcycle_check_not_future(run.date)
            if run.state == "done":
                raise UserError(self.env._(
                    "%(run)s is done already; make a new run to dun again (it only sends what is new).",
                    run=run.name))
            run._revcycle_system().state = "running"
            # plans kept, or broken (their invoices are dunned again today), before the candidates are read
            self.env["revcycle.payment.plan"]._revcycle_check_plans(run.date, run.company_id)
            # a batch stops short of its size only when no customer is left to dun
            while sum(run._revcycle_process_batch(BATCH_SIZE)) >= BATCH_SIZE:
                continue
            run._revcycle_system().state = "done"
        return True

    @api.model
    def _cron_run_dunning(self, batch_size=BATCH_SIZE):
        """Daily: one scheduled run per company and day, in bounded batches that report their progress."""
        today = fields.Date.context_today(self)
        done = remaining = 0
        for company in self._revcycle_dunning_companies():
            run = self._revcycle_cron_run(company, today)
            if not run:
                continue
            run = run.with_company(company)
            if not run.last_partner_id and run.state != "done":
                self.env["revcycle.payment.plan"]._revcycle_check_plans(today, company)
            if done < batch_size and run.state != "done":
                processed, _failed = run._revcycle_process_batch(batch_size - done)
                done += processed
            left = run._revcycle_count_candidates(run.last_partner_id)
            if not left:
                run._revcycle_system().state = "done"
            remaining += left
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _revcycle_cron_run(self, company, day):
        """The company's scheduled run of ``day``, made when missing; None when another worker is making it right
        now (the database's unique index refuses the second one, and that worker does the day's dunning)."""
        # sudo: the scheduler's own run record, found or made by the cron alone
        Run = self.sudo()  # sudo: the scheduler's own run record
        run = Run.search([("company_id", "=", company.id), ("date", "=", day), ("is_cron", "=", True)], limit=1)
        if run:
            return run
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                return Run.create({"company_id": company.id, "date": day, "is_cron": True, "state": "running"})
        except (IntegrityError, SerializationFailure):
            _logger.info("Dunning of %s for %s is being run by another worker", company.name, day)
            return None

    @api.model
    def _revcycle_dunning_companies(self):
        """Companies that have a dunning policy of their own; a policy shared by all companies makes it all."""
        policy_companies = [company for (company,) in self.env["revcycle.dunning.policy"].sudo()._read_group(
            [], ["company_id"])]
        Company = self.env["res.company"].sudo()
        if any(not company for company in policy_companies):
            return Company.search([("id", "!=", False)], order="id")
        return Company.union(*policy_companies).sorted("id")

    def _revcycle_summary(self):
        return {
            "date": fields.Date.to_string(self[:1].date) if self else False,
            "run_ids": self.ids,
            "notices": sum(self.mapped("notice_count")),
            "invoices": sum(self.mapped("invoice_count")),
            "customers": sum(self.mapped("customer_count")),
            "fees": sum(self.mapped("fee_total")),
            "holds": sum(self.mapped("hold_count")),
            "errors": sum(self.mapped("error_count")),
        }

    # ------------------------------------------------------------------
    # Finding what to send
    # ------------------------------------------------------------------

    def _revcycle_candidate_sql(self, select, partner_ids=None, lock=False):
        """Open receivable items of customer invoices of the run's company (one row per instalment, each by its own
        maturity) that the engine's escalation rule gives a level today (engine/levels.py ``escalation_level``,
        compiled to SQL by ``escalation_sql``: the next level of the ladder, reached by days and amount, the
        ladder's gap after the last notice), outside pauses, plans and exclusions.

        The amount here is gross of the customer's credits, the engine's net: the query may select an item the
        engine then leaves alone (a superset), never the other way round. A second run the same day selects nothing.
        """
        self.ensure_one()
        for model in ("account.move", "account.move.line", "res.partner", "res.company", "revcycle.dunning.policy",
                      "revcycle.dunning.level", "revcycle.dunning.notice", "revcycle.dunning.notice.line",
                      "revcycle.payment.plan"):
            self.env[model].flush_model()
        return SQL(
            """
            SELECT %(select)s
              FROM account_move_line item
              JOIN account_move move ON move.id = item.move_id
              JOIN account_account account ON account.id = item.account_id
              JOIN res_partner customer ON customer.id = move.commercial_partner_id
              JOIN res_company company ON company.id = move.company_id
              LEFT JOIN revcycle_dunning_policy own_policy
                ON own_policy.id = customer.revcycle_dunning_policy_id AND own_policy.active
               AND (own_policy.company_id IS NULL OR own_policy.company_id = move.company_id)
              JOIN revcycle_dunning_policy policy
                ON policy.id = COALESCE(own_policy.id, company.revcycle_dunning_policy_id) AND policy.active
              -- the item's most severe level sent so far, as the engine's history reads it
              LEFT JOIN LATERAL (
                    SELECT sent.level_id, sent.date, notice.state != 'sent' AS waiting, sent_level.sequence,
                           sent_level.days, sent_level.policy_id
                      FROM revcycle_dunning_notice_line sent
                      JOIN revcycle_dunning_notice notice ON notice.id = sent.notice_id
                      JOIN revcycle_dunning_level sent_level ON sent_level.id = sent.level_id
                     WHERE sent.move_line_id = item.id
                     ORDER BY sent_level.sequence DESC, sent.id DESC
                     LIMIT 1
                   ) last ON TRUE
             WHERE item.company_id = %(company)s
               AND account.account_type = 'asset_receivable'
               AND item.parent_state = 'posted'
               AND item.reconciled IS NOT TRUE
               AND item.amount_residual > 0
               AND item.date_maturity IS NOT NULL
               AND move.move_type = 'out_invoice'
               AND move.revcycle_dunning_fee IS NOT TRUE
               AND move.revcycle_dunning_dispute IS NOT TRUE
               AND (move.revcycle_promise_date IS NULL OR move.revcycle_promise_date < %(date)s)
               -- a card retry still to come: dunning waits for it when the company says so
               AND NOT (company.revcycle_dunning_wait_for_card IS TRUE
                        AND move.revcycle_autocollect_state IS NOT DISTINCT FROM 'retrying')
               AND customer.revcycle_dunning_excluded IS NOT TRUE
               AND customer.revcycle_dunning_dispute IS NOT TRUE
               AND (customer.revcycle_promise_date IS NULL OR customer.revcycle_promise_date < %(date)s)
               AND (customer.revcycle_dunning_paused_until IS NULL OR customer.revcycle_dunning_paused_until < %(date)s)
               -- an accepted payment plan or promise: the invoice follows the plan until it is broken
               AND NOT %(planned)s
               -- the engine's escalation rule (engine/levels.py), gap after the last notice included
               AND %(escalates)s
               AND move.commercial_partner_id != ALL(%(failed)s)
               %(partner_filter)s
               %(scope)s
            %(lock)s
            """,
            select=select, date=self.date, company=self.company_id.id, failed=self.failed_partner_ids.ids,
            planned=self.env["revcycle.payment.plan"]._revcycle_covered_sql(SQL("move.id")),
            # the engine's escalation rule (engine/levels.py), compiled to SQL from the same definitions
            escalates=level_engine.escalation_sql(
                SQL("(SELECT id, sequence, days, min_overdue_amount FROM revcycle_dunning_level"
                    " WHERE policy_id = policy.id)"),
                SQL("%s::date", self.date), SQL("item.date_maturity"), SQL("item.amount_residual"),
                SQL("last.level_id"), SQL("CASE WHEN last.policy_id = policy.id THEN last.sequence END"),
                SQL("last.days"), SQL("last.date"), SQL("last.waiting"), SQL("policy.initial_level_id")),
            partner_filter=SQL("AND move.commercial_partner_id = ANY(%s)", partner_ids) if partner_ids else SQL(),
            scope=SQL("AND move.commercial_partner_id = ANY(%s)", self.partner_ids.commercial_partner_id.ids)
            if self.partner_ids else SQL(),
            lock=SQL("FOR UPDATE OF move SKIP LOCKED") if lock else SQL(),
        )

    def _revcycle_count_candidates(self, after_id=0):
        return self.env.execute_query(SQL(
            "SELECT COUNT(DISTINCT partner_id) FROM (%s) candidate WHERE partner_id > %s",
            self._revcycle_candidate_sql(SQL("move.commercial_partner_id AS partner_id")), after_id))[0][0]

    def _revcycle_candidate_partners(self, limit, after_id=0):
        rows = self.env.execute_query(SQL(
            "SELECT DISTINCT partner_id FROM (%s) candidate WHERE partner_id > %s ORDER BY partner_id LIMIT %s",
            self._revcycle_candidate_sql(SQL("move.commercial_partner_id AS partner_id")), after_id, limit))
        return [row[0] for row in rows]

    def _revcycle_lock_invoices(self, partner_ids):
        """{partner id: [LockedItem]}: the receivable items of these customers this worker may act on; those another
        worker holds are skipped, not waited for."""
        rows = self.env.execute_query(self._revcycle_candidate_sql(
            SQL("item.id, move.id, move.commercial_partner_id, policy.id, item.date_maturity, item.amount_residual"),
            partner_ids=partner_ids, lock=True))
        result = defaultdict(list)
        for item_id, invoice_id, partner_id, policy_id, maturity, residual in rows:
            result[partner_id].append(LockedItem(item_id, invoice_id, policy_id, maturity, residual))
        return result

    def _revcycle_item_histories(self, item_ids):
        """{item id: (ItemHistory, date interest was last charged)} from the notice lines of these items."""
        rows = self.env.execute_query(SQL(
            """
            SELECT DISTINCT ON (line.move_line_id) line.move_line_id, line.level_id, line.date,
                   notice.state != 'sent',
                   (SELECT MAX(charged.interest_date) FROM revcycle_dunning_notice_line charged
                     WHERE charged.move_line_id = line.move_line_id)
              FROM revcycle_dunning_notice_line line
              JOIN revcycle_dunning_notice notice ON notice.id = line.notice_id
              JOIN revcycle_dunning_level level ON level.id = line.level_id
             WHERE line.move_line_id = ANY(%s)
             ORDER BY line.move_line_id, level.sequence DESC, line.id DESC
            """, item_ids))
        return {item_id: (level_engine.ItemHistory(level_id, sent_on, waiting), interest_on)
                for item_id, level_id, sent_on, waiting, interest_on in rows}

    def _revcycle_open_balances(self, partner_ids):
        """{partner id: (credit, [(item id, open amount)] oldest due first)}: every open receivable item of these
        customers in the run's company, and what they have to their credit (credit notes and payments not yet
        reconciled), to net the items of before dunning them."""
        rows = self.env.execute_query(SQL(
            """
            SELECT item.id, move.commercial_partner_id, item.amount_residual
              FROM account_move_line item
              JOIN account_move move ON move.id = item.move_id
              JOIN account_account account ON account.id = item.account_id
             WHERE item.company_id = %s
               AND move.commercial_partner_id = ANY(%s)
               AND account.account_type = 'asset_receivable'
               AND item.parent_state = 'posted'
               AND item.reconciled IS NOT TRUE
               AND item.amount_residual != 0
             ORDER BY item.date_maturity NULLS LAST, item.id
            """, self.company_id.id, partner_ids))
        credits = defaultdict(float)
        items = defaultdict(list)
        for item_id, partner_id, residual in rows:
            if residual < 0:
                credits[partner_id] -= residual
            else:
                items[partner_id].append((item_id, residual))
        return {partner_id: (credits[partner_id], items[partner_id]) for partner_id in set(credits) | set(items)}

    def _revcycle_plan(self, locked):
        """{partner id: {"items": [PlannedItem], "credit": credit applied}} for ``locked`` ({partner id:
        [LockedItem]}), decided by the engine: each item one level further, net of the customer's credits."""
        self.ensure_one()
        currency = self.company_id.currency_id
        item_ids = [row.item_id for rows in locked.values() for row in rows]
        histories = self._revcycle_item_histories(item_ids)
        balances = self._revcycle_open_balances(list(locked))
        policies = self.env["revcycle.dunning.policy"].browse(
            {row.policy_id for rows in locked.values() for row in rows})
        ladders = {policy.id: policy._revcycle_engine_levels() for policy in policies}
        initial = {policy.id: policy.initial_level_id.id or None for policy in policies}
        levels = {level.id: level for level in policies.level_ids}
        digits = currency.decimal_places
        plan = {}
        for partner_id, rows in locked.items():
            credit, open_items = balances.get(partner_id, (0.0, []))
            nets, applied = fee_engine.apply_credits([amount for _id, amount in open_items], currency.round(credit))
            net_of = {item_id: currency.round(net) for (item_id, _amount), net in zip(open_items, nets, strict=True)}
            chosen = []
            for row in rows:
                net = net_of.get(row.item_id, 0.0)
                if currency.is_zero(net):
                    continue  # settled by the customer's credits: nothing to dun
                history, interest_on = histories.get(row.item_id, (level_engine.ItemHistory(), None))
                level = self.env["revcycle.dunning.level"]._revcycle_escalation_level(
                    ladders[row.policy_id], self.date, row.maturity, net, history, initial[row.policy_id], digits)
                if level:
                    chosen.append(PlannedItem(
                        levels[level.key], row.item_id, row.invoice_id,
                        level_engine.days_past_due(row.maturity, self.date), net, row.maturity,
                        fee_engine.interest_days(row.maturity, interest_on, self.date)))
            if chosen:
                plan[partner_id] = {"items": chosen, "credit": currency.round(applied)}
        return plan

    # ------------------------------------------------------------------
    # Acting on it
    # ------------------------------------------------------------------

    def _revcycle_process_batch(self, limit):
        """Dun up to ``limit`` customers; returns (customers done, customers failed)."""
        self.ensure_one()
        run = self.with_company(self.company_id)
        done = failed = 0
        # customers are taken in id order from where the run stopped: a customer the engine decides to leave alone
        # today (its next level not due yet) is looked at once per run, not again by each batch
        after_id = run.last_partner_id
        totals = defaultdict(float)
        while done + failed < limit:
            partner_ids = run._revcycle_candidate_partners(limit - done - failed, after_id)
            if not partner_ids:
                break
            after_id = partner_ids[-1]
            plan = run._revcycle_plan(run._revcycle_lock_invoices(partner_ids))
            result, batch_done, batch_failed = run._revcycle_dun_batch(plan)
            for key, value in result.items():
                totals[key] += value
            done += batch_done
            failed += batch_failed
        run._revcycle_system().write({
            "notice_count": run.notice_count + int(totals["notices"]),
            "invoice_count": run.invoice_count + int(totals["invoices"]),
            "customer_count": run.customer_count + done,
            "fee_total": run.currency_id.round(run.fee_total + totals["fees"]),
            "hold_count": run.hold_count + int(totals["holds"]),
            "error_count": run.error_count + failed,
            "last_partner_id": after_id,
        })
        if totals["notices"]:
            self.env["revcycle.dunning.notice"]._revcycle_trigger_sending()
        return done, failed

    def _revcycle_dun_batch(self, plan):
        """Dun every customer of ``plan`` at once, in one savepoint: the notices, their lines and the profiles are
        written in a few statements. When anything fails, the batch is done again customer by customer, each in a
        savepoint of its own, so a customer that fails is set aside and the others go on.
        Returns (totals, customers done, customers failed)."""
        try:
            with self.env.cr.savepoint():
                result = self._revcycle_dun_customers(plan)
                self.env.flush_all()
            return result, len(plan), 0
        except Exception as error:  # whatever broke, the customer-by-customer pass below finds and sets it aside
            _logger.info("Dunning run %s: %s customers at once failed (%s); dunning them one by one",
                         self.id, len(plan), error)
            self.env.invalidate_all()
        totals = defaultdict(float)
        done = failed = 0
        for partner_id, by_level in plan.items():
            try:
                with self.env.cr.savepoint():
                    result = self._revcycle_dun_customers({partner_id: by_level})
                    self.env.flush_all()
            except IntegrityError:
                # another worker recorded these levels first: nothing of ours was kept, nothing is sent twice
                _logger.info("Dunning run %s: customer %s was dunned by another worker", self.id, partner_id)
                self.env.invalidate_all()
                continue
            except Exception:
                _logger.exception("Dunning run %s: customer %s could not be dunned", self.id, partner_id)
                self.env.invalidate_all()
                self._revcycle_system().failed_partner_ids = [fields.Command.link(partner_id)]
                failed += 1
                continue
            for key, value in result.items():
                totals[key] += value
            done += 1
        return totals, done, failed

    def _revcycle_dun_customers(self, plan):
        """Make one notice per customer of ``plan``, at the most severe level of its items, listing each item with
        its own level; with its fee and credit hold, queued for sending; returns the totals."""
        # the notice's own email is its record: no 'created' note, no tracking of the initial values, and the
        # collector is not emailed an assignment for every notice of a run (the notices are in their Collections
        # list); the collector follows the notices, subscribed in one statement per collector below
        Notice = self.env["revcycle.dunning.notice"].with_context(tracking_disable=True)._revcycle_system()
        payment_urls = self.env["account.move"].browse(
            item.invoice_id for customer in plan.values() for item in customer["items"])._revcycle_payment_urls()
        partners = self.env["res.partner"].browse(plan)
        keys, vals_list = [], []
        for partner in partners:
            items = plan[partner.id]["items"]
            level = level_engine.notice_level([item.level for item in items])
            keys.append(items)
            vals_list.append({
                "run_id": self.id, "partner_id": partner.id, "company_id": self.company_id.id,
                "level_id": level.id, "channel": level.channel, "date": self.date,
                "user_id": self._revcycle_collector(partner).id,
                "amount_overdue": self.currency_id.round(sum(item.net for item in items)),
                "amount_credit_applied": plan[partner.id]["credit"],
            })
        notices = Notice.create(vals_list).with_env(self.env)
        self._revcycle_insert_notice_lines(notices, keys, payment_urls)
        notices._revcycle_follow_by_collectors()
        result = defaultdict(float)
        for notice, items in zip(notices, keys, strict=True):
            # the fee is charged when the notice is sent (revcycle.dunning.notice._revcycle_mark_sent), not here
            line_levels = self.env["revcycle.dunning.level"].union(*(item.level for item in items))
            # a level that puts the customer on hold applies whichever item reached it
            if any(line_levels.mapped("sets_credit_hold")):
                notice._revcycle_set_credit_hold()
                result["holds"] += 1
            result["invoices"] += len(items)
        result["notices"] = len(notices)
        notices._revcycle_update_profile()
        return result

    def _revcycle_insert_notice_lines(self, notices, keys, payment_urls):
        """The item lines of ``notices`` (``keys[i]`` = the items of ``notices[i]``) in one INSERT.

        A run writes one line per dunned item, tens of thousands at a time; through the ORM they cost more than
        everything else the run does. The row is plain data, its related columns copied from its notice, and the
        database's unique key on (item, level) refuses a level twice exactly as it does for an ORM create.
        """
        columns = defaultdict(list)
        for notice, items in zip(notices, keys, strict=True):
            for item in items:
                columns["notice"].append(notice.id)
                columns["item"].append(item.item_id)
                columns["invoice"].append(item.invoice_id)
                columns["level"].append(item.level.id)
                columns["partner"].append(notice.partner_id.id)
                columns["date_due"].append(item.maturity)
                columns["days"].append(item.days_overdue)
                columns["residual"].append(item.net)
                columns["interest_days"].append(item.interest_days)
                columns["url"].append(payment_urls[item.invoice_id])
        if not columns:
            return
        self.env.execute_query(SQL(
            """
            INSERT INTO revcycle_dunning_notice_line
                   (notice_id, move_line_id, invoice_id, level_id, partner_id, company_id, date, date_due,
                    days_overdue, amount_residual, interest_days, payment_url,
                    create_uid, write_uid, create_date, write_date)
            SELECT line.notice_id, line.move_line_id, line.invoice_id, line.level_id, line.partner_id, %(company)s,
                   %(date)s, line.date_due, line.days_overdue, line.amount_residual, line.interest_days,
                   line.payment_url, %(uid)s, %(uid)s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
              FROM unnest(%(notice)s::int[], %(item)s::int[], %(invoice)s::int[], %(level)s::int[],
                          %(partner)s::int[], %(date_due)s::date[], %(days)s::int[], %(residual)s::numeric[],
                          %(interest_days)s::int[], %(url)s::varchar[])
                   AS line(notice_id, move_line_id, invoice_id, level_id, partner_id, date_due, days_overdue,
                           amount_residual, interest_days, payment_url)
            """,
            company=self.company_id.id, date=self.date, uid=self.env.uid, **columns,
        ))
        self.env["revcycle.dunning.notice.line"].invalidate_model()
        notices.invalidate_recordset(["line_ids"])
        self.env["account.move"].invalidate_model(["revcycle_dunning_line_ids"])

    def _revcycle_collector(self, partner):
        return partner.user_id or self.company_id.revcycle_dunning_collector_id or self.env.user
