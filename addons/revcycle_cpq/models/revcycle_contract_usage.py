"""Usage billing on contracts: the rating of metered lines inside the contract invoicing run (docs/domain.md,
"Usage billing").

Each invoice a run makes for a contract carries the usage of the contract's billing periods that closed before the
invoice date and were not billed yet: on a prepaid contract the invoice of a period bills the previous period's usage,
on a postpaid one the period's own (usage is always billed in arrears). A period is rated once (a unique index per
line and period); usage that arrives later is billed as an adjustment on the next invoice (a credit note when it
lowers the amount)."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import pairwise

import psycopg2.extensions
from odoo import Command, api, fields, models
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.exceptions import ValidationError
from odoo.tools import SQL, format_date, get_lang, split_every

from ..engine import Tier, UsageTerms, rate_usage

_logger = logging.getLogger(__name__)

# distinct schedules summed by one statement (one UNION ALL branch each)
SCHEDULES_PER_QUERY = 50


@dataclass
class UsageBill:
    """What one invoice of the run bills of usage: its invoice lines, the credit note lines of adjustments that
    lower what was billed, and the ratings to record once the invoice exists."""

    invoice_commands: list = field(default_factory=list)
    credit_commands: list = field(default_factory=list)
    ratings: list = field(default_factory=list)  # (rating vals, "invoice" | "credit" | None)


@dataclass(frozen=True)
class MeteredLine:
    """What the rating reads of a metered contract line: read for all the lines of a run by one query (the ORM
    would read it field by field, line by line)."""

    id: int
    contract_id: int
    company_id: int
    currency_id: int
    product_id: int
    template_id: int
    pricelist_id: int | None
    name: str
    price_unit: float
    included: float
    minimum: float
    usage_date_start: object  # a date, or None: usage counts from the contract's start
    charge_model: str
    package_size: float
    tax_ids: tuple = ()
    product_name: str = ""
    uom: str = ""


@dataclass(frozen=True)
class UsageContract:
    """What the rating reads of a contract: its billing schedule and the periods paused (no invoice)."""

    id: int
    date_start: object
    billing_period: str
    date_end: object
    billing_anchor: str
    skipped: frozenset = frozenset()
    has_fixed_lines: bool = False
    billing_mode: str = "prepaid"


class UsageFormatter:
    """Numbers, amounts and dates as the user's language writes them (as formatLang and format_date do), the
    language read once: a run writes the breakdowns of thousands of lines."""

    def __init__(self, env):
        self.env = env
        data = get_lang(env)
        self.lang = env["res.lang"].browse(data.id)
        # the usual grouping by thousands is written here; any other (e.g. lakhs) by the language itself
        self.separators = (data.decimal_point, data.thousands_sep) if data.grouping == "[3,0]" else None
        self.dates = {}
        self.tiers = {}  # the tier tables of the run, by product, pricelist, company, currency and date
        self.schedules = {}  # the closed periods of the run's contracts, by terms and invoice date
        self.currencies = {}
        self.money_formats = {}
        self.texts = env["revcycle.contract"]._revcycle_usage_texts()

    def currency(self, currency_id):
        if currency_id not in self.currencies:
            self.currencies[currency_id] = self.env["res.currency"].browse(currency_id)
        return self.currencies[currency_id]

    def number(self, value, digits=2):
        if self.separators is None:
            return self.lang.format(f"%.{digits}f", value, grouping=True)
        point, thousands = self.separators
        return f"{value:,.{digits}f}".replace(",", "\0").replace(".", point).replace("\0", thousands)

    def money(self, amount, currency):
        if currency.id not in self.money_formats:
            self.money_formats[currency.id] = (currency.decimal_places, currency.symbol, currency.position)
        digits, symbol, position = self.money_formats[currency.id]
        text = self.number(amount, digits)
        if not symbol:
            return text
        return f"{text}\N{NO-BREAK SPACE}{symbol}" if position == "after" else f"{symbol}\N{NO-BREAK SPACE}{text}"

    def date(self, day):
        if day not in self.dates:
            self.dates[day] = format_date(self.env, day)
        return self.dates[day]


class RevcycleContract(models.Model):
    _inherit = "revcycle.contract"

    usage_rating_ids = fields.One2many("revcycle.usage.rating", "contract_id", string="Usage Ratings")
    usage_period_start = fields.Date(compute="_compute_usage_estimate", string="Current Usage Period")
    usage_period_end = fields.Date(compute="_compute_usage_estimate")
    usage_quantity = fields.Float(
        compute="_compute_usage_estimate", string="Usage This Period", digits="Product Unit of Measure"
    )
    usage_estimate = fields.Monetary(
        compute="_compute_usage_estimate",
        string="Estimated Usage Charge",
        help="What the current period's usage so far would be billed (allowance, tiers and commitment applied).",
    )
    usage_summary = fields.Json(compute="_compute_usage_estimate")
    has_metered_lines = fields.Boolean(compute="_compute_usage_estimate")

    def write(self, vals):
        if "company_id" in vals:
            self._revcycle_refuse_moving_usage(vals["company_id"])
        return super().write(vals)

    def _revcycle_refuse_moving_usage(self, company_id):
        """A usage record's contract and company are its line's, which the database holds to (the usage table's
        composite foreign key, docs/domain.md "Usage at volume"): a contract with usage stays in its company. Say
        so here, before the database's bare refusal."""
        moving = self.filtered(lambda contract: contract.company_id.id != company_id)
        if moving and self.env["revcycle.usage.record"].sudo().search_count(  # a count only, for any reader of it
                [("contract_id", "in", moving.ids)], limit=1):
            raise ValidationError(self.env._(
                "Company: %(contracts)s has usage records, which belong to its company. A contract with usage cannot "
                "move to another company; end it and make a new contract in the other company.",
                contracts=", ".join(moving.mapped("display_name"))))

    # -- the current period's estimate (form and portal) -------------------------------------------------------------
    def _compute_usage_estimate(self):
        today = fields.Date.context_today(self)
        for contract in self:
            summary = contract._revcycle_usage_summary(today)
            contract.has_metered_lines = bool(summary)
            contract.usage_summary = summary
            contract.usage_period_start = summary and summary[0]["period_start"]
            contract.usage_period_end = summary and summary[0]["period_end"]
            contract.usage_quantity = sum(item["quantity"] for item in summary)
            contract.usage_estimate = sum(item["amount"] for item in summary)

    def _revcycle_usage_summary(self, day):
        """Per metered line, the usage of the period containing ``day`` and what it would be billed: plain data
        for the form, the portal and XML-RPC (the saved contract's lines and usage)."""
        self.ensure_one()
        contract_id = self._origin.id
        if not contract_id or not self.date_start or day < self.date_start:
            return []
        facts = self._revcycle_usage_facts([contract_id])
        lines = facts[1].get(contract_id)
        period = lines and self._revcycle_usage_period_of(day)
        if not period:
            return []
        quantities = self._revcycle_usage_totals(lines, period)
        formatter = UsageFormatter(self.env)
        summary = []
        for line in lines:
            charge = rate_usage(
                quantities.get(line.id, 0.0),
                self._revcycle_usage_terms(line, period.end, formatter),
                formatter.currency(line.currency_id).decimal_places,
            )
            summary.append(
                {
                    "line_id": line.id,
                    "product": line.product_name,
                    "period_start": fields.Date.to_string(period.start),
                    "period_end": fields.Date.to_string(period.end),
                    "quantity": charge.quantity,
                    "included": charge.included,
                    "billable": charge.billable,
                    "amount": charge.total,
                    "shortfall": charge.shortfall,
                    "breakdown": self._revcycle_usage_breakdown(line, charge, formatter),
                }
            )
        return summary

    def _revcycle_usage_period_of(self, day):
        schedule = period_engine.periods(
            self.date_start, self.billing_period, self.date_end, until=day, align=self.billing_anchor
        )
        return next((period for period in schedule if period.start <= day <= period.end), None)

    def _revcycle_usage_totals(self, lines, period):
        self.env["revcycle.usage.record"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT contract_line_id, sum(quantity) FROM revcycle_usage_record
                WHERE contract_line_id = ANY(%s) AND date >= %s AND date < %s GROUP BY contract_line_id""",
                [line.id for line in lines],
                datetime.combine(period.start, time.min),
                datetime.combine(period.end + timedelta(days=1), time.min),
            )
        )
        return dict(rows)

    # -- rating in the invoicing run ---------------------------------------------------------------------------------
    def _revcycle_usage_bills(self, due, invoice_dates=None):
        """{index in ``due``: UsageBill} for the invoices of the run that bill usage. ``invoice_dates``: each
        invoice's date when it is not its period's (the final usage invoice of a contract whose term is over).

        Set-based: the run's metered lines and contracts are read by one query each, the unrated usage of every
        (line, closed period) is summed by one aggregate (``_revcycle_period_usage``), and the engine
        (engine/usage.py) prices each sum: no record is read line by line."""
        contract_ids = list(dict.fromkeys(contract.id for contract, _period in due))
        contracts_facts, lines_by_contract = self._revcycle_usage_facts(contract_ids)
        if not lines_by_contract:
            return {}
        formatter = UsageFormatter(self.env)
        closed_by_index = {}
        schedules = {}  # line id: its longest schedule of the run (a contract invoiced for several periods)
        for index, (contract, period) in enumerate(due):
            lines = lines_by_contract.get(contract.id)
            if not lines:
                continue
            facts = contracts_facts[contract.id]
            # the billing mode read with the facts: through the ORM it is a read of every contract field for the run
            invoice_date = (
                invoice_dates[index] if invoice_dates else period_engine.invoice_date(period, facts.billing_mode)
            )
            schedule = self._revcycle_closed_periods(facts, invoice_date, formatter)
            closed_by_index[index] = [period for period in schedule if period.start not in facts.skipped]
            for line in lines:
                if len(schedule) > len(schedules.get(line.id, ())):
                    schedules[line.id] = schedule
        pending = self._revcycle_period_usage(schedules)
        rated = self._revcycle_rated_usage([line.id for lines in lines_by_contract.values() for line in lines])
        bills = {}
        taken = set()
        for index, closed in closed_by_index.items():
            contract, period = due[index]
            lines = lines_by_contract[contract.id]
            bill = self._revcycle_usage_bill(
                lines, closed, contracts_facts[contract.id], pending, rated, taken, formatter
            )
            if period and not bill.invoice_commands and not contracts_facts[contract.id].has_fixed_lines:
                # an invoice needs a line: a metered-only contract's first prepaid invoice says when usage is billed
                bill.invoice_commands += [Command.create(self._revcycle_rate_line_vals(line)) for line in lines]
            if bill.invoice_commands or bill.credit_commands or bill.ratings:
                bills[index] = bill
        return bills

    @api.model
    def _revcycle_usage_facts(self, contract_ids):
        """({contract id: UsageContract}, {contract id: [MeteredLine]}) of the contracts with metered lines among
        ``contract_ids``: two queries, plus the names of their few products and currencies."""
        for model in ("revcycle.contract", "revcycle.contract.line", "revcycle.contract.period", "sale.order"):
            self.env[model].flush_model()
        self.env["product.template"].flush_model(["revcycle_charge_model", "revcycle_usage_package_size"])
        taxes = self.env["revcycle.contract.line"]._fields["tax_ids"]
        rows = self.env.execute_query(
            SQL(
                """SELECT line.id, line.contract_id, contract.company_id, contract.currency_id, line.product_id,
                          product.product_tmpl_id, sale.pricelist_id, line.name, line.price_unit,
                          COALESCE(line.usage_included_quantity, 0), COALESCE(line.usage_minimum_amount, 0),
                          line.usage_date_start, COALESCE(template.revcycle_charge_model, 'per_unit'),
                          COALESCE(NULLIF(template.revcycle_usage_package_size, 0), 1),
                          ARRAY(SELECT tax.%s FROM %s tax WHERE tax.%s = line.id ORDER BY tax.%s)
                     FROM revcycle_contract_line line
                     JOIN revcycle_contract contract ON contract.id = line.contract_id
                     JOIN product_product product ON product.id = line.product_id
                     JOIN product_template template ON template.id = product.product_tmpl_id
                LEFT JOIN sale_order sale ON sale.id = contract.sale_order_id
                    WHERE line.contract_id = ANY(%s) AND line.revcycle_metered
                 ORDER BY line.contract_id, line.sequence, line.id""",
                SQL.identifier(taxes.column2),
                SQL.identifier(taxes.relation),
                SQL.identifier(taxes.column1),
                SQL.identifier(taxes.column2),
                list(contract_ids),
            )
        )
        if not rows:
            return {}, {}
        products = self.env["product.product"].browse({row[4] for row in rows})
        names = {product.id: (product.display_name, product.uom_id.name) for product in products}
        lines_by_contract = defaultdict(list)
        for row in rows:
            product_name, uom = names[row[4]]
            lines_by_contract[row[1]].append(
                MeteredLine(*row[:14], tax_ids=tuple(row[14]), product_name=product_name, uom=uom)
            )
        contract_rows = self.env.execute_query(
            SQL(
                """SELECT contract.id, contract.date_start, contract.billing_period, contract.date_end,
                          contract.billing_anchor,
                          ARRAY(SELECT period.date_start FROM revcycle_contract_period period
                                 WHERE period.contract_id = contract.id AND period.move_id IS NULL),
                          EXISTS(SELECT FROM revcycle_contract_line line
                                  WHERE line.contract_id = contract.id AND NOT COALESCE(line.revcycle_metered, false)),
                          contract.billing_mode
                     FROM revcycle_contract contract
                    WHERE contract.id = ANY(%s)""",
                list(lines_by_contract),
            )
        )
        contracts = {
            row[0]: UsageContract(*row[:5], skipped=frozenset(row[5]), has_fixed_lines=row[6], billing_mode=row[7])
            for row in contract_rows
        }
        return contracts, dict(lines_by_contract)

    @api.model
    def _revcycle_closed_periods(self, contract, invoice_date, formatter):
        """The contract's billing periods closed before ``invoice_date`` (those paused too: the caller leaves them
        out); contracts of the same terms share one schedule."""
        key = (contract.date_start, contract.billing_period, contract.date_end, contract.billing_anchor, invoice_date)
        if key not in formatter.schedules:
            schedule = period_engine.periods(
                contract.date_start,
                contract.billing_period,
                contract.date_end,
                until=invoice_date,
                align=contract.billing_anchor,
            )
            formatter.schedules[key] = [period for period in schedule if period.end < invoice_date]
        return formatter.schedules[key]

    @api.model
    def _revcycle_period_usage(self, schedules, include_rated=False):
        """{(line id, period start): (quantity, records)} of the unrated usage of each line's periods, from
        ``schedules`` ({line id: its consecutive periods}): one aggregate. ``records`` tells usage that sums to 0
        from none at all. ``include_rated``: all the usage of the periods, rated or not (what a period holds in all:
        the month-end's estimate of a period whose invoice is not posted yet, revcycle_cpq_revrec).

        It reads the usage as a plain sum per line does (the lines and dates covered, by the (line, date) index)
        and sums it per line with one filtered sum per period (``_revcycle_period_usage_branch``). Lines of the
        same schedule (same start, period, end) share one branch of the
        statement, so a run of thousands of contracts started on a few dates is a few branches."""
        schedules = {line_id: schedule for line_id, schedule in schedules.items() if schedule}
        if not schedules:
            return {}
        self.env["revcycle.usage.record"].flush_model()
        bounds = {
            line_id: [period.start for period in schedule] + [schedule[-1].end + timedelta(days=1)]
            for line_id, schedule in schedules.items()
        }
        lines_by_bounds = defaultdict(list)
        for line_id, days in bounds.items():
            lines_by_bounds[tuple(days)].append(line_id)
        rows = []
        for groups in split_every(SCHEDULES_PER_QUERY, list(lines_by_bounds.items())):
            rows += self.env.execute_query(
                SQL(" UNION ALL ").join(
                    self._revcycle_period_usage_branch(days, line_ids, include_rated) for days, line_ids in groups
                )
            )
        usage = {}
        for line_id, quantities, counts in rows:
            for period, quantity, records in zip(schedules[line_id], quantities, counts, strict=True):
                if records:
                    usage[(line_id, period.start)] = (quantity, records)
        return usage

    @api.model
    def _revcycle_period_usage_branch(self, days, line_ids, include_rated=False):
        """The unrated usage of ``line_ids`` (all of it with ``include_rated``) summed per line, one sum and one
        count per period (``days``: the periods' bounds, the last one the day after the last period), in arrays.

        Grouped by line only, with one filtered sum per period, rather than by line and ``width_bucket(date,
        bounds)``: the planner cannot tell how many groups that expression makes (it guessed 420,707 for 5,000
        lines and one period) and sorted the month's records where a plain sum per line hashes them in parallel
        workers (measured at 4,300,000 records, load 5: 1.9-2.2 s against 1.0-1.5 s). Grouped by line, the estimate
        is the number of lines and the plan is the plain sum's."""
        bounds = [datetime.combine(day, time.min) for day in days]
        periods = list(pairwise(bounds))
        return SQL(
            """(SELECT contract_line_id, ARRAY[%s]::double precision[], ARRAY[%s]
                  FROM revcycle_usage_record
                 WHERE contract_line_id = ANY(%s) %s AND date >= %s AND date < %s
              GROUP BY contract_line_id)""",
            SQL(", ").join(
                SQL("COALESCE(sum(quantity) FILTER (WHERE date >= %s AND date < %s), 0)", start, end)
                for start, end in periods
            ),
            SQL(", ").join(
                SQL("count(*) FILTER (WHERE date >= %s AND date < %s)", start, end) for start, end in periods
            ),
            line_ids,
            SQL() if include_rated else SQL("AND rating_id IS NULL"),
            bounds[0],
            bounds[-1],
        )

    @api.model
    def _revcycle_rated_usage(self, line_ids):
        """{(line id, period start): {quantity, usage_amount, shortfall_amount, amount}} billed so far."""
        self.env["revcycle.usage.rating"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT contract_line_id, period_start, sum(quantity), sum(usage_amount), sum(shortfall_amount),
                      sum(amount)
                 FROM revcycle_usage_rating WHERE contract_line_id = ANY(%s)
                GROUP BY contract_line_id, period_start""",
                line_ids,
            )
        )
        return {
            (row[0], row[1]): {"quantity": row[2], "usage_amount": row[3], "shortfall_amount": row[4], "amount": row[5]}
            for row in rows
        }

    @api.model
    def _revcycle_usage_bill(self, lines, closed, contract, pending, rated, taken, formatter):
        """The usage one invoice bills of a contract's metered ``lines``: every ``closed`` period not rated yet,
        and the late usage of periods rated before."""
        bill = UsageBill()
        for line in lines:
            added_on = line.usage_date_start or contract.date_start
            for period in closed:
                if (line.id, period.start) in taken:
                    continue
                quantity, records = pending.get((line.id, period.start), (0.0, 0))
                before = rated.get((line.id, period.start))
                if before is None and (records or period.end >= added_on):
                    self._revcycle_bill_period(line, bill, period, quantity, formatter)
                elif before is not None and records:
                    self._revcycle_bill_adjustment(line, bill, period, quantity, before, formatter)
                else:
                    continue
                taken.add((line.id, period.start))
        return bill

    def _revcycle_invoice_final_usage(self, on_date):
        """The term is over: the usage of its last periods, which no later period's invoice will carry, is billed on
        a usage-only invoice dated ``on_date`` (nothing when there is none)."""
        self.ensure_one()
        bills = self._revcycle_usage_bills([(self, None)], [on_date])
        if not bills:
            return self.env["account.move"]
        bill = bills[0]
        invoice = self.env["account.move"]
        if bill.invoice_commands:
            vals = {
                "move_type": "out_invoice",
                "partner_id": self.partner_id.id,
                "company_id": self.company_id.id,
                "currency_id": self.currency_id.id,
                "invoice_date": on_date,
                "invoice_payment_term_id": self.payment_term_id.id,
                "invoice_origin": self.name,
                "invoice_user_id": self.user_id.id,
                "invoice_line_ids": bill.invoice_commands,
            }
            invoice = self._revcycle_create_invoices(self.company_id, [vals])
        self._revcycle_record_usage_bills({0: bill}, {0: invoice}, [(self, None)], on_date)
        return invoice

    # -- usage reported after the term's last invoice ---------------------------------------------------------------
    def _revcycle_late_usage_condition(self, today):
        """SQL: the contract ``contract`` has ended (expired, terminated; its last day before ``today``, so all its
        periods are closed: a contract terminated before it started may end later) and has usage of its term that
        no rating counted yet — reported after its final usage invoice. Exactly what that invoice would rate: a
        record of a metered line, dated inside the term (start to end or termination, to the second), outside a
        paused period; a record outside those (a termination moved before usage already reported) is never rated,
        so it must not select the contract again and again. Read through the partial index of unrated records by
        contract."""
        return SQL(
            """contract.state IN ('expired', 'terminated') AND contract.invoicing_error IS NULL
               AND contract.date_end < %s
               AND EXISTS (
                   SELECT FROM revcycle_usage_record record
                     JOIN revcycle_contract_line line ON line.id = record.contract_line_id AND line.revcycle_metered
                    WHERE record.contract_id = contract.id AND record.rating_id IS NULL
                      AND record.date >= contract.date_start AND record.date < contract.date_end + 1
                      AND NOT EXISTS (
                          SELECT FROM revcycle_contract_period paused
                           WHERE paused.contract_id = contract.id AND paused.move_id IS NULL
                             AND record.date >= paused.date_start AND record.date < paused.date_end + 1))""",
            today,
        )

    def _revcycle_late_usage_contracts_query(self, today, limit):
        """Ended contracts with usage not billed yet, a bounded batch locked so a second worker takes others (the
        contract's lock also serialises its adjustments, which have no unique key)."""
        return SQL(
            """SELECT contract.id FROM revcycle_contract contract
                WHERE %s
                ORDER BY contract.id
                LIMIT %s
                FOR UPDATE OF contract SKIP LOCKED""",
            self._revcycle_late_usage_condition(today),
            limit,
        )

    def _revcycle_late_usage_count(self, today):
        return self.env.execute_query(
            SQL(
                "SELECT count(*) FROM revcycle_contract contract WHERE %s", self._revcycle_late_usage_condition(today)
            )
        )[0][0]

    @api.model
    def _revcycle_invoice_late_usage(self, today, batch_size):
        """The invoicing job's second part: the contracts whose term is over no longer have periods to invoice,
        but usage of their term can still be reported after their final usage invoice (a meter that reports a day
        late). It is billed on another final usage invoice dated ``today`` (``_revcycle_invoice_final_usage``: the
        periods it belongs to re-rated, the difference billed; a correction gives a credit note). Each contract in
        its own savepoint: one that fails is flagged (Retry Invoicing clears it) and the others go on. Returns the
        number of contracts handled."""
        for model in ("revcycle.usage.record", "revcycle.contract", "revcycle.contract.period"):
            self.env[model].flush_model()
        rows = self.env.execute_query(self._revcycle_late_usage_contracts_query(today, batch_size))
        contracts = self.browse([row[0] for row in rows])
        for contract in contracts:
            try:
                with self.env.cr.savepoint():
                    contract._revcycle_lock_unrated_usage()
                    contract._revcycle_invoice_final_usage(today)
            except psycopg2.extensions.TransactionRollbackError as error:
                # another run billed it after this transaction began: nothing of it is billed here, and it is no
                # fault of the contract's (a later run, which sees that billing, finds nothing left)
                _logger.info("Contract %s: its late usage is being billed by another run (%s)", contract.id, error)
            except Exception as error:  # any failure is flagged on the contract for a user to fix
                _logger.info("Contract %s: billing its late usage failed (%s)", contract.id, error)
                contract.invoicing_error = str(error)
                contract.message_post(body=self.env._("Invoicing late usage failed: %(error)s", error=str(error)))
        return len(contracts)

    def _revcycle_lock_unrated_usage(self):
        """Lock the contract's usage not billed yet before billing it. The contract's row lock keeps two runs
        apart only while both are running: a run whose transaction began before another billed this contract still
        sees that usage unbilled. Locking it here fails (a serialization failure) when another transaction has
        billed it since, before anything is made; it is the usage records' update that decides, whatever the
        isolation level."""
        self.ensure_one()
        self.env["revcycle.usage.record"].flush_model()
        self.env.execute_query(
            SQL(
                "SELECT id FROM revcycle_usage_record WHERE contract_id = %s AND rating_id IS NULL FOR UPDATE",
                self.id,
            )
        )

    def _revcycle_record_usage_bills(self, bills, moves_by_index, due, on_date=None):
        """Once the run's invoices exist: the credit notes of the adjustments that lower a period, the ratings
        (their unique index stops a second run rating a period twice), and the usage records linked to them."""
        if not bills:
            return
        Rating = self.env["revcycle.usage.rating"].sudo()  # sudo: the run writes its own bookkeeping rows
        for index, bill in bills.items():
            contract = due[index][0]
            invoice = moves_by_index[index]
            credit = contract._revcycle_usage_credit_note(bill.credit_commands, invoice.invoice_date or on_date)
            vals_list = []
            for vals, target in bill.ratings:
                move = invoice if target == "invoice" else credit if target == "credit" else False
                vals_list.append({**vals, "move_id": move and move.id})
            ratings = Rating.create(vals_list)
            ratings.flush_model()
            self._revcycle_link_usage(ratings)

    def _revcycle_usage_credit_note(self, commands, invoice_date):
        """The credit note of a run's usage corrections, posted as the contract's invoices are."""
        return self._revcycle_create_credit_note(commands, invoice_date)

    @api.model
    def _revcycle_link_usage(self, ratings):
        """Link each rating's unrated usage of its period (what it counted: the same transaction's snapshot) in one
        statement."""
        if not ratings:
            return
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s)",
                rating.id,
                rating.contract_line_id.id,
                datetime.combine(rating.period_start, time.min),
                datetime.combine(rating.period_end + timedelta(days=1), time.min),
            )
            for rating in ratings
        )
        self.env.execute_query(
            SQL(
                """UPDATE revcycle_usage_record r SET rating_id = v.rating_id
                 FROM (VALUES %s) AS v(rating_id, line_id, date_from, date_to)
                WHERE r.contract_line_id = v.line_id AND r.rating_id IS NULL
                  AND r.date >= v.date_from AND r.date < v.date_to""",
                values,
            )
        )
        self.env["revcycle.usage.record"].invalidate_model(["rating_id"])

    # -- one metered line's rating: terms, breakdown, invoice lines ----------------------------------------------
    @api.model
    def _revcycle_usage_terms(self, line, on_date, formatter):
        """The line's rating terms in the contract's currency: its rate, allowance and commitment; the tier table
        of the quotation's pricelist (else the product's generic one), converted from the tiers' currency at
        ``on_date`` when it is not the contract's (read once per run for each product, pricelist and date)."""
        tiers = ()
        if line.charge_model in ("graduated", "volume"):
            key = (line.template_id, line.pricelist_id, line.company_id, line.currency_id, on_date)
            if key not in formatter.tiers:
                company = self.env["res.company"].browse(line.company_id)
                records = self.env["revcycle.price.tier"]._revcycle_tiers_for(
                    self.env["product.template"].browse(line.template_id),
                    self.env["product.pricelist"].browse(line.pricelist_id or []),
                    company,
                )
                currency = formatter.currency(line.currency_id)
                formatter.tiers[key] = tuple(
                    Tier(
                        tier.min_quantity,
                        self._revcycle_in_currency(tier.price, tier.currency_id, currency, company, on_date),
                    )
                    for tier in records
                )
            tiers = formatter.tiers[key]
        return UsageTerms(
            line.charge_model,
            unit_price=line.price_unit,
            tiers=tiers,
            package_size=line.package_size,
            included_quantity=line.included,
            minimum_amount=line.minimum,
        )

    @api.model
    def _revcycle_in_currency(self, amount, currency, to_currency, company, on_date):
        if not currency or currency == to_currency:
            return amount
        # unrounded: the rating rounds once per line, in the contract's currency
        return currency._convert(amount, to_currency, company, on_date, round=False)

    @api.model
    def _revcycle_usage_breakdown(self, line, charge, formatter):
        """The breakdown a customer reads: quantity, allowance, each tier slice or block count, the shortfall."""
        currency = formatter.currency(line.currency_id)
        text = formatter.texts

        def money(amount):
            return formatter.money(amount, currency)

        parts = [text["used"] % {"quantity": formatter.number(charge.quantity), "uom": line.uom}]
        if charge.included:
            parts.append(text["included"] % {"included": formatter.number(charge.included)})
        for piece in charge.slices:
            if line.charge_model == "package":
                parts.append(
                    text["blocks"]
                    % {"blocks": int(piece.quantity), "size": line.package_size, "price": money(piece.price)}
                )
            elif line.charge_model in ("graduated", "volume"):
                parts.append(
                    text["tier"]
                    % {
                        "quantity": formatter.number(piece.quantity),
                        "tier": formatter.number(piece.min_quantity, 0),
                        "price": piece.price,
                        "amount": money(piece.amount),
                    }
                )
            else:
                parts.append(
                    text["unit"]
                    % {
                        "quantity": formatter.number(piece.quantity),
                        "price": piece.price,
                        "amount": money(piece.amount),
                    }
                )
        if charge.shortfall:
            parts.append(
                text["minimum"]
                % {"minimum": money(charge.usage_amount + charge.shortfall), "shortfall": money(charge.shortfall)}
            )
        return "; ".join(parts)

    @api.model
    def _revcycle_usage_texts(self):
        """The texts of usage invoice lines, translated once per run (formatted line by line with %)."""
        return {
            "used": self.env._("%(quantity)s %(uom)s used"),
            "included": self.env._("%(included)s included"),
            "blocks": self.env._("%(blocks)s blocks of %(size)s at %(price)s"),
            "tier": self.env._("%(quantity)s from tier %(tier)s at %(price)s = %(amount)s"),
            "unit": self.env._("%(quantity)s at %(price)s = %(amount)s"),
            "minimum": self.env._("minimum commitment %(minimum)s: %(shortfall)s short"),
            "period": self.env._("%(start)s to %(end)s"),
            "usage": self.env._("%(line)s, usage %(period)s: %(breakdown)s"),
            "shortfall": self.env._("%(line)s, minimum commitment shortfall %(period)s"),
            "adjusted": self.env._(
                "%(line)s, usage %(period)s adjusted (%(quantity)s reported after it was billed): now %(breakdown)s"
            ),
            "rate": self.env._("%(line)s: usage billed at the end of each period"),
        }

    @api.model
    def _revcycle_usage_line_vals(self, line, period, label, amount):
        return {
            "product_id": line.product_id,
            "name": label,
            "quantity": 1.0,
            "price_unit": amount,
            "tax_ids": [Command.set(list(line.tax_ids))],
            "revcycle_service_start": period.start,
            "revcycle_service_end": period.end,
        }

    @api.model
    def _revcycle_rate_line_vals(self, line):
        return {
            "product_id": line.product_id,
            "name": UsageFormatter(self.env).texts["rate"] % {"line": line.name},
            "quantity": 1.0,
            "price_unit": 0.0,
            "tax_ids": [Command.set(list(line.tax_ids))],
        }

    @api.model
    def _revcycle_rating_vals(self, line, period, kind, quantity, charge_figures, breakdown):
        return {
            "contract_id": line.contract_id,
            "contract_line_id": line.id,
            "company_id": line.company_id,
            "currency_id": line.currency_id,
            "kind": kind,
            "period_start": period.start,
            "period_end": period.end,
            "quantity": quantity,
            "breakdown": breakdown,
            **charge_figures,
        }

    @api.model
    def _revcycle_period_label(self, period, formatter):
        return formatter.texts["period"] % {"start": formatter.date(period.start), "end": formatter.date(period.end)}

    @api.model
    def _revcycle_bill_period(self, line, bill, period, quantity, formatter):
        """The period-end rating: one line for the usage (even none: the customer sees the period was counted), one
        for the commitment shortfall."""
        currency = formatter.currency(line.currency_id)
        charge = rate_usage(quantity, self._revcycle_usage_terms(line, period.end, formatter), currency.decimal_places)
        breakdown = self._revcycle_usage_breakdown(line, charge, formatter)
        period_label = self._revcycle_period_label(period, formatter)
        label = formatter.texts["usage"] % {"line": line.product_name, "period": period_label, "breakdown": breakdown}
        bill.invoice_commands.append(
            Command.create(self._revcycle_usage_line_vals(line, period, label, charge.usage_amount))
        )
        if charge.shortfall:
            shortfall_label = formatter.texts["shortfall"] % {"line": line.product_name, "period": period_label}
            bill.invoice_commands.append(
                Command.create(self._revcycle_usage_line_vals(line, period, shortfall_label, charge.shortfall))
            )
        figures = {
            "billable_quantity": charge.billable,
            "usage_amount": charge.usage_amount,
            "shortfall_amount": charge.shortfall,
            "amount": charge.total,
        }
        bill.ratings.append(
            (self._revcycle_rating_vals(line, period, "period", quantity, figures, breakdown), "invoice")
        )

    @api.model
    def _revcycle_bill_adjustment(self, line, bill, period, quantity, before, formatter):
        """Late usage or a correction of a rated period: the period re-rated with it, billed by the difference."""
        currency = formatter.currency(line.currency_id)
        total_quantity = max(before["quantity"] + quantity, 0.0)
        charge = rate_usage(
            total_quantity, self._revcycle_usage_terms(line, period.end, formatter), currency.decimal_places
        )
        difference = currency.round(charge.total - before["amount"])
        figures = {
            "billable_quantity": charge.billable,
            "usage_amount": currency.round(charge.usage_amount - before["usage_amount"]),
            "shortfall_amount": currency.round(charge.shortfall - before["shortfall_amount"]),
            "amount": difference,
        }
        breakdown = self._revcycle_usage_breakdown(line, charge, formatter)
        label = formatter.texts["adjusted"] % {
            "line": line.product_name,
            "period": self._revcycle_period_label(period, formatter),
            "quantity": formatter.number(quantity),
            "breakdown": breakdown,
        }
        target = None
        if currency.compare_amounts(difference, 0.0) > 0:
            bill.invoice_commands.append(
                Command.create(self._revcycle_usage_line_vals(line, period, label, difference))
            )
            target = "invoice"
        elif currency.compare_amounts(difference, 0.0) < 0:
            bill.credit_commands.append(
                Command.create(self._revcycle_usage_line_vals(line, period, label, -difference))
            )
            target = "credit"
        bill.ratings.append(
            (self._revcycle_rating_vals(line, period, "adjustment", quantity, figures, breakdown), target)
        )
