from datetime import date

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError


@tagged("post_install", "-at_install", "revcycle")
class TestSsp(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Ssp = cls.env["revcycle.ssp"]
        cls.currency = cls.env.company.currency_id
        cls.product = cls.env["product.template"].create(
            {"name": "Support", "revcycle_recognition": "ratable_monthly", "revcycle_ssp": 1000.0})
        cls.Ssp.create({"product_tmpl_id": cls.product.id, "date_from": date(2026, 1, 1),
                        "date_to": date(2026, 6, 30), "price": 1200.0})
        cls.revrec_user = new_test_user(cls.env, "rc_revrec_user", groups="revcycle_revrec.group_revcycle_revrec_user")
        cls.revrec_manager = new_test_user(
            cls.env, "rc_revrec_manager", groups="revcycle_revrec.group_revcycle_revrec_manager")

    def test_table_overrides_product_field_within_its_dates(self):
        get = self.Ssp.revcycle_get_ssp
        self.assertEqual(get(self.product.id, self.currency.id, date(2026, 3, 1)), 1200.0)
        self.assertEqual(get(self.product.id, self.currency.id, date(2026, 7, 1)), 1000.0)
        other_currency = self.env.ref("base.EUR") if self.currency != self.env.ref("base.EUR") else self.env.ref(
            "base.USD")
        # no row in that currency: the product's SSP (company currency) converted at the date's rate
        company = self.env.company
        self.assertAlmostEqual(
            get(self.product.id, other_currency.id, date(2026, 3, 1)),
            company.currency_id._convert(1000.0, other_currency, company, date(2026, 3, 1), round=False), places=6)

    def test_bad_input_is_refused(self):
        before = self.Ssp.search_count([])
        with self.assertRaisesRegex(ValidationError, "already has an SSP"), self.env.cr.savepoint():
            self.Ssp.create({"product_tmpl_id": self.product.id, "date_from": date(2026, 6, 1), "price": 5.0})
        for values in ({"date_from": date(2027, 1, 1), "price": -5.0},
                       {"date_from": date(2027, 2, 1), "date_to": date(2027, 1, 1), "price": 5.0}):
            with self.subTest(**values), self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), \
                    self.env.cr.savepoint():
                self.Ssp.create({"product_tmpl_id": self.product.id, **values})
        self.assertEqual(self.Ssp.search_count([]), before)

    def test_roles_and_companies(self):
        self.assertEqual(self.Ssp.with_user(self.revrec_user).search_count(
            [("product_tmpl_id", "=", self.product.id)]), 1)
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"):
            self.Ssp.with_user(self.revrec_user).create(
                {"product_tmpl_id": self.product.id, "date_from": date(2027, 1, 1), "price": 1.0})
        company_b = self.env["res.company"].create({"name": "revcycle Company B"})
        hidden = self.Ssp.create({"product_tmpl_id": self.product.id, "company_id": company_b.id,
                                  "currency_id": company_b.currency_id.id, "date_from": date(2026, 1, 1),
                                  "price": 900.0})
        self.assertFalse(self.Ssp.with_user(self.revrec_manager).search([("id", "=", hidden.id)]))
