"""Issue 20: the order line, the invoice line, a credit note and a down payment carry the tier total to the cent,
whatever the "Product Price" precision (see engine/exact_prices.py for the mechanism)."""

from odoo import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools import float_compare

from ..engine import amount_unit_price


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestExactPriceEngine(TransactionCase):
    def test_exact_unit_price_only_while_the_shown_one_is_its_rounding(self):
        cases = [
            # shown unit price, exact unit price, digits, unit price the amounts use
            (9.33, 1400 / 150, 2, 1400 / 150),  # 9.3333.. rounds to 9.33: the exact one
            (9.0, 1400 / 150, 2, 9.0),  # typed by hand: what the user sees
            (9.0, 1400 / 150, 0, 1400 / 150),  # no decimals: 9 is still its rounding
            (9.83, 0.0, 2, 9.83),  # no exact price (not tier-priced)
            (0.0, 0.0, 2, 0.0),
        ]
        for shown, exact, digits, expected in cases:
            with self.subTest(shown=shown, digits=digits):
                self.assertEqual(amount_unit_price(shown, exact, digits), expected)


@tagged("post_install", "-at_install", "revcycle")
class TestExactLineTotals(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("revcycle_cpq.revcycle_approval_rule_discount_demo").active = False
        cls.env["revcycle.approval.rule"].search([]).active = False
        cls.partner = cls.env["res.partner"].create({"name": "Exact Customer"})
        cls.tax = cls.env["account.tax"].create({"name": "Exact 15 %", "amount": 15.0, "type_tax_use": "sale"})
        cls.calls = cls._tiered("Exact Calls", [(1, 10.0), (101, 8.0)])
        cls.seats = cls._tiered("Exact Seats", [(0, 10.0), (11, 9.0)])

    @classmethod
    def _tiered(cls, name, tiers):
        template = cls.env["product.template"].create(
            {
                "name": name,
                "type": "service",
                "invoice_policy": "order",
                "revcycle_tier_mode": "graduated",
                "list_price": tiers[0][1],
                "taxes_id": [Command.set(cls.tax.ids)],
            }
        )
        cls.env["revcycle.price.tier"].create(
            [{"product_tmpl_id": template.id, "min_quantity": start, "price": price} for start, price in tiers]
        )
        return template.product_variant_id

    def _order(self, product, quantity):
        return self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": quantity})],
            }
        )

    def assertAmount(self, actual, expected):
        self.assertEqual(float_compare(actual, expected, precision_digits=2), 0, f"{actual} != {expected}")

    def test_1400_tier_total_is_1400_on_the_line_and_the_invoice(self):
        # units 1..100 at 10 + units 101..150 at 8 = 1,000 + 400 = 1,400.00; 1,400 / 150 = 9.3333 shown as 9.33,
        # and 9.33 x 150 = 1,399.50 was what the line and the invoice said before (issue 20)
        order = self._order(self.calls, 150)
        line = order.order_line
        self.assertEqual(line.price_unit, 9.33)
        self.assertAmount(line.revcycle_tier_total, 1400.0)
        self.assertAmount(line.price_subtotal, 1400.0)
        self.assertAmount(order.amount_untaxed, 1400.0)
        self.assertAmount(order.amount_tax, 210.0)  # 15 % of 1,400.00
        self.assertAmount(order.amount_total, 1610.0)
        order.action_confirm()
        invoice = order._create_invoices()
        self.assertEqual(invoice.invoice_line_ids.price_unit, 9.33)
        self.assertAmount(invoice.invoice_line_ids.price_subtotal, 1400.0)
        self.assertAmount(invoice.amount_untaxed, 1400.0)
        self.assertAmount(invoice.amount_total, 1610.0)
        invoice.action_post()
        receivable = invoice.line_ids.filtered(lambda aml: aml.display_type == "payment_term")
        self.assertAmount(sum(receivable.mapped("balance")), 1610.0)
        self.assertAmount(line.untaxed_amount_invoiced, 1400.0)

    def test_118_tier_total_is_118(self):
        # units 1..10 at 10 + units 11..12 at 9 = 118.00; 118 / 12 = 9.8333 shown as 9.83 (9.83 x 12 = 117.96)
        order = self._order(self.seats, 12)
        self.assertEqual(order.order_line.price_unit, 9.83)
        self.assertAmount(order.order_line.price_subtotal, 118.0)
        order.action_confirm()
        invoice = order._create_invoices()
        self.assertAmount(invoice.amount_untaxed, 118.0)
        self.assertAmount(invoice.amount_total, 135.70)  # 118 + 15 % (17.70)

    def test_credit_notes_full_and_partial(self):
        order = self._order(self.calls, 150)
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "exact"})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        self.assertAmount(credit_note.amount_untaxed, 1400.0)  # the full credit note takes back 1,400.00
        self.assertAmount(credit_note.amount_total, 1610.0)
        # partial: 75 of the 150 units at 9.3333 = 700.00 (9.33 x 75 would be 699.75)
        credit_note.invoice_line_ids.quantity = 75
        self.assertAmount(credit_note.invoice_line_ids.price_subtotal, 700.0)
        self.assertAmount(credit_note.amount_untaxed, 700.0)
        self.assertAmount(credit_note.amount_total, 805.0)  # 700 + 105 tax

    def test_down_payment_then_final_invoice(self):
        order = self._order(self.calls, 150)
        order.action_confirm()
        wizard = (
            self.env["sale.advance.payment.inv"]
            .with_context(active_model="sale.order", active_ids=order.ids)
            .create({"advance_payment_method": "percentage", "amount": 50})
        )
        wizard.create_invoices()
        down_payment = order.invoice_ids
        self.assertAmount(down_payment.amount_untaxed, 700.0)  # 50 % of 1,400.00 (of 1,399.50 it was 699.75)
        self.assertAmount(down_payment.amount_total, 805.0)
        down_payment.action_post()
        final = order._create_invoices(final=True)
        # 1,400.00 less the 700.00 already invoiced
        self.assertAmount(final.amount_untaxed, 700.0)
        self.assertAmount(final.amount_total, 805.0)

    def test_a_price_typed_by_hand_is_what_the_line_charges(self):
        order = self._order(self.calls, 150)
        order.order_line.price_unit = 9.0
        self.assertAmount(order.order_line.price_subtotal, 1350.0)  # 150 x 9.00, the exact tier price ignored
        order.action_confirm()
        self.assertAmount(order._create_invoices().amount_untaxed, 1350.0)

    def test_a_price_given_at_creation_is_kept(self):
        # a free training (list price 300.00) sold at 0.00, and 150 calls given at 9.00 when created: the lines
        # charge 0.00 and 1,350.00 (an exact price computed with the line must never bring the list price back)
        training = self.env["product.product"].create({"name": "Exact Training", "list_price": 300.0, "taxes_id": []})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "order_line": [
                    Command.create({"product_id": training.id, "product_uom_qty": 1, "price_unit": 0.0}),
                    Command.create({"product_id": self.calls.id, "product_uom_qty": 150, "price_unit": 9.0}),
                ],
            }
        )
        self.assertEqual(order.order_line.mapped("price_unit"), [0.0, 9.0])
        self.assertEqual(order.order_line.mapped("price_subtotal"), [0.0, 1350.0])

    def test_quantity_change_and_revision_keep_the_tier_total(self):
        order = self._order(self.calls, 150)
        order.order_line.product_uom_qty = 130
        # 1,000 + 30 x 8 = 1,240.00; 1,240 / 130 = 9.5385 shown as 9.54 (x 130 = 1,240.20)
        self.assertEqual(order.order_line.price_unit, 9.54)
        self.assertAmount(order.order_line.price_subtotal, 1240.0)
        revision = self.env["sale.order"].browse(order.action_revcycle_new_revision()["res_id"])
        self.assertAmount(revision.amount_untaxed, 1240.0)

    def test_whatever_the_product_price_precision(self):
        precision = self.env.ref("product.decimal_price")
        for digits in (0, 1, 4):
            precision.digits = digits
            with self.subTest(digits=digits):
                order = self._order(self.calls, 150)
                # 9.3333 shown as 9 / 9.3 / 9.3333, the line still 1,400.00
                self.assertAmount(order.order_line.price_subtotal, 1400.0)
                order.action_confirm()
                self.assertAmount(order._create_invoices().amount_untaxed, 1400.0)
