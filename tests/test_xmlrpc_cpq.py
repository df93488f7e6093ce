"""revcycle_cpq over XML-RPC: configuration rules and discount approvals refuse clearly, and nothing is written."""

import xmlrpc.client

import pytest


def _variant(rpc, template_name, *values):
    products = rpc(
        "product.product", "search_read", [("product_tmpl_id.name", "=", template_name)], fields=["display_name"]
    )
    for product in products:
        if all(value in product["display_name"] for value in values):
            return product["id"]
    raise AssertionError(f"no variant of {template_name} with {values}")


def _partner(rpc):
    return rpc("res.partner", "search", [("name", "=", "Deco Addict")], limit=1)[0]


def test_excluded_combination_is_refused_and_no_quotation_is_created(admin_rpc):
    desk = _variant(admin_rpc, "Customizable Desk", "Steel", "Black")
    chair = _variant(admin_rpc, "Office Chair")
    before = admin_rpc("sale.order", "search_count", [])
    lines = [(0, 0, {"product_id": desk, "product_uom_qty": 1}), (0, 0, {"product_id": chair, "product_uom_qty": 1})]
    with pytest.raises(
        xmlrpc.client.Fault, match=r"(?s)replace the standard Office Chair.*Customizable Desk \(Steel, Black\)"
    ):
        admin_rpc("sale.order", "create", {"partner_id": _partner(admin_rpc), "order_line": lines})
    assert admin_rpc("sale.order", "search_count", []) == before


def test_missing_requirement_refuses_confirmation_and_the_quote_stays_draft(admin_rpc):
    api_calls = _variant(admin_rpc, "API Calls (per 1,000)")
    order = admin_rpc(
        "sale.order",
        "create",
        {"partner_id": _partner(admin_rpc), "order_line": [(0, 0, {"product_id": api_calls, "product_uom_qty": 10})]},
    )
    with pytest.raises(xmlrpc.client.Fault, match="add a Seat Licence line"):
        admin_rpc("sale.order", "action_confirm", [order])
    with pytest.raises(xmlrpc.client.Fault, match="add a Seat Licence line"):
        admin_rpc("sale.order", "action_quotation_sent", [order])
    state = admin_rpc("sale.order", "read", [order], fields=["state"])[0]["state"]
    assert state == "draft"


def test_pending_discount_blocks_confirmation_until_approved(admin_rpc, rpc_as):
    order = admin_rpc(
        "sale.order",
        "search_read",
        [("revcycle_approval_state", "=", "pending")],
        fields=["name", "user_id", "revcycle_approval_reason"],
        limit=1,
    )[0]
    assert "discount 30%" in order["revcycle_approval_reason"]
    with pytest.raises(xmlrpc.client.Fault, match="needs a discount approval"):
        admin_rpc("sale.order", "action_confirm", [order["id"]])
    with pytest.raises(xmlrpc.client.Fault, match="Give a reason"):
        admin_rpc("sale.order", "action_revcycle_reject", [order["id"]], reason="")
    demo = rpc_as("demo", "demo")  # the salesperson of that quotation, no approver group
    with pytest.raises(xmlrpc.client.Fault, match="takes membership"):
        demo("sale.order", "action_revcycle_approve", [order["id"]])
    admin_rpc("sale.order", "action_revcycle_approve", [order["id"]])
    admin_rpc("sale.order", "action_confirm", [order["id"]])
    assert admin_rpc("sale.order", "read", [order["id"]], fields=["state"])[0]["state"] == "sale"


def test_revision_over_xmlrpc(admin_rpc):
    order = admin_rpc("sale.order", "search_read", [("revcycle_revision", "=", 1)], fields=["name"], limit=1)[0]
    action = admin_rpc("sale.order", "action_revcycle_new_revision", [order["id"]])
    new = admin_rpc(
        "sale.order", "read", [action["res_id"]], fields=["name", "revcycle_revision", "revcycle_previous_revision_id"]
    )[0]
    assert new["revcycle_revision"] == 2
    assert new["name"].endswith("-R2")
    assert new["revcycle_previous_revision_id"][0] == order["id"]
