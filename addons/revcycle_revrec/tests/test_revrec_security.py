"""Issue 15, critical: recognition acts only in the caller's companies and records, and never ahead of today."""
from freezegun import freeze_time
from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import RevrecCommon


@tagged("post_install", "-at_install", "revcycle")
class TestRevrecSecurity(RevrecCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.setup_other_company(name="revcycle company two")["company"]
        cls.other._revcycle_revrec_setup_accounts()
        cls.env.user.company_ids |= cls.other
        groups = "revcycle_revrec.group_revcycle_revrec_manager,base.group_user"
        # a revenue manager of company 1 only
        cls.manager_one = new_test_user(cls.env, "rc_revrec_manager_one", groups=groups, company_id=cls.company.id,
                                        company_ids=[Command.set(cls.company.ids)])

    def _other_company_contract(self):
        order = self.env["sale.order"].with_company(self.other).create({
            "partner_id": self.partner_a.id, "company_id": self.other.id,
            "order_line": [Command.create({"product_id": self.support.id, "price_unit": 1200.0,
                                           "tax_id": [Command.clear()]})]})
        with freeze_time("2026-01-01"):
            order.action_confirm()
        contract = order.revcycle_revenue_contract_ids
        self.assertEqual(contract.company_id, self.other)
        return contract

    def _posted(self, contract):
        return contract.line_ids.filtered(lambda line: line.state == "posted")

    def test_company_one_manager_cannot_recognise_company_two(self):
        # Reproduction: recognize_until(date, company_ids) never checked company_ids against the user's companies and
        # then worked as superuser: a company-1 revenue manager posted company 2's entries.
        contract = self._other_company_contract()
        Contract = self.env["revcycle.revenue.contract"].with_user(self.manager_one)
        for company_ids in ([self.other.id], [self.company.id, self.other.id]):
            with self.subTest(company_ids=company_ids), \
                    self.assertRaisesRegex(AccessError, "revcycle company two.*not one of your companies"), \
                    self.env.cr.savepoint():
                Contract.recognize_until("2026-03-31", company_ids)
        self.assertFalse(self._posted(contract))
        # own company: allowed, and company 2 stays untouched
        summary = Contract.recognize_until("2026-03-31", [self.company.id])
        self.assertEqual(summary["lines"], 0)
        self.assertFalse(self._posted(contract))
        # the superuser (the monthly cron) still recognises every company
        summary = self.env["revcycle.revenue.contract"].sudo().recognize_until("2026-03-31", [self.other.id])
        self.assertEqual(summary["lines"], 3)
        self.assertEqual(len(self._posted(contract)), 3)

    def test_bad_company_ids_are_refused(self):
        Contract = self.env["revcycle.revenue.contract"].with_user(self.manager_one)
        for company_ids, message in ((["1"], "list of company ids"), (self.company.id, "list of company ids"),
                                     ([True], "list of company ids"), ([987654], r"Unknown company ids: \[987654\]")):
            with self.subTest(company_ids=company_ids), self.assertRaisesRegex(UserError, message), \
                    self.env.cr.savepoint():
                Contract.recognize_until("2026-03-31", company_ids)

    def test_satisfy_checks_the_obligation_is_the_callers(self):
        # Reproduction: action_revcycle_satisfy ran on sudo() for any obligation id.
        contract = self._other_company_contract()
        licence_order = self.env["sale.order"].with_company(self.other).create({
            "partner_id": self.partner_a.id, "company_id": self.other.id,
            "order_line": [Command.create({"product_id": self.licence.id, "price_unit": 500.0,
                                           "tax_id": [Command.clear()]})]})
        with freeze_time("2026-01-01"):
            licence_order.action_confirm()
        obligation = licence_order.revcycle_revenue_contract_ids.obligation_ids
        self.assertEqual(obligation.recognition, "delivery")
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"), self.env.cr.savepoint():
            obligation.with_user(self.manager_one).with_context(revcycle_date="2026-01-15").action_revcycle_satisfy()
        self.assertFalse(obligation.line_ids.filtered("ready"))
        self.assertFalse(self._posted(obligation.contract_id) | self._posted(contract))

    def test_future_and_missing_dates_are_refused(self):
        # Reproduction: an entry dated 2027-01-31 was posted on 2026-12-02.
        order = self._confirmed_order()
        contract = order.revcycle_revenue_contract_ids
        Contract = self.env["revcycle.revenue.contract"].with_user(self.manager_one)
        today = fields.Date.context_today(Contract)
        with freeze_time(today):
            for date, message in (("2099-01-31", "after today"), (fields.Date.add(today, days=1), "after today"),
                                  (None, "Give the date"), (False, "Give the date"), ("", "Give the date"),
                                  ("31/01/2026", "is not a date: give it as YYYY-MM-DD"),
                                  (20260131, "is not a date: give it as YYYY-MM-DD")):
                with self.subTest(date=date), self.assertRaisesRegex(UserError, message), self.env.cr.savepoint():
                    Contract.recognize_until(date)
            licence = self._obligation(contract, self.licence).with_user(self.manager_one)
            with self.assertRaisesRegex(UserError, "after today"), self.env.cr.savepoint():
                licence.with_context(revcycle_date="2099-01-31").action_revcycle_satisfy()
            self.assertFalse(self._posted(contract))
            self.assertFalse(licence.line_ids.filtered("ready"))
            # today itself is fine
            summary = Contract.recognize_until(today)
        self.assertEqual(summary["date"], fields.Date.to_string(today))
        self.assertTrue(self._posted(contract))
