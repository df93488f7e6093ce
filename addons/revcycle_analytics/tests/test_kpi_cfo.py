"""KPIs a CFO can sign (issue 21): each reproduced finding as a regression test, on the scene of common.py plus what
each test adds, with the figures worked out by hand in the comments."""

from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DATE_FROM, DATE_TO, RevcycleKpiCommon


@tagged("post_install", "-at_install", "revcycle")
class TestRevcycleKpiCfo(RevcycleKpiCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 1 USD = 0.5 EUR (1 EUR = 2 USD) from 2024-01-01, 1 USD = 0.4 EUR (1 EUR = 2.5 USD) from 2024-05-01
        cls.eur = cls.setup_other_currency("EUR", rates=[("2024-01-01", 0.5), ("2024-05-01", 0.4)])

    # -- helpers --
    @classmethod
    def _document(cls, move_type, partner, day, amount, currency=None, due=None, company=None):
        company = company or cls.company
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": day,
                    "invoice_date_due": due or day,
                    "invoice_payment_term_id": False,
                    "currency_id": (currency or company.currency_id).id,
                    "invoice_line_ids": [
                        Command.create({"name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": []})
                    ],
                }
            )
        )
        move.action_post()
        return move

    @classmethod
    def _payment_on_account(cls, partner, day, amount):
        payment = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": amount,
                "date": day,
                "journal_id": cls.company_data["default_journal_bank"].id,
            }
        )
        payment.action_post()
        return payment

    def _receivable_residual_in_ledger(self, company):
        """The ledger's open receivables: the company-currency residuals of its posted receivable items."""
        items = self.env["account.move.line"].search(
            [
                ("company_id", "=", company.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ]
        )
        return sum(items.mapped("amount_residual"))

    def _unapplied_and_foreign_scene(self):
        """The scene of the tie test (see its docstring): a half-paid EUR invoice, an unapplied credit note and an
        unapplied payment."""
        foreign = self.env["res.partner"].create({"name": "EUR Customer", "is_company": True})
        invoice = self._document("out_invoice", foreign, "2024-04-10", 1000, currency=self.eur, due="2024-07-10")
        self._pay(invoice, 400, "2024-05-20")
        self._document("out_refund", self.customer, "2024-05-05", 300)
        self._payment_on_account(self.customer, "2024-06-01", 250)

    # -- currencies --
    def test_companies_in_two_currencies_are_converted_at_each_items_date(self):
        """A EUR company next to the USD one: its 1,000 EUR invoice of 2024-02-01 (unpaid, due 2024-03-02) counts
        1,000 / 0.5 = 2,000 USD (the rate of its date, not today's 0.4); before the fix it counted 1,000."""
        self.assertEqual(self.company.currency_id.name, "USD")
        other = self.setup_other_company(name="EUR company", currency_id=self.eur.id)["company"]
        self._document("out_invoice", self.customer, "2024-02-01", 1000, due="2024-03-02", company=other)
        kpis = self._kpis((self.company | other).ids)
        self.assertEqual(kpis["currency"], "USD")
        self.assertKpi(kpis, "ar_total", 2500 + 2000, 1000)  # 4,500 USD, not 3,500
        self.assertKpi(kpis, "credit_sales", 6000 + 2000, 1000)
        self.assertKpi(kpis, "dso_simple", 4500 / 8000 * 91, 92)
        # not due: I3's 1,000; the EUR invoice is 29 days past due: 1-30 = 1,500 (I2) + 2,000
        aging = [row["amount"] for row in kpis["kpis"]["ar_aging"]["value"]]
        self.assertEqual(aging, [1000.0, 3500.0, 0.0, 0.0, 0.0, 0.0])
        self.assertKpi(kpis, "best_possible_dso", 1000 / 8000 * 91, 92)
        # CEI: opening 1,000 + sales 8,000 / 3 - closing 4,500, over 1,000 + 8,000 / 3 - current 1,000
        self.assertKpi(kpis, "cei", (1000 + 8000 / 3 - 4500) / (8000 / 3) * 100, 100.0)
        # the EUR company alone is stated in its own currency: 1,000 EUR
        alone = self._kpis(other.ids)
        self.assertEqual(alone["currency"], "EUR")
        self.assertKpi(alone, "ar_total", 1000, 0)

    def test_average_deal_size_across_companies(self):
        """A 500 EUR deal of the EUR company (confirmed 2024-03-01) is 1,000 USD: deals 1,000, 3,000 and 1,000 USD
        average 1,666.67 (it was (1,000 + 3,000 + 500) / 3 = 1,500)."""
        other = self.setup_other_company(name="EUR company", currency_id=self.eur.id)["company"]
        product = self.env["product.product"].create({"name": "Deal EUR", "type": "service", "list_price": 1})
        order = (
            self.env["sale.order"]
            .with_company(other)
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": other.id,
                    "order_line": [Command.create({"product_id": product.id, "price_unit": 500, "tax_id": []})],
                }
            )
        )
        with freeze_time("2024-03-01 10:00:00"):
            order.write({"state": "sale", "date_order": "2024-03-01 10:00:00"})
        order.flush_recordset()
        self.env.cr.execute("UPDATE sale_order SET create_date = '2024-02-20 10:00:00' WHERE id = %s", [order.id])
        self.env.invalidate_all()
        self.assertEqual(order.currency_id, self.eur)
        kpis = self._kpis((self.company | other).ids)
        self.assertKpi(kpis, "average_deal_size", (1000 + 3000 + 1000) / 3, False)
        self.assertKpi(kpis, "win_rate", 3 / 4 * 100, False)

    # -- aging and AR as of min(period end, today), unapplied credits, tie to the ledger --
    @freeze_time("2024-06-15")
    def test_dashboard_ar_ties_to_aging_report_and_ledger_with_unapplied_credits_and_foreign_customer(self):
        """Today 2024-06-15, period 2024-04-01..2024-06-30 (ends in the future: measured as of today, 76 days).
        Open then: I2 1,500 (due 2024-03-21, 86 days: 61-90); a 1,000 EUR invoice of 2024-04-10 (2,000 USD at 0.5)
        of which 400 EUR were paid on 2024-05-20 (1,000 USD at 0.4; Odoo books the 200 exchange difference), open
        600 EUR = 1,200 USD, due 2024-07-10: not due; an unapplied credit note of 300 (2024-05-05) and an unapplied
        payment of 250 (2024-06-01): the "Unapplied" row, -550, in no due bucket.
        AR = 1,500 + 1,200 - 550 = 2,150; credit sales 2,000 - 300 = 1,700 over 76 days.
        DSO = 2,150 / 1,700 x 76 = 96.1; best possible DSO on the same netted basis (1,200 - 550) / 1,700 x 76
        = 29.1; ADD = 1,500 / 1,700 x 76 = 67.1 >= 0. CEI: opening 2,500, N = 2: (2,500 + 850 - 2,150) /
        (2,500 + 850 - 650) = 1,200 / 2,700 = 44.4 %."""
        self._unapplied_and_foreign_scene()
        kpis = self.Kpi.get_kpis("2024-04-01", "2024-06-30", self.company.ids)
        self.assertKpi(kpis, "ar_total", 2150, 2500)
        self.assertKpi(kpis, "credit_sales", 1700, 6000)
        self.assertKpi(kpis, "dso_simple", 2150 / 1700 * 76, 2500 / 6000 * 91)
        self.assertKpi(kpis, "best_possible_dso", 650 / 1700 * 76, 1000 / 6000 * 91)
        self.assertKpi(kpis, "add", 1500 / 1700 * 76, 1500 / 6000 * 91)
        self.assertKpi(kpis, "cei", 1200 / 2700 * 100, 25.0)
        rows = {row["bucket"]: row["amount"] for row in kpis["kpis"]["ar_aging"]["value"]}
        self.assertEqual(rows, {"Not due": 1200.0, "1-30": 0.0, "31-60": 0.0, "61-90": 1500.0, "Over 90": 0.0,
                                "Unapplied": -550.0})
        # the three agree: the dashboard's AR, the sum of its aging rows, the AR aging report and the ledger
        report = self.env["revcycle.ar.aging.report"].search([("company_id", "=", self.company.id)])
        self.assertAlmostEqual(sum(rows.values()), 2150.0)
        self.assertAlmostEqual(sum(report.mapped("amount_residual")), 2150.0)
        self.assertAlmostEqual(self._receivable_residual_in_ledger(self.company), 2150.0)
        unapplied = report.filtered("unapplied")
        self.assertAlmostEqual(sum(unapplied.mapped("amount_residual")), -550.0)
        self.assertFalse(unapplied.bucket_id)
        # the AR card's drill-down lists exactly the items behind it: their open amounts sum to the card
        card = self.Kpi._revcycle_drilldown("ar_total", (date(2024, 4, 1), date(2024, 6, 30)), self.company)
        items = self.env["account.move.line"].search(card["domain"])
        self.assertAlmostEqual(sum(items.mapped("amount_residual")), 2150.0)

    @freeze_time("2024-06-15")
    def test_receivable_cards_drilldowns_give_back_their_figures(self):
        """On the tie test's scene (today 2024-06-15, period 2024-04-01..2024-06-30, 76 days elapsed), each
        receivables card's drill-down lists the items its figure counts, so the figure comes back from them:
        - AR, DSO, countback, CEI: the open items, 1,500 + 1,200 - 300 - 250 = 2,150; DSO = 2,150 / 1,700 x 76;
        - best possible DSO: the current items, the EUR invoice not yet due (1,200) and the two unapplied credits
          (-550): 650 / 1,700 x 76 = 29.1;
        - ADD: the overdue items, I2 alone (1,500): 1,500 / 1,700 x 76 = 67.1;
        - credit sales: the invoices and credit notes of the period, 2,000 - 300 = 1,700.
        Before, best possible DSO and ADD listed every open item (2,150): neither figure came back from them."""
        self._unapplied_and_foreign_scene()
        data = self.Kpi.get_dashboard_data("2024-04-01", "2024-06-30", self.company.ids)
        cards = {card["key"]: card["action"] for card in data["cards"]}
        value = {key: kpi["value"] for key, kpi in data["kpis"].items()}

        def open_amount(key):
            return sum(self.env["account.move.line"].search(cards[key]["domain"]).mapped("amount_residual"))

        sales = sum(self.env["account.move"].search(cards["credit_sales"]["domain"]).mapped("amount_total_signed"))
        self.assertAlmostEqual(sales, 1700.0)
        self.assertAlmostEqual(sales, value["credit_sales"])
        self.assertAlmostEqual(open_amount("ar_total"), value["ar_total"])
        for key in ("dso_simple", "dso_countback", "cei"):
            self.assertEqual(cards[key]["domain"], cards["ar_total"]["domain"], key)
        self.assertAlmostEqual(round(open_amount("dso_simple") / sales * 76, 1), value["dso_simple"])
        self.assertAlmostEqual(open_amount("best_possible_dso"), 650.0)
        self.assertAlmostEqual(round(open_amount("best_possible_dso") / sales * 76, 1), value["best_possible_dso"])
        self.assertAlmostEqual(open_amount("add"), 1500.0)
        self.assertAlmostEqual(round(open_amount("add") / sales * 76, 1), value["add"])
        # the current and the overdue items split the open items: nothing listed twice, nothing left out
        current = self.env["account.move.line"].search(cards["best_possible_dso"]["domain"])
        overdue = self.env["account.move.line"].search(cards["add"]["domain"])
        self.assertFalse(current & overdue)
        self.assertEqual(current | overdue, self.env["account.move.line"].search(cards["ar_total"]["domain"]))

    @freeze_time("2024-06-15")
    def test_an_item_without_a_due_date_is_listed_where_it_ages(self):
        """An opening balance of 1,200 booked on 2024-03-01 by a journal entry: its receivable item has no due date,
        so it ages from its date (106 days on 2024-06-15: past the first bucket). ADD counts it, so the overdue
        drill-down must list it: before, the overdue side negated the first bucket with "!", which Odoo turns into
        ``date_maturity < X`` and so dropped every item without a due date (listed on neither side)."""
        receivable = self.customer.with_company(self.company).property_account_receivable_id
        opening = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": "2024-03-01",
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create({"name": "Opening", "account_id": receivable.id, "partner_id": self.customer.id,
                                    "debit": 1200.0, "date_maturity": False}),
                    Command.create({"name": "Opening", "account_id": self.company_data["default_account_revenue"].id,
                                    "credit": 1200.0}),
                ],
            }
        )
        opening.action_post()
        item = opening.line_ids.filtered(lambda line: line.account_id == receivable)
        self.assertFalse(item.date_maturity)
        cards = {card["key"]: card["action"] for card in
                 self.Kpi.get_dashboard_data("2024-04-01", "2024-06-30", self.company.ids)["cards"]}
        overdue = self.env["account.move.line"].search(cards["add"]["domain"])
        current = self.env["account.move.line"].search(cards["best_possible_dso"]["domain"])
        self.assertIn(item, overdue)
        self.assertNotIn(item, current)
        self.assertEqual(current | overdue, self.env["account.move.line"].search(cards["ar_total"]["domain"]))

    @freeze_time("2024-06-15")
    def test_period_ending_in_the_future_ages_as_of_today(self):
        """Before the fix the period ending 2024-12-31 aged I2 as of that date (Over 90) and counted the days up to
        it; now it is aged as of today (86 days: 61-90) and the DSO counts 167 days (2024-01-01..2024-06-15):
        AR 1,500, sales 6,000 -> 1,500 / 6,000 x 167 = 41.75."""
        kpis = self.Kpi.get_kpis("2024-01-01", "2024-12-31", self.company.ids)
        rows = {row["bucket"]: row["amount"] for row in kpis["kpis"]["ar_aging"]["value"]}
        self.assertEqual(rows["61-90"], 1500.0)
        self.assertEqual(rows["Over 90"], 0.0)
        self.assertKpi(kpis, "dso_simple", 1500 / 6000 * 167, 1000 / 1000 * 365)  # 2023: I0 alone
        trend = self.Kpi.get_dashboard_data("2024-01-01", "2024-12-31", self.company.ids)["dso_trend"]
        self.assertIs(trend[-1]["dso"], False)  # December has not begun: no figure, not a made-up one

    # -- countback on calendar months --
    def test_countback_walks_calendar_months_on_a_30_day_month_end(self):
        """Period ending 30 June: June is 1-30 June (30 days), not a 31-day window from 31 May. Sales: 1,000 on
        2024-05-31 and 600 on 2024-06-10, nothing paid. AR at 2024-06-30 = I2 1,500 + 1,600 = 3,100 (I3 paid
        2024-04-05). Countback: June 600 (30 days), May 1,000 (31 days), April nothing (30 days), March 1,000 (I3,
        31 days) leaves 500 of February's 2,000: 30 + 31 + 30 + 31 + 500 / 2,000 x 29 = 129.25 days. The old
        windows put the 31 May sale in "June" (31 May-30 June). The previous period (May, AR 2,500): May 1,000,
        April nothing, March 1,000, then 500 / 2,000 of February: 31 + 30 + 31 + 7.25."""
        self._document("out_invoice", self.customer, "2024-05-31", 1000, due="2024-06-30")
        self._document("out_invoice", self.customer, "2024-06-10", 600, due="2024-07-10")
        kpis = self.Kpi.get_kpis("2024-06-01", "2024-06-30", self.company.ids)
        self.assertKpi(kpis, "ar_total", 3100, 2500)
        self.assertKpi(kpis, "dso_countback", 30 + 31 + 30 + 31 + 500 / 2000 * 29, 31 + 30 + 31 + 500 / 2000 * 29)

    # -- deals across revisions, expired quotations --
    def test_expired_quotation_counts_as_lost(self):
        """A quotation made 2024-02-05 valid until 2024-02-20, never confirmed, is lost once that date has passed:
        won 2, lost 2 (the cancelled one and this one) -> 50 %; the draft without a passed validity stays open."""
        product = self.env["product.product"].create({"name": "Expiring", "type": "service", "list_price": 1})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "validity_date": "2024-02-20",
                "order_line": [Command.create({"product_id": product.id, "price_unit": 100, "tax_id": []})],
            }
        )
        order.flush_recordset()
        self.env.cr.execute("UPDATE sale_order SET create_date = '2024-02-05 10:00:00' WHERE id = %s", [order.id])
        self.env.invalidate_all()
        kpis = self._kpis()
        self.assertKpi(kpis, "win_rate", 50.0, False)
        action = self.Kpi._revcycle_drilldown("win_rate", (date(2024, 1, 1), date(2024, 3, 31)), self.company)
        self.assertIn(order, self.env["sale.order"].search(action["domain"]))

    # -- the dashboard --
    def test_invalid_range_is_a_validation_error(self):
        for method in (self.Kpi.get_kpis, self.Kpi.get_dashboard_data):
            with self.subTest(method=method.__name__), self.assertRaisesRegex(ValidationError, "before it starts"):
                method("2024-03-31", "2024-01-01")

    def test_each_card_drilldown_sums_to_the_card(self):
        """The records of each money card's drill-down add up to its figure; for the ratio cards they are the
        records the figure counts (credit sales: the invoices' signed totals; deal size: the won deals)."""
        data = self.Kpi.get_dashboard_data(DATE_FROM, DATE_TO, self.company.ids)
        cards = {card["key"]: card for card in data["cards"]}
        value = {key: kpi["value"] for key, kpi in data["kpis"].items()}
        invoices = self.env["account.move"].search(cards["credit_sales"]["action"]["domain"])
        self.assertAlmostEqual(sum(invoices.mapped("amount_total_signed")), value["credit_sales"])
        won = self.env["sale.order"].search(cards["average_deal_size"]["action"]["domain"])
        self.assertAlmostEqual(sum(won.mapped("amount_untaxed")) / len(won), value["average_deal_size"])
        decided = self.env["sale.order"].search(cards["win_rate"]["action"]["domain"])
        self.assertAlmostEqual(len(won) / len(decided) * 100, value["win_rate"], places=1)
        quote_to_close = self.env["sale.order"].search(cards["quote_to_close_days"]["action"]["domain"])
        self.assertEqual(quote_to_close, won)
