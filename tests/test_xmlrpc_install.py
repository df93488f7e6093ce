"""External API: a real Odoo HTTP server, XML-RPC login, the four addons installed and their models answering."""

import xmlrpc.client

import pytest

MODULES = ("revcycle_cpq", "revcycle_dunning", "revcycle_revrec", "revcycle_analytics")
MODELS = {
    "revcycle.price.tier": ("product_tmpl_id", "min_quantity", "price"),
    "revcycle.dunning.policy": ("name", "level_ids"),
    "revcycle.dunning.level": ("policy_id", "days", "channel"),
    "revcycle.ssp": ("product_tmpl_id", "currency_id", "price"),
    "revcycle.aging.bucket": ("name", "days_from", "days_to"),
}


def test_the_four_addons_are_installed(admin_rpc):
    rows = admin_rpc("ir.module.module", "search_read", [("name", "in", list(MODULES))], fields=["name", "state"])
    assert {row["name"]: row["state"] for row in rows} == dict.fromkeys(MODULES, "installed")


@pytest.mark.parametrize("model", sorted(MODELS))
def test_models_answer_search_read_and_fields_get(admin_rpc, model):
    fields = admin_rpc(model, "fields_get", attributes=["type", "string"])
    for name in MODELS[model]:
        assert name in fields, f"{model} lacks {name}"
    rows = admin_rpc(model, "search_read", [], fields=list(MODELS[model]), limit=5)
    assert rows, f"{model} has no demo/default records to read"
    assert set(MODELS[model]) <= set(rows[0])


def test_tier_price_over_xmlrpc(admin_rpc):
    template_id = admin_rpc("product.template", "search", [("name", "=", "API Calls (per 1,000)")], limit=1)[0]
    result = admin_rpc("revcycle.price.tier", "revcycle_compute_price", template_id, 150)
    assert result["mode"] == "graduated"
    # demo tiers from 0 at 10, from 100 at 8: units 1..99 at 10, units 100..150 at 8 (thresholds inclusive)
    assert result["total"] == 1398.0
    assert [line["amount"] for line in result["lines"]] == [990.0, 408.0]


def test_bad_input_over_xmlrpc_is_refused_clearly_and_writes_nothing(admin_rpc):
    template_id = admin_rpc("product.template", "search", [("name", "=", "API Calls (per 1,000)")], limit=1)[0]
    before = admin_rpc("revcycle.price.tier", "search_count", [("product_tmpl_id", "=", template_id)])
    with pytest.raises(xmlrpc.client.Fault, match="unit price cannot be negative"):
        admin_rpc("revcycle.price.tier", "create", {"product_tmpl_id": template_id, "min_quantity": 50, "price": -1})
    with pytest.raises(xmlrpc.client.Fault, match="already has a tier from quantity 100"):
        admin_rpc("revcycle.price.tier", "create", {"product_tmpl_id": template_id, "min_quantity": 100, "price": 1})
    with pytest.raises(xmlrpc.client.Fault, match="later levels must come later"):
        admin_rpc(
            "revcycle.dunning.policy",
            "create",
            {
                "name": "Backwards",
                "level_ids": [
                    (0, 0, {"sequence": 10, "name": "A", "days": 30}),
                    (0, 0, {"sequence": 20, "name": "B", "days": 7}),
                ],
            },
        )
    assert admin_rpc("revcycle.price.tier", "search_count", [("product_tmpl_id", "=", template_id)]) == before
    assert not admin_rpc("revcycle.dunning.policy", "search", [("name", "=", "Backwards")])


def test_a_user_without_revcycle_groups_cannot_change_tiers(rpc_as):
    portal_less_demo = rpc_as("demo", "demo")  # Odoo's demo user: an employee with no revcycle manager group
    with pytest.raises(xmlrpc.client.Fault, match="AccessError|not allowed"):
        portal_less_demo("revcycle.price.tier", "create", {"product_tmpl_id": 1, "min_quantity": 999, "price": 1})
    with pytest.raises(xmlrpc.client.Fault, match="AccessError|not allowed"):
        portal_less_demo("revcycle.dunning.policy", "create", {"name": "Nope"})
