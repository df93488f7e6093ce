"""Issue 15 over real HTTP: the quote gates, the approval decision, recognition's companies and dates, and the
dunning run date hold for an XML-RPC caller, who gets a Fault and changes nothing."""

import datetime
import xmlrpc.client

import pytest


def _group(admin_rpc, xmlid):
    module, name = xmlid.split(".")
    return admin_rpc("ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], fields=["res_id"])[
        0
    ]["res_id"]


def _user(admin_rpc, rpc_as, login, groups, company_ids=None):
    """A user with these groups (created once), logged in over XML-RPC with its login as password."""
    if not admin_rpc("res.users", "search", [("login", "=", login)]):
        vals = {
            "name": login.replace("_", " ").title(),
            "login": login,
            "password": login,
            "email": f"{login}@example.com",
            "groups_id": [(6, 0, [_group(admin_rpc, xmlid) for xmlid in groups])],
        }
        if company_ids:
            vals.update(company_id=company_ids[0], company_ids=[(6, 0, company_ids)])
        admin_rpc("res.users", "create", vals)
    return rpc_as(login, login)


@pytest.fixture(scope="module")
def gate_product(admin_rpc):
    found = admin_rpc("product.product", "search", [("name", "=", "RPC Gate Service")])
    return (
        found[0]
        if found
        else admin_rpc(
            "product.product", "create", {"name": "RPC Gate Service", "type": "service", "list_price": 100.0}
        )
    )


@pytest.fixture(scope="module")
def gate_partner(admin_rpc):
    return admin_rpc("res.partner", "create", {"name": "RPC Gate Customer"})


@pytest.fixture(scope="module")
def salesman(admin_rpc, rpc_as):
    return _user(admin_rpc, rpc_as, "rpc_gate_salesman", ["base.group_user", "sales_team.group_sale_salesman"])


@pytest.fixture(scope="module")
def cpq_manager(admin_rpc, rpc_as):
    return _user(admin_rpc, rpc_as, "rpc_gate_manager", ["base.group_user", "revcycle_cpq.group_revcycle_cpq_manager"])


def _quote(rpc, partner, product, discount=60.0, **extra):
    line = {"product_id": product, "product_uom_qty": 1, "discount": discount}
    return rpc("sale.order", "create", {"partner_id": partner, "order_line": [(0, 0, line)], **extra})


def _read(admin_rpc, order, *fields):
    return admin_rpc("sale.order", "read", [order], fields=list(fields))[0]


def test_salesperson_cannot_approve_by_writing_the_decision(
    admin_rpc, salesman, cpq_manager, gate_partner, gate_product
):
    # Reproduction: a salesperson writes revcycle_approval_decision='approved' and the revcycle_approved_* fields,
    # with "Decided By" naming a manager, then confirms a 60 % discount.
    order = _quote(salesman, gate_partner, gate_product)
    # approval needed, not requested yet: "to_request" (issue 20: "pending" only after a request)
    assert _read(admin_rpc, order, "revcycle_approval_state")["revcycle_approval_state"] == "to_request"
    decision = {
        "revcycle_approval_decision": "approved",
        "revcycle_approved_by_id": cpq_manager.uid,
        "revcycle_approved_max_discount": 60.0,
        "revcycle_approved_amount": 1e9,
    }
    with pytest.raises(xmlrpc.client.Fault, match="can only be set by the approval actions"):
        salesman("sale.order", "write", [order], decision)
    # the context key the approval actions use does not unlock them either
    with pytest.raises(xmlrpc.client.Fault, match="can only be set by the approval actions"):
        salesman("sale.order", "write", [order], decision, context={"revcycle_decision_write": True})
    with pytest.raises(xmlrpc.client.Fault, match="needs a discount approval"):
        salesman("sale.order", "write", [order], {"state": "sale"})
    with pytest.raises(xmlrpc.client.Fault, match="needs a discount approval"):
        salesman("sale.order", "action_confirm", [order])
    after = _read(admin_rpc, order, "state", "revcycle_approval_decision", "revcycle_approved_by_id")
    assert (after["state"], after["revcycle_approval_decision"], after["revcycle_approved_by_id"]) == (
        "draft",
        False,
        False,
    )


def test_quotation_created_confirmed_is_gated(admin_rpc, salesman, gate_partner, gate_product):
    # Reproduction: create({'state': 'sale'}) with a 60 % discount.
    before = admin_rpc("sale.order", "search_count", [("partner_id", "=", gate_partner)])
    with pytest.raises(xmlrpc.client.Fault, match="needs a discount approval"):
        _quote(salesman, gate_partner, gate_product, state="sale")
    assert admin_rpc("sale.order", "search_count", [("partner_id", "=", gate_partner)]) == before


def test_manager_cannot_approve_after_reassigning(admin_rpc, salesman, cpq_manager, gate_partner, gate_product):
    # Reproduction: a manager reassigns user_id, approves, and reassigns back: self-approval.
    order = _quote(salesman, gate_partner, gate_product)
    cpq_manager("sale.order", "write", [order], {"user_id": cpq_manager.uid})
    cpq_manager("sale.order", "write", [order], {"user_id": salesman.uid})
    with pytest.raises(xmlrpc.client.Fault, match="You were the salesperson"):
        cpq_manager("sale.order", "action_revcycle_approve", [order])
    assert _read(admin_rpc, order, "revcycle_approval_state")["revcycle_approval_state"] == "to_request"
    # another manager decides; the quotation is then cancelled, so it leaves the demo's pending list as it was
    admin_rpc("sale.order", "action_revcycle_approve", [order])
    assert _read(admin_rpc, order, "revcycle_approval_state")["revcycle_approval_state"] == "approved"
    admin_rpc("sale.order", "action_cancel", [order])


@pytest.fixture(scope="module")
def two_companies(admin_rpc):
    main = admin_rpc("res.users", "read", [admin_rpc.uid], fields=["company_id"])[0]["company_id"][0]
    found = admin_rpc("res.company", "search", [("name", "=", "RPC Company Two")])
    other = found[0] if found else admin_rpc("res.company", "create", {"name": "RPC Company Two"})
    return main, other


def test_revenue_manager_of_one_company_cannot_recognise_another(admin_rpc, rpc_as, two_companies):
    # Reproduction: a company-1 revenue manager posted company 2's entries through recognize_until(date, ids).
    main, other = two_companies
    manager = _user(
        admin_rpc,
        rpc_as,
        "rpc_revrec_manager_one",
        ["base.group_user", "revcycle_revrec.group_revcycle_revrec_manager"],
        company_ids=[main],
    )
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    with pytest.raises(xmlrpc.client.Fault, match="not one of your companies"):
        manager("revcycle.revenue.contract", "recognize_until", yesterday, [other])
    with pytest.raises(xmlrpc.client.Fault, match="not one of your companies"):
        manager("revcycle.revenue.contract", "recognize_until", yesterday, [main, other])
    # Reproduction: an entry dated 2027-01-31 was posted on 2026-12-02.
    # Two days ahead: the server's today follows the user's time zone, at most a day ahead of UTC.
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    for date in ("2099-01-31", tomorrow):
        with pytest.raises(xmlrpc.client.Fault, match="after today"):
            manager("revcycle.revenue.contract", "recognize_until", date, [main])
    with pytest.raises(xmlrpc.client.Fault, match="Give the date"):
        manager("revcycle.revenue.contract", "recognize_until", None)


def test_dunning_run_in_the_future_is_refused(admin_rpc, rpc_as):
    # Reproduction: run_for_date('9999-12-31') dunned 79 customers and posted a fee invoice dated 9999-12-31.
    collector = _user(
        admin_rpc, rpc_as, "rpc_collector", ["base.group_user", "revcycle_dunning.group_revcycle_dunning_user"]
    )
    runs = admin_rpc("revcycle.dunning.run", "search_count", [])
    with pytest.raises(xmlrpc.client.Fault, match="after today"):
        collector("revcycle.dunning.run", "run_for_date", "9999-12-31")
    with pytest.raises(xmlrpc.client.Fault, match="Give the run date"):
        collector("revcycle.dunning.run", "run_for_date", None)
    assert admin_rpc("revcycle.dunning.run", "search_count", []) == runs
    future_fees = [("revcycle_dunning_fee", "=", True), ("invoice_date", ">", datetime.date.today().isoformat())]
    assert not admin_rpc("account.move", "search", future_fees)


def test_sql_constraint_names_fit_postgresql_identifiers(admin_rpc):
    # Reproduction: six _sql_constraints names were over 63 characters once prefixed with their table, so PostgreSQL
    # truncated them and Odoo could not map a violation back to its message.
    constraints = admin_rpc(
        "ir.model.constraint", "search_read", [("module.name", "=like", "revcycle%")], fields=["name"]
    )
    assert constraints
    assert [c["name"] for c in constraints if len(c["name"]) > 63] == []


def test_get_ssp_without_an_ssp_answers_over_xmlrpc(admin_rpc):
    # Reproduction: revcycle_get_ssp returned None, which XML-RPC cannot send: the caller got a marshalling Fault.
    template = admin_rpc("product.template", "create", {"name": "RPC No SSP", "type": "service"})
    currency = admin_rpc("res.currency", "search", [("name", "=", "EUR"), ("active", "in", [True, False])])[0]
    assert admin_rpc("revcycle.ssp", "revcycle_get_ssp", template, currency, "2026-01-01") is False
