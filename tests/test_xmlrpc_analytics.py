"""revcycle_analytics over XML-RPC: the KPI dict for an integration, refused clearly without the rights or with bad
input."""

import xmlrpc.client
from datetime import date, timedelta

import pytest

NO_ACCOUNTING_LOGIN = "rc_xmlrpc_no_accounting"
BRIDGES = {
    "revcycle_analytics_cpq": "revcycle_cpq",
    "revcycle_analytics_dunning": "revcycle_dunning",
    "revcycle_analytics_revrec": "revcycle_revrec",
}
# every key of get_kpis with all the addons installed: the ledger's, then the bridges'
ALL_KEYS = {
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
    "mrr",
    "arr",
    "mrr_movements",
    "customer_churn_rate",
    "grr",
    "nrr",
    "arpa",
    "cltv",
    "renewal_rate",
    "usage_revenue",
    "overage_share",
    "dunning_recovery_rate",
    "deferred_revenue",
}


@pytest.fixture(scope="module")
def no_accounting_rpc(admin_rpc, rpc_as):
    """An internal user with no accounting and no analytics rights (created once, reused on later runs)."""
    users = admin_rpc("res.users", "search", [("login", "=", NO_ACCOUNTING_LOGIN)])
    if not users:
        internal = admin_rpc(
            "ir.model.data", "search_read", [("module", "=", "base"), ("name", "=", "group_user")], fields=["res_id"]
        )[0]["res_id"]
        admin_rpc(
            "res.users",
            "create",
            {
                "name": "No Accounting",
                "login": NO_ACCOUNTING_LOGIN,
                "password": NO_ACCOUNTING_LOGIN,
                "groups_id": [(6, 0, [internal])],
            },
        )
    return rpc_as(NO_ACCOUNTING_LOGIN, NO_ACCOUNTING_LOGIN)


def test_manager_gets_the_kpi_dict(admin_rpc):
    result = admin_rpc("revcycle.kpi", "get_kpis", "2025-01-01", "2025-12-31")
    assert (result["date_from"], result["date_to"]) == ("2025-01-01", "2025-12-31")
    assert (result["previous_date_from"], result["previous_date_to"]) == ("2024-01-01", "2024-12-31")
    assert set(result["sources"]) == {"receivables", "sales", "contracts", "dunning", "revrec"}
    kpis = result["kpis"]
    for key in (
        "dso_simple",
        "dso_countback",
        "cei",
        "ar_aging",
        "mrr",
        "arr",
        "mrr_movements",
        "grr",
        "nrr",
        "cltv",
        "win_rate",
        "quote_to_close_days",
        "average_deal_size",
        "dunning_recovery_rate",
        "deferred_revenue",
    ):
        assert set(kpis[key]) == {"value", "previous"}, key
    movements = kpis["mrr_movements"]["value"]
    balance = (
        movements["start"]
        + movements["new"]
        + movements["expansion"]
        + movements["reactivation"]
        - movements["contraction"]
        - movements["churn"]
    )
    assert balance == pytest.approx(movements["end"], abs=0.05)
    assert kpis["ar_aging"]["value"][0]["bucket"] == "Not due"


def test_analytics_bridges_are_auto_installed_with_their_addons(admin_rpc):
    names = ["revcycle_analytics", *BRIDGES, *BRIDGES.values()]
    rows = admin_rpc(
        "ir.module.module", "search_read", [("name", "in", names)], fields=["name", "state", "auto_install"]
    )
    modules = {row["name"]: row for row in rows}
    for bridge, sibling in BRIDGES.items():
        assert modules[sibling]["state"] == modules["revcycle_analytics"]["state"] == "installed"
        assert (modules[bridge]["state"], modules[bridge]["auto_install"]) == ("installed", True), bridge


def test_get_kpis_keeps_its_keys_with_every_addon_installed(admin_rpc):
    result = admin_rpc("revcycle.kpi", "get_kpis", "2025-01-01", "2025-03-31")
    assert set(result) == {
        "date_from",
        "date_to",
        "previous_date_from",
        "previous_date_to",
        "company_ids",
        "currency",
        "currency_id",
        "currency_digits",
        "sources",
        "kpis",
    }
    assert set(result["kpis"]) == ALL_KEYS


def _ledger_receivable(admin_rpc, company_id, date_to):
    """The ledger's receivable balance of one company on ``date_to``: posted receivable journal items, company
    currency, read through the ORM independently of the KPI engine's SQL."""
    groups = admin_rpc(
        "account.move.line",
        "read_group",
        [
            ("company_id", "=", company_id),
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("date", "<=", date_to),
        ],
        ["balance:sum"],
        [],
    )
    return groups[0]["balance"] or 0.0 if groups else 0.0


def test_company_filter(admin_rpc):
    """The figures follow the companies asked for: the demo's main company has open receivables, the second demo
    company (Chicago) has none. Each company's AR equals its own ledger balance, so a filter that was ignored (both
    answers the same) or applied to the wrong company fails."""
    today = date.today()
    date_from, date_to = (today - timedelta(days=364)).isoformat(), today.isoformat()
    main = admin_rpc("res.users", "read", [admin_rpc.uid], fields=["company_id"])[0]["company_id"][0]
    others = admin_rpc("res.company", "search", [("id", "!=", main)], order="id")
    empty = next(
        company for company in others if _ledger_receivable(admin_rpc, company, date_to) == 0
    )  # Chicago: no journal items at all
    main_ledger = _ledger_receivable(admin_rpc, main, date_to)
    assert main_ledger > 0, "the demo data gives the main company open receivables"

    main_kpis = admin_rpc("revcycle.kpi", "get_kpis", date_from, date_to, [main])
    empty_kpis = admin_rpc("revcycle.kpi", "get_kpis", date_from, date_to, [empty])
    assert main_kpis["company_ids"] == [main] and empty_kpis["company_ids"] == [empty]
    assert main_kpis["kpis"]["ar_total"]["value"] == pytest.approx(main_ledger, abs=0.005)
    assert empty_kpis["kpis"]["ar_total"]["value"] == 0
    assert empty_kpis["kpis"]["credit_sales"]["value"] == 0
    assert main_kpis["kpis"]["credit_sales"]["value"] > 0


def test_user_without_accounting_rights_gets_an_access_error(no_accounting_rpc):
    with pytest.raises(xmlrpc.client.Fault, match="may not see the revenue-cycle KPIs") as refused:
        no_accounting_rpc("revcycle.kpi", "get_kpis", "2025-01-01", "2025-12-31")
    assert "AccessError" in refused.value.faultString or "access" in refused.value.faultString.lower()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2025-12-31", "2025-01-01"), "before it starts on 2025-12-31"),
        (("31/12/2025", "2025-12-31"), "'31/12/2025' is not a date: give it as YYYY-MM-DD"),
        (("2025-01-01", "2025-12-31", [999999]), "Unknown company 999999"),
    ],
)
def test_bad_input_is_refused_clearly(admin_rpc, args, message):
    with pytest.raises(xmlrpc.client.Fault, match=message):
        admin_rpc("revcycle.kpi", "get_kpis", *args)


def test_cash_forecast_over_xmlrpc_is_plain_data(admin_rpc, no_accounting_rpc):
    """get_cash_forecast answers an integration with 13 weeks of plain figures (their items included), the scenario
    as differences, and the backtest with its WAPE and AUC; without the rights, or with a date after today, it
    refuses clearly."""
    today = date.today().isoformat()
    result = admin_rpc("revcycle.kpi", "get_cash_forecast", today, 13, False, {"delay_days": 10})
    assert result["date"] == today and result["weeks_count"] == 13 and len(result["weeks"]) == 13
    first = result["weeks"][0]
    assert set(first) >= {"week", "date_from", "date_to", "expected", "low", "high", "due_date_forecast", "items"}
    assert first["low"] <= first["expected"] <= first["high"]
    total = sum(week["expected"] for week in result["weeks"]) + result["beyond_horizon"]
    shifted = sum(week["expected"] for week in result["scenario"]["weeks"]) + result["scenario"]["beyond_horizon"]
    assert shifted == pytest.approx(total, abs=0.05 * 13)  # a delay moves cash between weeks, it creates none
    for week in result["weeks"]:
        for item in week["items"]:
            assert {"ref", "source", "amount", "expected", "late_probability", "reasons"} <= set(item)
    backtest = admin_rpc("revcycle.kpi", "get_cash_backtest", False, 4, 2)
    assert len(backtest["origins"]) == 2 and len(backtest["weeks"]) == 4
    assert set(backtest) >= {"wape", "wape_due_date", "auc", "improvement"}
    with pytest.raises(xmlrpc.client.Fault, match="may not see the revenue-cycle KPIs"):
        no_accounting_rpc("revcycle.kpi", "get_cash_forecast", today)
    with pytest.raises(xmlrpc.client.Fault, match="after today"):
        # two days ahead: the server's today follows the user's time zone, at most a day ahead of UTC
        admin_rpc("revcycle.kpi", "get_cash_forecast", (date.today() + timedelta(days=2)).isoformat())
