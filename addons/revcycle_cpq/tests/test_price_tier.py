from lxml import etree
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError


@tagged("post_install", "-at_install", "revcycle")
class TestPriceTier(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "revcycle Company B"})
        cls.product = cls.env["product.template"].create(
            {"name": "Metered product", "revcycle_tier_mode": "graduated", "list_price": 10.0}
        )
        cls.Tier = cls.env["revcycle.price.tier"]
        cls.Tier.create(
            [
                {"product_tmpl_id": cls.product.id, "min_quantity": 0, "price": 10.0},
                {"product_tmpl_id": cls.product.id, "min_quantity": 100, "price": 8.0},
            ]
        )
        cls.salesman = new_test_user(cls.env, "rc_salesman", groups="sales_team.group_sale_salesman")
        cls.cpq_manager = new_test_user(cls.env, "rc_cpq_manager", groups="revcycle_cpq.group_revcycle_cpq_manager")

    def test_compute_price_graduated_then_volume(self):
        result = self.Tier.revcycle_compute_price(self.product.id, 150)
        # unit 100 is the first of the tier "from 100": 99 x 10 + 51 x 8 (the old off-by-one gave 100 x 10 + 50 x 8)
        self.assertEqual(result["total"], 1398.0)
        self.assertEqual([line["quantity"] for line in result["lines"]], [99.0, 51.0])
        self.product.revcycle_tier_mode = "volume"
        self.assertEqual(self.Tier.revcycle_compute_price(self.product.id, 150)["total"], 1200.0)
        self.assertEqual(self.product.revcycle_tier_count, 2)

    def test_pricelist_table_overrides_the_generic_one(self):
        pricelist = self.env["product.pricelist"].create({"name": "Partners"})
        self.Tier.create(
            {"product_tmpl_id": self.product.id, "pricelist_id": pricelist.id, "min_quantity": 0, "price": 7.0}
        )
        self.assertEqual(self.Tier.revcycle_compute_price(self.product.id, 10, pricelist.id)["total"], 70.0)
        other = self.env["product.pricelist"].create({"name": "Others"})
        self.assertEqual(self.Tier.revcycle_compute_price(self.product.id, 10, other.id)["total"], 100.0)

    def test_bad_tiers_are_refused_and_nothing_is_written(self):
        before = self.Tier.search_count([])
        for values in ({"min_quantity": 5, "price": -1.0}, {"min_quantity": -5, "price": 1.0}):
            with (
                self.subTest(**values),
                self.assertRaises(IntegrityError),
                mute_logger("odoo.sql_db"),
                self.env.cr.savepoint(),
            ):
                self.Tier.create({"product_tmpl_id": self.product.id, **values})
        with self.assertRaisesRegex(ValidationError, "already has a tier from quantity 100"), self.env.cr.savepoint():
            self.Tier.create({"product_tmpl_id": self.product.id, "min_quantity": 100, "price": 9.0})
        self.assertEqual(self.Tier.search_count([]), before)

    def test_roles(self):
        tiers_as_salesman = self.Tier.with_user(self.salesman)
        self.assertEqual(tiers_as_salesman.search_count([("product_tmpl_id", "=", self.product.id)]), 2)
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"):
            tiers_as_salesman.create({"product_tmpl_id": self.product.id, "min_quantity": 200, "price": 7.0})
        # the product is shared by every company: a manager of the main company only may not change its tiers
        # (issue 15), a manager of every company may
        with self.assertRaisesRegex(AccessError, "shared by all companies"), self.env.cr.savepoint():
            self.Tier.with_user(self.cpq_manager).create(
                {"product_tmpl_id": self.product.id, "min_quantity": 200, "price": 7.0}
            )
        shared = self.Tier.search([("product_tmpl_id", "=", self.product.id)], limit=1)
        with self.assertRaisesRegex(AccessError, "shared by all companies"), self.env.cr.savepoint():
            shared.with_user(self.cpq_manager).write({"price": 0.01})
        with self.assertRaisesRegex(AccessError, "shared by all companies"), self.env.cr.savepoint():
            shared.with_user(self.cpq_manager).unlink()
        self.cpq_manager.company_ids = self.env["res.company"].search([])
        tier = self.Tier.with_user(self.cpq_manager).create(
            {"product_tmpl_id": self.product.id, "min_quantity": 200, "price": 7.0}
        )
        self.assertTrue(tier.exists())

    def test_product_form_names_each_block(self):
        # Reproduction: the tier table sat under the "Bundle" heading, and the rule grid hid the required product.
        arch = etree.fromstring(self.env["product.template"].get_view(view_type="form")["arch"])
        (page,) = arch.xpath("//page[@name='revcycle_cpq']")
        order = [
            node.get("string") or node.get("name")
            for node in page
            if isinstance(node.tag, str)  # not the comments
            and (node.tag in ("group", "separator") or node.get("name", "").startswith("revcycle_"))
        ]
        self.assertEqual(
            order,
            [
                "Subscription",
                "Price Tiers",
                "revcycle_tier_ids",
                "Bundle",
                "revcycle_bundle_component_ids",
                "Configuration Rules",
                "revcycle_config_rule_ids",
            ],
        )
        (target,) = page.xpath(".//field[@name='revcycle_config_rule_ids']/list/field[@name='target_product_ids']")
        self.assertNotEqual(target.get("optional"), "hide")

    def test_multi_company_isolation(self):
        product_b = self.env["product.template"].create({"name": "B only", "company_id": self.company_b.id})
        self.Tier.create({"product_tmpl_id": product_b.id, "min_quantity": 0, "price": 3.0})
        manager_a = self.cpq_manager  # member of the main company only
        visible = self.Tier.with_user(manager_a).search([("product_tmpl_id", "in", (self.product | product_b).ids)])
        self.assertEqual(visible.product_tmpl_id, self.product)
