from datetime import date
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import ContractCase


@tagged("post_install", "-at_install", "revcycle")
class TestContract(ContractCase):
    """The 310-a-month service, customer and salesperson of ContractCase (tests/common.py)."""

    def test_lifecycle_by_role(self):
        contract = self._contract(user_id=self.salesman.id).with_user(self.salesman)
        with self.assertRaisesRegex(UserError, "not signed yet"), self.env.cr.savepoint():
            contract.action_activate()
        contract.action_negotiate()
        contract.action_sign()
        contract.action_activate()
        self.assertEqual(contract.state, "active")
        contract.action_suspend()
        self.assertEqual(contract.state, "suspended")
        contract.action_resume()
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"):
            contract.unlink()  # deleting contracts is for managers
        self.assertEqual(contract.state, "active")

    @freeze_time("2026-02-20")
    def test_tax_included_price_counts_net_like_its_invoice(self):
        # CHECKLIST: tax-included prices and discounts. 2 seats at 121.00 VAT 21 % included, less 10 %:
        # gross 242.00 less 10 % = 217.80 tax included; net of VAT 217.80 / 1.21 = 180.00 (tax 37.80).
        # The contract's amount per period (and so its MRR) must be the invoice's untaxed 180.00, not 217.80.
        vat_included = self.env["account.tax"].create({
            "name": "VAT 21% included", "amount": 21.0, "amount_type": "percent", "type_tax_use": "sale",
            "price_include_override": "tax_included", "company_id": self.company_data["company"].id,
        })
        contract = self._contract(line_ids=[Command.create({
            "product_id": self.service.id, "name": "Seats", "quantity": 2, "price_unit": 121.0, "discount": 10.0,
            "tax_ids": [Command.set(vat_included.ids)],
        })])
        self.assertAlmostEqual(contract.line_ids.price_subtotal, 180.0, places=2)
        self.assertAlmostEqual(contract.recurring_total, 180.0, places=2)
        contract.action_sign()
        contract.action_activate()
        self.Contract._cron_generate_invoices()
        invoice = contract.invoice_ids[:1]
        self.assertAlmostEqual(invoice.amount_untaxed, contract.recurring_total, places=2)
        self.assertAlmostEqual(invoice.amount_total, 217.8, places=2)

    @freeze_time("2026-03-20")
    def test_cron_catches_up_every_missed_period_once(self):
        contract = self._active()
        self.Contract._cron_generate_invoices()
        self.assertEqual(
            contract.period_ids.mapped("date_start"), [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
        )
        self.assertEqual(len(contract.invoice_ids), 3)
        line = contract.invoice_ids.sorted("invoice_date")[1].invoice_line_ids
        self.assertEqual(
            (line.revcycle_service_start, line.revcycle_service_end), (date(2026, 2, 1), date(2026, 2, 28))
        )
        self.assertIn("2026-02-28", line.name)
        self.Contract._cron_generate_invoices()  # a second run creates nothing
        self.assertEqual(len(contract.invoice_ids), 3)
        self.assertEqual(contract.next_invoice_date, date(2026, 4, 1))

    @freeze_time("2026-02-20")
    def test_invoices_posted_or_left_in_draft_per_setting(self):
        posted = self._active()
        self.Contract._cron_generate_invoices()
        self.assertEqual(set(posted.invoice_ids.mapped("state")), {"posted"})
        invoice = posted.invoice_ids[:1]
        # the followers Odoo would give an invoice (salesperson at creation, customer at posting), and the note
        self.assertIn(posted.user_id.partner_id, invoice.message_partner_ids)
        self.assertIn(self.customer, invoice.message_partner_ids)
        self.assertIn(posted.name, invoice.message_ids[-1].body)
        self.company_data["company"].revcycle_contract_auto_post = False
        reviewed = self._active()
        self.Contract._cron_generate_invoices()
        self.assertEqual(len(reviewed.invoice_ids), 2)
        self.assertEqual(set(reviewed.invoice_ids.mapped("state")), {"draft"})
        self.assertEqual(reviewed.next_invoice_date, date(2026, 3, 1), "a draft invoice still invoices its period")

    @freeze_time("2026-02-20")
    def test_batch_posting_gives_what_odoo_posting_one_by_one_gives(self):
        # The run posts its batch without Odoo's per-invoice costs (the "Checked" flag set in one statement, the
        # followers added in one statement, no field tracking): each invoice must come out as a draft of the same
        # contract posted by Odoo's own action_post. 1, 2 and 3 seats at 310.00 with 15 % tax: untaxed 310, 620,
        # 930; tax 46.50, 93.00, 139.50; total 356.50, 713.00, 1,069.50 (January and February each).
        tax = self.env["account.tax"].create({
            "name": "Tax 15 %", "amount": 15.0, "amount_type": "percent", "type_tax_use": "sale",
            "company_id": self.company_data["company"].id,
        })
        customers = self.env["res.partner"].create([{"name": f"Batch customer {n}"} for n in (1, 2, 3)])

        def contracts():
            return self.Contract.concat(*(
                self._active(partner_id=customer.id, user_id=self.salesman.id, line_ids=[Command.create({
                    "product_id": self.service.id, "name": "Seats", "quantity": seats, "price_unit": 310.0,
                    "tax_ids": [Command.set(tax.ids)],
                })])
                for seats, customer in zip((1, 2, 3), customers, strict=True)
            ))

        company = self.company_data["company"]
        company.revcycle_contract_auto_post = False
        by_hand = contracts()
        self.Contract._cron_generate_invoices()
        by_hand.invoice_ids.action_post()  # Odoo's own posting, invoice by invoice as a user would
        company.revcycle_contract_auto_post = True
        batched = contracts()
        self.Contract._cron_generate_invoices()

        def outcome(contract):
            return [
                (
                    move.state, move.checked, move.invoice_date, move.amount_untaxed, move.amount_tax,
                    move.amount_total, move.amount_residual,
                    sorted((line.display_type, line.account_id.id, line.balance) for line in move.line_ids),
                    sorted((f.partner_id.id, tuple(sorted(f.subtype_ids.ids))) for f in move.message_follower_ids),
                )
                for move in contract.invoice_ids.sorted("invoice_date")
            ]

        for seats, hand, batch in zip((1, 2, 3), by_hand, batched, strict=True):
            self.assertEqual(outcome(batch), outcome(hand))
            self.assertEqual(
                [(move.amount_untaxed, move.amount_tax, move.amount_total) for move in batch.invoice_ids],
                [(310.0 * seats, 46.5 * seats, 356.5 * seats)] * 2,
            )
            followers = batch.invoice_ids[:1].message_partner_ids
            self.assertEqual(followers & (batch.partner_id | self.salesman.partner_id), followers)
        self.assertTrue(all(batched.invoice_ids.mapped("checked")))  # the sales journal checks on posting
        names = batched.invoice_ids.mapped("name")
        self.assertEqual(len(set(names)), 6)
        self.assertNotIn("/", names)

    @freeze_time("2026-02-20")
    def test_calendar_periods_prorate_the_first_and_postpaid_waits_for_the_end(self):
        contract = self._active(date_start=date(2026, 1, 16), billing_anchor="calendar", billing_mode="postpaid")
        self.Contract._cron_generate_invoices()
        # 16-31 January, invoiced on 1 February: 310 x 16 / 31; February is not over yet
        self.assertEqual(contract.invoice_ids.amount_untaxed, 160.0)
        self.assertEqual(contract.invoice_ids.invoice_date, date(2026, 2, 1))
        self.assertEqual(contract.next_invoice_date, date(2026, 3, 1))

    def test_proration_of_a_cut_last_period(self):
        contract = self._active(date_end=date(2026, 1, 15))
        with freeze_time("2026-01-20"):
            self.Contract._cron_generate_invoices()
        self.assertEqual(contract.invoice_ids.amount_untaxed, 150.0)  # 310 x 15 / 31

    @freeze_time("2026-03-20")
    def test_one_broken_contract_does_not_stop_the_batch(self):
        good = self._active()
        # a company without any sales journal: its contract cannot be invoiced
        bare_company = self.env["res.company"].create({"name": "No accounting yet"})
        broken = self._active(company_id=bare_company.id, currency_id=bare_company.currency_id.id)
        self.Contract._cron_generate_invoices()
        self.assertEqual(len(good.invoice_ids), 3)
        self.assertFalse(broken.invoice_ids)
        self.assertIn("journal", broken.invoicing_error)
        self.assertFalse(broken.period_ids, "the failed contract's savepoint left nothing behind")
        self.Contract._cron_generate_invoices()  # flagged contracts wait for a user, the batch goes on
        self.assertEqual(len(good.invoice_ids), 3)
        broken.action_revcycle_retry_invoicing()
        self.assertFalse(broken.invoicing_error)

    def test_suspended_contracts_do_not_invoice(self):
        contract = self._active()
        contract.action_suspend()
        # positive control: the same contract left active, in the same run, is invoiced for January to March
        # (monthly, from 1 January, run on 20 March: three periods due), so an empty result means "suspended"
        # and not "the cron invoiced nothing at all"
        twin = self._active()
        with freeze_time("2026-03-20"):
            self.Contract._cron_generate_invoices()
        self.assertFalse(contract.invoice_ids)
        self.assertEqual(len(twin.invoice_ids), 3)
        self.assertEqual(sum(twin.invoice_ids.mapped("amount_untaxed")), 930.0)  # 3 x 310.00

    def test_termination_checks_and_credit_of_unused_time(self):
        contract = self._active(notice_days=30)
        with freeze_time("2026-04-10"):
            self.Contract._cron_generate_invoices()
            with self.assertRaisesRegex(ValidationError, "before its start"), self.env.cr.savepoint():
                contract.action_terminate(date(2025, 12, 1), "x", True)
            with self.assertRaisesRegex(UserError, "30-day notice period"), self.env.cr.savepoint():
                contract.action_terminate(date(2026, 4, 15))
            with self.assertRaisesRegex(UserError, "needs a reason"), self.env.cr.savepoint():
                contract.action_terminate(date(2026, 4, 15), "", True)
            contract.action_terminate(date(2026, 4, 15), "Customer moved", True)
        # under notice until the 15th, terminated by the terms job the day after
        self.assertEqual(contract.state, "pending_termination")
        with freeze_time("2026-04-16"):
            self.Contract._cron_manage_terms()
        self.assertEqual(contract.state, "terminated")
        credit = self.env["account.move"].search(
            [("invoice_origin", "=", contract.name), ("move_type", "=", "out_refund")]
        )
        self.assertEqual(credit.amount_untaxed, 155.0)  # April is 30 days, 15 unused: 310 x 15 / 30
        # made by the contract's one credit-note path: posted at once, the contract's salesperson on it
        self.assertEqual((credit.state, credit.invoice_user_id), ("posted", contract.user_id))

    def test_auto_renewal_with_uplift_and_renewal_quotation(self):
        contract = self._active(auto_renew=True, uplift_percent=3.0, renewal_months=12)
        with freeze_time("2027-01-02"):
            self.Contract._cron_manage_terms()
        renewal = contract.next_contract_ids
        self.assertEqual(contract.state, "expired")
        self.assertEqual(
            (renewal.state, renewal.date_start, renewal.date_end), ("active", date(2027, 1, 1), date(2027, 12, 31))
        )
        self.assertEqual(renewal.line_ids.price_unit, 319.3)
        manual = self._active()
        manual.action_renew()
        self.assertEqual(manual.renewal_order_id.order_line.price_unit, 310.0)

    @freeze_time("2026-03-20")
    def test_batches_invoice_each_contract_its_own_periods(self):
        prices = (310.0, 155.0, 62.0)
        contracts = self.Contract.concat(*(self._active() for _ in prices))
        for contract, price in zip(contracts, prices, strict=True):
            contract.line_ids.price_unit = price
        # bounded batches: two contracts, then the last one, then nothing left
        handled = [self.Contract._cron_generate_invoices(batch_size=2) for _ in range(3)]
        self.assertEqual(handled, [2, 1, 0])
        for contract, price in zip(contracts, prices, strict=True):
            invoices = contract.invoice_ids
            self.assertEqual(len(invoices), 3)
            self.assertEqual(set(invoices.mapped("state")), {"posted"})
            self.assertEqual(set(invoices.mapped("invoice_origin")), {contract.name})
            self.assertEqual(invoices.partner_id, self.customer)
            self.assertEqual(invoices.mapped("amount_untaxed"), [price] * 3)
            for period in contract.period_ids:
                self.assertEqual(period.move_id.invoice_line_ids.revcycle_service_start, period.date_start)
            self.assertIn(contract.name, invoices[0].message_ids[-1].body, "the creation note names the contract")

    def test_renewal_quotation_with_the_reminder_then_confirmed_renews_the_contract(self):
        contract = self._active(auto_renew=False, uplift_percent=5.0)
        with freeze_time("2026-12-02"):
            self.Contract._cron_send_reminders()
            self.Contract._cron_send_reminders()
        order = contract.renewal_order_id
        self.assertEqual(len(order), 1, "one renewal quotation, however many runs")
        self.assertEqual(order.order_line.price_unit, 325.5)  # 310 + 5 %
        with self.assertRaisesRegex(UserError, "already has the renewal quotation"), self.env.cr.savepoint():
            contract.action_renew()
        with freeze_time("2026-12-10"):
            order.action_confirm()
        renewal = contract.next_contract_ids
        self.assertEqual(renewal, order.revcycle_contract_ids)
        self.assertEqual((renewal.date_start, renewal.date_end), (date(2027, 1, 1), date(2027, 12, 31)))
        self.assertEqual(renewal.line_ids.price_unit, 325.5)

    def test_reminders_once_per_key_date(self):
        contract = self._active(auto_renew=True, uplift_percent=2.0, notice_days=20)
        with freeze_time("2026-12-02"):  # 30-day lead: renewal 31 Dec, notice 11 Dec, uplift 1 Jan all ahead
            self.Contract._cron_send_reminders()
            self.Contract._cron_send_reminders()
        reminders = self.env["revcycle.contract.reminder"].search([("contract_id", "=", contract.id)])
        self.assertEqual(sorted(reminders.mapped("kind")), ["notice", "renewal", "uplift"])
        self.assertEqual(len(contract.activity_ids), 3)

    def test_one_failing_reminder_does_not_stop_the_others(self):
        failing = self._active(auto_renew=True, notice_days=20)
        other = self._active(auto_renew=True, notice_days=20)
        original = type(self.Contract)._revcycle_remind

        def remind(contract, kind, key_date):
            # a fault injected into one contract only: the reminder email of a contract can fail for reasons of its
            # own (a template a user broke, a mail gateway refusing an address)
            if contract == failing:
                raise ValueError("mail gateway refused the address")
            return original(contract, kind, key_date)

        with (
            freeze_time("2026-12-02"),
            patch.object(type(self.Contract), "_revcycle_remind", remind),
            mute_logger("odoo.addons.revcycle_cpq.models.revcycle_contract"),
        ):
            self.assertEqual(self.Contract._cron_send_reminders(), 2)
        Reminder = self.env["revcycle.contract.reminder"]
        self.assertEqual(len(Reminder.search([("contract_id", "=", other.id)])), 2)
        self.assertFalse(Reminder.search([("contract_id", "=", failing.id)]), "its savepoint took the reminder back")
        with freeze_time("2026-12-02"):
            self.assertEqual(self.Contract._cron_send_reminders(), 2, "the failed reminders are tried again")

    def test_bad_input_refused(self):
        for values, error in [
            ({"date_end": date(2025, 12, 31)}, "revcycle_contract_dates"),
            ({"billing_period": "week"}, r"Unknown Billing Period 'week': use one of month \(Monthly\)"),
            (
                {
                    "line_ids": [
                        Command.create({"product_id": self.service.id, "name": "x", "quantity": -1, "price_unit": 1})
                    ]
                },
                "revcycle_contract_line_quantity_positive",
            ),
        ]:
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(Exception, error),
                self.env.cr.savepoint(),
                mute_logger("odoo.sql_db"),
            ):
                self._contract(**values)
                self.env.flush_all()

    def test_quotation_with_recurring_products_creates_the_contract(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": self.service.id, "product_uom_qty": 2})],
            }
        )
        order.action_confirm()
        contract = order.revcycle_contract_ids
        self.assertEqual(len(contract), 1)
        self.assertEqual((contract.state, contract.billing_period), ("draft", "month"))
        self.assertEqual(contract.line_ids.quantity, 2)
        self.assertEqual(order.order_line.qty_to_invoice, 0.0, "the contract invoices it, not the order")
        signed = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "signature": "R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=",
                "signed_by": "Jane Customer",
                "order_line": [Command.create({"product_id": self.service.id, "product_uom_qty": 1})],
            }
        )
        signed.action_confirm()
        self.assertEqual(signed.revcycle_contract_ids.state, "signed")
        self.assertEqual(signed.revcycle_contract_ids.signed_by, "Jane Customer")


@tagged("post_install", "-at_install", "revcycle")
class TestContractConcurrency(TransactionCase):
    """Two workers at once, on real cursors: SKIP LOCKED splits the contracts, the period key stops a double."""

    def test_two_workers_invoice_each_period_once(self):
        registry = self.registry
        first_of_last_month = fields.Date.today() + relativedelta(months=-1, day=1)
        with registry.cursor() as cr:
            env = self.env(cr=cr)
            product = env["product.product"].create({"name": "conc", "type": "service", "list_price": 10.0})
            partner = env["res.partner"].create({"name": "conc customer"})
            contracts = env["revcycle.contract"].create(
                [
                    {
                        "partner_id": partner.id,
                        # last month and this one are due: no frozen clock, which would stall the workers' waits
                        "date_start": first_of_last_month,
                        "date_end": first_of_last_month + relativedelta(years=1, days=-1),
                        "line_ids": [
                            Command.create({"product_id": product.id, "name": "x", "quantity": 1, "price_unit": 10.0})
                        ],
                    }
                    for _ in range(6)
                ]
            )
            contracts.action_sign()
            contracts.action_activate()
            ids, product_id, partner_id = contracts.ids, product.id, partner.id
            # contracts of the database that are due as well (the demo's contract under notice bills until its
            # end): the first worker to run takes them too, and the figures below count them
            others_due = env["revcycle.contract"]._revcycle_due_contracts_count(fields.Date.today()) - len(ids)
            # the workers run on their own cursors: they only see committed contracts
            cr.commit()  # pylint: disable=invalid-commit
        try:
            # A first worker is busy with three contracts (their rows locked, its transaction open) while a second
            # worker runs: SKIP LOCKED hands the second only the other three, and nothing waits or doubles.
            with registry.cursor() as cr_a:
                cr_a.execute("SELECT id FROM revcycle_contract WHERE id = ANY(%s) FOR UPDATE", [ids[:3]])
                with registry.cursor() as cr_b:
                    handled_b = self.env(cr=cr_b)["revcycle.contract"]._cron_generate_invoices(batch_size=10)
                    again_b = self.env(cr=cr_b)["revcycle.contract"]._cron_generate_invoices(batch_size=10)
                cr_a.rollback()
            with registry.cursor() as cr_c:
                handled_a = self.env(cr=cr_c)["revcycle.contract"]._cron_generate_invoices(batch_size=10)
            self.assertEqual((handled_b, again_b, handled_a), (3 + others_due, 0, 3))
            with registry.cursor() as cr:
                env = self.env(cr=cr)
                periods = env["revcycle.contract.period"].search([("contract_id", "in", ids)])
                self.assertEqual(len(periods), 12)  # 6 contracts x (last month, this month), each once
                self.assertEqual(env["revcycle.contract"]._cron_generate_invoices(), 0, "a later run finds nothing")
        finally:
            with registry.cursor() as cr:
                env = self.env(cr=cr)
                contracts = env["revcycle.contract"].browse(ids)
                moves = contracts.period_ids.move_id
                moves.button_draft()
                moves.with_context(force_delete=True).unlink()
                contracts.unlink()
                env["product.product"].browse(product_id).unlink()
                env["res.partner"].browse(partner_id).unlink()
