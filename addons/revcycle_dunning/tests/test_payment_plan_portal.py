"""Issue 18: the customer sees a proposed payment plan in the portal and accepts it. Routes answer 404 to anyone
but the plan's customer (or the holder of its link), 400 to a refused acceptance, never 500."""
import re

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .dunning_common import RevcycleDunningCommon


@tagged("post_install", "-at_install", "revcycle")
class TestPaymentPlanPortal(RevcycleDunningCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        invoice = cls.init_invoice("out_invoice", partner=cls.customer, invoice_date=cls.base_date,
                                   amounts=[600.0], taxes=[], post=True)
        cls.plan = cls.env["revcycle.payment.plan"].create({
            "partner_id": cls.customer.id, "invoice_ids": [Command.set(invoice.ids)],
            "line_ids": [Command.create({"date": cls.base_date.replace(year=2031), "amount": 300.0}),
                         Command.create({"date": cls.base_date.replace(year=2032), "amount": 300.0})]})
        cls.plan.action_propose()
        cls.customer_user = new_test_user(cls.env, "rc_plan_portal", groups="base.group_portal",
                                          partner_id=cls.contact.id)
        stranger = cls.env["res.partner"].create({"name": "Stranger Ltd", "is_company": True})
        cls.stranger_user = new_test_user(cls.env, "rc_plan_stranger", groups="base.group_portal",
                                          partner_id=stranger.id)

    def _page(self, plan=None, token=None):
        plan = plan or self.plan
        suffix = f"?access_token={token}" if token else ""
        return self.url_open(f"/my/payment_plans/{plan.id}{suffix}", allow_redirects=False)

    def _accept(self, page, token):
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open(f"/my/payment_plans/{self.plan.id}/accept",
                             data={"csrf_token": csrf, "access_token": token or ""}, allow_redirects=False)

    def test_customer_accepts_by_the_link(self):
        token = self.plan.access_token
        page = self._page(token=token)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Accept this Plan", page.text)
        self.assertIn("300.00", page.text)
        response = self._accept(page, token)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.plan.state, "accepted")
        self.assertIn("in the portal", self.plan.accepted_by)
        # accepting again is refused with the reason, not a 500
        again = self._accept(page, token)
        self.assertEqual(again.status_code, 400)
        self.assertIn("Only a proposed plan", again.text)

    def test_logged_in_customer_sees_it_without_the_token(self):
        self.authenticate("rc_plan_portal", "rc_plan_portal")
        page = self._page()
        self.assertEqual(page.status_code, 200)
        self.assertEqual(self._accept(page, None).status_code, 303)
        self.assertEqual(self.plan.state, "accepted")

    def test_anyone_else_gets_404(self):
        self.assertEqual(self._page().status_code, 404, "no token, not logged in")
        self.assertEqual(self._page(token="forged").status_code, 404)
        self.assertEqual(self.url_open("/my/payment_plans/99999999").status_code, 404)
        self.assertEqual(self.url_open("/my/payment_plans/abc").status_code, 404)
        draft = self.plan.copy()
        self.assertEqual(self._page(plan=draft, token=draft.access_token or "x").status_code, 404)
        self.authenticate("rc_plan_stranger", "rc_plan_stranger")
        self.assertEqual(self._page().status_code, 404, "another customer's plan")
        # a forged acceptance from the stranger's session: 404 before anything is read
        response = self.url_open(f"/my/payment_plans/{self.plan.id}/accept", data={"csrf_token": "x"},
                                 allow_redirects=False)
        self.assertIn(response.status_code, (400, 403, 404))
        self.assertEqual(self.plan.state, "proposed")


@tagged("post_install", "-at_install", "revcycle")
class TestShortPaymentLink(RevcycleDunningCommon, HttpCase):
    def test_short_link_redirects_to_the_payment_page(self):
        invoice = self.init_invoice("out_invoice", partner=self.customer, invoice_date=self.base_date,
                                    amounts=[120.0], taxes=[], post=True)
        link = invoice._revcycle_payment_urls()[invoice.id]
        token = link.rsplit("/", 1)[1]
        self.assertEqual(len(token), 16)
        self.assertEqual(invoice._revcycle_payment_urls()[invoice.id], link, "made once, then kept")
        response = self.url_open(f"/pay/{token}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(invoice.get_portal_url()))
        # unknown, malformed, or a draft's: 404
        draft = self.init_invoice("out_invoice", partner=self.customer, invoice_date=self.base_date,
                                  amounts=[5.0], taxes=[])
        draft_token = draft._revcycle_payment_urls()[draft.id].rsplit("/", 1)[1]
        for path in ("/pay/AAAAAAAAAAAAAAAA", "/pay/short", f"/pay/{token}x", f"/pay/{draft_token}"):
            self.assertEqual(self.url_open(path, allow_redirects=False).status_code, 404, path)

    def test_tokens_are_unique(self):
        invoices = self.env["account.move"].create([{
            "move_type": "out_invoice", "partner_id": self.customer.id, "invoice_date": self.base_date,
            "invoice_line_ids": [Command.create({"name": "Item", "quantity": 1, "price_unit": float(amount),
                                                 "tax_ids": [Command.clear()]})],
        } for amount in range(1, 11)])
        invoices.action_post()
        links = invoices._revcycle_payment_urls()
        self.assertEqual(len(set(links.values())), 10)
