"""Price changes after inception on tables of cases: no database (engine/change.py)."""

from odoo.tests import BaseCase, tagged

from ..engine import allocate_change, progress_release, rescale_remaining


@tagged("post_install", "-at_install", "revcycle", "revcycle_engine")
class TestChangeEngine(BaseCase):
    def test_allocate_change_table(self):
        cases = [
            # name, change, weights, expected parts (sum exactly to the change)
            ("credit by SSP 60:36:24", -15000.0, [60000.0, 36000.0, 24000.0], [-7500.0, -4500.0, -3000.0]),
            ("a thirds split keeps the cent", -100.0, [1.0, 1.0, 1.0], [-33.34, -33.33, -33.33]),
            ("a rise spreads the same way", 200.0, [1200.0, 0.0], [200.0, 0.0]),
        ]
        for name, change, weights, expected in cases:
            with self.subTest(name):
                parts = allocate_change(change, weights)
                self.assertEqual(parts, expected)
                self.assertAlmostEqual(sum(parts), change, places=6)

    def test_rescale_remaining_table(self):
        cases = [
            # name, new allocated, released, planned, (catch-up, new planned)
            ("support 27,000 -> 22,500 after one month", 22500.0, 2250.0, [2250.0] * 11,
             (-375.0, [1875.0] * 11)),
            ("satisfied point in time: all catch-up", 37500.0, 45000.0, [], (-7500.0, [])),
            ("nothing released yet: the plan scales", 800.0, 0.0, [500.0, 500.0], (0.0, [400.0, 400.0])),
            ("thirds: the plan and the catch-up add up", 200.0, 100.0, [100.0, 100.0], (-33.33, [66.67, 66.66])),
            ("nothing allocated before", 90.0, 0.0, [0.0, 0.0, 0.0], (0.0, [30.0, 30.0, 30.0])),
            # contract modifications of a non-distinct obligation (issue 16 item 7, ASC 606-10-25-13(b)): the
            # measure of progress stays (3 of 12 months = 25 %), the cumulative catch-up is due at once
            ("modification 1,200 -> 1,500 after 3 of 12 months: 75 caught up", 1500.0, 300.0, [100.0] * 9,
             (75.0, [125.0] * 9)),
            ("modification 1,200 -> 1,000 after 3 of 12 months: 50 reversed", 1000.0, 300.0, [100.0] * 9,
             (-50.0, [83.34] * 3 + [83.33] * 6)),
        ]
        for name, new, released, planned, expected in cases:
            with self.subTest(name):
                catch_up, new_planned = rescale_remaining(new, released, planned)
                self.assertEqual((catch_up, new_planned), expected)
                self.assertAlmostEqual(released + catch_up + sum(new_planned), new, places=6)

    def test_progress_release_table(self):
        cases = [
            # name, allocated, released, done, basis, (release now, still waiting)
            ("3 of 10 invoiced", 1000.0, 0.0, 3.0, 10.0, (300.0, 700.0)),
            ("return then its credit: 8 of 8", 800.0, 800.0, 8.0, 8.0, (0.0, 0.0)),
            ("credit before the return: 10 of 10", 800.0, 1000.0, 10.0, 10.0, (-200.0, 0.0)),
            ("everything returned and credited", 0.0, 0.0, 0.0, 0.0, (0.0, 0.0)),
            ("a third, half-up", 1000.0, 0.0, 1.0, 3.0, (333.33, 666.67)),
        ]
        for name, allocated, released, done, basis, expected in cases:
            with self.subTest(name):
                self.assertEqual(progress_release(allocated, released, done, basis), expected)
