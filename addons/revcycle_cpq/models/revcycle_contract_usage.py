"""Usage billing on contracts: the rating of metered lines inside the contract invoicing run (docs/domain.md,
"Usage billing").

Each invoice a run makes for a contract carries the usage of the contract's billing periods that closed before the
invoice date and were not billed yet: on a prepaid contract the invoice of a period bills the previous period's usage,
on a postpaid one the period's own (usage is always billed in arrears). A period is rated once (a unique index per
line and period); usage that arrives later is billed as an adjustment on the next invoice (a credit note when it
lowers the amount)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from odoo import Command, api, fields, models
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.tools import SQL, format_date, get_lang

from ..engine import Tier, UsageTerms, rate_usage


@dataclass
class UsageBill:
    """What one invoice of the run bills of usage: its invoice lines, the credit note lines of adjustments that
    lower what was billed, and the ratings to record once the invoice exists."""

    invoice_commands: list = field(default_factory=list)
    credit_commands: list = field(default_factory=list)
    ratings: list = field(default_factory=list)  # (rating vals, "invoice" | "credit" | None)


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

    def number(self, value, digits=2):
        if self.separators is None:
            return self.lang.format(f"%.{digits}f", value, grouping=True)
        point, thousands = self.separators
        return f"{value:,.{digits}f}".replace(",", "\0").replace(".", point).replace("\0", thousands)

    def money(self, amount, currency):
        text = self.number(amount, currency.decimal_places)
        if not currency.symbol:
            return text
        return (
            f"{text}\N{NO-BREAK SPACE}{currency.symbol}"
            if currency.position == "after"
            else (f"{currency.symbol}\N{NO-BREAK SPACE}{text}")
        )

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
        for the form, the portal and XML-RPC."""
        self.ensure_one()
        metered = self.line_ids.filtered("revcycle_metered")
        if not metered or not self.date_start or day < self.date_start:
            return []
        period = self._revcycle_usage_period_of(day)
        if not period:
            return []
        quantities = self._revcycle_usage_totals(metered, period)
        formatter = UsageFormatter(self.env)
        summary = []
        for line in metered:
            charge = rate_usage(
                quantities.get(line.id, 0.0),
                line._revcycle_usage_terms(period.end, formatter),
                self.currency_id.decimal_places,
            )
            summary.append(
                {
                    "line_id": line.id,
                    "product": line.product_id.display_name,
                    "period_start": fields.Date.to_string(period.start),
                    "period_end": fields.Date.to_string(period.end),
                    "quantity": charge.quantity,
                    "included": charge.included,
                    "billable": charge.billable,
                    "amount": charge.total,
                    "shortfall": charge.shortfall,
                    "breakdown": line._revcycle_usage_breakdown(charge, formatter),
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
                lines.ids,
                datetime.combine(period.start, time.min),
                datetime.combine(period.end + timedelta(days=1), time.min),
            )
        )
        return dict(rows)

    # -- rating in the invoicing run ---------------------------------------------------------------------------------
    def _revcycle_usage_bills(self, due, invoice_dates=None):
        """{index in ``due``: UsageBill} for the invoices of the run that bill usage. ``invoice_dates``: each
        invoice's date when it is not its period's (the final usage invoice of a contract whose term is over)."""
        contracts = self.browse({contract.id for contract, _period in due})
        metered = contracts.line_ids.filtered("revcycle_metered")
        if not metered:
            return {}
        invoice_dates = invoice_dates or [
            period_engine.invoice_date(period, contract.billing_mode) for contract, period in due
        ]
        cutoff = max(invoice_dates)
        pending = self._revcycle_pending_usage(metered, cutoff)
        rated = self._revcycle_rated_usage(metered)
        # what the rating reads of every line and contract, read at once rather than line by line
        metered.mapped("tax_ids")
        metered.product_id.mapped("uom_id.name")
        contracts.mapped("period_ids.move_id")
        formatter = UsageFormatter(self.env)
        bills = {}
        taken = set()
        for index, (contract, period) in enumerate(due):
            lines = contract.line_ids.filtered("revcycle_metered")
            if not lines:
                continue
            bill = contract._revcycle_usage_bill(lines, invoice_dates[index], pending, rated, taken, formatter)
            if period and not bill.invoice_commands and not contract.line_ids - lines:
                # an invoice needs a line: a metered-only contract's first prepaid invoice says when usage is billed
                bill.invoice_commands += [Command.create(line._revcycle_rate_line_vals()) for line in lines]
            if bill.invoice_commands or bill.credit_commands or bill.ratings:
                bills[index] = bill
        return bills

    @api.model
    def _revcycle_pending_usage(self, lines, cutoff):
        """{line id: {day: quantity}} of the unrated usage of ``lines`` before ``cutoff`` (one aggregate query)."""
        self.env["revcycle.usage.record"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT contract_line_id, date::date, sum(quantity) FROM revcycle_usage_record
                WHERE contract_line_id = ANY(%s) AND rating_id IS NULL AND date < %s
                GROUP BY contract_line_id, date::date""",
                lines.ids,
                datetime.combine(cutoff, time.min),
            )
        )
        pending = defaultdict(dict)
        for line_id, day, quantity in rows:
            pending[line_id][day] = quantity
        return pending

    @api.model
    def _revcycle_rated_usage(self, lines):
        """{(line id, period start): {quantity, usage_amount, shortfall_amount, amount}} billed so far."""
        self.env["revcycle.usage.rating"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT contract_line_id, period_start, sum(quantity), sum(usage_amount), sum(shortfall_amount),
                      sum(amount)
                 FROM revcycle_usage_rating WHERE contract_line_id = ANY(%s)
                GROUP BY contract_line_id, period_start""",
                lines.ids,
            )
        )
        return {
            (row[0], row[1]): {"quantity": row[2], "usage_amount": row[3], "shortfall_amount": row[4], "amount": row[5]}
            for row in rows
        }

    def _revcycle_usage_bill(self, lines, invoice_date, pending, rated, taken, formatter):
        """The usage one invoice dated ``invoice_date`` bills: every closed period not rated yet, and the late usage
        of periods rated before."""
        self.ensure_one()
        schedule = period_engine.periods(
            self.date_start, self.billing_period, self.date_end, until=invoice_date, align=self.billing_anchor
        )
        skipped = set(self.period_ids.filtered(lambda row: not row.move_id).mapped("date_start"))  # paused periods
        closed = [period for period in schedule if period.end < invoice_date and period.start not in skipped]
        bill = UsageBill()
        for line in lines:
            line_pending = pending.get(line.id, {})
            added_on = line.usage_date_start or self.date_start
            for period in closed:
                if (line.id, period.start) in taken:
                    continue
                quantity = sum(qty for day, qty in line_pending.items() if period.start <= day <= period.end)
                has_usage = any(period.start <= day <= period.end for day in line_pending)
                before = rated.get((line.id, period.start))
                if before is None and (has_usage or period.end >= added_on):
                    line._revcycle_bill_period(bill, period, quantity, formatter)
                elif before is not None and has_usage:
                    line._revcycle_bill_adjustment(bill, period, quantity, before, formatter)
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


class RevcycleContractLine(models.Model):
    _inherit = "revcycle.contract.line"

    def _revcycle_usage_terms(self, on_date, formatter=None):
        """The line's rating terms in the contract's currency: its rate, allowance and commitment; the tier table
        of the quotation's pricelist (else the product's generic one), converted from the tiers' currency at
        ``on_date`` when it is not the contract's."""
        self.ensure_one()
        template = self.product_id.product_tmpl_id
        contract = self.contract_id
        tiers = ()
        if template.revcycle_charge_model in ("graduated", "volume"):
            pricelist = contract.sale_order_id.pricelist_id
            key = (template.id, pricelist.id, contract.company_id.id, contract.currency_id.id, on_date)
            cache = formatter.tiers if formatter else {}
            if key not in cache:
                records = self.env["revcycle.price.tier"]._revcycle_tiers_for(template, pricelist, contract.company_id)
                cache[key] = tuple(
                    Tier(tier.min_quantity, self._revcycle_in_contract_currency(tier.price, tier.currency_id, on_date))
                    for tier in records
                )
            tiers = cache[key]
        return UsageTerms(
            template.revcycle_charge_model or "per_unit",
            unit_price=self.price_unit,
            tiers=tiers,
            package_size=template.revcycle_usage_package_size or 1.0,
            included_quantity=self.usage_included_quantity,
            minimum_amount=self.usage_minimum_amount,
        )

    def _revcycle_in_contract_currency(self, amount, currency, on_date):
        contract = self.contract_id
        if not currency or currency == contract.currency_id:
            return amount
        # unrounded: the rating rounds once per line, in the contract's currency
        return currency._convert(amount, contract.currency_id, contract.company_id, on_date, round=False)

    def _revcycle_usage_breakdown(self, charge, formatter):
        """The breakdown a customer reads: quantity, allowance, each tier slice or block count, the shortfall."""
        currency = self.contract_id.currency_id
        uom = self.product_id.uom_id.name

        def money(amount):
            return formatter.money(amount, currency)

        parts = [self.env._("%(quantity)s %(uom)s used", quantity=formatter.number(charge.quantity), uom=uom)]
        if charge.included:
            parts.append(self.env._("%(included)s included", included=formatter.number(charge.included)))
        model = self.product_id.revcycle_charge_model
        for piece in charge.slices:
            if model == "package":
                parts.append(
                    self.env._(
                        "%(blocks)s blocks of %(size)s at %(price)s",
                        blocks=int(piece.quantity),
                        size=self.product_id.revcycle_usage_package_size,
                        price=money(piece.price),
                    )
                )
            elif model in ("graduated", "volume"):
                parts.append(
                    self.env._(
                        "%(quantity)s from tier %(tier)s at %(price)s = %(amount)s",
                        quantity=formatter.number(piece.quantity),
                        tier=formatter.number(piece.min_quantity, 0),
                        price=piece.price,
                        amount=money(piece.amount),
                    )
                )
            else:
                parts.append(
                    self.env._(
                        "%(quantity)s at %(price)s = %(amount)s",
                        quantity=formatter.number(piece.quantity),
                        price=piece.price,
                        amount=money(piece.amount),
                    )
                )
        if charge.shortfall:
            parts.append(
                self.env._(
                    "minimum commitment %(minimum)s: %(shortfall)s short",
                    minimum=money(charge.usage_amount + charge.shortfall),
                    shortfall=money(charge.shortfall),
                )
            )
        return "; ".join(parts)

    def _revcycle_usage_line_vals(self, period, label, amount):
        return {
            "product_id": self.product_id.id,
            "name": label,
            "quantity": 1.0,
            "price_unit": amount,
            "tax_ids": [Command.set(self.tax_ids.ids)],
            "revcycle_service_start": period.start,
            "revcycle_service_end": period.end,
        }

    def _revcycle_rate_line_vals(self):
        return {
            "product_id": self.product_id.id,
            "name": self.env._("%(line)s: usage billed at the end of each period", line=self.name),
            "quantity": 1.0,
            "price_unit": 0.0,
            "tax_ids": [Command.set(self.tax_ids.ids)],
        }

    def _revcycle_rating_vals(self, period, kind, quantity, charge_figures, breakdown):
        contract = self.contract_id
        return {
            "contract_id": contract.id,
            "contract_line_id": self.id,
            "company_id": contract.company_id.id,
            "currency_id": contract.currency_id.id,
            "kind": kind,
            "period_start": period.start,
            "period_end": period.end,
            "quantity": quantity,
            "breakdown": breakdown,
            **charge_figures,
        }

    def _revcycle_period_label(self, period, formatter):
        return self.env._("%(start)s to %(end)s", start=formatter.date(period.start), end=formatter.date(period.end))

    def _revcycle_bill_period(self, bill, period, quantity, formatter):
        """The period-end rating: one line for the usage (even none: the customer sees the period was counted), one
        for the commitment shortfall."""
        charge = rate_usage(
            quantity, self._revcycle_usage_terms(period.end, formatter), self.contract_id.currency_id.decimal_places
        )
        breakdown = self._revcycle_usage_breakdown(charge, formatter)
        label = self.env._(
            "%(line)s, usage %(period)s: %(breakdown)s",
            line=self.product_id.display_name,
            period=self._revcycle_period_label(period, formatter),
            breakdown=breakdown,
        )
        bill.invoice_commands.append(Command.create(self._revcycle_usage_line_vals(period, label, charge.usage_amount)))
        if charge.shortfall:
            shortfall_label = self.env._(
                "%(line)s, minimum commitment shortfall %(period)s",
                line=self.product_id.display_name,
                period=self._revcycle_period_label(period, formatter),
            )
            bill.invoice_commands.append(
                Command.create(self._revcycle_usage_line_vals(period, shortfall_label, charge.shortfall))
            )
        figures = {
            "billable_quantity": charge.billable,
            "usage_amount": charge.usage_amount,
            "shortfall_amount": charge.shortfall,
            "amount": charge.total,
        }
        bill.ratings.append((self._revcycle_rating_vals(period, "period", quantity, figures, breakdown), "invoice"))

    def _revcycle_bill_adjustment(self, bill, period, quantity, before, formatter):
        """Late usage or a correction of a rated period: the period re-rated with it, billed by the difference."""
        currency = self.contract_id.currency_id
        total_quantity = max(before["quantity"] + quantity, 0.0)
        charge = rate_usage(total_quantity, self._revcycle_usage_terms(period.end, formatter), currency.decimal_places)
        difference = currency.round(charge.total - before["amount"])
        figures = {
            "billable_quantity": charge.billable,
            "usage_amount": currency.round(charge.usage_amount - before["usage_amount"]),
            "shortfall_amount": currency.round(charge.shortfall - before["shortfall_amount"]),
            "amount": difference,
        }
        breakdown = self._revcycle_usage_breakdown(charge, formatter)
        label = self.env._(
            "%(line)s, usage %(period)s adjusted (%(quantity)s reported after it was billed): now %(breakdown)s",
            line=self.product_id.display_name,
            period=self._revcycle_period_label(period, formatter),
            quantity=formatter.number(quantity),
            breakdown=breakdown,
        )
        target = None
        if currency.compare_amounts(difference, 0.0) > 0:
            bill.invoice_commands.append(Command.create(self._revcycle_usage_line_vals(period, label, difference)))
            target = "invoice"
        elif currency.compare_amounts(difference, 0.0) < 0:
            bill.credit_commands.append(Command.create(self._revcycle_usage_line_vals(period, label, -difference)))
            target = "credit"
        bill.ratings.append((self._revcycle_rating_vals(period, "adjustment", quantity, figures, breakdown), target))
