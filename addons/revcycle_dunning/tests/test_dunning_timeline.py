"""Issue 18: one customer through 90 days of daily dunning runs, every notice, fee and hold asserted.

Three invoices, all on immediate terms, with the test ladder (friendly -3, first 7, letter 21 with 15 + 1 %,
call 35 with the credit hold, agency 60 from 100 open):
- A: 1,000 issued and due on day 0;
- B: 1,000 issued on day 10 in two instalments, B1 300 due day 10 and B2 700 due day 70;
- C: 600 issued on day 5, partly credited the same day by a 200 credit note: 400 open.
Each item climbs one level at a time, the next level the ladder's gap after the previous notice (first to letter 14
days, letter to call 14, call to agency 25, friendly to first 10). Every notice goes out the day it is made (emails
queued, letters printed, calls made), so the next level is never held back by an unsent one.
"""
from odoo import Command
from odoo.tests import tagged

from .dunning_common import RevcycleDunningCommon


@tagged("post_install", "-at_install", "revcycle")
class TestDunningTimeline(RevcycleDunningCommon):
    def _instalment_invoice(self, day):
        terms = self.env["account.payment.term"].create({"name": "30/70 in 60 days", "line_ids": [
            Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 0}),
            Command.create({"value": "percent", "value_amount": 70.0, "nb_days": 60})]})
        invoice = self.init_invoice("out_invoice", partner=self.customer, invoice_date=self._day(day),
                                    amounts=[1000.0], taxes=[])
        invoice.invoice_payment_term_id = terms
        invoice.action_post()
        return invoice

    def _credited_invoice(self, day):
        invoice = self._due_invoice(600.0, self._day(day))
        refund = self.init_invoice("out_refund", partner=self.customer, invoice_date=self._day(day),
                                   amounts=[200.0], taxes=[], post=True)
        (invoice | refund).line_ids.filtered(lambda line: line.account_type == "asset_receivable").reconcile()
        self.assertEqual(invoice.amount_residual, 400.0)
        return invoice

    def test_ninety_days(self):
        self.fee_product.taxes_id = False
        invoices = {}
        made = []
        for day in range(90):
            if day == 0:
                invoices["A"] = self._due_invoice(1000.0, self._day(0))
            elif day == 5:
                invoices["C"] = self._credited_invoice(5)
            elif day == 10:
                invoices["B"] = self._instalment_invoice(10)
            before = self._notices()
            summary = self.Run.run_for_date(self._day(day))
            self._deliver()
            new = self._notices() - before
            self.assertLessEqual(len(new), 1, f"day {day}: one notice per customer per run")
            self.assertEqual(summary["errors"], 0)
            if new:
                self.assertEqual(new.state, "sent", f"day {day}")
                line = new.line_ids
                self.assertEqual(len(line), 1)
                item = {invoices["A"]: "A", invoices.get("C"): "C"}.get(line.invoice_id) or (
                    "B1" if line.amount_residual == 300.0 else "B2")
                made.append((day, item, new.level_id.name, line.amount_residual, new.fee_amount, new.credit_hold))
        expected = [
            # day, item, level, amount dunned, fee (15 + 1 % at the letter), hold set
            (7, "A", "First", 1000.0, 0.0, False),
            (12, "C", "First", 400.0, 0.0, False),
            (17, "B1", "First", 300.0, 0.0, False),
            (21, "A", "Letter", 1000.0, 25.0, False),  # 15 + 10
            (26, "C", "Letter", 400.0, 19.0, False),  # 15 + 4
            (31, "B1", "Letter", 300.0, 18.0, False),  # 15 + 3
            (35, "A", "Call", 1000.0, 0.0, True),
            (40, "C", "Call", 400.0, 0.0, True),
            (45, "B1", "Call", 300.0, 0.0, True),
            (60, "A", "Agency", 1000.0, 0.0, False),
            (65, "C", "Agency", 400.0, 0.0, False),
            (67, "B2", "Friendly", 700.0, 0.0, False),  # 3 days before the second instalment falls due
            (70, "B1", "Agency", 300.0, 0.0, False),
            (77, "B2", "First", 700.0, 0.0, False),  # day 7 of the instalment, 10 days after the friendly one
        ]
        self.assertEqual(made, expected)
        notices = self._notices()
        # every message: 5 emails, 3 printed letters, 3 calls made, 3 agency handoffs
        emails = self.env["mail.mail"].search([("model", "=", notices._name), ("res_id", "in", notices.ids)])
        self.assertEqual(len(emails), 5)
        self.assertEqual(len(notices.filtered(lambda notice: notice.channel == "letter")), 3)
        self.assertEqual(len(notices.filtered("agency_handoff")), 3)
        # fees: 25 + 19 + 18 = 62 on three fee invoices, none charged twice
        fee_invoices = self.env["account.move"].search([("revcycle_dunning_fee", "=", True)])
        self.assertEqual((len(fee_invoices), sum(fee_invoices.mapped("amount_total"))), (3, 62.0))
        # the hold from day 35 on
        self.assertTrue(self._profile().hold)
        self.assertEqual(self._profile().hold_source, "dunning")
