"""Issue 21 and issue 20's win-rate item, on contracts and revisions: MRR in the main company's currency, customers
by commercial partner, a deal followed across its revisions. Each test runs in a company of its own, so its figures
are only its own data, worked out by hand in the docstrings."""

from datetime import date

from freezegun import freeze_time
from odoo import Command
from odoo.addons.revcycle_analytics.tests.common import RevcycleKpiCommon
from odoo.tests import tagged


@tagged("post_install", "-at_install", "revcycle")
class TestRevcycleKpiCfoContracts(RevcycleKpiCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd_company = cls.setup_other_company(name="Subscriptions Inc.")["company"]
        cls.eur = cls.setup_other_currency("EUR", rates=[])
        # 1 USD = 0.5 EUR, i.e. 1 EUR = 2 USD, for the main company of these tests
        cls.env["res.currency.rate"].create(
            {"currency_id": cls.eur.id, "name": "2024-01-01", "rate": 0.5, "company_id": cls.usd_company.id}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Seat", "type": "service", "list_price": 1, "taxes_id": [Command.clear()]}
        )

    def _history_scene(self):
        """The scene of the pivot and drill-down tests (see test_mrr_movements_pivot_adds_up_to_the_bridge_card):
        returns Acme, Globex and the contracts A (event log), C (Acme, lines) and B (Globex, lines, expired)."""
        acme = self.env["res.partner"].create({"name": "Acme Pivot", "is_company": True})
        bob = self.env["res.partner"].create({"name": "Bob Pivot", "parent_id": acme.id})
        globex = self.env["res.partner"].create({"name": "Globex Pivot", "is_company": True})
        usd = self.usd_company.currency_id
        contract_a = self._contract(bob, usd, 10)
        contract_a.line_ids.quantity = 10
        contract_a.state = "draft"
        with freeze_time("2024-01-01"):
            contract_a.action_sign()
            contract_a.action_activate()
        contract_a.line_ids.quantity = 15
        contract_a._revcycle_log_mrr_event("expansion", date(2024, 2, 10), 100.0, 150.0)  # as the amendment writes it
        with freeze_time("2024-03-15"):
            contract_a.action_suspend()
        contract_a.line_ids.quantity = 30
        contract_c = self._contract(acme, usd, 30, start="2024-02-05")
        contract_b = self._contract(globex, usd, 200)
        contract_b.write({"date_end": "2024-02-29", "state": "expired"})
        return acme, globex, {"A": contract_a, "B": contract_b, "C": contract_c}

    def _contract(self, partner, currency, price, start="2024-01-01"):
        return (
            self.env["revcycle.contract"]
            .sudo()  # the scene is set as the superuser: the contract gates are not what is tested here
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": self.usd_company.id,
                    "currency_id": currency.id,
                    "billing_period": "month",
                    "date_start": start,
                    "state": "active",
                    "line_ids": [Command.create({"product_id": self.product.id, "name": "Seats", "price_unit": price})],
                }
            )
        )

    def test_mrr_in_the_main_company_currency_and_customers_by_commercial_partner(self):
        """USD 1,000 (Acme) + EUR 1,000 (Globex) + USD 1,500 (Bob, a contact of Acme) at 1 EUR = 2 USD: MRR 4,500
        USD (it was 3,500), ARR 54,000; two customers (Acme and Globex), not three: ARPA 2,250."""
        acme = self.env["res.partner"].create({"name": "Acme", "is_company": True})
        bob = self.env["res.partner"].create({"name": "Bob", "parent_id": acme.id})
        globex = self.env["res.partner"].create({"name": "Globex", "is_company": True})
        usd = self.usd_company.currency_id
        self.assertEqual(usd.name, "USD")
        self._contract(acme, usd, 1000)
        self._contract(globex, self.eur, 1000)
        self._contract(bob, usd, 1500)
        kpis = self.Kpi.get_kpis("2024-03-01", "2024-03-31", self.usd_company.ids)
        self.assertEqual(kpis["currency"], "USD")
        self.assertKpi(kpis, "mrr", 4500, 4500)
        self.assertKpi(kpis, "arr", 54000, 54000)
        self.assertKpi(kpis, "arpa", 2250, 2250)
        movements = kpis["kpis"]["mrr_movements"]["value"]
        self.assertEqual((movements["customers_start"], movements["customers_end"]), (2, 2))

    def test_deal_revised_twice_then_won_is_one_won_deal(self):
        """A quotation made 2024-01-05, revised on 2024-01-20 and 2024-02-01 (each revision cancels the one before),
        the last confirmed on 2024-02-15: one deal, won. Win rate 100 % (it was 1 won / 3 = 33 %); quote-to-close
        from the first quotation, 41 days (it was 14, from the last revision); deal size the final revision's."""
        customer = self.env["res.partner"].create({"name": "Revising Customer", "is_company": True})
        first = (
            self.env["sale.order"]
            .with_company(self.usd_company)
            .create(
                {
                    "partner_id": customer.id,
                    "company_id": self.usd_company.id,
                    "order_line": [Command.create({"product_id": self.product.id, "price_unit": 900})],
                }
            )
        )
        orders, created = [first], ["2024-01-05 09:00:00", "2024-01-20 09:00:00", "2024-02-01 09:00:00"]
        for _revision in range(2):
            action = orders[-1].with_company(self.usd_company).action_revcycle_new_revision()
            orders.append(self.env["sale.order"].browse(action["res_id"]))
        final = orders[-1]
        final.order_line.price_unit = 1200
        with freeze_time("2024-02-15 09:00:00"):
            final.write({"state": "sale", "date_order": "2024-02-15 09:00:00"})
        self.env.flush_all()
        for order, day in zip(orders, created, strict=True):
            self.env.cr.execute("UPDATE sale_order SET create_date = %s WHERE id = %s", [day, order.id])
        self.env.invalidate_all()
        self.assertEqual([order.state for order in orders], ["cancel", "cancel", "sale"])
        kpis = self.Kpi.get_kpis("2024-01-01", "2024-03-31", self.usd_company.ids)
        self.assertKpi(kpis, "win_rate", 100.0, False)
        self.assertKpi(kpis, "quote_to_close_days", 41.0, False)
        self.assertKpi(kpis, "average_deal_size", 1200.0, False)
        # the drill-down lists the deal once, by its final revision
        period = (date(2024, 1, 1), date(2024, 3, 31))
        action = self.Kpi._revcycle_drilldown("win_rate", period, self.usd_company)
        self.assertEqual(self.env["sale.order"].search(action["domain"]), final)

    def test_mrr_history_from_the_event_log(self):
        """A contract of Bob (a contact of Acme): 10 seats x 10 = 100 a month from 2024-01-01 (activation: 'new'),
        amended to 15 seats on 2024-02-10 (the amendment's 'expansion' event, 100 -> 150), paused on 2024-03-15
        and still suspended. Then a line is edited today (30 seats) without any event.
        February: start 100, end 150: an expansion of 50 inside one contract, NRR 150 %, GRR 100 %, one customer
        (Acme). Before the fix the suspended contract vanished from every period and the edited line restated
        them all (no expansion). March: the pause takes the 150 to 0 on 2024-03-15: churn 150, GRR 0 %."""
        acme = self.env["res.partner"].create({"name": "Acme History", "is_company": True})
        bob = self.env["res.partner"].create({"name": "Bob History", "parent_id": acme.id})
        contract = self._contract(bob, self.usd_company.currency_id, 10)
        contract.line_ids.quantity = 10
        contract.state = "draft"
        with freeze_time("2024-01-01"):
            contract.action_sign()
            contract.action_activate()
        contract.line_ids.quantity = 15
        contract._revcycle_log_mrr_event("expansion", date(2024, 2, 10), 100.0, 150.0)  # as the amendment writes it
        with freeze_time("2024-03-15"):
            contract.action_suspend()
        contract.line_ids.quantity = 30  # edited today: no event, the past stays as it was
        self.assertEqual(contract.state, "suspended")
        self.assertEqual(
            [(e.kind, e.mrr_before, e.mrr_after) for e in contract.mrr_event_ids.sorted(lambda e: (e.date, e.id))],
            [("new", 0.0, 100.0), ("expansion", 100.0, 150.0), ("pause", 150.0, 0.0)],
        )
        february = self.Kpi.get_kpis("2024-02-01", "2024-02-29", self.usd_company.ids)
        movements = february["kpis"]["mrr_movements"]["value"]
        self.assertEqual((movements["start"], movements["expansion"], movements["end"]), (100.0, 50.0, 150.0))
        self.assertEqual((movements["customers_start"], movements["customers_end"]), (1, 1))
        self.assertKpi(february, "mrr", 150, 100)
        self.assertKpi(february, "nrr", 150.0, False)
        self.assertKpi(february, "grr", 100.0, False)
        # the bridge reconciles: end = start + new + expansion + reactivation - contraction - churn
        self.assertEqual(
            movements["end"],
            movements["start"] + movements["new"] + movements["expansion"] + movements["reactivation"]
            - movements["contraction"] - movements["churn"],
        )
        march = self.Kpi.get_kpis("2024-03-01", "2024-03-31", self.usd_company.ids)
        self.assertKpi(march, "mrr", 0, 150)
        self.assertEqual(march["kpis"]["mrr_movements"]["value"]["churn"], 150.0)
        self.assertKpi(march, "grr", 0.0, 100.0)  # previous: February
        # the MRR card's drill-down lists the contract behind February's 150
        action = self.Kpi._revcycle_drilldown("mrr", (date(2024, 2, 1), date(2024, 2, 29)), self.usd_company)
        self.assertEqual(self.env["revcycle.contract"].sudo().search(action["domain"]), contract)

    def test_mrr_movements_pivot_adds_up_to_the_bridge_card(self):
        """The pivot (revcycle.mrr.movement.report) reads the MRR event log as the bridge does, so a month's rows add
        up to the bridge of that month. Scene (one company, USD, monthly contracts):
        - A (Bob, a contact of Acme): 100 from 2024-01-01 ('new' event), 150 from 2024-02-10 ('expansion'),
          paused 2024-03-15 ('pause', 0); its line is then edited today to 30 seats (no event: the past stays).
        - C (Acme itself, no history: the lines' rule): 30 a month from 2024-02-05.
        - B (Globex, no history): 200 a month, 2024-01-01 to 2024-02-29.
        February (start = 31 Jan, end = 29 Feb): Acme 100 -> 150 + 30 = 180, expansion 80; Globex 200 -> 200 flat.
        March (start = 29 Feb, end = 31 Mar): Acme 180 -> 30, contraction 150; Globex 200 -> 0, churn 200.
        Before the rebuild the pivot read today's lines (A at 30 seats x 10 restated every month) and dropped A."""
        acme, globex, _contracts = self._history_scene()
        self.env.flush_all()
        Report = self.env["revcycle.mrr.movement.report"]
        expected = {
            "2024-02-01": {(acme, "expansion"): 80.0, (globex, "flat"): 0.0},
            "2024-03-01": {(acme, "contraction"): -150.0, (globex, "churn"): -200.0},
        }
        for month, month_end in (("2024-02-01", "2024-02-29"), ("2024-03-01", "2024-03-31")):
            rows = Report.search([("company_id", "=", self.usd_company.id), ("date", "=", month)])
            self.assertEqual({(row.partner_id, row.movement): row.amount for row in rows}, expected[month])
            bridge = self.Kpi.get_kpis(month, month_end, self.usd_company.ids)["kpis"]["mrr_movements"]["value"]
            self.assertAlmostEqual(sum(rows.mapped("mrr_start")), bridge["start"])
            self.assertAlmostEqual(sum(rows.mapped("mrr_end")), bridge["end"])
            for kind in ("new", "expansion", "reactivation", "contraction", "churn"):
                moved = sum(rows.filtered(lambda r, k=kind: r.movement == k).mapped("amount"))
                # the bridge states losses (contraction, churn) as positive amounts
                self.assertAlmostEqual(abs(moved), bridge[kind], msg=f"{month} {kind}")

    def test_contract_cards_drilldowns_give_back_their_figures(self):
        """On the pivot's scene plus Initech (E: 50 a month until 15 Feb, expired, renewed by F: 50 a month from 16
        Feb), March (start = 29 Feb, end = 31 Mar): customers at the start Acme (A 150 + C 30), Globex (B 200) and
        Initech (F 50): MRR 430; at the end Acme (C 30) and Initech (F 50): MRR 80, ARPA 80 / 2 = 40.
        - Customer churn 1 / 3 = 33.3 %: its drill-down lists B, the contract of the one customer lost (it listed
          the contracts whose term ended in the period: none in March, an empty list behind 33 %).
        - NRR and GRR: the starting cohort A, B, C, F. MRR, ARR, ARPA: C and F (two customers).
        - Renewal rate of February: B and E ended then, E was renewed: 1 / 2 = 50 %; the drill-down lists B and E."""
        _acme, _globex, contracts = self._history_scene()
        initech = self.env["res.partner"].create({"name": "Initech Pivot", "is_company": True})
        usd = self.usd_company.currency_id
        contract_e = self._contract(initech, usd, 50)
        contract_e.write({"date_end": "2024-02-15", "state": "expired"})
        contract_f = self._contract(initech, usd, 50, start="2024-02-16")
        contract_f.previous_contract_id = contract_e
        Contract = self.env["revcycle.contract"].sudo()  # the scene's contracts, read back by the actions' domains
        data = self.Kpi.get_dashboard_data("2024-03-01", "2024-03-31", self.usd_company.ids)
        cards = {card["key"]: card["action"] for card in data["cards"]}
        value = {key: kpi["value"] for key, kpi in data["kpis"].items()}
        bridge = value["mrr_movements"]
        self.assertEqual((bridge["start"], bridge["end"]), (430.0, 80.0))
        self.assertEqual((bridge["customers_start"], bridge["customers_lost"]), (3, 1))
        self.assertAlmostEqual(value["customer_churn_rate"], round(100 / 3, 1))
        churned = Contract.search(cards["customer_churn_rate"]["domain"])
        self.assertEqual(churned, contracts["B"])
        self.assertAlmostEqual(
            round(len(churned.partner_id.commercial_partner_id) / bridge["customers_start"] * 100, 1),
            value["customer_churn_rate"],
        )
        self.assertEqual(cards["grr"]["domain"], cards["nrr"]["domain"])
        cohort = Contract.search(cards["nrr"]["domain"])
        self.assertEqual(cohort, contracts["A"] | contracts["B"] | contracts["C"] | contract_f)
        self.assertEqual(len(cohort.partner_id.commercial_partner_id), bridge["customers_start"])
        for key in ("arr", "arpa"):
            self.assertEqual(cards[key]["domain"], cards["mrr"]["domain"], key)
        at_end = Contract.search(cards["mrr"]["domain"])
        self.assertEqual(at_end, contracts["C"] | contract_f)
        self.assertAlmostEqual(value["mrr"], 30 + 50)
        self.assertAlmostEqual(value["mrr"] / len(at_end.partner_id.commercial_partner_id), value["arpa"])
        self.assertAlmostEqual(value["arpa"], 40.0)
        february = self.Kpi._revcycle_drilldown("renewal_rate", (date(2024, 2, 1), date(2024, 2, 29)), self.usd_company)
        ended = Contract.search(february["domain"])
        self.assertEqual(ended, contracts["B"] | contract_e)
        renewed = ended.filtered("next_contract_ids")
        self.assertEqual(renewed, contract_e)
        kpis = self.Kpi.get_kpis("2024-02-01", "2024-02-29", self.usd_company.ids)
        self.assertKpi(kpis, "renewal_rate", len(renewed) / len(ended) * 100, False)
