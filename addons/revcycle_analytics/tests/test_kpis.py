"""revcycle.kpi.get_kpis on a scenario built in a fresh company: invoices, payments, contracts, orders, dunning
notices and a deferred revenue entry, against values worked out by hand below.

Period: 2024-01-01 to 2024-03-31 (91 days, N = 3 months); previous period: 2023-10-01 to 2023-12-31 (92 days).

Invoices (no tax):  I0 2023-12-15 1,000 due 2024-01-14, paid 2024-01-20
                    I1 2024-01-10 3,000 due 2024-02-09, paid 2024-02-15
                    I2 2024-02-20 2,000 due 2024-03-21, 500 paid 2024-03-10
                    I3 2024-03-25 1,000 due 2024-04-24, paid 2024-04-05 (after the period)
At 2024-03-31: AR 1,500 + 1,000 = 2,500; credit sales 6,000; not due 1,000 (I3); 1-30 days 1,500 (I2).
At 2023-12-31: AR 1,000 (I0, not due); sales of the previous period 1,000.
"""

import io
import zipfile
from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..controllers.main import RevcycleAnalyticsController

DATE_FROM, DATE_TO = "2024-01-01", "2024-03-31"


@tagged("post_install", "-at_install", "revcycle")
class TestRevcycleKpis(AccountTestInvoicingCommon):
    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.env.ref("revcycle_analytics.group_revcycle_analytics_manager")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.customer = cls.env["res.partner"].create({"name": "KPI Customer", "is_company": True})
        cls.invoices = {
            "I0": cls._invoice(cls.customer, "2023-12-15", "2024-01-14", 1000),
            "I1": cls._invoice(cls.customer, "2024-01-10", "2024-02-09", 3000),
            "I2": cls._invoice(cls.customer, "2024-02-20", "2024-03-21", 2000),
            "I3": cls._invoice(cls.customer, "2024-03-25", "2024-04-24", 1000),
        }
        cls._pay(cls.invoices["I0"], 1000, "2024-01-20")
        cls._pay(cls.invoices["I1"], 3000, "2024-02-15")
        cls._pay(cls.invoices["I2"], 500, "2024-03-10")
        cls._pay(cls.invoices["I3"], 1000, "2024-04-05")
        cls.Kpi = cls.env["revcycle.kpi"]
        # the sibling addons are optional: their part of the scene is set only when they are installed, and the
        # tests then check their KPIs' values, else that those KPIs are absent
        cls.sources = cls.Kpi._revcycle_kpi_sources()
        cls._cost_and_deferred_revenue()
        cls._orders()
        if "contracts" in cls.sources:
            cls._contracts()
        if "dunning" in cls.sources:
            cls._dunning_notices()

    # -- scenario --------------------------------------------------------------------------------------------------
    @classmethod
    def _invoice(cls, partner, invoice_date, due, amount, company=None):
        company = company or cls.company
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": due,
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [
                        Command.create({"name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": []})
                    ],
                }
            )
        )
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, amount, payment_date):
        return (
            cls.env["account.payment.register"]
            .with_company(invoice.company_id)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": payment_date})
            ._create_payments()
        )

    @classmethod
    def _entry(cls, entry_date, debit_account, credit_account, amount):
        move = cls.env["account.move"].create(
            {
                "move_type": "entry",
                "date": entry_date,
                "journal_id": cls.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create({"account_id": debit_account.id, "debit": amount, "name": "KPI test"}),
                    Command.create({"account_id": credit_account.id, "credit": amount, "name": "KPI test"}),
                ],
            }
        )
        move.action_post()
        return move

    @classmethod
    def _cost_and_deferred_revenue(cls):
        """Cost of revenue 1,200 in the period (gross margin (6,000 - 1,200) / 6,000 = 0.8) and 900 billed but
        not yet earned on the deferred revenue account."""
        Account = cls.env["account.account"].with_company(cls.company)
        cost = Account.create({"code": "KPICOR", "name": "Cost of revenue", "account_type": "expense_direct_cost"})
        deferred = Account.create({"code": "KPIDEF", "name": "Deferred revenue", "account_type": "liability_current"})
        other = cls.company_data["default_account_expense"]
        cls._entry("2024-02-01", cost, other, 1200)
        cls._entry("2024-02-01", other, deferred, 900)
        if "revrec" in cls.sources:
            # only the deferred account: revenue recognition itself stays off for this company
            cls.company.revcycle_deferred_revenue_account_id = deferred

    @classmethod
    def _contracts(cls):
        """MRR at 2023-12-31: A 100, B 100 (yearly 1,200), C 200 (quarterly 600) = 400.
        At 2024-03-31: A 150 (expansion 50), B churned (100), C 100 (contraction 100), D 80 (new), E 70 (reactivated).
        """
        product = cls.env["product.product"].create({"name": "Subscription", "type": "service", "list_price": 1})
        partners = {
            name: cls.env["res.partner"].create({"name": f"Subscriber {name}"})
            for name in ("A", "B", "C", "D", "E", "F")
        }
        specs = [
            ("A", "month", 100, "2023-06-01", False, "active"),
            ("A", "month", 50, "2024-02-01", False, "active"),
            ("B", "year", 1200, "2023-01-01", "2024-02-29", "expired"),
            ("C", "quarter", 600, "2023-07-01", "2024-01-31", "terminated"),
            ("C", "quarter", 300, "2024-02-01", False, "active"),
            ("D", "month", 80, "2024-03-01", False, "active"),
            ("E", "month", 60, "2023-01-01", "2023-06-30", "expired"),
            ("E", "month", 70, "2024-01-15", False, "active"),
            ("F", "month", 999, "2023-01-01", False, "suspended"),  # bills nothing: no MRR
            ("F", "month", 999, "2023-01-01", False, "draft"),
        ]
        # the scene is set as the superuser: the sibling addons' own groups are not what is tested here
        cls.env["revcycle.contract"].sudo().create(
            [
                {
                    "partner_id": partners[partner].id,
                    "company_id": cls.company.id,
                    "currency_id": cls.company.currency_id.id,
                    "billing_period": period,
                    "date_start": start,
                    "date_end": end,
                    "state": state,
                    "line_ids": [
                        Command.create({"product_id": product.id, "name": "Subscription", "price_unit": price})
                    ],
                }
                for partner, period, price, start, end, state in specs
            ]
        )

    @classmethod
    def _orders(cls):
        """Won: 1,000 (quote 2024-01-31, confirmed 2024-02-10: 10 days) and 3,000 (2024-02-28 to 2024-03-05: 6 days);
        lost: one cancelled on 2024-01-15; a draft is neither. Win rate 2/3, median 8 days, average deal 2,000."""
        product = cls.env["product.product"].create({"name": "Deal", "type": "service", "list_price": 1})
        specs = [
            (1000, "sale", "2024-02-10 09:00:00", "2024-01-31 09:00:00"),
            (3000, "sale", "2024-03-05 12:00:00", "2024-02-28 12:00:00"),
            (500, "cancel", "2024-01-15 10:00:00", "2024-01-10 10:00:00"),
            (700, "draft", "2024-02-01 10:00:00", "2024-02-01 10:00:00"),
        ]
        for amount, state, date_order, created in specs:
            order = (
                cls.env["sale.order"]
                .with_company(cls.company)
                .create(
                    {
                        "partner_id": cls.customer.id,
                        "company_id": cls.company.id,
                        "order_line": [Command.create({"product_id": product.id, "price_unit": amount, "tax_id": []})],
                    }
                )
            )
            # confirmed on its own date, as it was: writing the state passes the credit check of revcycle_dunning
            # like action_confirm (issue 15), which judges the invoices overdue on that day, not years later
            with freeze_time(date_order):
                order.write({"state": state, "date_order": date_order})
            order.flush_recordset()
            cls.env.cr.execute("UPDATE sale_order SET create_date = %s WHERE id = %s", (created, order.id))
        cls.env.invalidate_all()

    @classmethod
    def _dunning_notices(cls):
        """Dunned in the period: I1 at 3,000 (since paid) and I2 at 2,000 (500 paid since): 3,500 / 5,000 = 70 %."""
        policy = cls.env["revcycle.dunning.policy"].sudo().create({"name": "KPI policy", "company_id": cls.company.id})
        level = (
            cls.env["revcycle.dunning.level"]
            .sudo()
            .create({"policy_id": policy.id, "name": "Reminder", "days": 1, "channel": "email"})
        )
        for invoice, notice_date, open_amount in (
            (cls.invoices["I1"], "2024-02-12", 3000),
            (cls.invoices["I2"], "2024-03-05", 2000),
        ):
            cls.env["revcycle.dunning.notice"].sudo().create(
                {
                    "partner_id": cls.customer.id,
                    "company_id": cls.company.id,
                    "level_id": level.id,
                    "channel": "email",
                    "date": notice_date,
                    "state": "sent",
                    "amount_overdue": open_amount,
                    "line_ids": [
                        Command.create({"invoice_id": invoice.id, "level_id": level.id, "amount_residual": open_amount})
                    ],
                }
            )

    def _kpis(self, company_ids=None, user=None):
        Kpi = self.Kpi.with_user(user) if user else self.Kpi
        return Kpi.get_kpis(DATE_FROM, DATE_TO, company_ids or self.company.ids)

    def assertKpi(self, kpis, key, value, previous):
        for which, expected in (("value", value), ("previous", previous)):
            with self.subTest(kpi=key, which=which):
                actual = kpis["kpis"][key][which]
                if expected is False:
                    self.assertIs(actual, False)
                else:
                    # the dict rounds days and percentages to one decimal, money to cents
                    self.assertAlmostEqual(actual, expected, delta=0.051)

    # -- tests -----------------------------------------------------------------------------------------------------
    def test_receivable_kpis_against_hand_computed_values(self):
        kpis = self._kpis()
        self.assertEqual(
            (kpis["date_from"], kpis["date_to"], kpis["previous_date_from"], kpis["previous_date_to"]),
            ("2024-01-01", "2024-03-31", "2023-10-01", "2023-12-31"),
        )
        self.assertKpi(kpis, "ar_total", 2500, 1000)
        self.assertKpi(kpis, "credit_sales", 6000, 1000)
        self.assertKpi(kpis, "dso_simple", 2500 / 6000 * 91, 1000 / 1000 * 92)
        self.assertKpi(kpis, "best_possible_dso", 1000 / 6000 * 91, 1000 / 1000 * 92)
        self.assertKpi(kpis, "add", 1500 / 6000 * 91, 0)
        # countback: March (31 days) absorbs 1,000 of I3; February's 2,000 covers the last 1,500: 1,500 / 2,000 x 29
        self.assertKpi(kpis, "dso_countback", 31 + 1500 / 2000 * 29, 31)
        # CEI: (1,000 + 6,000/3 - 2,500) / (1,000 + 6,000/3 - 1,000) = 500 / 2,000
        self.assertKpi(kpis, "cei", 25.0, 100.0)
        aging = kpis["kpis"]["ar_aging"]
        self.assertEqual([b["bucket"] for b in aging["value"]], ["Not due", "1-30", "31-60", "61-90", "Over 90"])
        self.assertEqual([b["amount"] for b in aging["value"]], [1000.0, 1500.0, 0.0, 0.0, 0.0])
        # as of 2023-12-31, I0 was still open though it is reconciled today
        self.assertEqual([b["amount"] for b in aging["previous"]], [1000.0, 0.0, 0.0, 0.0, 0.0])

    def assertAbsentWithout(self, source, kpis, keys):
        """True when ``source`` is installed; else checks that its KPIs are absent from the dict (not 0)."""
        if source in self.sources:
            return True
        for key in keys:
            self.assertNotIn(key, kpis["kpis"])
        return False

    def test_mrr_movements_retention_and_cltv(self):
        kpis = self._kpis()
        if not self.assertAbsentWithout("contracts", kpis, ("mrr", "arr", "mrr_movements", "grr", "nrr", "cltv")):
            return
        movements = kpis["kpis"]["mrr_movements"]["value"]
        self.assertEqual(
            {
                key: movements[key]
                for key in ("start", "new", "expansion", "reactivation", "contraction", "churn", "end")
            },
            {
                "start": 400.0,
                "new": 80.0,
                "expansion": 50.0,
                "reactivation": 70.0,
                "contraction": 100.0,
                "churn": 100.0,
                "end": 400.0,
            },
        )
        self.assertEqual((movements["customers_start"], movements["customers_lost"]), (3, 1))
        self.assertKpi(kpis, "mrr", 400, 400)
        self.assertKpi(kpis, "arr", 4800, 4800)
        self.assertKpi(kpis, "customer_churn_rate", 100 / 3, 0)
        self.assertKpi(kpis, "grr", 50.0, 100.0)
        self.assertKpi(kpis, "nrr", 62.5, 100.0)
        self.assertKpi(kpis, "arpa", 100.0, 400 / 3)
        # CLTV = ARPA 100 x margin 0.8 / monthly churn (1/3 over 3 months = 1/9); no churn before: unbounded
        self.assertKpi(kpis, "cltv", 720.0, False)

    def test_sales_dunning_and_deferred_revenue(self):
        kpis = self._kpis()
        self.assertKpi(kpis, "win_rate", 200 / 3, False)
        self.assertKpi(kpis, "quote_to_close_days", 8.0, False)
        self.assertKpi(kpis, "average_deal_size", 2000.0, False)
        if self.assertAbsentWithout("dunning", kpis, ("dunning_recovery_rate",)):
            self.assertKpi(kpis, "dunning_recovery_rate", 70.0, False)
        if self.assertAbsentWithout("revrec", kpis, ("deferred_revenue",)):
            self.assertKpi(kpis, "deferred_revenue", 900.0, 0.0)

    def test_kpi_of_a_missing_source_is_absent_not_zero(self):
        companies = self.company
        start, end = date(2024, 1, 1), date(2024, 3, 31)
        only_ar = self.Kpi._revcycle_compute_kpis(start, end, companies, {"receivables"})
        self.assertEqual(only_ar["sources"], ["receivables"])
        self.assertIn("dso_simple", only_ar["kpis"])
        for key in ("mrr", "mrr_movements", "cltv", "win_rate", "dunning_recovery_rate", "deferred_revenue"):
            self.assertNotIn(key, only_ar["kpis"])
        if "contracts" in self.sources:
            contracts_only = self.Kpi._revcycle_compute_kpis(start, end, companies, {"contracts", "sales"})
            self.assertIn("mrr", contracts_only["kpis"])
            self.assertNotIn("cltv", contracts_only["kpis"])  # CLTV needs the ledger's gross margin
            self.assertNotIn("ar_total", contracts_only["kpis"])
        installed = {
            "contracts": "revcycle_cpq",
            "dunning": "revcycle_dunning",
            "revrec": "revcycle_revrec",
        }
        modules = self.env["ir.module.module"].search([("name", "in", list(installed.values()))])
        states = dict(zip(modules.mapped("name"), modules.mapped("state"), strict=True))
        expected = {"receivables", "sales"} | {
            source for source, module in installed.items() if states.get(module) == "installed"
        }
        self.assertEqual(self.Kpi._revcycle_kpi_sources(), frozenset(expected))

    def test_multi_company_filtering_and_negative_ar_after_overpayment(self):
        other = self.setup_other_company()["company"]
        invoice = self._invoice(self.customer, "2024-02-01", "2024-03-01", 700, company=other)
        self._pay(invoice, 1000, "2024-02-10")  # 300 overpaid: the customer's AR goes negative
        alone = self._kpis(other.ids)
        self.assertKpi(alone, "ar_total", -300, 0)
        self.assertKpi(alone, "dso_simple", -300 / 700 * 91, False)
        both = self._kpis((self.company | other).ids)
        self.assertKpi(both, "ar_total", 2200, 1000)
        self.assertEqual(sorted(both["company_ids"]), sorted((self.company | other).ids))
        self.assertKpi(self._kpis(), "ar_total", 2500, 1000)

    def test_access_needs_accounting_and_analytics_rights(self):
        salesman = new_test_user(
            self.env,
            "rc_kpi_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with self.assertRaisesRegex(AccessError, "may not see the revenue-cycle KPIs"):
            self._kpis(user=salesman)
        analyst = new_test_user(
            self.env,
            "rc_kpi_analyst",
            groups="revcycle_analytics.group_revcycle_analytics_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertKpi(self._kpis(user=analyst), "ar_total", 2500, 1000)
        # a company the analyst does not belong to is refused, not silently read
        with self.assertRaisesRegex(UserError, "Unknown company"):
            self._kpis(self.env.ref("base.main_company").ids, user=analyst)

    def test_bad_input_is_refused(self):
        with self.assertRaisesRegex(UserError, "before it starts"):
            self.Kpi.get_kpis("2024-03-31", "2024-01-01")
        with self.assertRaisesRegex(UserError, "is not a date"):
            self.Kpi.get_kpis("2024-13-45", "2024-03-31")
        with self.assertRaisesRegex(UserError, "Unknown company 999999"):
            self.Kpi.get_kpis(DATE_FROM, DATE_TO, [999999])

    def test_dashboard_data_in_one_call(self):
        data = self.Kpi.get_dashboard_data(DATE_FROM, DATE_TO, self.company.ids)
        self.assertEqual(len(data["dso_trend"]), 12)
        self.assertEqual(data["dso_trend"][-1]["month"], "2024-03-01")
        # March alone: AR 2,500 / sales 1,000 x 31 days
        self.assertAlmostEqual(data["dso_trend"][-1]["dso"], 77.5, places=1)
        cards = {card["key"]: card for card in data["cards"]}
        self.assertEqual(set(cards), set(data["kpis"]) - {"ar_aging", "mrr_movements"})
        action = cards["win_rate"]["action"]
        self.assertEqual(action["res_model"], "sale.order")
        self.assertEqual(self.env["sale.order"].search_count(action["domain"]), 3)
        receivables = self.env["account.move.line"].search(cards["ar_total"]["action"]["domain"])
        self.assertAlmostEqual(sum(receivables.mapped("amount_residual")), 1500.0)  # I2 open today

    def test_xlsx_export_workbook(self):
        content = RevcycleAnalyticsController()._revcycle_workbook(self.env, self._kpis())
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            strings = workbook.read("xl/sharedStrings.xml").decode()
        for label in ("DSO (countback)", "Win Rate", "Not due", "2024-01-01"):
            self.assertIn(label, strings)
        self.assertEqual("MRR at start" in strings, "contracts" in self.sources)

    def test_report_models_for_pivot_and_graph(self):
        aging = self.env["revcycle.ar.aging.report"].search([("company_id", "=", self.company.id)])
        self.assertEqual(aging.move_id, self.invoices["I2"])  # the only item open today
        self.assertAlmostEqual(aging.amount_residual, 1500.0)
        self.assertEqual(aging.bucket_id, self.env.ref("revcycle_analytics.revcycle_aging_bucket_over_90"))
        if "contracts" not in self.sources:
            self.assertFalse(self.env["revcycle.mrr.movement.report"].search_count([]))  # no contracts: empty
            return
        movements = self.env["revcycle.mrr.movement.report"].read_group(
            [("company_id", "=", self.company.id), ("date", ">=", "2024-01-01"), ("date", "<=", "2024-03-01")],
            ["amount:sum"],
            ["movement"],
        )
        self.assertEqual(
            {group["movement"]: group["amount"] for group in movements},
            {"new": 80.0, "expansion": 50.0, "reactivation": 70.0, "contraction": -100.0, "churn": -100.0, "flat": 0.0},
        )
        churned = self.env["revcycle.mrr.movement.report"].search(
            [("company_id", "=", self.company.id), ("movement", "=", "churn")]
        )
        self.assertEqual(churned.partner_id.mapped("name"), ["Subscriber B", "Subscriber E"])  # E in July 2023
        churned = churned.filtered(lambda row: row.date.year == 2024)
        self.assertEqual(churned.date, date(2024, 3, 1))  # B's last day was 29 February
