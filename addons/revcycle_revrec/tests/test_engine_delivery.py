"""Partial deliveries on tables of cases: no database."""

from odoo.tests import BaseCase, tagged

from ..engine import ScheduleError, delivered_target, delivery_release


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestDeliveryEngine(BaseCase):
    def test_release_table(self):
        cases = [
            # name, allocated, released, delivered, ordered, digits, expected release
            ("nothing delivered", 1000.0, 0.0, 0.0, 3.0, 2, 0.0),
            ("a third, rounded half-up", 1000.0, 0.0, 1.0, 3.0, 2, 333.33),
            ("two thirds after a third", 1000.0, 333.33, 2.0, 3.0, 2, 333.34),
            ("the last unit releases exactly the rest", 1000.0, 666.67, 3.0, 3.0, 2, 333.33),
            ("over-delivery earns no more than allocated", 1000.0, 666.67, 4.0, 3.0, 2, 333.33),
            ("a return gives the share back", 1000.0, 1000.0, 2.0, 3.0, 2, -333.33),
            ("everything returned", 1000.0, 666.67, 0.0, 3.0, 2, -666.67),
            ("redelivery is not counted twice", 1000.0, 666.67, 2.0, 3.0, 2, 0.0),
            ("half of an odd cent amount", 0.05, 0.0, 1.0, 2.0, 2, 0.03),
            ("zero-decimal currency", 1001.0, 0.0, 1.0, 2.0, 0, 501.0),
            ("fractional quantities", 99.99, 0.0, 0.5, 1.5, 2, 33.33),
            ("quantity within the unit rounding counts as complete", 100.0, 0.0, 2.999, 3.0, 2, 100.0),
        ]
        for name, allocated, released, delivered, ordered, digits, expected in cases:
            with self.subTest(name):
                self.assertEqual(
                    delivery_release(allocated, released, delivered, ordered, digits, qty_rounding=0.01), expected
                )

    def test_successive_deliveries_sum_exactly(self):
        for allocated, ordered in [(1000.0, 3), (0.07, 3), (123456.78, 7), (10.0, 6)]:
            released = 0.0
            for delivered in range(1, ordered + 1):
                released = round(released + delivery_release(allocated, released, delivered, ordered), 2)
                self.assertEqual(released, delivered_target(allocated, delivered, ordered))
            self.assertEqual(released, allocated)

    def test_refusals(self):
        for ordered in (0.0, -1.0):
            with self.subTest(ordered=ordered), self.assertRaisesRegex(ScheduleError, "positive quantity"):
                delivery_release(100.0, 0.0, 1.0, ordered)
