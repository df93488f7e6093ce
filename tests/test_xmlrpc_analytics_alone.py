"""revcycle_analytics installed alone, without revcycle_cpq, revcycle_dunning and revcycle_revrec (so without the
bridges that declare their KPIs), in a database of its own: it installs, and get_kpis answers over XML-RPC with the
ledger KPIs only."""

LEDGER_KEYS = {
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
SIBLINGS_AND_BRIDGES = (
    "revcycle_cpq",
    "revcycle_dunning",
    "revcycle_revrec",
    "revcycle_analytics_cpq",
    "revcycle_analytics_dunning",
    "revcycle_analytics_revrec",
)


def test_analytics_alone_installs_without_its_siblings_and_their_bridges(analytics_alone_rpc):
    rows = analytics_alone_rpc(
        "ir.module.module",
        "search_read",
        [("name", "in", ["revcycle_analytics", *SIBLINGS_AND_BRIDGES])],
        fields=["name", "state"],
    )
    states = {row["name"]: row["state"] for row in rows}
    assert states.pop("revcycle_analytics") == "installed"
    assert all(state != "installed" for state in states.values()), states


def test_analytics_alone_answers_get_kpis_with_the_ledger_keys_only(analytics_alone_rpc):
    result = analytics_alone_rpc("revcycle.kpi", "get_kpis", "2025-01-01", "2025-12-31")
    assert set(result["kpis"]) == LEDGER_KEYS
    assert result["sources"] == ["receivables", "sales"]
    # no demo data: nothing posted, so no AR and no DSO (unknown, not 0, without sales)
    assert result["kpis"]["ar_total"] == {"value": 0.0, "previous": 0.0}
    assert result["kpis"]["dso_simple"] == {"value": False, "previous": False}
    assert result["kpis"]["ar_aging"]["value"][0] == {"bucket": "Not due", "amount": 0.0}
    dashboard = analytics_alone_rpc("revcycle.kpi", "get_dashboard_data", "2025-01-01", "2025-12-31")
    assert {card["key"] for card in dashboard["cards"]} == LEDGER_KEYS - {"ar_aging"}
