"""A dunning level for risky payers only (``revcycle_min_late_probability``): the dunning run sends it for the
invoices whose late-payment score reaches the level's minimum, the others skip it and go on with the ladder.

The hand-built ledger (a fresh company, nothing else in it), the run dated 2025-03-03, grace 5 days:
- History: Risky paid 5 invoices of 100 each 20 days after their due date (2024-10-01 -> 2024-10-21), Reliable 5 of
  100 each on their due date. The company's delays: 500 at 0 days, 500 at 20 days, so its late share (paid more than
  5 days late) is 0.5.
- Each customer has 5 payments: its own history counts 5 / (5 + 5) = 0.5, the company's the other 0.5 (the run is
  dated in the past: no risk class segment). Late share: Risky 0.5 x 1 + 0.5 x 0.5 = 0.75, Reliable
  0.5 x 0 + 0.5 x 0.5 = 0.25.
- The late model has no example (no item was open half a year before and due since): the score is the customer's
  late share, 0.75 and 0.25.
- Open: one invoice of 500 each, due 2025-03-06 (3 days ahead). The ladder: "Pre-due call" 5 days before the due
  date, minimum late probability 0.5; "First reminder" 7 days after it.
"""

from datetime import date

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.revcycle_analytics.tests.common import RevcycleKpiCommon
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

RUN_DATE = date(2025, 3, 3)


@tagged("post_install", "-at_install", "revcycle")
class TestDunningLateThreshold(AccountTestInvoicingCommon):
    _invoice = RevcycleKpiCommon.__dict__["_invoice"]
    _pay = RevcycleKpiCommon.__dict__["_pay"]

    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.env.ref("revcycle_dunning.group_revcycle_dunning_manager")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.revcycle_credit_check_on_invoice = False
        cls.risky = cls.env["res.partner"].create(
            {"name": "Risky Payer", "is_company": True, "email": "ap@risky.example.com"})
        cls.reliable = cls.env["res.partner"].create(
            {"name": "Reliable Payer", "is_company": True, "email": "ap@reliable.example.com"})
        for partner, paid_on in ((cls.risky, "2024-10-21"), (cls.reliable, "2024-10-01")):
            for _n in range(5):
                cls._pay(cls._invoice(partner, "2024-10-01", "2024-10-01", 100), 100, paid_on)
        cls.open_risky = cls._invoice(cls.risky, "2025-02-20", "2025-03-06", 500)
        cls.open_reliable = cls._invoice(cls.reliable, "2025-02-20", "2025-03-06", 500)
        cls.policy = cls.env["revcycle.dunning.policy"].create({
            "name": "Risky first",
            "company_id": cls.company.id,
            "level_ids": [
                Command.create({"sequence": 10, "name": "Pre-due call", "days": -5, "channel": "email",
                                "revcycle_min_late_probability": 0.5}),
                Command.create({"sequence": 20, "name": "First reminder", "days": 7, "channel": "email"}),
            ],
        })
        cls.pre_due, cls.first = cls.policy.level_ids.sorted("sequence")
        cls.company.revcycle_dunning_policy_id = cls.policy
        cls.Run = cls.env["revcycle.dunning.run"]

    def _levels_sent(self, invoice):
        lines = self.env["revcycle.dunning.notice.line"].search([("invoice_id", "=", invoice.id)])
        return lines.sorted("id").level_id

    def test_scores_by_hand(self):
        run = self.Run.create({"company_id": self.company.id, "date": RUN_DATE})
        items = (self.open_risky | self.open_reliable).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable")
        scores = run._revcycle_late_scores(items.ids)
        self.assertAlmostEqual(scores[self.open_risky.line_ids.filtered("date_maturity").id], 0.75)
        self.assertAlmostEqual(scores[self.open_reliable.line_ids.filtered("date_maturity").id], 0.25)

    def test_pre_due_level_for_the_risky_customer_only(self):
        """Threshold 0.5: Risky (0.75) gets the pre-due call, Reliable (0.25) nothing before the due date; 7 days
        after it (12 days after the call, the gap between the two levels) Reliable gets the first reminder all the
        same (the skipped level does not stop the ladder), Risky its next level."""
        self.Run.run_for_date(RUN_DATE)
        self.assertEqual(self._levels_sent(self.open_risky), self.pre_due)
        self.assertFalse(self._levels_sent(self.open_reliable))
        self.Run.run_for_date(RUN_DATE)  # a second run the same day changes nothing
        self.assertEqual(self._levels_sent(self.open_risky), self.pre_due)
        self.assertFalse(self._levels_sent(self.open_reliable))
        self.env["revcycle.dunning.notice"]._cron_send_notices()  # the call's notice goes out
        self.Run.run_for_date(date(2025, 3, 15))
        self.assertEqual(self._levels_sent(self.open_risky), self.pre_due | self.first)
        self.assertEqual(self._levels_sent(self.open_reliable), self.first)

    def test_threshold_above_both_and_zero(self):
        """0.8: neither reaches it (0.75, 0.25), no pre-due call; 0 (the default): the level for every invoice."""
        self.pre_due.revcycle_min_late_probability = 0.8
        self.Run.run_for_date(RUN_DATE)
        self.assertFalse(self._levels_sent(self.open_risky) | self._levels_sent(self.open_reliable))
        self.pre_due.revcycle_min_late_probability = 0.0
        self.Run.run_for_date(RUN_DATE)
        self.assertEqual(self._levels_sent(self.open_risky), self.pre_due)
        self.assertEqual(self._levels_sent(self.open_reliable), self.pre_due)

    @mute_logger("odoo.sql_db")
    def test_threshold_outside_0_1_is_refused(self):
        for value in (-0.1, 1.5, -1e300):  # NaN and infinities: the XML-RPC hostile cases
            with (self.subTest(value=value),
                  self.assertRaisesRegex(ValidationError, "revcycle_min_late_probability"),
                  self.env.cr.savepoint()):
                self.pre_due.revcycle_min_late_probability = value
                self.pre_due.flush_recordset()
            self.pre_due.invalidate_recordset()
            self.assertEqual(self.pre_due.revcycle_min_late_probability, 0.5)
        # on create the database's CHECK refuses it first (over XML-RPC: a ValidationError with the same message)
        with self.assertRaisesRegex(IntegrityError, "revcycle_min_late_probability"), self.env.cr.savepoint():
            self.env["revcycle.dunning.level"].create({
                "policy_id": self.policy.id, "sequence": 30, "name": "Bad", "days": 20, "channel": "email",
                "revcycle_min_late_probability": 2.0})
