"""Regression tests of issue 17's lifecycle findings, each reproduced first, with the figures computed by hand."""

from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from odoo import Command
from odoo.addons.revcycle_cpq.models.revcycle_contract import STATES, RevcycleContract
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ContractCase


@tagged("post_install", "-at_install", "revcycle")
class TestContractLifecycle(ContractCase):
    # the jobs run as the cron user (the superuser), over every company's contracts
    def _hundred_a_month(self, **values):
        return self._active(
            line_ids=[Command.create({"product_id": self.service.id, "name": "S", "quantity": 1, "price_unit": 100.0})],
            **values,
        )

    def _billed(self, contract):
        return sum(contract.invoice_ids.filtered(lambda m: m.move_type == "out_invoice").mapped("amount_untaxed"))

    def test_renewal_takes_effect_at_the_end_of_the_term(self):
        # Reproduction: "Renew" on a contract ending 2027-09-30 expired it the same day and dropped its next invoice
        # date while the renewal starting 2027-10-01 was already active: ten months of billing lost.
        contract = self._active(
            date_start=date(2026, 10, 1), date_end=date(2027, 9, 30), auto_renew=True, uplift_percent=5.0
        )
        with freeze_time("2026-12-01"):
            self.Contract.sudo()._cron_generate_invoices()  # October, November, December
            contract.action_renew()
        renewal = contract.next_contract_ids
        self.assertEqual((contract.state, contract.next_invoice_date), ("active", date(2027, 1, 1)))
        self.assertEqual(
            (renewal.state, renewal.date_start, renewal.date_end), ("signed", date(2027, 10, 1), date(2028, 9, 30))
        )
        self.assertFalse(renewal.next_invoice_date, "the renewal bills nothing before it starts")
        with freeze_time("2027-09-15"):
            self.Contract.sudo()._cron_generate_invoices()
            self.Contract.sudo()._cron_manage_terms()  # nothing ends yet
        self.assertEqual(contract.state, "active")
        with freeze_time("2027-10-01"):
            self.Contract.sudo()._cron_manage_terms()
            self.Contract.sudo()._cron_manage_terms()  # a second run changes nothing
        self.assertEqual((contract.state, renewal.state), ("expired", "active"))
        # the whole term billed: 12 months x 310 = 3,720
        self.assertEqual(self._billed(contract), 3720.0)
        self.assertEqual(renewal.line_ids.price_unit, 325.5)  # 310 + 5 %
        self.assertEqual(renewal.next_invoice_date, date(2027, 10, 1))
        self.assertEqual(
            [(e.kind, e.mrr_before, e.mrr_after) for e in contract.mrr_event_ids.sorted("id")],
            [("new", 0.0, 310.0), ("renewal", 310.0, 0.0)],
        )
        self.assertEqual([(e.kind, e.mrr_after) for e in renewal.mrr_event_ids], [("renewal", 325.5)])

    def _notice_case(self, billing_mode):
        # notice given 10 March with a 30-day notice period: the contract ends 9 April; 100 a month from 1 January
        contract = self._hundred_a_month(billing_mode=billing_mode, notice_days=30)
        with freeze_time("2026-03-10"):
            self.Contract.sudo()._cron_generate_invoices()
            contract.action_terminate(date(2026, 4, 9), "Moving to another provider")
        self.assertEqual((contract.state, contract.date_end), ("pending_termination", date(2026, 4, 9)))
        with freeze_time("2026-04-01"):
            self.Contract.sudo()._cron_generate_invoices()
        with freeze_time("2026-04-10"):
            self.Contract.sudo()._cron_manage_terms()  # invoices what is still due, then terminates
        self.assertEqual(contract.state, "terminated")
        return contract

    def test_notice_period_bills_until_the_termination_date_prepaid(self):
        # Reproduction: prepaid billed 300. Owed: January, February, March 3 x 100, and 1-9 April: 100 x 9 / 30 = 30
        contract = self._notice_case("prepaid")
        self.assertEqual(self._billed(contract), 330.0)
        self.assertEqual(sorted(contract.invoice_ids.mapped("amount_untaxed")), [30.0, 100.0, 100.0, 100.0])

    def test_notice_period_bills_until_the_termination_date_postpaid(self):
        # Reproduction: postpaid billed 200 (January and February). March is invoiced on 1 April, 1-9 April
        # (100 x 9 / 30 = 30) on 10 April: 330
        contract = self._notice_case("postpaid")
        self.assertEqual(self._billed(contract), 330.0)
        with freeze_time("2026-05-01"):
            self.Contract.sudo()._cron_generate_invoices()
            self.Contract.sudo()._cron_manage_terms()
        self.assertEqual(self._billed(contract), 330.0, "nothing more once terminated")

    def test_renewal_quotation_in_the_contract_currency(self):
        # Reproduction: the renewal quotation of an EUR contract was made in USD with the EUR figure.
        eur = self.setup_other_currency("EUR")
        contract = self._active(currency_id=eur.id, uplift_percent=5.0)
        contract.line_ids.price_unit = 1000.0
        with self.assertRaisesRegex(UserError, "create a pricelist in EUR"), self.env.cr.savepoint():
            contract.action_renew()
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": eur.id, "company_id": contract.company_id.id}
        )
        contract.action_renew()
        order = contract.renewal_order_id
        self.assertEqual((order.currency_id, order.pricelist_id), (eur, pricelist))
        self.assertEqual(order.order_line.price_unit, 1050.0)  # 1,000 EUR + 5 %
        self.assertEqual(order.amount_untaxed, 1050.0)

    def test_invoices_button_shows_only_the_contract_invoices(self):
        # Reproduction: the smart button opened every customer's invoices.
        mine, other = self._active(), self._active()
        other.partner_id = self.env["res.partner"].create({"name": "Other Customer"})
        with freeze_time("2026-02-15"):
            self.Contract.sudo()._cron_generate_invoices()
        action = mine.action_view_invoices()
        shown = self.env["account.move"].search(action["domain"])
        self.assertEqual(shown, mine.invoice_ids)
        self.assertEqual(len(shown), 2)  # January and February
        self.assertFalse(shown & other.invoice_ids)

    def test_kanban_columns_in_lifecycle_order(self):
        # Reproduction: the kanban columns were alphabetical
        self._active()
        groups = self.Contract.read_group([], ["state"], ["state"])
        self.assertEqual([group["state"] for group in groups], [state for state, _label in STATES])

    def test_views_and_filters_exist(self):
        action = self.env.ref("revcycle_cpq.revcycle_contract_action")
        self.assertIn("pivot", action.view_mode)
        self.assertIn("graph", action.view_mode)
        arch = self.env.ref("revcycle_cpq.revcycle_contract_view_search").arch
        for name in ("to_renew", "my_contracts", "paused", "expiring"):
            self.assertIn(f'name="{name}"', arch)
        # the filters' domains work as search domains
        self.Contract.get_views([(False, "search"), (False, "pivot"), (False, "graph"), (False, "kanban")])

    def test_mark_as_signed_records_the_customer(self):
        # Reproduction: "Mark as Signed" recorded the internal user as the signer
        contract = self._contract()
        contract.with_user(self.env.user).action_sign()
        self.assertEqual(contract.signed_by, self.customer.display_name)

    @freeze_time("2026-03-10")
    def test_chatter_dates_in_the_user_language(self):
        # Reproduction: messages showed ISO dates (2026-04-09)
        self.env.ref("base.lang_en").date_format = "%d/%m/%Y"
        contract = self._hundred_a_month(notice_days=30)
        contract.action_terminate(date(2026, 4, 9))
        self.assertIn("09/04/2026", contract.message_ids[0].body)
        self.assertNotIn("2026-04-09", contract.message_ids[0].body)

    def test_terms_job_survives_one_bad_contract(self):
        # Reproduction: _cron_manage_terms opened savepoints but caught nothing: one failure aborted the batch
        bad, good = self._active(), self._active()
        original = RevcycleContract._revcycle_expire

        def expire(contract):
            if contract == bad:
                raise UserError(self.env._("broken"))
            return original(contract)

        with (
            freeze_time("2027-01-02"),
            patch.object(RevcycleContract, "_revcycle_expire", expire),
            mute_logger("odoo.addons.revcycle_cpq.models.revcycle_contract"),
        ):
            self.Contract.sudo()._cron_manage_terms()
        self.assertEqual((bad.state, good.state), ("active", "expired"))
        with freeze_time("2027-01-02"):
            self.Contract.sudo()._cron_manage_terms()  # the next run ends the repaired one
        self.assertEqual(bad.state, "expired")

    def test_reminders_use_each_company_lead_time(self):
        # Reproduction: the reminder job used the cron user's company's lead time for every company
        other = self.setup_other_company(name="Reminder Co")["company"]
        self.env.user.company_ids |= other
        self.env.company.revcycle_contract_reminder_days = 10
        other.revcycle_contract_reminder_days = 60
        mine = self._active()
        theirs = self._active(company_id=other.id, currency_id=other.currency_id.id)
        theirs.line_ids.tax_ids = False
        with freeze_time("2026-11-15"):  # 46 days before 31 December: inside 60, outside 10
            self.Contract.sudo()._cron_send_reminders()
        Reminder = self.env["revcycle.contract.reminder"]
        self.assertTrue(Reminder.search([("contract_id", "=", theirs.id), ("kind", "=", "renewal")]))
        self.assertFalse(Reminder.search([("contract_id", "=", mine.id), ("kind", "=", "renewal")]))
