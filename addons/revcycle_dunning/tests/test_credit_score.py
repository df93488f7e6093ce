from odoo.tests import tagged

from .common import RevcycleCreditCommon


@tagged("post_install", "-at_install", "revcycle")
class TestCreditScore(RevcycleCreditCommon):
    def test_nightly_cron_scores_in_batches(self):
        late_payer = self.env["res.partner"].create({"name": "Late Payer", "is_company": True, "credit_limit": 2000,
                                                       "property_payment_term_id": self.pay_terms_a.id})
        on_time = self._invoice(1000.0, days_ago=200)
        self._pay(on_time, 1000.0, days_ago=200)
        late = self._invoice(1000.0, partner=late_payer, days_ago=200)
        self._pay(late, 1000.0, days_ago=140)  # 60 days late
        self._invoice(800.0, partner=late_payer, days_ago=50)  # and overdue now
        self._commit_events()
        profiles = self._profile() | self._profile(partner=late_payer)
        profiles.sudo().write({"score_date": False})

        Profile = self.env["revcycle.credit.profile"]
        self.assertEqual(Profile._cron_refresh_credit(batch_size=1), 1)
        Profile._cron_refresh_credit(batch_size=50)
        self.assertEqual(profiles.mapped("score_date"), [self.today, self.today])
        good, bad = self._profile(), self._profile(partner=late_payer)
        self.assertGreater(good.score, bad.score)
        self.assertLessEqual(good.risk_class, "B")
        self.assertIn(bad.risk_class, ("D", "E"))
        self.assertEqual(self.customer.revcycle_credit_score, good.score)
        self.assertEqual(self.customer.revcycle_risk_class, good.risk_class)
        self.assertTrue(good.suggested_payment_term_id)
        self.assertEqual(self.env["res.partner"].search([("revcycle_risk_class", "in", ("D", "E")),
                                                         ("id", "=", late_payer.id)]), late_payer)
        # nothing left for today: a second run changes nothing
        self.assertEqual(Profile._cron_refresh_credit(), 0)

    def test_payment_rescores(self):
        invoice = self._invoice(500.0, days_ago=90)
        self._commit_events()
        profile = self._profile()
        self.assertFalse(profile.score_date)
        self._pay(invoice, 500.0)
        self._commit_events()
        self.assertEqual(profile.score_date, self.today)
        self.assertTrue(profile.risk_class)

    def test_weights_from_settings(self):
        self._invoice(500.0, days_ago=90)
        self._commit_events()
        profile = self._profile()
        profile.sudo()._revcycle_refresh_each()
        default_score = profile.score
        settings = self.env["res.config.settings"].create({
            "revcycle_score_weight_lateness": 0, "revcycle_score_weight_on_time": 0,
            "revcycle_score_weight_overdue": 1, "revcycle_score_weight_utilisation": 0,
            "revcycle_score_weight_age": 0, "revcycle_score_weight_dunning": 0})
        settings.execute()
        profile.sudo()._revcycle_refresh_each()
        self.assertEqual(profile.score, 0, "everything open is overdue")
        self.assertNotEqual(profile.score, default_score)


@tagged("post_install", "-at_install", "revcycle")
class TestCreditScoreOrdinaryCases(RevcycleCreditCommon):
    def _score(self, partner=None):
        self._commit_events()
        profile = self._profile(partner)
        profile.sudo()._revcycle_refresh_each()
        return profile

    def test_unpaid_debt_counts_as_late(self):
        # both customers owe the same 1,000 invoice, 60 days overdue; "paid late" also paid an earlier 1,000
        # 45 days late. The one who never paid must not score better (it scored 35, class D, against 12, class E)
        never = self._customer_with_terms("Never Paid Ltd")
        late = self._customer_with_terms("Pays Late Ltd")
        for partner in (never, late):
            self._invoice(1000.0, partner=partner, days_ago=60)
        earlier = self._invoice(1000.0, partner=late, days_ago=100)
        self._pay(earlier, 1000.0, days_ago=55)  # 45 days after its due date
        never_profile, late_profile = self._score(never), self._score(late)
        self.assertEqual(never_profile.overdue_average_days, 60.0)
        self.assertLessEqual(never_profile.score, late_profile.score)
        self.assertEqual(never_profile.risk_class, "E")
        self.assertIn("Lateness", never_profile.score_breakdown)

    def test_new_customer_is_unrated_and_the_new_customer_policy_applies(self):
        newcomer = self._customer_with_terms("Newcomer Ltd")
        self._invoice(300.0, partner=newcomer)  # invoiced today: nothing paid, nothing due yet
        profile = self._score(newcomer)
        # unrated, not "score 0 with a blank class" (which read as the worst risk)
        self.assertRecordValues(profile, [{"risk_class": "unrated", "score": 0}])
        self.assertEqual(newcomer.revcycle_risk_class, "unrated")
        self.assertIn("Unrated", profile.score_breakdown)
        # default limit policy: a newcomer without a limit of their own gets 500; 300 owed + 300 more = 600 > 500
        self.company.write({"revcycle_new_customer_policy": "limit", "revcycle_new_customer_limit": 500.0})
        decision = newcomer.revcycle_check_credit(300.0)
        self.assertEqual((decision["allowed"], decision["limit"], decision["reason_code"]), (False, 500.0, "limit"))
        self.assertTrue(newcomer.revcycle_check_credit(200.0)["allowed"])  # 300 + 200 = 500: at the limit
        # prepayment policy: no credit at all until the customer has a payment history
        self.company.revcycle_new_customer_policy = "prepayment"
        profile.sudo()._revcycle_refresh_each()
        decision = newcomer.revcycle_check_credit(1.0)
        self.assertEqual((decision["allowed"], decision["reason_code"]), (False, "prepayment"))
        self.assertIn("pay in advance", decision["reason"])

    def test_suggested_limit_uses_the_months_of_history(self):
        # invoiced 10,000 in each of the last three months (first invoice 80 days ago: 3 months started):
        # 30,000 / 3 = 10,000 a month, not 30,000 / 12 = 2,500; the class's two months suggest 20,000, not 5,000
        young = self._customer_with_terms("Young Customer Ltd")
        for days_ago in (80, 50, 20):
            invoice = self._invoice(10000.0, partner=young, days_ago=days_ago)
            self._pay(invoice, 10000.0, days_ago=days_ago)  # paid on the day: a good payer
        profile = self._score(young)
        self.assertEqual(profile.history_months, 3)
        self.assertEqual(profile.monthly_sales, 10000.0)
        classes = self.env["revcycle.risk.class"].search([("code", "=", profile.risk_class),
                                                          ("company_id", "in", (self.company.id, False))], limit=1)
        # a shared class (no company) is changed only by a user of every company: as the administrator here
        classes.sudo().limit_months = 2.0
        profile.sudo()._revcycle_refresh_each()
        self.assertEqual(profile.suggested_limit, 20000.0)

    def _customer_with_terms(self, name):
        return self.env["res.partner"].create({
            "name": name, "is_company": True, "property_payment_term_id": self.pay_terms_a.id})
