from datetime import date

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install", "revcycle")
class TestContractPortal(HttpCase):
    """Two portal customers, each with a contract, over real HTTP: each sees only their own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        product = cls.env["product.product"].create({"name": "Portal support plan", "type": "service"})
        cls.user_a = new_test_user(cls.env, "rc_portal_alice", groups="base.group_portal", name="Alice Portal")
        cls.user_b = new_test_user(cls.env, "rc_portal_bob", groups="base.group_portal", name="Bob Portal")
        cls.contract_a, cls.contract_b = cls.env["revcycle.contract"].create(
            [
                {
                    "partner_id": user.partner_id.id,
                    "date_start": date(2026, 1, 1),
                    "date_end": date(2026, 12, 31),
                    "line_ids": [
                        Command.create(
                            {"product_id": product.id, "name": f"{label} plan", "quantity": 1, "price_unit": 99.0}
                        )
                    ],
                }
                for user, label in ((cls.user_a, "Alice"), (cls.user_b, "Bob"))
            ]
        )
        cls.contract_a.action_sign()
        cls.contract_a.action_activate()

    def test_portal_user_sees_only_own_contracts(self):
        self.authenticate(self.user_a.login, self.user_a.login)

        listing = self.url_open("/my/contracts")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(self.contract_a.name, listing.text)
        self.assertIn(f"/my/contracts/{self.contract_a.id}", listing.text)
        self.assertNotIn(self.contract_b.name, listing.text)

        detail = self.url_open(f"/my/contracts/{self.contract_a.id}")
        self.assertEqual(detail.status_code, 200)
        self.assertIn(self.contract_a.name, detail.text)
        self.assertIn("Alice plan", detail.text)

        with mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model"):
            refused = self.url_open(f"/my/contracts/{self.contract_b.id}", allow_redirects=False)
            forged = self.url_open(
                f"/my/contracts/{self.contract_b.id}?access_token=not-the-token", allow_redirects=False
            )
            followed = self.url_open(f"/my/contracts/{self.contract_b.id}")
        for response in (refused, forged):
            self.assertEqual(response.status_code, 303)
            self.assertTrue(response.headers["Location"].endswith("/my"), response.headers["Location"])
        self.assertNotIn(self.contract_b.name, followed.text)
        self.assertNotIn("Bob plan", followed.text)

    def test_each_portal_user_counts_only_own_contracts(self):
        for user, contract in ((self.user_a, self.contract_a), (self.user_b, self.contract_b)):
            Contract = self.env["revcycle.contract"].with_user(user)
            self.assertEqual(Contract.search([]), contract)

    def test_shared_link_opens_without_login_only_with_its_token(self):
        self.contract_b._portal_ensure_token()
        self.authenticate(None, None)
        with mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model"):
            anonymous = self.url_open(f"/my/contracts/{self.contract_b.id}", allow_redirects=False)
        self.assertEqual(anonymous.status_code, 303)
        shared = self.url_open(f"/my/contracts/{self.contract_b.id}?access_token={self.contract_b.access_token}")
        self.assertEqual(shared.status_code, 200)
        self.assertIn(self.contract_b.name, shared.text)

    def test_internal_user_does_not_open_a_customer_contract_in_the_portal(self):
        # Reproduction: /my/contracts/<id> answered a CPQ user (who may read the contract in the back office).
        seller = new_test_user(
            self.env, "rc_portal_seller", groups="revcycle_cpq.group_revcycle_cpq_manager", name="Seller"
        )
        self.authenticate(seller.login, seller.login)
        with mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model"):
            refused = self.url_open(f"/my/contracts/{self.contract_a.id}", allow_redirects=False)
            listing = self.url_open("/my/contracts")
        self.assertEqual(refused.status_code, 303)
        self.assertTrue(refused.headers["Location"].endswith("/my"), refused.headers["Location"])
        self.assertNotIn(self.contract_a.name, listing.text)
