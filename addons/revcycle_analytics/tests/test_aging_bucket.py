from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger
from psycopg2 import IntegrityError

from ..engine import kpis


@tagged("post_install", "-at_install", "revcycle")
class TestAgingBucket(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Bucket = cls.env["revcycle.aging.bucket"]
        cls.analyst = new_test_user(cls.env, "rc_analyst", groups="revcycle_analytics.group_revcycle_analytics_user")

    def test_default_buckets_cover_every_day(self):
        self.assertEqual(self.Bucket.revcycle_bucket_for(-5), "Not due")
        self.assertEqual(self.Bucket.revcycle_bucket_for(45), "31-60")
        self.assertEqual(self.Bucket.revcycle_bucket_for(400), "Over 90")

    def test_company_buckets_replace_the_defaults(self):
        company = self.env.company
        self.Bucket.create(
            [
                {"name": "Current", "open_ended_start": True, "days_to": 0, "company_id": company.id, "sequence": 1},
                {"name": "Late", "days_from": 1, "open_ended_end": True, "company_id": company.id, "sequence": 2},
            ]
        )
        self.assertEqual(self.Bucket.revcycle_bucket_for(45), "Late")

    def test_gap_is_refused_and_nothing_written(self):
        before = self.Bucket.search_count([])
        with self.assertRaisesRegex(ValidationError, "gap or overlap"), self.env.cr.savepoint():
            self.Bucket.create(
                [
                    {"name": "A", "open_ended_start": True, "days_to": 0, "company_id": self.env.company.id},
                    {"name": "B", "days_from": 5, "open_ended_end": True, "company_id": self.env.company.id},
                ]
            )
        self.assertEqual(self.Bucket.search_count([]), before)

    def test_reversed_range_without_flags_is_refused(self):
        # issue 15: a bucket 50 -> 10 created without the open-ended flags (NULL, not false) passed the CHECK
        before = self.Bucket.search_count([])
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env.cr.execute(
                "INSERT INTO revcycle_aging_bucket (name, days_from, days_to, sequence) VALUES ('{}', 50, 10, 99)")
        self.assertEqual(self.Bucket.search_count([]), before)

    def test_analyst_reads_but_cannot_change(self):
        buckets = self.Bucket.with_user(self.analyst).search([])
        self.assertEqual(len(buckets), 5)
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"):
            buckets[:1].write({"name": "Renamed"})


@tagged("post_install", "-at_install", "revcycle")
class TestAgingBucketSettings(TransactionCase):
    def test_settings_count_the_buckets_in_use(self):
        Bucket = self.env["revcycle.aging.bucket"]
        shared = Bucket.search_count([("company_id", "=", False)])
        self.assertEqual(shared, 5)  # the shipped defaults: not due, 1-30, 31-60, 61-90, over 90
        self.assertEqual(self.env["res.config.settings"].create({}).revcycle_aging_bucket_count, 5)
        # a company with buckets of its own uses those two only: the count says 2, not 2 + 5
        Bucket.create([
            {"name": "Current", "open_ended_start": True, "days_to": 0, "company_id": self.env.company.id},
            {"name": "Late", "days_from": 1, "open_ended_end": True, "company_id": self.env.company.id},
        ])
        self.assertEqual(self.env["res.config.settings"].create({}).revcycle_aging_bucket_count, 2)


@tagged("post_install", "-at_install", "revcycle")
class TestMovementSqlAgreesWithEngine(TransactionCase):
    def test_movement_kind(self):
        # (MRR before, MRR after, had MRR earlier): every rule, its boundaries and the flat case
        cases = [(0.0, 100.0, False), (0.0, 100.0, True), (100.0, 0.0, False), (100.0, 150.0, False),
                 (150.0, 100.0, True), (100.0, 100.0, False), (0.0, 0.0, True), (0.0, 0.0, False)]
        rows = self.env.execute_query(SQL(
            "SELECT i, %s FROM unnest(%s::int[], %s::numeric[], %s::numeric[], %s::bool[]) AS c(i, b, a, k)",
            kpis.movement_kind_sql(SQL("c.b"), SQL("c.a"), SQL("c.k")),
            list(range(len(cases))), *[list(column) for column in zip(*cases, strict=True)]))
        self.assertEqual(len(rows), len(cases))
        for index, in_sql in rows:
            with self.subTest(case=cases[index]):
                self.assertEqual(in_sql, kpis.movement_kind(*cases[index]))
        self.assertEqual([kpis.movement_kind(*case) for case in cases],
                         ["new", "reactivation", "churn", "expansion", "contraction", "flat", "flat", "flat"])
