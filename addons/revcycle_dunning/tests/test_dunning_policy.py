from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError


@tagged("post_install", "-at_install", "revcycle")
class TestDunningPolicy(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Policy = cls.env["revcycle.dunning.policy"]
        cls.collector = new_test_user(cls.env, "rc_collector", groups="revcycle_dunning.group_revcycle_dunning_user")
        cls.credit_manager = new_test_user(
            cls.env, "rc_credit_manager", groups="revcycle_dunning.group_revcycle_dunning_manager")

    def _levels(self, *days):
        return [Command.create({"sequence": 10 * (i + 1), "name": f"L{i}", "days": d}) for i, d in enumerate(days)]

    def test_policy_with_escalating_levels(self):
        policy = self.Policy.create({"name": "Policy", "level_ids": self._levels(-3, 7, 30)})
        self.assertEqual(policy.level_count, 3)
        self.assertEqual(policy.level_ids.mapped("days"), [-3, 7, 30])

    def test_bad_input_is_refused_and_nothing_is_written(self):
        before = self.Policy.search_count([])
        with self.assertRaisesRegex(ValidationError, "later levels must come later"), self.env.cr.savepoint():
            self.Policy.create({"name": "Backwards", "level_ids": self._levels(30, 7)})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.Policy.create({"name": "Negative fee", "level_ids": [
                Command.create({"sequence": 10, "name": "Fee", "days": 5, "fee_fixed": -1.0})]})
        self.assertEqual(self.Policy.search_count([]), before)

    def test_roles(self):
        policy = self.Policy.create({"name": "Policy", "level_ids": self._levels(7)})
        self.assertEqual(policy.with_user(self.collector).level_ids.days, 7)
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"):
            policy.with_user(self.collector).write({"name": "Renamed"})
        policy.with_user(self.credit_manager).write({"name": "Renamed"})
        self.assertEqual(policy.name, "Renamed")

    def test_multi_company_isolation(self):
        company_b = self.env["res.company"].create({"name": "revcycle Company B"})
        own = self.Policy.create({"name": "Own", "level_ids": self._levels(7)})
        other = self.Policy.create({"name": "Other", "company_id": company_b.id, "level_ids": self._levels(7)})
        visible = self.Policy.with_user(self.credit_manager).search([("id", "in", (own | other).ids)])
        self.assertEqual(visible, own)


@tagged("post_install", "-at_install", "revcycle")
class TestDunningSettingsShowWhatIsUsed(TransactionCase):
    def test_fee_product_in_use_is_shown(self):
        late_fee = self.env.ref("revcycle_dunning.product_product_late_fee")
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.revcycle_dunning_fee_product_id, late_fee)
        self.assertEqual(self.env.company._revcycle_fee_product(), late_fee)
        # a company created later gets it as well
        self.assertEqual(self.env["res.company"].create({"name": "Later Co"}).revcycle_dunning_fee_product_id, late_fee)

    def test_card_collection_without_stripe_is_flagged(self):
        Provider = self.env["payment.provider"]
        stripe = Provider.search([("code", "=", "stripe"), ("company_id", "=", self.env.company.id)])
        stripe.state = "disabled"
        self.env.company.revcycle_autocollect = True
        self.assertFalse(self.env["res.config.settings"].create({}).revcycle_stripe_provider_ready)
        self.assertTrue(stripe, "payment_stripe ships a Stripe provider for the main company")
        stripe[:1].write({"state": "test", "stripe_secret_key": "sk_test_x", "stripe_publishable_key": "pk_test_x"})
        self.assertTrue(self.env["res.config.settings"].create({}).revcycle_stripe_provider_ready)
