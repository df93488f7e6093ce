"""Pause and resume with dates: whole billing periods skipped, the next invoice date and the term end moved."""

from datetime import date

from freezegun import freeze_time
from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import ContractCase


@tagged("post_install", "-at_install", "revcycle")
class TestContractPause(ContractCase):
    def _hundred(self, **values):
        """100 a month, prepaid, from 1 January 2026 to 31 December 2026."""
        return self._active(
            line_ids=[Command.create({"product_id": self.service.id, "name": "S", "quantity": 1, "price_unit": 100.0})],
            **values,
        )

    def _invoice(self, contract, day):
        with freeze_time(day):
            return contract._revcycle_invoice_periods(fields.Date.to_date(day))

    def _terms(self, day):
        with freeze_time(day):
            self.Contract.sudo()._cron_manage_terms()

    def test_pause_skips_periods_and_moves_the_term(self):
        contract = self._hundred(pause_extends_term=True)
        self._invoice(contract, "2026-04-10")  # January to April: 400
        with freeze_time("2026-04-10"):
            result = contract.action_pause("2026-05-01", "2026-06-30")
        # May and June skipped: the next invoice on 1 July, the term two months longer (31 December -> 28 February)
        self.assertEqual(result["periods_skipped"], 2)
        self.assertEqual((contract.state, contract.next_invoice_date), ("active", date(2026, 7, 1)))
        self.assertEqual(contract.date_end, date(2027, 2, 28))
        self._terms("2026-05-01")
        self.assertEqual(contract.state, "suspended")
        self.assertFalse(self._invoice(contract, "2026-05-15"), "nothing billed while paused")
        self._terms("2026-07-01")
        self.assertEqual(contract.state, "active")
        self._invoice(contract, "2027-02-15")
        # billed: January-April and July 2026-February 2027, 4 + 8 = 12 months x 100 = 1,200: the year paid for
        self.assertEqual(sum(contract.invoice_ids.mapped("amount_untaxed")), 1200.0)
        self.assertEqual(
            [(e.kind, e.date, e.mrr_after) for e in contract.mrr_event_ids.sorted("id")],
            [("new", date(2026, 1, 1), 100.0), ("pause", date(2026, 5, 1), 0.0), ("resume", date(2026, 7, 1), 100.0)],
        )

    def test_pause_without_term_extension_and_early_resume(self):
        contract = self._hundred()
        self._invoice(contract, "2026-04-10")
        with freeze_time("2026-04-10"):
            contract.action_pause("2026-05-01", "2026-07-31")
        self.assertEqual(contract.date_end, date(2026, 12, 31), "the term stays when the contract does not say so")
        self._terms("2026-05-01")
        with freeze_time("2026-06-01"):
            contract.action_resume("2026-06-01")  # June and July bill again
        self.assertEqual((contract.state, contract.next_invoice_date), ("active", date(2026, 6, 1)))
        self._invoice(contract, "2026-12-15")
        # January-April and June-December: 4 + 7 = 11 months x 100 = 1,100 (May paused)
        self.assertEqual(sum(contract.invoice_ids.mapped("amount_untaxed")), 1100.0)

    @freeze_time("2026-04-10")
    def test_bad_pauses_refused_nothing_written(self):
        contract = self._hundred()
        contract._revcycle_invoice_periods(date(2026, 4, 10))
        cases = [
            (("2026-05-03", "2026-06-30"), "whole billing periods"),
            (("2026-04-01", "2026-04-30"), "already invoiced"),
            (("2026-06-01", "2026-05-31"), "before it starts"),
            (("2026-11-01", "2027-01-31"), "within the term"),
            (("not a date", "2026-05-31"), "is not a date"),
        ]
        for (start, end), message in cases:
            with self.subTest(start=start, end=end), self.assertRaisesRegex(ValidationError, message):
                contract.action_pause(start, end)
        self.assertEqual(len(contract.period_ids), 4)
        contract.action_pause("2026-05-01", "2026-05-31")
        with self.assertRaisesRegex(ValidationError, "cannot overlap"):
            contract.action_pause("2026-08-01", "2026-08-31")

    @freeze_time("2026-04-10")
    def test_pause_from_the_back_office_form(self):
        contract = self._hundred()
        contract._revcycle_invoice_periods(date(2026, 4, 10))
        wizard = (
            self.env["revcycle.contract.pause.wizard"]
            .with_context(active_model="revcycle.contract", active_id=contract.id)
            .create({"date_from": date(2026, 5, 1), "date_to": date(2026, 5, 31)})
        )
        wizard.action_pause()
        self.assertEqual((contract.pause_from, contract.next_invoice_date), (date(2026, 5, 1), date(2026, 6, 1)))

    def test_a_scheduled_pause_can_be_cancelled_before_it_starts(self):
        contract = self._hundred(pause_extends_term=True)
        self._invoice(contract, "2026-04-10")  # January to April: 400
        with freeze_time("2026-04-10"):
            contract.action_pause("2026-05-01", "2026-06-30")
            self.assertEqual(contract.date_end, date(2027, 2, 28))
            contract.action_cancel_pause()
        # nothing of the pause is left: the term back to 31 December, May and June due again on 1 May
        self.assertEqual((contract.pause_from, contract.pause_to), (False, False))
        self.assertEqual((contract.state, contract.date_end), ("active", date(2026, 12, 31)))
        self.assertEqual(contract.next_invoice_date, date(2026, 5, 1))
        self._terms("2026-05-01")
        self.assertEqual(contract.state, "active", "no pause starts on 1 May")
        self._invoice(contract, "2026-12-15")
        # billed: the twelve months of 2026 at 100 = 1,200, with no pause in between
        self.assertEqual(sum(contract.invoice_ids.mapped("amount_untaxed")), 1200.0)
        self.assertEqual([e.kind for e in contract.mrr_event_ids.sorted("id")], ["new"], "a pause that never began")
        self.assertTrue(any("cancelled before it started" in body for body in contract.message_ids.mapped("body")))

    def test_cancelling_a_pause_is_refused_once_it_started_or_without_one(self):
        contract = self._hundred()
        with freeze_time("2026-04-10"), self.assertRaisesRegex(ValidationError, "has no pause to cancel"):
            contract.action_cancel_pause()
        self._invoice(contract, "2026-04-10")
        with freeze_time("2026-04-10"):
            contract.action_pause("2026-05-01", "2026-06-30")
        # its first day has come (the terms job has not run yet): too late to cancel, resume instead
        with freeze_time("2026-05-01"), self.assertRaisesRegex(ValidationError, "resume the contract instead"):
            contract.action_cancel_pause()
        self._terms("2026-05-01")
        with freeze_time("2026-05-02"), self.assertRaises(UserError):
            contract.action_cancel_pause()  # suspended by the pause: only Resume ends it
        self.assertEqual((contract.state, contract.pause_from), ("suspended", date(2026, 5, 1)))

