"""Issue 20: approvals measure the effective discount from what the pricelist, tier table or bundle would charge,
an approval follows a revision that is no worse, "Pending" only after a request, and the refused buttons are hidden."""

from lxml import etree
from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import BaseCase, TransactionCase, new_test_user, tagged

from ..engine import PricedLine, effective_discount


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestEffectiveDiscountEngine(BaseCase):
    def test_table(self):
        cases = [
            # lines (reference, actual), expected effective discount %
            ([(1350.0, 300.0)], 77.78),  # 30 seats at a tier price of 45 typed at 10: 35 / 45 = 77.78 %
            ([(200.0, 170.0)], 15.0),  # a 15 % discount field
            ([(200.0, 200.0), (0.0, -100.0)], 50.0),  # a negative line takes 100 off 200: 50 % off the quote
            ([(100.0, 100.0), (-20.0, -20.0)], 0.0),  # a catalogue rebate line at its own price: no discount
            ([(100.0, 150.0)], 0.0),  # a surcharge is no discount
            ([(375.0, 150.0), (625.0, 625.0)], 60.0),  # a bundle component under its share: 225 / 375 on the line
            ([(0.0, 0.0), (0.0, -5.0)], 100.0),  # nothing to measure from, money given away
            ([], 0.0),
        ]
        for lines, expected in cases:
            with self.subTest(lines=lines):
                result = effective_discount([PricedLine(reference, actual) for reference, actual in lines])
                self.assertAlmostEqual(result, expected, places=2)


@tagged("post_install", "-at_install", "revcycle")
class TestQuoteApprovals(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["revcycle.approval.rule"].search([]).active = False
        cls.env["revcycle.approval.rule"].create({"name": "Over 20 %", "check_discount": True, "max_discount": 20.0})
        cls.partner = cls.env["res.partner"].create({"name": "Approval Customer"})
        cls.seats = cls.env["product.template"].create(
            {"name": "Approval Seats", "list_price": 50.0, "revcycle_tier_mode": "volume", "taxes_id": []}
        )
        cls.env["revcycle.price.tier"].create(
            [
                {"product_tmpl_id": cls.seats.id, "min_quantity": quantity, "price": price}
                for quantity, price in ((1, 50.0), (25, 45.0), (100, 40.0))
            ]
        )
        cls.chair = cls.env["product.product"].create({"name": "Approval Chair", "list_price": 100.0, "taxes_id": []})
        cls.desk = cls.env["product.product"].create({"name": "Approval Desk", "list_price": 500.0, "taxes_id": []})
        cls.goodwill = cls.env["product.product"].create({"name": "Goodwill", "list_price": 0.0, "taxes_id": []})
        cls.salesman = new_test_user(cls.env, "rc_appr_salesman", groups="sales_team.group_sale_salesman")
        cls.manager = new_test_user(cls.env, "rc_appr_manager", groups="revcycle_cpq.group_revcycle_cpq_manager")

    def _order(self, *lines, **values):
        return (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": self.partner.id,
                    "order_line": [
                        Command.create({"product_id": p.id, "product_uom_qty": q, **x}) for p, q, x in lines
                    ],
                    **values,
                }
            )
            .with_user(self.env.user)
        )

    def test_unit_price_typed_under_the_tier_price_needs_approval(self):
        # Reproduction: 30 seats price at the tier "from 25", 45.00; typing 10.00 as unit price is 35 / 45 =
        # 77.78 % off, and was let through because only the discount field was read.
        order = self._order((self.seats.product_variant_id, 30, {}))
        self.assertEqual(order.order_line.price_unit, 45.0)
        self.assertEqual(order.revcycle_approval_state, "not_required")
        order.order_line.price_unit = 10.0
        self.assertEqual(order.revcycle_approval_state, "to_request")
        self.assertEqual(order.revcycle_approval_reason, "discount 77.7778%")
        with self.assertRaisesRegex(UserError, "needs a discount approval"), self.env.cr.savepoint():
            order.with_user(self.salesman).action_confirm()
        order.order_line.price_unit = 40.0  # 5 / 45 = 11.11 % off: under the rule's 20 %
        self.assertEqual(order.revcycle_approval_state, "not_required")

    def test_the_reference_follows_the_quantity(self):
        # 100 seats at the tier "from 100", 40.00, typed 39.00 (2.5 % off); cut to 10 seats the price stays typed
        # but the tier price is 50.00: 11 / 50 = 22 % off, which needs approval
        order = self._order((self.seats.product_variant_id, 100, {}))
        order.order_line.price_unit = 39.0
        self.assertEqual(order.revcycle_approval_state, "not_required")
        order.order_line.product_uom_qty = 10
        self.assertEqual(order.order_line.price_unit, 39.0)
        self.assertEqual(order.revcycle_approval_state, "to_request")
        self.assertEqual(order.revcycle_approval_reason, "discount 22%")

    def test_negative_line_counts_as_a_discount_of_the_quote(self):
        # 2 chairs = 200.00, and a goodwill line of -100.00 (its catalogue price is 0): 100 / 200 = 50 % off
        order = self._order((self.chair, 2, {}), (self.goodwill, 1, {"price_unit": -100.0}))
        self.assertEqual(order.amount_untaxed, 100.0)
        self.assertEqual(order.revcycle_approval_state, "to_request")
        self.assertEqual(order.revcycle_approval_reason, "discount 50%")

    def test_pricelist_price_is_the_reference(self):
        # a price list at 30 % off the chair: 70.00 is its price, so selling at 70.00 gives nothing away
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Partners -30 %",
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": self.chair.id,
                            "compute_price": "percentage",
                            "percent_price": 30.0,
                        }
                    )
                ],
            }
        )
        order = self._order((self.chair, 1, {}), pricelist_id=pricelist.id)
        self.assertEqual(order.amount_untaxed, 70.0)
        self.assertEqual(order.revcycle_approval_state, "not_required")
        order.order_line.price_unit = 50.0  # 20 / 70 = 28.57 % under the pricelist price
        self.assertEqual(order.revcycle_approval_state, "to_request")

    def test_bundle_component_under_its_share(self):
        # a 1,000.00 bundle of one desk (500) and three chairs (3 x 100): shares 625.00 and 375.00, the chairs at
        # 125.00; a chair line typed at 50.00 is 75 / 125 = 60 % off its share
        bundle = self.env["product.template"].create(
            {
                "name": "Approval Bundle",
                "list_price": 1000.0,
                "taxes_id": [],
                "revcycle_is_bundle": True,
                "revcycle_bundle_pricing": "spread",
                "revcycle_bundle_component_ids": [
                    Command.create({"product_id": self.desk.id, "quantity": 1}),
                    Command.create({"product_id": self.chair.id, "quantity": 3}),
                ],
            }
        )
        order = self._order((bundle.product_variant_id, 1, {}))
        chairs = order.order_line.filtered(lambda line: line.product_id == self.chair)
        self.assertEqual(chairs.price_unit, 125.0)
        self.assertEqual(order.revcycle_approval_state, "not_required")
        chairs.price_unit = 50.0
        self.assertEqual(order.revcycle_approval_state, "to_request")
        self.assertEqual(order.revcycle_approval_reason, "discount 60%")

    def test_an_approval_covers_an_identical_or_better_revision(self):
        # Reproduction: approval did not survive an identical revision.
        order = self._order((self.chair, 2, {"discount": 30.0}))
        order.with_user(self.salesman).action_revcycle_request_approval()
        order.with_user(self.manager).action_revcycle_approve()
        self.assertEqual(order.revcycle_approval_state, "approved")
        identical = self.env["sale.order"].browse(order.action_revcycle_new_revision()["res_id"])
        self.assertEqual(identical.revcycle_approval_state, "approved")
        self.assertEqual(identical.revcycle_approved_by_id, self.manager)
        better = self.env["sale.order"].browse(identical.action_revcycle_new_revision()["res_id"])
        better.order_line.discount = 25.0  # less generous than approved: still covered
        self.assertEqual(better.revcycle_approval_state, "approved")
        worse = self.env["sale.order"].browse(better.action_revcycle_new_revision()["res_id"])
        worse.order_line.price_unit = 60.0  # 40 % off the 100.00 list price, more than the 30 % approved
        self.assertEqual(worse.revcycle_approval_state, "to_request")
        worse.order_line.price_unit = 100.0
        worse.order_line.discount = 30.0
        self.assertEqual(worse.revcycle_approval_state, "approved")
        worse.with_user(self.salesman).action_confirm()
        self.assertEqual(worse.state, "sale")

    def test_a_rejection_follows_an_identical_revision(self):
        order = self._order((self.chair, 2, {"discount": 30.0}))
        order.with_user(self.manager).action_revcycle_reject("Too much")
        revision = self.env["sale.order"].browse(order.action_revcycle_new_revision()["res_id"])
        self.assertEqual(revision.revcycle_approval_state, "rejected")
        revision.order_line.discount = 25.0
        self.assertEqual(revision.revcycle_approval_state, "to_request")

    def test_pending_only_after_a_request(self):
        # Reproduction: quotations showed "Pending" and appeared in "Quotations to Approve" before anyone asked.
        order = self._order((self.chair, 1, {"discount": 30.0}))
        to_approve = self.env["sale.order"].search([("revcycle_approval_state", "=", "pending")])
        self.assertEqual(order.revcycle_approval_state, "to_request")
        self.assertNotIn(order, to_approve)
        order.with_user(self.salesman).action_revcycle_request_approval()
        self.assertEqual(order.revcycle_approval_state, "pending")
        self.assertIn(order, self.env["sale.order"].search([("revcycle_approval_state", "=", "pending")]))
        for action in ("action_confirm", "action_quotation_send", "action_quotation_sent"):
            with (
                self.subTest(action=action),
                self.assertRaisesRegex(UserError, "waits for a manager's decision"),
                self.env.cr.savepoint(),
            ):
                getattr(order.with_user(self.salesman), action)()
        with self.assertRaisesRegex(UserError, "waits for a manager's decision"), self.env.cr.savepoint():
            order.with_user(self.salesman).write({"state": "sale"})
        self.assertEqual(order.state, "draft")

    def test_confirm_and_send_are_hidden_while_approval_blocks_them(self):
        arch = etree.fromstring(self.env["sale.order"].get_view(view_type="form")["arch"])
        for xpath in (
            "//header/button[@id='action_confirm']",
            "//header/button[@name='action_confirm'][not(@id)]",
            "//header/button[@id='send_by_email_primary']",
            "//header/button[@id='send_by_email']",
        ):
            with self.subTest(button=xpath):
                (button,) = arch.xpath(xpath)
                self.assertIn(
                    "revcycle_approval_state in ('to_request', 'pending', 'rejected')", button.get("invisible")
                )
