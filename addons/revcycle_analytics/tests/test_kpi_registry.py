"""The KPI registry: every KPI comes from one declaration, declared by revcycle_analytics (the ledger) or by a bridge
installed with its sibling addon; one declaration is all a new KPI needs (the example of docs/architecture.md,
"How to add a KPI")."""

import io
import zipfile
from datetime import date
from unittest.mock import patch

from odoo.addons.revcycle_analytics.engine import KpiDeclaration, KpiError, check_declarations
from odoo.modules.module import get_manifest
from odoo.tests import tagged

from ..controllers.main import RevcycleAnalyticsController
from .common import DATE_FROM, DATE_TO, LEDGER_KEYS, RevcycleKpiCommon

# -- the example of docs/architecture.md, "How to add a KPI" (there as a bridge's model; here patched in) ----------


def _with_overdue_ar(super_declarations):
    """``_revcycle_kpi_declarations`` of the example, calling the method it extends as ``super()`` would."""

    def _revcycle_kpi_declarations(self):
        return [
            *super_declarations(self),
            KpiDeclaration(
                "overdue_ar",
                self.env._("Overdue Receivables"),
                "money",
                False,
                source="receivables",
                compute="_revcycle_kpi_compute_overdue_ar",
                drilldown="_revcycle_kpi_drilldown_overdue_ar",
                sequence=105,
            ),
        ]

    return _revcycle_kpi_declarations


def _revcycle_kpi_compute_overdue_ar(self, periods, companies, run):
    """Open receivables past their due date at each period end: every aging bucket but the first (not due) and the
    last row (unapplied credits and payments)."""
    ends = {which: end for which, (_start, end) in periods.items()}
    aging = self._revcycle_aging_as_of(list(ends.values()), companies)
    return {which: {"overdue_ar": sum(b["amount"] for b in aging[end][1:-1])} for which, end in ends.items()}


def _revcycle_kpi_drilldown_overdue_ar(self, declaration, period, companies):
    action = self._revcycle_kpi_drilldown_open_receivables(declaration, period, companies)
    action["domain"].append(["date_maturity", "<", str(period[1])])
    return action


@tagged("post_install", "-at_install", "revcycle")
class TestRevcycleKpiRegistry(RevcycleKpiCommon):
    def _declaring_addon(self, declaration):
        """The addon whose code computes the KPI: the module of its compute method."""
        method = getattr(type(self.Kpi), declaration.compute)
        return method.__module__.split(".")[2]

    def test_registry_keys_come_from_the_installed_bridges_only(self):
        registry = self.Kpi._revcycle_kpi_registry()
        by_addon = {}
        for declaration in registry:
            by_addon.setdefault(self._declaring_addon(declaration), set()).add(declaration.key)
        self.assertEqual(by_addon.pop("revcycle_analytics"), set(LEDGER_KEYS))
        installed = set(self.env["ir.module.module"].search([("state", "=", "installed")]).mapped("name"))
        for addon in by_addon:
            # any other KPI comes from an installed bridge revcycle_analytics_<sibling>, installed with its sibling
            self.assertTrue(addon.startswith("revcycle_analytics_"), addon)
            self.assertIn(addon, installed)
            manifest = get_manifest(addon)
            self.assertTrue(manifest["auto_install"], addon)
            self.assertIn("revcycle_analytics", manifest["depends"])
        for sibling in ("revcycle_cpq", "revcycle_dunning", "revcycle_revrec"):
            bridge = f"revcycle_analytics_{sibling.removeprefix('revcycle_')}"
            self.assertEqual(bridge in installed, sibling in installed, bridge)
            self.assertEqual(bridge in by_addon, sibling in installed, bridge)
        keys = set(self.Kpi.get_kpis(DATE_FROM, DATE_TO, self.company.ids)["kpis"])
        self.assertEqual(keys, {declaration.key for declaration in registry})
        if not by_addon:  # revcycle_analytics without any sibling: the ledger KPIs only
            self.assertEqual(keys, LEDGER_KEYS)
            self.assertEqual(self.Kpi._revcycle_kpi_sources(), frozenset({"receivables", "sales"}))

    def test_declarations_are_checked(self):
        ar = KpiDeclaration("ar_total", "AR", "money", False, source="receivables", compute="_compute")
        with self.assertRaisesRegex(KpiError, "declared twice"):
            check_declarations([ar, ar])
        with self.assertRaisesRegex(KpiError, "unit 'euros'"):
            check_declarations([KpiDeclaration("x", "X", "euros", True, source="s", compute="_c")])
        with self.assertRaisesRegex(KpiError, "not a lowercase identifier"):
            check_declarations([KpiDeclaration("Bad Key", "X", "money", True, source="s", compute="_c")])
        later = KpiDeclaration("b", "B", "days", True, source="s", compute="_c", sequence=1)
        self.assertEqual([d.key for d in check_declarations([ar, later])], ["b", "ar_total"])
        self.assertEqual((ar.rounding_digits(0), later.rounding_digits(2)), (0, 1))

    def test_one_declaration_adds_a_kpi(self):
        """The example of docs/architecture.md: one declaration gives the KPI its key in get_kpis, its rounding,
        its card, its place in the export and its drill-down for the same as-of date."""
        Model = type(self.Kpi)
        with (
            patch.object(Model, "_revcycle_kpi_declarations", _with_overdue_ar(Model._revcycle_kpi_declarations)),
            patch.object(Model, "_revcycle_kpi_compute_overdue_ar", _revcycle_kpi_compute_overdue_ar, create=True),
            patch.object(Model, "_revcycle_kpi_drilldown_overdue_ar", _revcycle_kpi_drilldown_overdue_ar, create=True),
        ):
            kpis = self._kpis()
            # at 2024-03-31 I2 is 10 days late with 1,500 open; at 2023-12-31 nothing was late
            self.assertKpi(kpis, "overdue_ar", 1500.0, 0.0)
            data = self.Kpi.get_dashboard_data(DATE_FROM, DATE_TO, self.company.ids)
            cards = [card["key"] for card in data["cards"]]
            self.assertEqual(cards[cards.index("ar_total") + 1], "overdue_ar")  # sequence 105: after AR (100)
            card = data["cards"][cards.index("overdue_ar")]
            self.assertEqual(
                (card["label"], card["unit"], card["higher_is_better"]), ("Overdue Receivables", "money", False)
            )
            items = self.env["account.move.line"].search(card["action"]["domain"])
            self.assertEqual(items.move_id, self.invoices["I2"])
            content = RevcycleAnalyticsController()._revcycle_workbook(self.env, kpis)
            with zipfile.ZipFile(io.BytesIO(content)) as workbook:
                self.assertIn("Overdue Receivables", workbook.read("xl/sharedStrings.xml").decode())
            before = self.Kpi._revcycle_drilldown("overdue_ar", (date(2023, 10, 1), date(2023, 12, 31)), self.company)
            self.assertFalse(self.env["account.move.line"].search(before["domain"]))
        self.assertNotIn("overdue_ar", self._kpis()["kpis"])
