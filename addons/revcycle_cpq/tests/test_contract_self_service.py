"""Portal self-service over real HTTP: the customer changes a quantity after seeing the prorated amount, pauses,
cancels at the end of the term; another customer is refused with a 404, bad input with a 400, never a 500."""

import calendar
from datetime import date

from dateutil.relativedelta import relativedelta
from odoo import Command, fields, http
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import float_round, mute_logger

# the server answers on today's date: the contract is built around it, monthly from the 1st three months ago
TODAY = date.today()
MONTH_START = TODAY.replace(day=1)
MONTH_DAYS = calendar.monthrange(TODAY.year, TODAY.month)[1]


@tagged("post_install", "-at_install", "revcycle")
class TestContractSelfService(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plan = cls.env["product.product"].create(
            {
                "name": "Self-service seats",
                "type": "service",
                "list_price": 30.0,
                "revcycle_recurring": True,
                "revcycle_billing_period": "month",
                "revcycle_portal_self_service": True,
                "taxes_id": [Command.clear()],
            }
        )
        cls.alice = new_test_user(cls.env, "rc_self_alice", groups="base.group_portal", name="Alice Self")
        cls.bob = new_test_user(cls.env, "rc_self_bob", groups="base.group_portal", name="Bob Self")
        cls.contract = cls.env["revcycle.contract"].create(
            {
                "partner_id": cls.alice.partner_id.id,
                "date_start": MONTH_START - relativedelta(months=3),
                "date_end": MONTH_START + relativedelta(months=9) - relativedelta(days=1),
                "notice_days": 30,
                "line_ids": [
                    Command.create({"product_id": cls.plan.id, "name": "Seats", "quantity": 10, "price_unit": 30.0})
                ],
            }
        )
        cls.contract.action_sign()
        cls.contract.action_activate()
        cls.contract._revcycle_invoice_periods(TODAY)  # the three past months and this one invoiced, 300 each

    def _post(self, path, **data):
        return self.url_open(path, data={**data, "csrf_token": http.Request.csrf_token(self)}, allow_redirects=False)

    def test_customer_changes_quantity_after_seeing_the_prorated_amount(self):
        self.authenticate(self.alice.login, self.alice.login)
        line = self.contract.line_ids
        path = f"/my/contracts/{self.contract.id}/amend"
        preview = self._post(path, line_id=line.id, quantity=12)
        # 12 seats: +60 a month; the days left in this (invoiced) month, today included, of the month's days:
        # 60 x days left / days in the month (on 16 April: 60 x 15 / 30 = 30), invoiced now
        days_left = (MONTH_START + relativedelta(months=1) - TODAY).days
        expected = float_round(60.0 * days_left / MONTH_DAYS, 2)
        self.assertEqual(preview.status_code, 200)
        self.assertIn(str(expected), preview.text)
        self.assertFalse(self.contract.amendment_ids, "a preview writes nothing")
        self.assertEqual(line.quantity, 10)
        done = self._post(path, line_id=line.id, quantity=12, confirm=1)
        self.assertEqual(done.status_code, 303)
        self.assertEqual(line.quantity, 12)
        amendment = self.contract.amendment_ids
        self.assertEqual((amendment.state, amendment.proration_amount), ("applied", expected))
        self.assertEqual(amendment.proration_move_id.amount_untaxed, expected)
        self.assertIn("Changed by the customer in the portal", self.contract.message_ids[0].body)
        self.assertEqual(self.contract.message_ids[0].author_id, self.alice.partner_id)
        with mute_logger("odoo.http"):
            bad = self._post(path, line_id=line.id, quantity=-3)
        self.assertEqual(bad.status_code, 400)
        self.assertIn("above zero", bad.text)

    def test_pause_and_cancel_at_the_end_of_the_term(self):
        self.authenticate(self.alice.login, self.alice.login)
        next_month = MONTH_START + relativedelta(months=1)
        paused = self._post(
            f"/my/contracts/{self.contract.id}/pause",
            date_from=fields.Date.to_string(next_month),
            date_to=fields.Date.to_string(next_month + relativedelta(months=1, days=-1)),
        )
        self.assertEqual(paused.status_code, 303)
        # next month is skipped: the next invoice is the month after
        self.assertEqual(
            (self.contract.pause_from, self.contract.next_invoice_date),
            (next_month, next_month + relativedelta(months=1)),
        )
        with mute_logger("odoo.http"):
            no_reason = self._post(f"/my/contracts/{self.contract.id}/cancel", reason=" ")
        self.assertEqual(no_reason.status_code, 400)
        cancelled = self._post(f"/my/contracts/{self.contract.id}/cancel", reason="Too expensive")
        self.assertEqual(cancelled.status_code, 303)
        self.assertEqual(
            (self.contract.state, self.contract.termination_date, self.contract.termination_reason),
            ("pending_termination", self.contract.date_end, "Too expensive"),
        )

    def test_another_customer_is_refused(self):
        self.authenticate(self.bob.login, self.bob.login)
        with mute_logger("odoo.http", "odoo.addons.base.models.ir_rule"):
            for route, data in (
                ("amend", {"line_id": self.contract.line_ids.id, "quantity": 1, "confirm": 1}),
                ("pause", {"date_from": "2030-05-01", "date_to": "2030-05-31"}),
                ("cancel", {"reason": "not mine"}),
            ):
                response = self._post(f"/my/contracts/{self.contract.id}/{route}", **data)
                self.assertEqual(response.status_code, 404, route)
            missing = self._post("/my/contracts/999999999/amend", line_id=1, quantity=1)
        self.assertEqual(missing.status_code, 404)
        self.assertEqual((self.contract.line_ids.quantity, self.contract.state), (10, "active"))
        self.assertFalse(self.contract.amendment_ids)

    def test_customer_tour_changes_seats_in_the_browser(self):
        self.start_tour(
            f"/my/contracts/{self.contract.id}", "revcycle_contract_self_service_tour", login=self.alice.login
        )
        # 12 seats, the days left of this month prorated as in the HTTP test above
        self.assertEqual(self.contract.line_ids.quantity, 12)
        self.assertEqual(self.contract.amendment_ids.state, "applied")
        self.assertIn("Changed by the customer in the portal", self.contract.message_ids[0].body)
