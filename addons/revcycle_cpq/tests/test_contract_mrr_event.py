from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ContractCase


@tagged("post_install", "-at_install", "revcycle")
class TestContractMrrEvent(ContractCase):
    """The append-only MRR log: written by the contract's actions, read-only to everyone else."""

    def _events(self, contract):
        return [
            (event.kind, event.date, event.mrr_before, event.mrr_after)
            for event in contract.mrr_event_ids.sorted(lambda e: (e.date, e.id))
        ]

    @freeze_time("2026-02-20")
    def test_activation_and_termination_log_new_and_churn(self):
        # 310 a month, monthly: MRR 310; yearly billing of 1,200 would be MRR 100 (1,200 / 12)
        contract = self._active()
        contract.action_terminate(date(2026, 6, 30))
        self.assertEqual(
            self._events(contract),
            [("new", date(2026, 1, 1), 0.0, 310.0), ("churn", date(2026, 6, 30), 310.0, 0.0)],
        )
        self.assertEqual(contract.mrr_event_ids[0].commercial_partner_id, self.customer)

    def test_yearly_contract_mrr_is_a_twelfth(self):
        contract = self._contract(billing_period="year")
        contract.line_ids.price_unit = 1000.0  # 1,000 a year -> 83.333.. -> 83.33 a month
        contract.action_sign()
        contract.action_activate()
        self.assertEqual(self._events(contract), [("new", date(2026, 1, 1), 0.0, 83.33)])

    @freeze_time("2026-03-10")
    def test_pause_and_resume_logged(self):
        contract = self._active()
        contract.action_suspend()
        contract.action_resume()
        self.assertEqual(
            [(kind, before, after) for kind, _day, before, after in self._events(contract)],
            [("new", 0.0, 310.0), ("pause", 310.0, 0.0), ("resume", 0.0, 310.0)],
        )

    def test_log_is_read_only(self):
        contract = self._active()
        event = contract.mrr_event_ids
        Event = self.env["revcycle.contract.mrr.event"]
        with self.assertRaises(AccessError):
            event.write({"mrr_after": 1.0})
        with self.assertRaises(AccessError):
            event.unlink()
        with self.assertRaises(AccessError):
            Event.create(
                {
                    "contract_id": contract.id,
                    "date": date(2026, 1, 1),
                    "kind": "expansion",
                    "currency_id": contract.currency_id.id,
                }
            )
        # a CPQ user reads the log of their contract but cannot write it, even through sudo-less create
        salesman_event = event.with_user(self.salesman)
        with self.assertRaises(AccessError):
            salesman_event.with_user(self.salesman).unlink()

    def test_backfill_adds_new_event_once(self):
        contract = self._contract(
            line_ids=[Command.create({"product_id": self.service.id, "name": "S", "quantity": 2, "price_unit": 50.0})]
        )
        contract.sudo()._revcycle_lifecycle_write({"state": "active"})  # as a contract made before the log existed
        Event = self.env["revcycle.contract.mrr.event"]
        Event._revcycle_backfill()
        self.assertEqual(self._events(contract), [("new", date(2026, 1, 1), 0.0, 100.0)])
        Event._revcycle_backfill()  # a second run adds nothing
        self.assertEqual(len(contract.mrr_event_ids), 1)
