"""The month-end entry is created and posted with less of Odoo's work than a plain entry (revrec
``_revcycle_create_entry``: values Odoo would compute given with the items and the move, its invoice synchronisation
skipped at create and at posting, one analytic look-up per distinct item). These shortcuts must change nothing that is
stored: the entry is compared, field by field, with the same entry made the plain way (``account.move.create`` with
the items' own figures only, then ``_post``) on a case with all that the shortcuts touch: an analytic distribution
from a model, a foreign currency at a rate other than 1, a product on the income items, several contracts in one
entry. The checks of the posting still run: an unbalanced entry is refused, the lock date applies."""
from freezegun import freeze_time
from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RevrecCommon

# what differs by construction between two entries: identity, sequence (the second takes the next number), audit
# columns, and the one2many of our own revenue lines (linked only to the month-end's entry)
MOVE_EXCLUDED = {"id", "name", "sequence_number", "sequence_prefix", "made_sequence_gap", "create_date", "create_uid",
                 "write_date", "write_uid", "line_ids", "invoice_line_ids", "revcycle_revenue_line_ids",
                 "message_ids", "message_follower_ids", "activity_ids", "website_message_ids", "rating_ids",
                 "access_token", "secure_sequence_number", "inalterable_hash", "name_placeholder", "highest_name"}
LINE_EXCLUDED = {"id", "move_id", "move_name", "create_date", "create_uid", "write_date", "write_uid",
                 "revcycle_revenue_line_ids", "analytic_line_ids"}
# the items' own figures: all a plain entry is given
ITEM_FIELDS = ("account_id", "name", "partner_id", "balance", "amount_currency", "currency_id", "product_id",
               "analytic_distribution", "revcycle_contract_id", "revcycle_obligation_id", "revcycle_kind")


@tagged("post_install", "-at_install", "revcycle")
class TestMonthEndPosting(RevrecCommon):
    def _stored(self, record, excluded):
        values = {}
        for name, field in record._fields.items():
            if name in excluded or not field.store or field.type == "one2many" or name.startswith("message_"):
                continue
            value = record[name]
            values[name] = value.ids if field.type in ("many2one", "many2many") else value
        return values

    def _plain_copy(self, move):
        """The same entry made the plain way: no context, no value Odoo computes, posted by _post."""
        plain = self.env["account.move"].create({
            "move_type": "entry", "date": move.date, "journal_id": move.journal_id.id, "company_id": move.company_id.id,
            "ref": move.ref,
            "line_ids": [Command.create({name: item._fields[name].convert_to_write(item[name], item)
                                         for name in ITEM_FIELDS}) for item in move.line_ids.sorted("id")],
        })
        plain._post(soft=False)
        return plain

    def _month_end_with_everything(self):
        """February's entry of three contracts: A (partner A, 27,000 of support in USD: 2,250 a month), C (customer
        C, whom a distribution model sends 100 % to North) and E (1,200 EUR of support, 100 EUR a month, EUR at 1.25
        USD in February, nothing billed: earned beyond any advance, at that rate: 125 USD)."""
        partner_c = self.env["res.partner"].create({"name": "Customer C"})
        plan = self.env["account.analytic.plan"].create({"name": "Regions"})
        north = self.env["account.analytic.account"].create(
            {"name": "North", "plan_id": plan.id, "company_id": self.company.id})
        self.env["account.analytic.distribution.model"].create({
            "partner_id": partner_c.id, "analytic_distribution": {str(north.id): 100}, "company_id": self.company.id})
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 1.0), ("2026-02-01", 0.8)])
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": eur.id, "company_id": self.company.id})
        self._confirmed_order()
        self._confirmed_order(partner_id=partner_c.id)
        self._confirmed_order([(self.support, 1200.0)], pricelist_id=pricelist.id)
        with freeze_time("2026-03-15"):
            summary = self.env["revcycle.revenue.contract"].recognize_until("2026-02-28")
        move = self.env["account.move"].browse(summary["move_ids"]).sorted("date")[-1]
        return move, north, eur, plan._column_name()

    def test_entry_equals_the_plain_posting_field_by_field(self):
        """Income: 2,250 (A, no analytic) and 2,250 (C, North 100 %) in USD, 100 EUR = 125 USD (E); contract asset
        items 2,250, 2,250 and 100 EUR / 125 USD: 4,625 USD each side. Every stored field of the entry and of each
        item equals the plain posting's, and so do the analytic lines: C's model applies to both its items (Odoo
        looks models up by partner for every item), so North gets +2,250 of income and -2,250 of contract asset."""
        move, north, eur, column = self._month_end_with_everything()
        self.assertEqual(move.state, "posted")
        self.assertEqual((sum(move.line_ids.mapped("debit")), sum(move.line_ids.mapped("credit"))), (4625.0, 4625.0))
        income = move.line_ids.filtered(lambda line: line.revcycle_kind == "recognition")
        self.assertEqual(
            sorted((line.currency_id.name, line.amount_currency, line.balance, line.product_id.id,
                    str(line.analytic_distribution or {})) for line in income),
            sorted([("USD", -2250.0, -2250.0, self.support.id, "{}"),
                    ("USD", -2250.0, -2250.0, self.support.id, str({str(north.id): 100.0})),
                    ("EUR", -100.0, -125.0, self.support.id, "{}")]))
        self.assertEqual(sorted(move.line_ids.filtered(lambda line: line.currency_id == eur).mapped(
            lambda line: (line.amount_currency, line.balance))), [(-100.0, -125.0), (100.0, 125.0)])
        with freeze_time("2026-03-15"):  # the day the month-end ran: an entry's due date is its creation day
            plain = self._plain_copy(move)
        self.assertEqual(self._stored(move, MOVE_EXCLUDED), self._stored(plain, MOVE_EXCLUDED))
        items, plain_items = move.line_ids.sorted("id"), plain.line_ids.sorted("id")
        self.assertEqual(len(items), len(plain_items))
        for item, plain_item in zip(items, plain_items, strict=True):
            with self.subTest(item=item.name):
                self.assertEqual(self._stored(item, LINE_EXCLUDED), self._stored(plain_item, LINE_EXCLUDED))
        analytic = sorted(move.line_ids.analytic_line_ids.mapped(lambda line: (line[column].id, line.amount)))
        self.assertEqual(analytic, [(north.id, -2250.0), (north.id, 2250.0)])
        self.assertEqual(
            analytic, sorted(plain.line_ids.analytic_line_ids.mapped(lambda line: (line[column].id, line.amount))))

    def test_posting_still_checks_balance_and_lock_date(self):
        """The posting context skips only Odoo's invoice synchronisation: an entry whose items do not balance (a
        2,250 credit against a 2,000 debit) is refused by _check_balanced and nothing is posted; an entry of a
        locked period (lock date 31 January) is dated in the first open period, as Odoo posts any entry."""
        contract = self._confirmed_order().revcycle_revenue_contract_ids
        Contract = self.env["revcycle.revenue.contract"]
        lines = contract.line_ids.filtered(lambda line: str(line.date) == "2026-01-31")
        date = fields.Date.to_date("2026-01-31")
        unbalanced = [
            {"account_id": self.income.id, "name": "income", "partner_id": self.partner_a.id, "balance": -2250.0,
             "amount_currency": -2250.0, "currency_id": self.company.currency_id.id, "revcycle_kind": "recognition",
             "revcycle_contract_id": contract.id},
            {"account_id": self.asset.id, "name": "asset", "partner_id": self.partner_a.id, "balance": 2000.0,
             "amount_currency": 2000.0, "currency_id": self.company.currency_id.id, "revcycle_kind": "position",
             "revcycle_contract_id": contract.id}]
        with self.assertRaisesRegex(UserError, "not balanced"):
            Contract._revcycle_create_entry(self.company, date, [(contract, lines, unbalanced, [2250.0])])
        self.assertEqual(lines.state, "planned")
        self.company.fiscalyear_lock_date = "2026-01-31"
        with freeze_time("2026-03-15"):
            summary = Contract.recognize_until("2026-01-31")
        move = self.env["account.move"].browse(summary["move_ids"])
        # Odoo's rule for an entry dated in a locked period: posted in the first open period instead
        self.assertEqual(move.state, "posted")
        self.assertGreater(move.date, fields.Date.to_date("2026-01-31"))
        self.assertEqual(lines.state, "posted")
