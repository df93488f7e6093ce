"""revcycle_cpq contracts over XML-RPC: bad input is refused with a message that says what to fix, and nothing is
written (checked by searching afterwards)."""

import xmlrpc.client

import pytest


def _support_plan(rpc):
    return rpc("product.product", "search", [("name", "=", "Support Plan (monthly)")], limit=1)[0]


def _partner(rpc):
    return rpc("res.partner", "search", [("name", "=", "Deco Addict")], limit=1)[0]


def _contract_values(rpc, **values):
    return {
        "partner_id": _partner(rpc),
        "date_start": "2026-01-01",
        "date_end": "2026-12-31",
        "billing_period": "month",
        "line_ids": [
            (0, 0, {"product_id": _support_plan(rpc), "name": "Support Plan", "quantity": 1, "price_unit": 300})
        ],
        **values,
    }


def _counts(rpc):
    return rpc("revcycle.contract", "search_count", []), rpc("revcycle.contract.line", "search_count", [])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param(
            {"date_start": "2026-06-01", "date_end": "2026-05-31"},
            "A contract cannot end before it starts: set the end on or after the start.",
            id="end-before-start",
        ),
        pytest.param(
            {"billing_period": "week"},
            "Unknown Billing Period 'week': use one of month (Monthly), quarter (Quarterly), year (Yearly).",
            id="unknown-billing-period",
        ),
    ],
)
def test_bad_contract_is_refused_and_nothing_written(admin_rpc, values, message):
    before = _counts(admin_rpc)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        admin_rpc("revcycle.contract", "create", _contract_values(admin_rpc, **values))
    assert message in refused.value.faultString
    assert _counts(admin_rpc) == before


def test_negative_quantity_is_refused_and_nothing_written(admin_rpc):
    before = _counts(admin_rpc)
    line = {"product_id": _support_plan(admin_rpc), "name": "Support Plan", "quantity": -2, "price_unit": 300}
    with pytest.raises(xmlrpc.client.Fault) as refused:
        admin_rpc("revcycle.contract", "create", _contract_values(admin_rpc, line_ids=[(0, 0, line)]))
    assert "A contract line needs a quantity above zero" in refused.value.faultString
    assert _counts(admin_rpc) == before
    assert not admin_rpc("revcycle.contract.line", "search", [("quantity", "<", 0)])


def test_bad_changes_to_an_existing_contract_leave_it_unchanged(admin_rpc):
    contract = admin_rpc("revcycle.contract", "search", [("state", "=", "draft")], limit=1)[0]
    fields = ["date_start", "date_end", "billing_period", "line_ids"]
    before = admin_rpc("revcycle.contract", "read", [contract], fields=fields)[0]
    with pytest.raises(xmlrpc.client.Fault, match="cannot end before it starts"):
        admin_rpc("revcycle.contract", "write", [contract], {"date_end": "2000-01-01"})
    with pytest.raises(xmlrpc.client.Fault, match=r"Unknown Billing Period 'fortnight'"):
        admin_rpc("revcycle.contract", "write", [contract], {"billing_period": "fortnight"})
    with pytest.raises(xmlrpc.client.Fault, match="needs a quantity above zero"):
        admin_rpc("revcycle.contract.line", "write", before["line_ids"], {"quantity": 0})
    assert admin_rpc("revcycle.contract", "read", [contract], fields=fields)[0] == before
    assert all(line["quantity"] > 0 for line in admin_rpc("revcycle.contract.line", "read", before["line_ids"]))


@pytest.mark.parametrize("state", ["draft", "negotiation"])
def test_activating_an_unsigned_contract_is_refused(admin_rpc, state):
    contract = admin_rpc("revcycle.contract", "search_read", [("state", "=", state)], fields=["name"], limit=1)[0]
    with pytest.raises(xmlrpc.client.Fault) as refused:
        admin_rpc("revcycle.contract", "action_activate", [contract["id"]])
    assert f"{contract['name']} is not signed yet: sign it before activating it." in refused.value.faultString
    after = admin_rpc("revcycle.contract", "read", [contract["id"]], fields=["state", "signed_date", "invoice_count"])
    assert (after[0]["state"], after[0]["signed_date"], after[0]["invoice_count"]) == (state, False, 0)
