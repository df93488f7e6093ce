"""The scene of the KPI tests, built in a fresh company: invoices, payments, orders, a cost of revenue and a deferred
revenue entry, with values worked out by hand below.

Period: 2024-01-01 to 2024-03-31 (91 days, N = 3 months); previous period: 2023-10-01 to 2023-12-31 (92 days).

Invoices (no tax):  I0 2023-12-15 1,000 due 2024-01-14, paid 2024-01-20
                    I1 2024-01-10 3,000 due 2024-02-09, paid 2024-02-15
                    I2 2024-02-20 2,000 due 2024-03-21, 500 paid 2024-03-10
                    I3 2024-03-25 1,000 due 2024-04-24, paid 2024-04-05 (after the period)
At 2024-03-31: AR 1,500 + 1,000 = 2,500; credit sales 6,000; not due 1,000 (I3); 1-30 days 1,500 (I2).
At 2023-12-31: AR 1,000 (I0, not due); sales of the previous period 1,000.
"""

from freezegun import freeze_time
from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..models.revcycle_forecast_ledger import LEDGER_CHANGED_SETTING

DATE_FROM, DATE_TO = "2024-01-01", "2024-03-31"
LEDGER_KEYS = frozenset(
    {
        "ar_total",
        "credit_sales",
        "dso_simple",
        "dso_countback",
        "best_possible_dso",
        "add",
        "cei",
        "ar_aging",
        "win_rate",
        "quote_to_close_days",
        "average_deal_size",
    }
)


class RevcycleKpiCommon(AccountTestInvoicingCommon):
    """The ledger scene every KPI test shares; the bridges' tests add their part (contracts, notices, the deferred
    revenue account) in their own ``setUpClass``."""

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
        cls._cost_and_deferred_revenue()
        cls._orders()

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
        cls.deferred_account = deferred

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



class RevcycleForecastCommon(AccountTestInvoicingCommon):
    """What every cash forecast test starts from (revcycle_analytics and its bridges): a fresh company of its own
    (no other payment history than the test's), the test user a KPI reader, today frozen on ``TODAY``, and the
    invoice and payment helpers of the KPI scene."""

    TODAY = "2024-06-30"
    _invoice = RevcycleKpiCommon.__dict__["_invoice"]
    _pay = RevcycleKpiCommon.__dict__["_pay"]

    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.env.ref("revcycle_analytics.group_revcycle_analytics_manager")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.Kpi = cls.env["revcycle.kpi"]

    def _forecast(self, day=None, weeks=4, company_ids=None, **kwargs):
        """get_cash_forecast as of ``day`` (default today) with today frozen on ``TODAY``."""
        with freeze_time(self.TODAY):
            return self.Kpi.get_cash_forecast(day or self.TODAY, weeks, company_ids or self.company.ids, **kwargs)

    def _as_if_a_new_transaction(self):
        """A transaction counts itself once in the ledger's version (the trigger's transaction-local setting): a
        test that writes several times in its one transaction forgets that it has, so that its next write counts
        as the first write of a transaction of its own would (models/revcycle_forecast_ledger.py)."""
        self.env.flush_all()
        self.env.cr.execute("SELECT set_config(%s, '', true)", [LEDGER_CHANGED_SETTING])

    def _forecast_run(self, day, weeks=4):
        """The run (everything one forecast reads) as of ``day``, today frozen on ``TODAY``."""
        with freeze_time(self.TODAY):
            return self.Kpi._revcycle_forecast_run(day, weeks, self.company)

    @staticmethod
    def _expected(result):
        return [week["expected"] for week in result["weeks"]]
