""""Update the saved card" on the customer's contract page, over real HTTP: Odoo's payment form in validation mode
for the contract's company, then the landing route records the new card on the contract, and automatic collection
charges it. Stripe.js itself (the card entered in the browser) is not run here: the validation transaction it ends
with is made by the test. Another customer gets 404, a transaction that is not a saved card 400, never 500."""

from datetime import date

from freezegun import freeze_time
from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL
from odoo.tools.misc import hmac


@tagged("post_install", "-at_install", "revcycle")
class TestContractCard(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.provider = cls.env.ref("payment.payment_provider_stripe").sudo().copy({"company_id": cls.company.id})
        cls.provider.write({"state": "test", "stripe_secret_key": "sk_test_revcycle_card",
                            "stripe_publishable_key": "pk_test_revcycle_card", "allow_tokenization": True,
                            "is_published": True})
        cls.card_method = cls.env.ref("payment.payment_method_card")
        cls.card_method.sudo().active = True
        cls.provider.payment_method_ids |= cls.card_method
        cls.plan = cls.env["product.product"].create({
            "name": "Card plan", "type": "service", "list_price": 40.0, "revcycle_recurring": True,
            "revcycle_billing_period": "month", "taxes_id": [Command.clear()]})
        cls.alice = new_test_user(cls.env, "rc_card_alice", groups="base.group_portal", name="Alice Card")
        cls.bob = new_test_user(cls.env, "rc_card_bob", groups="base.group_portal", name="Bob Card")
        cls.contract = cls.env["revcycle.contract"].create({
            "partner_id": cls.alice.partner_id.id, "company_id": cls.company.id,
            "date_start": date(2026, 1, 1), "date_end": date(2026, 12, 31),
            "line_ids": [
                Command.create({"product_id": cls.plan.id, "name": "Plan", "quantity": 1, "price_unit": 40.0})
            ],
        })
        cls.contract.action_sign()
        cls.contract.action_activate()

    def _card(self, partner, reference, state="done", operation="validation"):
        token = self.env["payment.token"].create({
            "provider_id": self.provider.id, "payment_method_id": self.card_method.id, "partner_id": partner.id,
            "provider_ref": "cus_revcycle", "stripe_payment_method": f"pm_{reference}", "payment_details": "4242"})
        transaction = self.env["payment.transaction"].create({
            "provider_id": self.provider.id, "payment_method_id": self.card_method.id, "reference": reference,
            "amount": 0.0, "currency_id": self.company.currency_id.id, "partner_id": partner.id,
            "operation": operation, "token_id": token.id, "state": state})
        # payment.utils.generate_access_token's value, computed outside a request
        access_token = hmac(self.env(su=True), "generate_access_token",
                            f"{partner.id}|{transaction.amount}|{self.company.currency_id.id}")
        return token, transaction, access_token

    def _saved(self, transaction, access_token, contract=None):
        contract = contract or self.contract
        return self.url_open(
            f"/my/contracts/{contract.id}/card/saved?tx_id={transaction.id}&access_token={access_token}",
            allow_redirects=False)

    def test_the_form_is_the_customers_own(self):
        self.authenticate(self.alice.login, self.alice.login)
        page = self.url_open(f"/my/contracts/{self.contract.id}")
        self.assertIn("Update the saved card", page.text)
        form = self.url_open(f"/my/contracts/{self.contract.id}/card")
        self.assertEqual(form.status_code, 200)
        self.assertIn("o_payment_form", form.text)
        self.assertIn(f"/my/contracts/{self.contract.id}/card/saved", form.text)  # lands back on the contract
        self.authenticate(self.bob.login, self.bob.login)
        self.assertEqual(self.url_open(f"/my/contracts/{self.contract.id}/card").status_code, 404)
        self.assertEqual(self.url_open("/my/contracts/999999999/card").status_code, 404)

    def test_the_new_card_becomes_the_contracts_and_is_charged(self):
        old_card, _old_tx, _old_token = self._card(self.alice.partner_id, "V-card-old")
        card, transaction, access_token = self._card(self.alice.partner_id, "V-card-new")
        self.authenticate(self.alice.login, self.alice.login)
        response = self._saved(transaction, access_token)
        self.assertEqual(response.status_code, 303)
        self.assertIn(f"/my/contracts/{self.contract.id}?card=saved", response.headers["Location"])
        self.assertEqual(self.contract.revcycle_payment_token_id, card)
        self.assertEqual(self.contract.message_ids[:1].author_id, self.alice.partner_id)
        self.assertIn("Your new card is saved", self.url_open(response.headers["Location"]).text)
        # automatic collection charges the customer's newest saved Stripe card: the contract's new one
        self.company.revcycle_autocollect = True
        with freeze_time("2026-01-02 09:00:00"):  # the day after January's invoice fell due
            invoices = self.contract._revcycle_invoice_periods(date(2026, 1, 1))
            self.assertEqual(invoices.state, "posted")
            Attempt = self.env["revcycle.payment.attempt"]
            due = dict(self.env.execute_query(Attempt._revcycle_due_sql(
                fields.Datetime.now(), SQL("move.id, token.id"))))
        self.assertEqual(due.get(invoices.id), card.id)
        self.assertNotEqual(card, old_card)

    def test_refused_without_writing(self):
        _card, transaction, access_token = self._card(self.alice.partner_id, "V-card-a")
        _pending_card, pending, pending_token = self._card(self.alice.partner_id, "V-card-b", state="pending")
        _bob_card, bob_tx, bob_token = self._card(self.bob.partner_id, "V-card-c")
        self.authenticate(self.bob.login, self.bob.login)
        self.assertEqual(self._saved(transaction, access_token).status_code, 404, "another customer's contract")
        self.authenticate(self.alice.login, self.alice.login)
        self.assertEqual(self._saved(transaction, "not-the-token").status_code, 404)
        self.assertEqual(self._saved(bob_tx, bob_token).status_code, 404, "another customer's card")
        bad_id = self.url_open(f"/my/contracts/{self.contract.id}/card/saved?tx_id=abc&access_token=x",
                               allow_redirects=False)
        self.assertEqual(bad_id.status_code, 404)
        not_saved = self._saved(pending, pending_token)
        self.assertEqual(not_saved.status_code, 400)
        self.assertIn("not saved yet", not_saved.text)
        self.assertFalse(self.contract.revcycle_payment_token_id)
        # the card is the customer's to save: written directly, refused (over XML-RPC too: the same write)
        with self.assertRaisesRegex(AccessError, "saved by its customer"):
            self.contract.write({"revcycle_payment_token_id": _card.id})
