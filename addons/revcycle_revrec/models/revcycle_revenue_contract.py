import json
import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import engine

_logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# How a recognition entry is created: it has no tax, no payment term and no invoice line, so Odoo's invoice
# synchronisation has nothing to do (``skip_invoice_sync``: taxes, terms, the suspense line of an unbalanced draft with
# taxes; ``skip_invoice_line_sync``: an invoice line's balance from its amount in currency, then debit and credit
# computed a second time); its balance is checked once, when _post writes the state (``_check_balanced``), not also at
# create (``check_move_validity``).
ENTRY_CREATE_CONTEXT = {"skip_invoice_sync": True, "skip_invoice_line_sync": True, "check_move_validity": False}
# How it is posted: the same two synchronisations are skipped for the same reason (without them, each of the two
# writes of _post marks every item's debit and credit to be computed again from a balance that did not change), as
# Odoo posts its own tax cash basis entries (account.partial.reconcile ``_create_tax_cash_basis_moves``). Every check
# of _post still runs: the entry balanced (``_check_balanced``, in both writes), lock dates, a draft entry with items,
# an active journal and no deprecated account, the journal's sequence.
ENTRY_POST_CONTEXT = {"skip_invoice_sync": True, "skip_invoice_line_sync": True}
# The key, in an income item's values, of the revenue lines it posts: popped before the create, used to link them.
REVENUE_LINES_KEY = "_revcycle_revenue_line_ids"


class RevcycleRevenueContract(models.Model):
    _name = "revcycle.revenue.contract"
    _description = "Revenue Contract"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    sale_order_id = fields.Many2one("sale.order", string="Sales Order", index="btree_not_null", readonly=True,
                                    ondelete="set null", check_company=True)
    origin = fields.Char(readonly=True, help="The document the contract was made from.")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    date = fields.Date(string="Contract Date", required=True, readonly=True)
    state = fields.Selection([("active", "Active"), ("closed", "Closed"), ("cancelled", "Cancelled")],
                             default="active", required=True, readonly=True, tracking=True, index=True,
                             help="Closed: every obligation ended, the revenue recognised equals the net "
                             "consideration and neither deferred revenue nor a contract asset is left. An invoice or "
                             "credit note on a closed contract opens it again.")
    close_note = fields.Char(
        string="Why Still Open", readonly=True, copy=False,
        help="Set when the contract's obligations have ended but it does not tie out: what is left and what to do.")
    transaction_price = fields.Monetary(
        readonly=True, help="What the customer pays for the whole contract, discounts included, taxes excluded.")
    credited_amount = fields.Monetary(
        string="Credited", readonly=True, copy=False,
        help="Credit notes posted on this contract, taxes excluded: they lowered the transaction price.")
    ssp_total = fields.Monetary(string="Total SSP", compute="_compute_ssp_total", store=True,
                                help="Sum of the obligations' standalone selling prices: the allocation base.")
    obligation_ids = fields.One2many("revcycle.performance.obligation", "contract_id", string="Obligations",
                                     readonly=True)
    line_ids = fields.One2many("revcycle.revenue.line", "contract_id", string="Revenue Lines", readonly=True)
    recognized_amount = fields.Monetary(compute="_compute_amounts", string="Recognised")
    deferred_amount = fields.Monetary(compute="_compute_amounts", string="Not Yet Recognised")
    contract_liability = fields.Monetary(
        compute="_compute_position", currency_field="company_currency_id",
        help="Billed beyond what is earned: this contract's balance on the deferred revenue account.")
    contract_asset = fields.Monetary(
        compute="_compute_position", currency_field="company_currency_id",
        help="Earned beyond what is billed: this contract's balance on the contract asset account.")
    allocation_note = fields.Text(compute="_compute_allocation_note", string="How the Price Was Allocated")
    modification_ids = fields.One2many("revcycle.revenue.modification", "contract_id", string="Modifications",
                                       readonly=True)
    modification_of_id = fields.Many2one(
        "revcycle.revenue.contract", string="Modification Of", readonly=True, index="btree_not_null",
        check_company=True, help="The contract a modification added these distinct goods to at their standalone "
        "selling price: a separate contract (ASC 606-10-25-12).")

    @api.depends("obligation_ids.ssp")
    def _compute_ssp_total(self):
        for contract in self:
            contract.ssp_total = sum(contract.obligation_ids.mapped("ssp"))

    def _compute_amounts(self):
        posted = self.env["revcycle.revenue.line"]._revcycle_sums(self, "contract_id")
        for contract in self:
            contract.recognized_amount = posted.get(contract.id, {}).get("posted", 0.0)
            contract.deferred_amount = posted.get(contract.id, {}).get("planned", 0.0)

    def _compute_position(self):
        positions = self._revcycle_positions()
        for contract in self:
            _liability, contract.contract_liability, _asset, contract.contract_asset = positions.get(
                contract.id, (0.0, 0.0, 0.0, 0.0))

    @api.depends("transaction_price", "obligation_ids.allocated_amount", "obligation_ids.ssp")
    def _compute_allocation_note(self):
        for contract in self:
            price = contract.currency_id.format(contract.transaction_price) if contract.currency_id else ""
            ssp_total = contract.currency_id.format(contract.ssp_total) if contract.currency_id else ""
            contract.allocation_note = self.env._(
                "Transaction price %(price)s allocated by relative standalone selling price (total SSP "
                "%(ssp_total)s): each obligation receives price x its SSP / total SSP, rounded to the currency; "
                "the cents left over go to the largest remainders so the shares add up exactly. An obligation "
                "without SSP is weighed by its selling price.",
                price=price, ssp_total=ssp_total)

    # ------------------------------------------------------------------
    # Creation: from sales orders, and the hook for other contract sources
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self.env["revcycle.access"]._revcycle_check_vals(self, vals_list)  # before anything reads them
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("revcycle.revenue.contract") or "/"
        return super().create(vals_list)

    @api.model
    def _revcycle_create_from_contract(self, source, items, partner, company, currency, date, origin=None):
        """Hook for other contract sources (revcycle_cpq's ``revcycle.contract`` on activation, a subscription app):
        a glue module turns its lines into ``items`` and calls this; revcycle_revrec does not depend on it.

        ``items``: dicts with ``product`` (product.product), ``quantity``, ``selling_price`` (what the customer pays
        for it in ``currency``, taxes excluded; negative for a discount line, which lowers the price and is spread
        over the obligations), optional ``date_start``, ``date_end``, ``sale_line``, ``income_account``,
        ``recognition`` (the method, when not the product's) and ``ssp_factor`` (how many SSP units the item
        covers beyond its quantity, e.g. the billing periods of a subscription term; default 1).
        Returns the new ``revcycle.revenue.contract``.
        """
        obligation_items = [item for item in items if item["selling_price"] >= 0]
        transaction_price = currency.round(sum(item["selling_price"] for item in items))
        if not obligation_items or currency.compare_amounts(transaction_price, 0.0) < 0:
            # Nothing to perform, or a price below zero (a pure credit): there is no revenue to allocate.
            return self.browse()
        ssp_rows = self.env["revcycle.ssp"]._revcycle_ssp_rows(
            {item["product"].product_tmpl_id.id for item in obligation_items}, currency.id, date, company.id)
        ssps = [self._revcycle_item_ssp(item, currency, date, company, ssp_rows) for item in obligation_items]
        try:
            allocated = self._revcycle_allocate(
                transaction_price, [(ssp, item["selling_price"]) for ssp, item in zip(ssps, obligation_items,
                                                                                       strict=True)],
                currency.decimal_places)
        except engine.AllocationError as error:
            raise UserError(self.env._("The price of %(origin)s cannot be allocated: %(reason)s",
                                       origin=origin or source.display_name, reason=str(error))) from error
        contract = self.create({
            "sale_order_id": source.id if source._name == "sale.order" else False,
            "origin": origin or source.display_name,
            "partner_id": partner.id, "company_id": company.id, "currency_id": currency.id, "date": date,
            "transaction_price": transaction_price,
        })
        obligation_vals = []
        for item, ssp, amount in zip(obligation_items, ssps, allocated, strict=True):
            obligation_vals.append(contract._revcycle_prepare_obligation_vals(item, ssp, amount, date))
        obligations = self.env["revcycle.performance.obligation"].create(obligation_vals)
        obligations._revcycle_plan()
        return contract

    @api.model
    def _revcycle_allocate(self, transaction_price, weights, precision_digits):
        """The engine's allocation; override to change the method."""
        return engine.allocate_by_ssp(transaction_price, weights, precision_digits)

    @api.model
    def _revcycle_item_ssp(self, item, currency, date, company, ssp_rows=None):
        """SSP of the whole item (the SSP table / product field times the quantity), or None: use the price.

        A line given away (price 0) without SSP is still a promise to perform: its product's list price (company
        currency, converted) estimates its SSP, so it gets its share of the price instead of nothing."""
        product = item["product"]
        unit = self.env["revcycle.ssp"]._revcycle_ssp(product.product_tmpl_id.id, currency.id, date, company.id,
                                                      ssp_rows)
        if unit is None and currency.is_zero(item["selling_price"]) \
                and company.currency_id.compare_amounts(product.lst_price, 0.0) > 0:
            unit = company.currency_id._convert(product.lst_price, currency, company, date, round=False)
        return None if unit is None else currency.round(unit * item["quantity"] * item.get("ssp_factor", 1.0))

    def _revcycle_prepare_obligation_vals(self, item, ssp, amount, date):
        self.ensure_one()
        product = item["product"]
        method = item.get("recognition") or product.revcycle_recognition
        date_start = item.get("date_start") or date
        date_end = item.get("date_end")
        if method in ("ratable_daily", "ratable_monthly") and not date_end:
            try:
                date_end = engine.term_end(date_start, product.revcycle_term_months)
            except engine.ScheduleError as error:
                raise UserError(self.env._("%(product)s cannot be scheduled: %(reason)s",
                                           product=product.display_name, reason=str(error))) from error
        income = item.get("income_account") or product.product_tmpl_id.with_company(
            self.company_id)._get_product_accounts()["income"]
        return {
            "contract_id": self.id,
            "product_id": product.id,
            "name": item.get("name") or product.display_name,
            "sale_line_id": item["sale_line"].id if item.get("sale_line") else False,
            "quantity": item["quantity"],
            "recognition": method,
            "selling_price": item["selling_price"],
            "ssp": item["selling_price"] if ssp is None else ssp,
            "ssp_source": "price" if ssp is None else "ssp",
            "allocated_amount": amount,
            "date_start": date_start,
            "date_end": date_end if method in ("ratable_daily", "ratable_monthly") else date_start,
            "income_account_id": income.id if income else False,
        }

    # ------------------------------------------------------------------
    # Changes
    # ------------------------------------------------------------------

    def _revcycle_reallocate(self, items, on_date):
        """A contract modification (ASC 606-10-25-10..13, IFRS 15.18-21): the order (or the subscription) changed
        and ``items`` (as in _revcycle_create_from_contract) are its lines now. Accounted for as

        - a separate contract when only distinct goods are added, each at its standalone selling price (25-12):
          the new lines get a revenue contract of their own, this one is untouched;
        - a cumulative catch-up when an obligation of the contract is not distinct in its parts (a product without
          Distinct Periods, 25-13(b)): the new price is allocated as at inception and each obligation keeps its
          measure of progress, catching up now;
        - else prospectively (25-13(a)): the new price less what is recognised goes to the work still to do.

        Each modification is recorded on the contract (``revcycle.revenue.modification``). Returns True if the
        contract changed."""
        self.ensure_one()
        currency = self.currency_id
        items = self._revcycle_own_items(items)
        # what was credited since stays deducted: the order's lines do not show credit notes
        new_price = currency.round(sum(item["selling_price"] for item in items) - self.credited_amount)
        by_key = {self._revcycle_item_key(item): item for item in items
                  if self._revcycle_item_key(item) and item["selling_price"] >= 0}
        if self._revcycle_unchanged(new_price, by_key):
            return False
        before = self._revcycle_modification_snapshot()
        kind = self._revcycle_modification_kind(new_price, by_key, on_date)
        catch_up, new_contract = 0.0, self.browse()
        if kind == "separate":
            new_contract = self._revcycle_separate_contract(by_key, on_date)
        elif kind == "catch_up":
            catch_up = self._revcycle_modify_with_catch_up(new_price, by_key, on_date)
        elif not self._revcycle_reallocate_prospectively(new_price, by_key, on_date):
            return False
        self._revcycle_record_modification(kind, on_date, before, catch_up=catch_up, new_contract=new_contract)
        return True

    def _revcycle_modification_snapshot(self):
        """(price, allocation text) before a modification, for its record."""
        self.ensure_one()
        return self.transaction_price, self._revcycle_allocation_text()

    def _revcycle_record_modification(self, kind, on_date, before, catch_up=0.0, new_contract=None):
        """The record of a modification (``before``: ``_revcycle_modification_snapshot`` taken before it)."""
        self.ensure_one()
        # sudo: the modification record is the system's trace, written by the modification only (read-only rights)
        return self.env["revcycle.revenue.modification"].sudo().create({  # sudo: system trace
            "contract_id": self.id, "date": on_date, "kind": kind, "price_before": before[0],
            "price_after": self.transaction_price, "allocation_before": before[1],
            "allocation_after": self._revcycle_allocation_text(), "catch_up_amount": catch_up,
            "new_contract_id": new_contract.id if new_contract else False,
        })

    @api.model
    def _revcycle_item_key(self, item):
        """What ties an item (``_revcycle_create_from_contract``) to its obligation across changes: its order line.
        Other contract sources (a subscription's line) override this and ``_revcycle_obligation_key``."""
        return ("sale_line", item["sale_line"].id) if item.get("sale_line") else None

    @api.model
    def _revcycle_obligation_key(self, obligation):
        return ("sale_line", obligation.sale_line_id.id) if obligation.sale_line_id else None

    def _revcycle_own_items(self, items):
        """The items of this contract: a separate contract made by a modification keeps its own order lines, the
        contract it was split from every other one."""
        if self.modification_of_id:
            mine = {self._revcycle_obligation_key(ob) for ob in self.obligation_ids} - {None}
            return [item for item in items if self._revcycle_item_key(item) in mine]
        domain = [("modification_of_id", "=", self.id)]
        if self.sale_order_id:
            domain = ["|", ("sale_order_id", "=", self.sale_order_id.id)] + domain
        others = self.search(domain + [("id", "!=", self.id), ("state", "!=", "cancelled")])
        taken = {self._revcycle_obligation_key(ob) for ob in others.obligation_ids} - {None}
        return [item for item in items if self._revcycle_item_key(item) not in taken]

    def _revcycle_allocation_text(self):
        return "\n".join(f"{ob.name}: {self.currency_id.format(ob.allocated_amount)}" for ob in self.obligation_ids)

    def _revcycle_known_obligations(self):
        """{key: obligation} of the obligations an item can find again (``_revcycle_item_key``)."""
        return {key: ob for ob in self.obligation_ids if (key := self._revcycle_obligation_key(ob))}

    def _revcycle_modification_kind(self, new_price, by_key, on_date):
        currency = self.currency_id
        known = self._revcycle_known_obligations()
        added = [item for line_id, item in by_key.items() if line_id not in known]
        added_price = currency.round(sum(item["selling_price"] for item in added))
        existing_unchanged = not currency.compare_amounts(new_price - added_price, self.transaction_price) and all(
            not currency.compare_amounts(item["selling_price"], known[line_id].selling_price)
            for line_id, item in by_key.items() if line_id in known)
        if added and existing_unchanged and not self.modification_of_id and all(
                self._revcycle_at_ssp(item, on_date) for item in added):
            return "separate"
        if any(not ob.product_id.revcycle_distinct_periods and ob.recognition in ("ratable_daily", "ratable_monthly")
               for ob in self.obligation_ids):
            return "catch_up"
        return "prospective"

    def _revcycle_at_ssp(self, item, on_date):
        ssp = self._revcycle_item_ssp(item, self.currency_id, on_date, self.company_id)
        return ssp is not None and not self.currency_id.compare_amounts(item["selling_price"], ssp)

    def _revcycle_separate_contract(self, by_key, on_date):
        known = self._revcycle_known_obligations()
        added = [item for line_id, item in by_key.items() if line_id not in known]
        source = self.sale_order_id or self
        contract = self.with_company(self.company_id)._revcycle_create_from_contract(
            source, added, self.partner_id, self.company_id, self.currency_id, on_date, origin=self.origin)
        contract.modification_of_id = self
        self.message_post(body=self.env._(
            "Distinct goods added at their standalone selling price: a separate contract, %(contract)s.",
            contract=contract.name))
        return contract

    def _revcycle_modify_with_catch_up(self, new_price, by_key, on_date):
        """The new price allocated over every obligation by relative SSP, as at inception; each keeps its measure of
        progress and catches up for it now (engine ``rescale_remaining`` through ``_apply_allocation``), the new
        lines are planned from ``on_date``. Posts the catch-up and returns its amount."""
        currency = self.currency_id
        targets = []
        for obligation in self.obligation_ids:
            item = by_key.pop(self._revcycle_obligation_key(obligation), None)
            if item:
                ssp = self._revcycle_item_ssp(item, currency, self.date, self.company_id)
                obligation.write({"quantity": item["quantity"], "selling_price": item["selling_price"],
                                  "ssp": item["selling_price"] if ssp is None else ssp})
            targets.append((obligation, None, obligation.ssp))
        for item in by_key.values():
            ssp = self._revcycle_item_ssp(item, currency, on_date, self.company_id)
            targets.append((None, item, item["selling_price"] if ssp is None else ssp))
        # variable consideration allocated to one obligation's period stays there (ASC 606-10-32-40): only the
        # rest of the price is allocated by relative SSP
        variable = self._revcycle_variable_by_obligation()
        try:
            amounts = self._revcycle_allocate(
                currency.round(new_price - sum(variable.values())),
                [(weight, weight) for *_rest, weight in targets], currency.decimal_places)
        except engine.AllocationError as error:
            raise UserError(self.env._("The change to %(contract)s cannot be allocated: %(reason)s",
                                       contract=self.name, reason=str(error))) from error
        due = self.env["revcycle.revenue.line"]
        new_obligations = self.env["revcycle.performance.obligation"]
        for (obligation, item, ssp), amount in zip(targets, amounts, strict=True):
            if obligation:
                due |= obligation._revcycle_apply_allocation(amount + variable.get(obligation.id, 0.0), on_date)
            else:
                new_obligations |= new_obligations.create(
                    self._revcycle_prepare_obligation_vals(item, ssp, amount, on_date))
        new_obligations._revcycle_plan()
        self.transaction_price = new_price
        catch_up = currency.round(sum(due.mapped("amount")))
        if due:
            self._revcycle_post_lines(due, on_date)
        self.message_post(body=self.env._(
            "Price changed to %(price)s: the obligations keep their progress, %(catch_up)s caught up now.",
            price=currency.format(new_price), catch_up=currency.format(catch_up)))
        return catch_up

    def _revcycle_reallocate_prospectively(self, new_price, by_key, on_date):
        """ASC 606-10-25-13(a), IFRS 15.21(a): the new price less what is already recognised goes, by relative SSP,
        to the work still to do (the unperformed share of each obligation, and the new lines); what was recognised
        stays."""
        currency = self.currency_id
        recognised = self._revcycle_sums_posted()
        targets = []
        for obligation in self.obligation_ids:
            planned = obligation.line_ids.filtered(lambda line: line.state == "planned" and line.kind == "schedule")
            item = by_key.pop(self._revcycle_obligation_key(obligation), None)
            if not planned:
                continue
            share = (sum(planned.mapped("amount")) / obligation.allocated_amount
                     if not currency.is_zero(obligation.allocated_amount) else 1.0)
            ssp = obligation.ssp if item is None else self._revcycle_item_ssp(item, currency, self.date,
                                                                              self.company_id)
            if ssp is None:
                ssp = item["selling_price"]
            targets.append((obligation, item, ssp, ssp * share))
        for item in by_key.values():
            if item["selling_price"] >= 0:
                ssp = self._revcycle_item_ssp(item, currency, on_date, self.company_id)
                weight = item["selling_price"] if ssp is None else ssp
                targets.append((None, item, ssp, weight))
        remaining_price = currency.round(new_price - sum(recognised.values()))
        if not targets:
            return False
        try:
            amounts = self._revcycle_allocate(remaining_price, [(weight, weight) for *_rest, weight in targets],
                                              currency.decimal_places)
        except engine.AllocationError as error:
            raise UserError(self.env._(
                "The change to %(contract)s cannot be allocated to the work still to do: %(reason)s Issue a credit "
                "note for a price below what was already recognised.",
                contract=self.name, reason=str(error))) from error
        new_obligations = self.env["revcycle.performance.obligation"]
        for (obligation, item, ssp, _weight), amount in zip(targets, amounts, strict=True):
            if obligation:
                obligation._revcycle_replan_remaining(amount)
                vals = {"allocated_amount": currency.round(recognised.get(obligation.id, 0.0) + amount)}
                if item:
                    vals.update(quantity=item["quantity"], selling_price=item["selling_price"],
                                ssp=item["selling_price"] if ssp is None else ssp)
                obligation.write(vals)
            else:
                new_obligations |= new_obligations.create(
                    self._revcycle_prepare_obligation_vals(item, ssp, amount, on_date))
        new_obligations._revcycle_plan()
        self.transaction_price = new_price
        self.message_post(body=self.env._("Price changed to %(price)s: the part not yet recognised was reallocated.",
                                          price=currency.format(new_price)))
        return True

    def _revcycle_change_price(self, change, on_date):
        """The transaction price changes by ``change`` after inception (a credit note: negative). The change is
        allocated on the inception basis, the obligations' relative SSPs (ASC 606-10-32-43, IFRS 15.88): what is
        already satisfied catches up now, the rest of each schedule follows (``_apply_allocation``).
        Returns the revenue lines due now, not yet posted."""
        self.ensure_one()
        currency = self.currency_id
        lines = self.env["revcycle.revenue.line"]
        obligations = self.obligation_ids
        if currency.is_zero(change) or not obligations:
            return lines
        try:
            parts = engine.allocate_change(change, obligations.mapped("ssp"), currency.decimal_places)
        except engine.AllocationError as error:
            raise UserError(self.env._("The price change of %(contract)s cannot be allocated: %(reason)s",
                                       contract=self.name, reason=str(error))) from error
        for obligation, part in zip(obligations, parts, strict=True):
            lines |= obligation._revcycle_apply_allocation(obligation.allocated_amount + part, on_date)
        self.write({"transaction_price": currency.round(self.transaction_price + change),
                    "credited_amount": currency.round(self.credited_amount - change)})
        return lines

    def _revcycle_end_obligations(self, due_by_obligation, end_date, on_date):
        """Obligations that end early (a terminated subscription): each is now worth what is due for it
        (``due_by_obligation``: {obligation: consideration due, notice period included}). The price changes by
        the difference, allocated by relative SSP among these obligations; each keeps what it recognised and
        spreads the rest of its new allocation over the months left up to ``end_date`` (what it recognised beyond
        it comes back now). Returns the revenue lines due now, not yet posted."""
        self.ensure_one()
        currency = self.currency_id
        obligations = self.env["revcycle.performance.obligation"].concat(*due_by_obligation)
        lines = self.env["revcycle.revenue.line"]
        if not obligations:
            return lines
        change = currency.round(sum(currency.round(due) - ob.selling_price for ob, due in due_by_obligation.items()))
        try:
            parts = engine.allocate_change(change, obligations.mapped("ssp"), currency.decimal_places)
        except engine.AllocationError as error:
            raise UserError(self.env._("The price change of %(contract)s cannot be allocated: %(reason)s",
                                       contract=self.name, reason=str(error))) from error
        for obligation, part in zip(obligations, parts, strict=True):
            obligation.selling_price = currency.round(due_by_obligation[obligation])
            lines |= obligation._revcycle_end_on(end_date, currency.round(obligation.allocated_amount + part),
                                                  on_date)
        self.transaction_price = currency.round(self.transaction_price + change)
        return lines

    def _revcycle_unchanged(self, new_price, by_key):
        currency = self.currency_id
        if currency.compare_amounts(new_price, self.transaction_price):
            return False
        known = self._revcycle_known_obligations()
        return set(by_key) <= set(known) and all(
            not currency.compare_amounts(item["selling_price"], known[line_id].selling_price)
            for line_id, item in by_key.items())

    def _revcycle_sums_posted(self):
        """{obligation id: what it recognised}, with the variable consideration allocated to a past period and not
        posted yet (kind Variable Consideration): it belongs to that period, never to the work still to do."""
        Line = self.env["revcycle.revenue.line"]
        sums = Line._revcycle_sums(self.obligation_ids, "obligation_id")
        result = {obligation_id: values.get("posted", 0.0) for obligation_id, values in sums.items()}
        for obligation_id, amount in self._revcycle_variable_by_obligation(planned_only=True).items():
            result[obligation_id] = result.get(obligation_id, 0.0) + amount
        return result

    def _revcycle_variable_by_obligation(self, planned_only=False):
        """{obligation id: the variable consideration allocated to it} (``planned_only``: not posted yet)."""
        domain = [("obligation_id", "in", self.obligation_ids.ids), ("kind", "=", "variable")]
        if planned_only:
            domain.append(("state", "=", "planned"))
        return {obligation.id: amount for obligation, amount in self.env["revcycle.revenue.line"]._read_group(
            domain, ["obligation_id"], ["amount:sum"])}

    # ------------------------------------------------------------------
    # Closing
    # ------------------------------------------------------------------

    def _revcycle_check_close(self, on_date):
        """Active contracts whose obligations all ended by ``on_date`` with nothing left to recognise are checked:
        recognised = transaction price (the net consideration) and no deferred revenue nor contract asset left
        (company currency) closes them; otherwise they stay open and ``close_note`` says what is left."""
        ended = self.filtered(lambda c: c.state == "active" and c.obligation_ids
                              and max(c.obligation_ids.mapped("date_end")) <= on_date)
        if not ended:
            return
        # one query, not every contract's lines: a month-end batch holds hundreds of contracts
        still_planned = {contract for [contract] in self.env["revcycle.revenue.line"]._read_group(
            [("contract_id", "in", ended.ids), ("state", "=", "planned")], ["contract_id"])}
        ended = ended.filtered(lambda c: c not in still_planned)
        if not ended:
            return
        positions = ended._revcycle_positions()
        for contract in ended:
            _liability_doc, liability, _asset_doc, asset = positions.get(contract.id, (0.0, 0.0, 0.0, 0.0))
            reasons = contract._revcycle_close_blockers(liability, asset)
            if reasons:
                contract.close_note = " ".join(reasons)
                continue
            contract.write({"state": "closed", "close_note": False})
            contract.message_post(body=self.env._(
                "Closed: %(recognised)s recognised, the net consideration; no deferred revenue nor contract asset "
                "is left.", recognised=contract.currency_id.format(contract.recognized_amount)))

    def _revcycle_close_blockers(self, liability, asset):
        self.ensure_one()
        currency, company_currency = self.currency_id, self.company_currency_id
        reasons = []
        recognised = currency.round(sum(self.line_ids.filtered(lambda line: line.state == "posted").mapped("amount")))
        if currency.compare_amounts(recognised, self.transaction_price):
            reasons.append(self.env._("%(recognised)s recognised of a transaction price of %(price)s.",
                                      recognised=currency.format(recognised),
                                      price=currency.format(self.transaction_price)))
        if not company_currency.is_zero(liability):
            reasons.append(self.env._(
                "%(amount)s of deferred revenue is left: more was billed than the price; credit the difference.",
                amount=company_currency.format(liability)))
        if not company_currency.is_zero(asset):
            reasons.append(self.env._(
                "A contract asset of %(amount)s is left: earned but not billed yet; invoice it.",
                amount=company_currency.format(asset)))
        return reasons

    def _revcycle_reopen(self):
        """A closed contract billed or credited again is open again, so the event is accounted for."""
        for contract in self.filtered(lambda c: c.state == "closed"):
            contract.state = "active"
            contract.message_post(body=self.env._("Opened again: an invoice or credit note was posted on it."))

    def recognize_contract_until(self, date):
        """'Recognise up to…' for these contracts: post their revenue due on or before ``date`` now, as the monthly
        run would (the form asks for the date in a wizard; XML-RPC callers pass it). Returns the summary of
        ``recognize_until``."""
        self.env["revcycle.access"]._revcycle_require_revrec_manager()
        date = self._revcycle_check_date(date)
        self.check_access("write")
        summary = {"date": fields.Date.to_string(date), "contracts": 0, "lines": 0, "amount": 0.0,
                   "move_ids": [], "failed_contract_ids": []}
        contracts = self.filtered(lambda c: c.state == "active")
        if contracts:
            # the same lock as the monthly run's: a run in progress holds the contract, this waits for it
            self.env.execute_query(SQL("SELECT id FROM revcycle_revenue_contract WHERE id = ANY(%s) FOR UPDATE",
                                       contracts.ids))
            contracts.sudo()._revcycle_recognize_batch(date, summary)  # sudo: posts entries; access checked above
        summary["amount"] = round(summary["amount"], 6)
        return summary

    def action_revcycle_open_recognize_wizard(self):
        """The form's 'Recognise up to…': a wizard asks for the date and confirms."""
        self.env["revcycle.access"]._revcycle_require_revrec_manager()
        return {
            "type": "ir.actions.act_window", "res_model": "revcycle.recognize.wizard", "view_mode": "form",
            "target": "new", "name": self.env._("Recognise up to…"),
            "context": {"default_contract_ids": self.ids},
        }

    def action_cancel(self):
        """Reverse what was recognised (dated today) and drop what was planned."""
        self.env["revcycle.access"]._revcycle_require_revrec_manager()
        self.check_access("write")
        today = fields.Date.context_today(self)
        for contract in self.filtered(lambda c: c.state == "active"):
            reversals = contract.obligation_ids._revcycle_reverse_fraction(1.0, today)
            contract.sudo().line_ids.filtered(  # sudo: revenue lines are never deleted by hand; access checked above
                lambda line, keep=reversals: line.state == "planned" and line not in keep).unlink()
            contract.sudo().state = "cancelled"
            if reversals:
                contract._revcycle_post_lines(reversals, today)
        return True

    # ------------------------------------------------------------------
    # Recognition
    # ------------------------------------------------------------------

    @api.model
    def recognize_until(self, date, company_ids=None, limit=None):
        """Post every planned revenue line due on or before ``date``: one entry per company, period and 500 contracts
        in the recognition journal: the income credited per account (summarised, the default) or per contract and
        account (company setting ``revcycle_income_line_mode``), the contract liability / asset moved per contract.

        Contracts are taken in batches with FOR UPDATE SKIP LOCKED, so a parallel run skips what another holds;
        each contract is posted in its own savepoint, so one bad contract does not stop the others; a posted line
        is unique per obligation and period in the database, so a re-run posts nothing twice.
        ``limit``: stop after that many contracts (the cron's batch). Returns a summary dict.
        """
        self.env["revcycle.access"]._revcycle_require_revrec_manager()
        date = self._revcycle_check_date(date)
        if limit is not None:
            limit = self.env["revcycle.access"]._revcycle_integer(limit, "limit", 1, 1000000)
        contracts = self._revcycle_for_companies(company_ids)
        company_ids = contracts.env.companies.ids
        summary = {"date": fields.Date.to_string(date), "contracts": 0, "lines": 0, "amount": 0.0,
                   "move_ids": [], "failed_contract_ids": []}
        last_id = 0
        while limit is None or summary["contracts"] < limit:
            size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - summary["contracts"])
            contract_ids = contracts._revcycle_lock_due(date, company_ids, last_id, size)
            if not contract_ids:
                break
            last_id = contract_ids[-1]
            batch = contracts.browse(contract_ids)
            batch.check_access("write")
            batch.sudo()._revcycle_recognize_batch(date, summary)  # sudo: posts journal entries; access checked above
        contracts._revcycle_close_ended(date, company_ids)
        summary["amount"] = round(summary["amount"], 6)
        return summary

    @api.model
    def _revcycle_close_ended(self, date, company_ids):
        """Contracts that ended by ``date`` with nothing left to post and no reason on record yet, in one bounded,
        locked batch: the run checks them even when their last line was posted earlier (a contract whose last
        invoice came after its last recognition). Those that stay open keep their reason; an invoice or credit
        note checks them again."""
        self.env["revcycle.revenue.line"].flush_model()
        self.env["revcycle.performance.obligation"].flush_model()
        self.flush_model(["state", "company_id", "close_note"])
        rows = self.env.execute_query(SQL(
            """
            SELECT c.id FROM revcycle_revenue_contract c
             WHERE c.state = 'active' AND c.company_id = ANY(%(companies)s) AND c.close_note IS NULL
               AND EXISTS (SELECT 1 FROM revcycle_performance_obligation o WHERE o.contract_id = c.id)
               AND NOT EXISTS (SELECT 1 FROM revcycle_performance_obligation o
                                WHERE o.contract_id = c.id AND o.date_end > %(date)s)
               AND NOT EXISTS (SELECT 1 FROM revcycle_revenue_line l
                                WHERE l.contract_id = c.id AND l.state = 'planned')
             ORDER BY c.id
             LIMIT %(size)s
               FOR UPDATE OF c SKIP LOCKED
            """, companies=list(company_ids), date=date, size=BATCH_SIZE))
        if rows:
            # sudo: closing follows the run the manager started; access was checked by the caller
            self.browse([row[0] for row in rows]).sudo()._revcycle_check_close(date)  # sudo: see above

    @api.model
    def _revcycle_lock_due(self, date, company_ids, after_id, size):
        self.env["revcycle.revenue.line"].flush_model()
        self.flush_model(["state", "company_id"])
        rows = self.env.execute_query(SQL(
            """
            SELECT c.id FROM revcycle_revenue_contract c
             WHERE c.state = 'active' AND c.company_id = ANY(%(companies)s) AND c.id > %(after)s
               AND EXISTS (SELECT 1 FROM revcycle_revenue_line l
                            WHERE l.contract_id = c.id AND l.state = 'planned' AND l.ready AND l.date <= %(date)s)
             ORDER BY c.id
             LIMIT %(size)s
               FOR UPDATE OF c SKIP LOCKED
            """,
            companies=list(company_ids), after=after_id, date=date, size=size))
        return [row[0] for row in rows]

    def _revcycle_recognize_batch(self, date, summary):
        lines = self.env["revcycle.revenue.line"].search([
            ("contract_id", "in", self.ids), ("state", "=", "planned"), ("ready", "=", True), ("date", "<=", date)],
            order="date, id")
        by_period = defaultdict(list)
        for line in lines:
            by_period[(line.company_id.id, line.period_date)].append(line.id)
        failed = set()
        for (_company_id, _period), line_ids in sorted(by_period.items(), key=lambda kv: kv[0][1]):
            period_lines = lines.browse(line_ids).filtered(lambda line: line.contract_id.id not in failed)
            if not period_lines:
                continue
            moves = period_lines.contract_id._revcycle_post_lines(
                period_lines, max(period_lines.mapped("date")), failed=failed, summary=summary)
            summary["move_ids"] += moves.ids
        self.filtered(lambda c: c.id not in failed)._revcycle_check_close(date)
        done = len(self) - len(failed)
        summary["contracts"] += len(self)
        summary["failed_contract_ids"] += sorted(failed)
        remaining = self.env["revcycle.revenue.line"].sudo().search_count(
            [("state", "=", "planned"), ("ready", "=", True), ("date", "<=", date),
             ("contract_id.state", "=", "active")])
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    def _revcycle_post_lines(self, lines, move_date, failed=None, summary=None):
        """Post ``lines`` (one company) in one recognition entry dated ``move_date``.

        Each contract's lines are prepared on their own (a contract that cannot be prepared is skipped), then the
        entry is created and posted at once in a savepoint; if that fails, each contract is posted in its own
        savepoint and entry, so one bad contract never stops the others. Without ``summary`` (an event such as an
        invoice or a delivery) errors are raised instead. Also used with no line (netting after an invoice).
        Returns the posted moves.
        """
        contracts = lines.contract_id | self
        company = contracts.company_id
        company.ensure_one()
        if not company._revcycle_revrec_enabled():
            raise UserError(self.env._(
                "Set the deferred revenue account, the contract asset account and the recognition journal of "
                "%(company)s in Settings > Revenue Cycle before recognising revenue.", company=company.name))
        failed = set() if failed is None else failed
        positions = contracts._revcycle_positions(move_date)
        lines_by_contract = defaultdict(list)
        for line in lines:
            lines_by_contract[line.contract_id.id].append(line.id)
        prepared = []
        for contract in contracts:
            contract_lines = lines.browse(lines_by_contract[contract.id])
            try:
                vals, amounts = contract._revcycle_entry_line_vals(
                    contract_lines, move_date, positions.get(contract.id, (0.0, 0.0, 0.0, 0.0)))
            except Exception:
                if summary is None:
                    raise
                _logger.exception("Revenue contract %s could not be recognised", contract.id)
                failed.add(contract.id)
                continue
            prepared.append((contract, contract_lines, vals, amounts))
        if summary is None:
            return self._revcycle_create_entry(company, move_date, prepared)
        moves = self.env["account.move"]
        # One entry for the period (a line per contract and account): if it fails, each contract is tried in an
        # entry of its own, so the bad one is found and the others still post.
        try:
            with self.env.cr.savepoint():
                moves |= self._revcycle_create_entry(company, move_date, prepared)
        except Exception:
            self.env.invalidate_all()
            for item in prepared:
                try:
                    with self.env.cr.savepoint():
                        moves |= self._revcycle_create_entry(company, move_date, [item])
                except Exception:
                    _logger.exception("Revenue contract %s could not be recognised", item[0].id)
                    self.env.invalidate_all()
                    failed.add(item[0].id)
        for contract, contract_lines, _vals, amounts in prepared:
            if contract.id not in failed:
                summary["lines"] += len(contract_lines)
                summary["amount"] += sum(amounts)
        return moves

    def _revcycle_create_entry(self, company, move_date, prepared):
        """One posted entry for the prepared contracts, made by one create() and posted once; the revenue lines are
        marked posted in the same transaction (the business marker goes with the effect), in one UPDATE."""
        line_vals = [dict(vals) for _contract, _lines, contract_vals, _amounts in prepared for vals in contract_vals]
        move = self.env["account.move"]
        item_of_line = {}
        if line_vals:
            self._revcycle_add_analytic_distribution(company, line_vals)
            if company.revcycle_income_line_mode != "per_contract":
                line_vals = self._revcycle_summarise_income(company, line_vals, move_date)
            revenue_lines_of_vals = [vals.pop(REVENUE_LINES_KEY, []) for vals in line_vals]
            self._revcycle_add_entry_line_defaults(line_vals)
            # sudo: the month-end entry is the system's, made for contracts recognize_until checked the caller on
            move = move.sudo().with_context(**ENTRY_CREATE_CONTEXT).create({
                "move_type": "entry", "date": move_date, "journal_id": company.revcycle_recognition_journal_id.id,
                "company_id": company.id, "ref": self.env._("Revenue recognition %(date)s", date=move_date),
                # what Odoo computes for this entry, given so it is not computed (docs/domain.md "The month-end
                # entry"): a storno applies to refunds only (``_compute_is_storno``), and the delivery date comes
                # from the sale orders of the items' order lines (sale_stock ``_compute_delivery_date``): none here
                "delivery_date": False, "is_storno": False,
                "line_ids": [fields.Command.create(vals) for vals in line_vals],
            }).with_env(move.sudo().env)  # sudo kept, the create-only context dropped
            # _post, as Odoo posts the entries it makes itself (exchange differences, reversals): action_post is the
            # user's button, whose overrides (down payments, invoice-line hooks) concern invoices, not this entry
            move.with_context(**ENTRY_POST_CONTEXT)._post(soft=False)
            item_of_line = self._revcycle_items_of_revenue_lines(move, line_vals, revenue_lines_of_vals)
        self.env["revcycle.revenue.line"]._revcycle_mark_posted(
            [(line_id, amount, item_of_line.get(line_id)) for _contract, lines, _vals, amounts in prepared
             for line_id, amount in zip(lines.ids, amounts, strict=True)], move)
        return move

    @api.model
    def _revcycle_items_of_revenue_lines(self, move, line_vals, revenue_lines_of_vals):
        """{revenue line id: id of the income journal item it was posted to}. The items of ``move`` were created by
        one create() from ``line_vals`` in that order, so their ids follow it; checked on the account, so a change
        in how Odoo creates them fails loudly instead of linking the wrong item."""
        items = move.line_ids.sorted("id")
        if len(items) != len(line_vals) or any(
                item.account_id.id != vals["account_id"] for item, vals in zip(items, line_vals, strict=True)):
            raise UserError(self.env._(
                "The recognition entry %(move)s does not have the journal items it was created with; its revenue "
                "lines cannot be linked to them.", move=move.display_name))
        return {line_id: item.id for item, line_ids in zip(items, revenue_lines_of_vals, strict=True)
                for line_id in line_ids}

    def _revcycle_summarise_income(self, company, line_vals, move_date):
        """The income items of the contracts merged into one item per income account, currency, analytic
        distribution and product (company setting ``revcycle_income_line_mode``, docs/domain.md "The month-end
        entry"); the deferred revenue, contract asset and exchange items stay one per contract (positions and
        netting read them per contract from the ledger). Credits and debits (revenue that goes back: a catch-up,
        a reversal) are summed apart, so an item never nets two directions: in a foreign currency, amounts booked
        at different rates could otherwise leave a balance and an amount in currency of opposite signs.

        An item that sums one contract keeps its label, contract and obligation; one that sums several says what
        it sums ("Revenue recognised 2026-03 (12 contracts)"), and its revenue lines link to it, so each
        contract's amount is still found from the item and the item from each revenue line."""
        income = [vals for vals in line_vals if vals.get("revcycle_kind") == "recognition"]
        currencies = self.env["res.currency"].browse({vals["currency_id"] for vals in income})
        digits = {currency.id: currency.decimal_places for currency in currencies}
        items = engine.summarise_income([
            engine.IncomeAmount(
                (vals["account_id"], vals["currency_id"], vals.get("product_id") or False,
                 json.dumps(vals.get("analytic_distribution") or {}, sort_keys=True)),
                vals["balance"], vals["amount_currency"], digits[vals["currency_id"]])
            for vals in income], company.currency_id.decimal_places)
        return [self._revcycle_income_item_vals([income[i] for i in item.indexes], item, move_date)
                for item in items] + [vals for vals in line_vals if vals.get("revcycle_kind") != "recognition"]

    def _revcycle_income_item_vals(self, group, item, move_date):
        """The values of one summarised income item (``item``, engine ``IncomeItem``) of the contracts' income
        values ``group``: one contract's are kept as they are."""
        if len(group) == 1:
            return group[0]
        first = group[0]
        partners = {vals["partner_id"] for vals in group}
        return {
            "account_id": first["account_id"], "currency_id": first["currency_id"],
            "product_id": first.get("product_id") or False,
            "analytic_distribution": first.get("analytic_distribution") or False,
            "balance": item.balance, "amount_currency": item.amount_currency,
            "name": self.env._("Revenue recognised %(period)s (%(count)s contracts)",
                               period=move_date.strftime("%Y-%m"), count=len(group)),
            "partner_id": partners.pop() if len(partners) == 1 else False,
            "revcycle_contract_id": False, "revcycle_obligation_id": False, "revcycle_kind": "recognition",
            REVENUE_LINES_KEY: [line_id for vals in group for line_id in vals[REVENUE_LINES_KEY]],
        }

    def _revcycle_add_entry_line_defaults(self, line_vals):
        """What Odoo computes or defaults for a line of a miscellaneous entry, given with the values so the ORM does
        not compute it line by line (``account.move.line`` ``_compute_display_type``, ``_compute_quantity``,
        ``_compute_sequence``, ``_compute_product_uom_id``, ``_compute_price_unit``: 0 for a document that is neither
        a sale nor a purchase, ``product.product._get_tax_included_unit_price``) nor asks for defaults. The figures
        booked (balance, amount_currency) are ours; these are the same values the ORM would store."""
        uom_by_product = {}
        for vals in line_vals:
            product_id = vals.get("product_id") or False
            if product_id not in uom_by_product:
                uom_by_product[product_id] = self.env["product.product"].browse(product_id).uom_id.id or False
            vals.update(
                display_type="product", tax_ids=[], product_id=product_id, product_uom_id=uom_by_product[product_id],
                quantity=1.0, price_unit=0.0, discount=0.0, sequence=100, is_imported=False,
                tax_repartition_line_id=False,
            )

    def _revcycle_add_analytic_distribution(self, company, line_vals):
        """The analytic distribution Odoo's models give each line (``account.move.line``
        ``_compute_analytic_distribution``, with the same arguments), looked up once per distinct line: the
        compute would search the models once per journal item."""
        Account = self.env["account.account"]
        Partner = self.env["res.partner"]
        Product = self.env["product.product"]
        Model = self.env["account.analytic.distribution.model"]
        # Odoo's look-up searches the models of the company or shared ones, then narrows them by the line: when there
        # is none, every line's distribution is empty, known from this one query instead of one per distinct line.
        if not Model.search_count([("company_id", "in", [company.id, False])], limit=1):
            for vals in line_vals:
                vals["analytic_distribution"] = False
            return
        found = {}
        for vals in line_vals:
            key = (vals["account_id"], vals.get("partner_id") or False, vals.get("product_id") or False)
            if key not in found:
                product, partner = Product.browse(key[2]), Partner.browse(key[1])
                found[key] = Model._get_distribution({
                    "product_id": product.id, "product_categ_id": product.categ_id.id, "partner_id": partner.id,
                    "partner_category_id": partner.category_id.ids, "account_prefix": Account.browse(key[0]).code,
                    "company_id": company.id,
                })
            vals["analytic_distribution"] = found[key] or False

    def _revcycle_entry_line_vals(self, lines, move_date, position):
        """Income credit per income account of the contract (the revenue lines, one per obligation and period, keep
        the detail and link the entry), then the contract liability / asset moved to the net position.

        Company amounts follow the rates that were booked (engine ``measure_position_moves``, docs/domain.md §3):
        revenue released from an advance at the billing's rate, revenue beyond it at the day's rate; a netting entry
        of a foreign-currency contract books the difference between the two as an exchange gain or loss.
        Returns (move line values, the lines' amounts in company currency)."""
        self.ensure_one()
        company = self.company_id
        company_currency, currency = company.currency_id, self.currency_id
        rate = currency._get_conversion_rate(currency, company_currency, company, move_date)
        line_amounts = lines.mapped("amount")
        measured = engine.measure_position_moves(
            position[:2], position[2:], currency.round(sum(line_amounts)), rate,
            currency.decimal_places, company_currency.decimal_places)
        amounts = engine.split_company(measured.revenue_co, line_amounts, rate, company_currency.decimal_places)
        vals = []
        # {income account: [company amount, amount, obligation ids, revenue line ids]}, summed in plain values (a
        # recordset union per line costs more than the rest of the loop)
        by_account = {}
        for line, amount, amount_company in zip(lines, line_amounts, amounts, strict=True):
            obligation = line.obligation_id
            account = obligation.income_account_id
            if not account:
                raise UserError(self.env._("%(obligation)s has no income account; set one on its product.",
                                           obligation=obligation.display_name))
            total = by_account.setdefault(account, [0.0, 0.0, {}, []])
            total[0] += amount_company
            total[1] += amount
            total[2][obligation.id] = None
            total[3].append(line.id)
        for account, (amount_company, amount, obligation_ids, line_ids) in by_account.items():
            amount_company, amount = company_currency.round(amount_company), currency.round(amount)
            if company_currency.is_zero(amount_company) and currency.is_zero(amount):
                continue
            obligations = lines.obligation_id.browse(list(obligation_ids))
            single = obligations if len(obligations) == 1 else obligations.browse()
            vals.append({
                "account_id": account.id, "name": single.display_name or self.name, "partner_id": self.partner_id.id,
                "balance": -amount_company, "amount_currency": -amount, "currency_id": currency.id,
                "product_id": obligations.product_id.id if len(obligations.product_id) == 1 else False,
                "revcycle_contract_id": self.id, "revcycle_obligation_id": single.id,
                "revcycle_kind": "recognition",
                # not a field: the revenue lines this item posts, linked to it once created (_revcycle_create_entry)
                REVENUE_LINES_KEY: line_ids,
            })
        for account, amount, amount_company in (
                (company.revcycle_deferred_revenue_account_id, measured.deferred_doc, measured.deferred_co),
                (company.revcycle_contract_asset_account_id, measured.asset_doc, measured.asset_co)):
            if not (currency.is_zero(amount) and company_currency.is_zero(amount_company)):
                vals.append({
                    "account_id": account.id, "name": self.name, "partner_id": self.partner_id.id,
                    "balance": amount_company, "amount_currency": amount, "currency_id": currency.id,
                    "revcycle_contract_id": self.id, "revcycle_kind": "position" if lines else "netting",
                })
        if not company_currency.is_zero(measured.exchange_co):
            vals.append(self._revcycle_exchange_line_vals(measured.exchange_co))
        return vals, amounts

    def _revcycle_exchange_line_vals(self, loss):
        """The exchange difference of a netting entry (``loss`` positive: debited), on the company's exchange
        difference accounts, as Odoo books it when a receivable is paid at another rate."""
        company = self.company_id
        account = (company.expense_currency_exchange_account_id if loss > 0
                   else company.income_currency_exchange_account_id)
        if not account:
            raise UserError(self.env._(
                "%(company)s has no exchange gain or loss account: set them in Accounting > Settings > Default "
                "Accounts before netting foreign-currency revenue contracts.", company=company.name))
        amount = -company.currency_id.round(loss)
        return {"account_id": account.id, "name": self.env._("Exchange difference %(contract)s", contract=self.name),
                "partner_id": self.partner_id.id, "balance": -amount, "amount_currency": -amount,
                "currency_id": company.currency_id.id, "revcycle_contract_id": self.id, "revcycle_kind": "exchange"}

    def _revcycle_positions(self, on_date=None):
        """{contract id: (liability, liability in company currency, asset, asset in company currency)} from the
        posted general ledger up to ``on_date``, one query; the liability is the credit balance of the deferred
        revenue account, the asset the debit balance of the contract asset account. Dated, so a run that catches
        up several months nets the contract at each month's end."""
        if not self.ids:
            return {}
        accounts = self.company_id.revcycle_deferred_revenue_account_id | \
            self.company_id.revcycle_contract_asset_account_id
        groups = self.env["account.move.line"]._read_group(
            [("revcycle_contract_id", "in", self.ids), ("parent_state", "=", "posted"),
             ("account_id", "in", accounts.ids)] + ([("date", "<=", on_date)] if on_date else []),
            ["revcycle_contract_id", "account_id"], ["amount_currency:sum", "balance:sum"])
        result = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
        for contract, account, amount, balance in groups:
            if account == contract.company_id.revcycle_deferred_revenue_account_id:
                result[contract.id][0] += -amount
                result[contract.id][1] += -balance
            else:
                result[contract.id][2] += amount
                result[contract.id][3] += balance
        return {key: tuple(value) for key, value in result.items()}

    def _revcycle_net_positions(self, move_date):
        """After an invoice: a contract carrying both a liability and an asset gets a netting entry."""
        positions = self._revcycle_positions(move_date)
        for company in self.company_id:
            to_net = self.filtered(lambda c, comp=company: c.company_id == comp and all(
                not c.currency_id.is_zero(value) for value in positions.get(c.id, (0.0, 0.0, 0.0, 0.0))[::2]))
            if to_net:
                to_net._revcycle_post_lines(self.env["revcycle.revenue.line"], move_date)

    @api.model
    def _cron_recognize(self):
        """Monthly: everything due up to today, one bounded batch per call (the cron runs again while work remains)."""
        companies = self.env["res.company"].sudo().search([("revcycle_recognition_journal_id", "!=", False)])
        return self.recognize_until(fields.Date.context_today(self), company_ids=companies.ids, limit=BATCH_SIZE)

    @api.model
    def _revcycle_check_date(self, date):
        """The date revenue is recognised up to: a real date, today at the latest. Returns it as a date."""
        if not date:
            raise UserError(self.env._("Give the date to recognise revenue up to, like 2026-01-31."))
        date = self.env["revcycle.access"]._revcycle_date(
            date, self.env._("The date to recognise up to"), upper=False)
        today = fields.Date.context_today(self)
        if date > today:
            raise UserError(self.env._(
                "Revenue cannot be recognised up to %(date)s: it is after today (%(today)s). Recognise up to "
                "today at the latest.", date=fields.Date.to_string(date), today=fields.Date.to_string(today)))
        return date

    @api.model
    def _revcycle_for_companies(self, company_ids):
        """This model in an environment whose companies are ``company_ids`` (default: the companies of the call),
        once checked that the user may act in each of them. The superuser (the cron) may act in any company."""
        if not company_ids:
            return self.with_context(allowed_company_ids=self.env.companies.ids)
        if not isinstance(company_ids, list | tuple) or not all(
                isinstance(company_id, int) and not isinstance(company_id, bool) for company_id in company_ids):
            raise UserError(self.env._(
                "company_ids is a list of company ids, like [1, 2], not %(value)r.", value=company_ids))
        companies = self.env["revcycle.access"]._revcycle_check_companies(company_ids)
        return self.with_context(allowed_company_ids=companies.ids)

    # ------------------------------------------------------------------
    # Reports
    # ------------------------------------------------------------------

    @api.model
    def revcycle_deferred_rollforward(self, date_from, date_to, company_id=None):
        """Deferred revenue (contract liability) roll-forward of a company over [date_from, date_to]:
        opening + billed - recognised - netted (+ other entries by hand) = closing, company currency, from the
        posted general ledger of the deferred revenue account, so the closing is that account's balance (credit
        positive). ``netted``: liability set against the contract asset when an invoice lands on an asset."""
        Access = self.env["revcycle.access"]
        date_from, date_to = Access._revcycle_date_range(date_from, date_to, "date_from", "date_to")
        company = (
            Access._revcycle_check_companies(Access._revcycle_id_list(company_id, "company_id")[:1])
            if company_id else self.env.company)
        account = company.revcycle_deferred_revenue_account_id
        base = [("account_id", "=", account.id), ("parent_state", "=", "posted"), ("company_id", "=", company.id)]
        MoveLine = self.env["account.move.line"]
        opening = MoveLine._read_group(base + [("date", "<", date_from)], [], ["balance:sum"])[0][0]
        period = dict(MoveLine._read_group(
            base + [("date", ">=", date_from), ("date", "<=", date_to)], ["revcycle_kind"], ["balance:sum"]))
        rounding = company.currency_id.round
        result = {
            "company_id": company.id, "account_id": account.id,
            "date_from": fields.Date.to_string(date_from), "date_to": fields.Date.to_string(date_to),
            "opening": rounding(-opening),
            "billed": rounding(-period.get("billing", 0.0)),
            "recognized": rounding(period.get("position", 0.0)),
            "netted": rounding(period.get("netting", 0.0)),
            "other": rounding(-period.get(False, 0.0) - period.get("recognition", 0.0)),
        }
        result["closing"] = rounding(result["opening"] + result["billed"] - result["recognized"] - result["netted"]
                                     + result["other"])
        return result
