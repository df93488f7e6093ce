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
