"""The two invoice line fields that decide how a contract's revenue is recognised — the contract line a line bills
and its Usage Billing flag — are set by the contract's billing only (docs/domain.md, "Usage billing"): a plain
write or create is refused and writes nothing, Reverse keeps them, Duplicate drops them."""

from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models.account_move_line import BILLING_FIELDS
from .test_usage_revenue import UsageRevenueCase


@tagged("post_install", "-at_install", "revcycle")
class TestUsageBillingFields(UsageRevenueCase):
    """800 January calls at 0.10 billed on the invoice of 1 February: 80.00, of which 30.00 above the 50.00
    commitment is January's variable consideration."""

    def setUp(self):
        super().setUp()
        self.metered_line = self.contract.line_ids.filtered("revcycle_metered")
        self.platform_line = self.contract.line_ids - self.metered_line
        self._report(("j1", "2026-01-10", 800))

    def _february(self):
        _january, february = self._invoice("2026-02-01")
        usage = february.invoice_line_ids.filtered(lambda line: line.product_id == self.calls)
        return february, usage, february.invoice_line_ids - usage

    def _january_variable(self):
        lines = self.metered.line_ids.filtered(
            lambda rl: rl.kind == "variable" and rl.variable_period_end == date(2026, 1, 31)
        )
        return self.company.currency_id.round(sum(lines.mapped("amount")))

    def _flags(self, line):
        return line.revcycle_usage_billing, line.revcycle_contract_line_id

    def test_a_plain_write_is_refused_and_writes_nothing(self):
        february, usage, platform = self._february()
        # the invoicing run set them: the usage line bills January's calls, the platform line its contract line
        self.assertEqual(self._flags(usage), (True, self.metered_line))
        self.assertEqual(self._flags(platform), (False, self.platform_line))
        self.assertEqual(self._january_variable(), 30.0)  # 80.00 billed - 50.00 commitment
        attempts = [
            (usage, {"revcycle_usage_billing": False}, "Usage Billing"),  # January's calls would become a "proration"
            (usage, {"revcycle_contract_line_id": False}, "Contract Line"),  # ... or income, off the obligation
            (platform, {"revcycle_usage_billing": True}, "Usage Billing"),  # the platform month, "variable"
            (platform, {"revcycle_contract_line_id": self.metered_line.id}, "Contract Line"),
        ]
        for line, vals, label in attempts:
            with self.subTest(vals=vals), self.assertRaises(AccessError) as caught:
                line.write(vals)
            self.assertIn(label, str(caught.exception))
            self.assertIn("Reverse", str(caught.exception))  # what to do instead
        # a context key an XML-RPC caller could send is not the billing's token
        with self.assertRaises(AccessError):
            usage.with_context(revcycle_billing_write=True).write({"revcycle_usage_billing": False})
        self.env.invalidate_all()
        self.assertEqual(self._flags(usage), (True, self.metered_line))
        self.assertEqual(self._flags(platform), (False, self.platform_line))
        self.assertEqual(self._january_variable(), 30.0)

    def test_a_line_created_with_the_flags_is_refused(self):
        moves = self.env["account.move"].search_count([("partner_id", "=", self.partner_a.id)])
        usage_line = {
            "product_id": self.calls.id,
            "name": "January calls, billed by hand",
            "quantity": 1.0,
            "price_unit": 500.0,
            "tax_ids": [Command.clear()],
            "revcycle_service_start": "2026-01-01",
            "revcycle_service_end": "2026-01-31",
            "revcycle_contract_line_id": self.metered_line.id,
            "revcycle_usage_billing": True,
        }
        with self.assertRaises(AccessError) as caught:
            self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_a.id,
                    "invoice_date": "2026-02-01",
                    "invoice_line_ids": [Command.create(usage_line)],
                }
            )
        self.assertIn("Contract Line, Usage Billing", str(caught.exception))
        self.assertEqual(self.env["account.move"].search_count([("partner_id", "=", self.partner_a.id)]), moves)
        # nor through a default in the context (which an XML-RPC caller can send), on a line of a draft
        draft = self.env["account.move"].create({"move_type": "out_invoice", "partner_id": self.partner_a.id})
        plain = {key: value for key, value in usage_line.items() if key not in BILLING_FIELDS}
        with self.assertRaises(AccessError):
            self.env["account.move.line"].with_context(default_revcycle_usage_billing=True).create(
                {**plain, "move_id": draft.id}
            )
        self.assertFalse(draft.invoice_line_ids)
        draft.unlink()
        # nor added to an invoice of the run (in draft: the company reviews them before posting)
        self.company.revcycle_contract_auto_post = False
        february, _usage, _platform = self._february()
        with self.assertRaises(AccessError):
            february.write({"invoice_line_ids": [Command.create(usage_line)]})
        self.assertEqual(len(february.invoice_line_ids), 2)
        with freeze_time("2026-02-01"):
            february.action_post()  # January's 80.00 billed: 30.00 above the commitment
        # a line without them is an ordinary line: made by hand, its 500.00 bills nothing of the contract
        hand = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner_a.id,
                "invoice_date": "2026-02-01",
                "invoice_line_ids": [
                    Command.create({**usage_line, "revcycle_contract_line_id": False, "revcycle_usage_billing": False})
                ],
            }
        )
        hand.action_post()
        self.assertEqual(self._january_variable(), 30.0)

    def test_other_fields_and_the_same_values_are_written(self):
        # the company reviews contract invoices in draft: a clerk corrects January's usage charge before posting
        self.company.revcycle_contract_auto_post = False
        february, usage, platform = self._february()
        usage.write({"revcycle_usage_billing": True, "revcycle_contract_line_id": self.metered_line.id})  # unchanged
        platform.write({"revcycle_usage_billing": False, "revcycle_contract_line_id": self.platform_line.id})
        # the same values in other shapes a caller sends: 0 for "none" (a receivable line bills no contract line)
        platform.write({"revcycle_usage_billing": 0})
        receivable = february.line_ids.filtered(lambda line: line.display_type == "payment_term")
        receivable.write({"revcycle_contract_line_id": 0, "revcycle_usage_billing": False})
        # ... but a float, a name pair or a new record's values for the contract line is a change: refused
        for value in (float(self.metered_line.id), [self.metered_line.id, "calls"], {"name": "made up"}):
            with self.subTest(value=value), self.assertRaises(AccessError):
                usage.write({"revcycle_contract_line_id": value})
        with self.assertRaises(AccessError):  # through the invoice's lines too
            february.write({"invoice_line_ids": [Command.update(platform.id, {"revcycle_usage_billing": True})]})
        usage.write({"name": "API calls, January: 900 used", "price_unit": 90.0})
        february.write({"invoice_line_ids": [Command.create({"product_id": self.platform.id, "name": "Set-up",
                                                             "price_unit": 10.0, "tax_ids": [Command.clear()]})]})
        self.assertEqual(self._flags(usage), (True, self.metered_line))
        with freeze_time("2026-02-01"):
            february.action_post()
        # revenue follows the posted invoice: 90.00 billed for January - 50.00 commitment = 40.00
        self.assertEqual(self._january_variable(), 40.0)

    def test_reverse_keeps_them_and_corrects_the_same_period(self):
        february, _usage, _platform = self._february()
        with freeze_time("2026-02-05"):
            # "Reverse and Create Invoice": a posted credit note of the invoice, and a new draft copy to correct
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=february.ids)
                .create({"journal_id": february.journal_id.id, "reason": "re-issue", "date": "2026-02-05"})
            )
            new = self.env["account.move"].browse(reversal.modify_moves()["res_id"])
            credit = february.reversal_move_ids
            self.assertEqual(credit.state, "posted")
            for move in (credit, new):
                with self.subTest(move=move.move_type):
                    usage = move.invoice_line_ids.filtered(lambda line: line.product_id == self.calls)
                    self.assertEqual(self._flags(usage), (True, self.metered_line))
                    self.assertEqual(usage.revcycle_service_start, date(2026, 1, 1))
                    self.assertEqual(self._flags(move.invoice_line_ids - usage), (False, self.platform_line))
            # the credit note took January's 80.00 back: 0.00 billed - 50.00 = -50.00, 30.00 - 80.00
            self.assertEqual(self._january_variable(), -50.0)
            new.action_post()
        # billed again: 80.00 - 50.00 = 30.00, as before the correction
        self.assertEqual(self._january_variable(), 30.0)

    def test_duplicate_drops_them(self):
        february, _usage, _platform = self._february()
        duplicate = february.copy()
        self.assertEqual(len(duplicate.invoice_line_ids), 2)
        self.assertFalse(duplicate.invoice_line_ids.filtered("revcycle_usage_billing"))
        self.assertFalse(duplicate.invoice_line_ids.revcycle_contract_line_id)
        # posted, the duplicate is billing made by hand (no period invoiced, no usage rated): its 180.00 is ordinary
        # revenue as billed; January's variable consideration stays 30.00 and the contract's price 1,830.00
        duplicate.invoice_date = date(2026, 2, 2)
        duplicate.action_post()
        self.assertEqual(self._january_variable(), 30.0)
        self.assertEqual(self.revenue.transaction_price, 1830.0)

    def test_a_callers_defaults_do_not_reach_what_the_reversal_makes(self):
        """The reversal holds the billing token while it copies the invoice: a caller's ``default_invoice_line_ids``
        (the copy does not carry invoice_line_ids, so Odoo would fill them from the context) would add a flagged
        line of the caller's choosing to the credit note. The billing context drops every ``default_`` key: the
        credit note has exactly the invoice's two lines, reversed."""
        february, _usage, _platform = self._february()
        smuggled = Command.create({
            "product_id": self.calls.id, "name": "smuggled", "quantity": 1, "price_unit": 999.0,
            "revcycle_usage_billing": True, "revcycle_contract_line_id": self.metered_line.id,
            "revcycle_service_start": "2026-01-01", "revcycle_service_end": "2026-01-31",
        })
        with freeze_time("2026-02-05"):
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=february.ids,
                              default_invoice_line_ids=[smuggled], default_line_ids=[smuggled])
                .create({"journal_id": february.journal_id.id, "reason": "credit", "date": "2026-02-05"})
            )
            reversal.refund_moves()
        credit = february.reversal_move_ids
        self.assertEqual(len(credit), 1)
        # the invoice's 80.00 of calls and 100.00 of platform, nothing of 999.00
        self.assertEqual(sorted(credit.invoice_line_ids.mapped("price_subtotal")), [80.0, 100.0])
        self.assertNotIn("smuggled", credit.invoice_line_ids.mapped("name"))

    def test_a_partial_credit_note_of_the_usage_line_in_a_foreign_currency(self):
        """CHECKLIST rows "credit note: partial, on one line only" and "foreign currency", with a discount: a clerk
        reverses a EUR usage invoice, keeps only the usage line of the draft credit note and gives it a 75 %
        discount (a 25 % goodwill credit). Editing the draft is not writing the billing fields: the gate lets it
        through, the line keeps them, and January's variable consideration follows the amount credited."""
        # 1 USD = 2 EUR in January, 2.5 EUR from 1 February (the company's currency is USD)
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0), ("2026-02-01", 2.5)])
        self.contract = self._subscription(((self.platform, 1, 100.0), (self.calls, 1, 0.10)), "month",
                                           currency_id=eur.id)
        self.metered_line = self.contract.line_ids.filtered("revcycle_metered")
        self.metered = self.contract.revcycle_revenue_contract_ids.obligation_ids.filtered(
            lambda ob: ob.product_id == self.calls)
        self._report(("e1", "2026-01-10", 2000))
        february, usage, _platform = self._february()
        # 2,000 x 0.10 = 200.00 EUR billed; the 50.00 USD commitment is 125.00 EUR: 75.00 EUR variable
        self.assertEqual((february.currency_id, usage.price_subtotal), (eur, 200.0))
        self.assertEqual(self._january_variable(), 75.0)
        with freeze_time("2026-02-05"):
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=february.ids)
                .create({"journal_id": february.journal_id.id, "reason": "goodwill", "date": "2026-02-05"})
            )
            reversal.refund_moves()
            credit = february.reversal_move_ids
            self.assertEqual((credit.state, credit.currency_id), ("draft", eur))
            credit_usage = credit.invoice_line_ids.filtered(lambda line: line.product_id == self.calls)
            credit.write({"invoice_line_ids": [Command.unlink(line.id) for line in credit.invoice_line_ids
                                               - credit_usage]})
            credit_usage.write({"discount": 75.0})
            self.assertEqual(self._flags(credit_usage), (True, self.metered_line))
            # 200.00 EUR x 25 % = 50.00 EUR credited, nothing of the platform
            self.assertEqual((credit.invoice_line_ids, credit.amount_untaxed), (credit_usage, 50.0))
            credit.action_post()
        # January billed 200.00 - 50.00 = 150.00 EUR for its calls: 150.00 - 125.00 = 25.00 EUR variable
        self.assertEqual(self._january_variable(), 25.0)
        self.assertEqual(self._flags(credit_usage), (True, self.metered_line))
