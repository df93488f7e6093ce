"""Issue 15: the declared access policy (tests/security_policy.py, mirrored in docs/security.md), checked over
XML-RPC by logging in as each role: every model x operation cell, and every sensitive action for every role."""

import datetime
import re
import xmlrpc.client
from pathlib import Path

import pytest
from security_policy import MAIN, MATRIX, ROLES, SENSITIVE

OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}
DOC = Path(__file__).resolve().parents[1] / "docs" / "security.md"
RESULTS = {"cells": 0, "actions": 0, "violations": []}


def _xmlid(admin_rpc, xmlid):
    module, name = xmlid.split(".")
    found = admin_rpc("ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], fields=["res_id"])
    return found[0]["res_id"]


@pytest.fixture(scope="module")
def companies(admin_rpc):
    main = admin_rpc("res.users", "read", [admin_rpc.uid], fields=["company_id"])[0]["company_id"][0]
    found = admin_rpc("res.company", "search", [("name", "=", "RPC Company Two")])
    other = found[0] if found else admin_rpc("res.company", "create", {"name": "RPC Company Two"})
    return {MAIN: main, "other": other}


@pytest.fixture(scope="module")
def users(admin_rpc, rpc_as, companies):
    sessions = {}
    for role, (company, groups) in ROLES.items():
        login = f"rm_{role}"
        company_id = companies[company]
        vals = {
            "company_id": company_id,
            "company_ids": [(6, 0, [company_id])],
            "groups_id": [(6, 0, [_xmlid(admin_rpc, xmlid) for xmlid in groups])],
        }
        found = admin_rpc("res.users", "search", [("login", "=", login)])
        if found:  # a database kept from an earlier run: the role is what the policy says now
            admin_rpc("res.users", "write", found, vals)
        else:
            vals.update(
                name=f"Matrix {role.replace('_', ' ').title()}",
                login=login,
                password=login,
                email=f"{login}@example.com",
            )
            admin_rpc("res.users", "create", vals)
        sessions[role] = rpc_as(login, login)
    return sessions


def _fault(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except xmlrpc.client.Fault as fault:
        assert "Traceback" not in fault.faultString, fault.faultString[-2000:]
        return fault
    return None


def test_docs_mirror_the_declared_policy():
    """docs/security.md's access table is the policy's MATRIX, cell for cell."""
    text = DOC.read_text()
    header = next(line for line in text.splitlines() if line.startswith("| model |"))
    roles = [cell.strip().strip("`") for cell in header.strip("|").split("|")][1:]
    assert roles == list(ROLES)
    documented = {}
    for line in text.splitlines():
        match = re.match(r"^\| `(revcycle\.[a-z.]+)` \|", line)
        if match:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")][1:]
            documented[match.group(1)] = {
                role: cell for role, cell in zip(roles, cells, strict=True) if cell not in ("", "-", "—")
            }
    assert documented == {model: dict(cells) for model, cells in MATRIX.items()}
    for key, (label, _allowed) in SENSITIVE.items():
        assert f"`{key}`" in text, f"docs/security.md does not describe the sensitive action {key} ({label})"


def test_policy_covers_every_model(admin_rpc):
    models = admin_rpc(
        "ir.model", "search_read", [("model", "=like", "revcycle.%"), ("transient", "=", False)], fields=["model"]
    )
    persistent = {m["model"] for m in models if m["model"] not in ("revcycle.access", "revcycle.kpi")}
    persistent -= {"revcycle.shared.rows.mixin"}
    assert persistent == set(MATRIX)


@pytest.mark.parametrize("model", sorted(MATRIX))
def test_model_cells(users, model):
    """Each role's rights on each model are exactly the declared ones (ACL), and reading really works or is refused."""
    violations = []
    for role, session in users.items():
        allowed = MATRIX[model].get(role, "")
        for letter, operation in OPERATIONS.items():
            RESULTS["cells"] += 1
            has = session(model, "has_access", [], operation)
            if has != (letter in allowed):
                violations.append(f"{role} {operation} {model}: has {has}, declared {letter in allowed}")
        refused = _fault(session, model, "search_count", [])
        if (refused is None) != ("r" in allowed):
            violations.append(f"{role} search {model}: refused={refused is not None}, declared read={'r' in allowed}")
    RESULTS["violations"] += violations
    assert not violations, "\n".join(violations)


@pytest.fixture(scope="module")
def scene(admin_rpc, companies, users):
    """Main-company records the sensitive actions work on."""
    main = companies[MAIN]
    partner = admin_rpc("res.partner", "create", {"name": "Matrix Customer", "is_company": True, "company_id": False})
    product = admin_rpc(
        "product.product",
        "create",
        {"name": "Matrix Service", "type": "service", "list_price": 100.0, "company_id": False},
    )
    template = admin_rpc("product.product", "read", [product], fields=["product_tmpl_id"])[0]["product_tmpl_id"][0]
    company_template = admin_rpc(
        "product.template", "create", {"name": "Matrix Main Product", "type": "service", "company_id": main}
    )
    shared_tier = admin_rpc(
        "revcycle.price.tier", "create", {"product_tmpl_id": template, "min_quantity": 0, "price": 10.0}
    )
    company_tier = admin_rpc(
        "revcycle.price.tier", "create", {"product_tmpl_id": company_template, "min_quantity": 0, "price": 10.0}
    )
    admin_rpc("revcycle.dunning.policy", "create", {"name": "Matrix policy", "company_id": main})
    order = admin_rpc(
        "sale.order",
        "create",
        {
            "partner_id": partner,
            "company_id": main,
            "user_id": users["salesperson"].uid,
            "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 1, "discount": 60.0})],
        },
    )
    contract = admin_rpc(
        "revcycle.contract",
        "create",
        {
            "partner_id": partner,
            "company_id": main,
            "user_id": admin_rpc.uid,
            "date_start": "2026-01-01",
            "date_end": "2026-12-31",
            "line_ids": [(0, 0, {"product_id": product, "name": "Matrix", "quantity": 1, "price_unit": 10.0})],
        },
    )
    return {
        "main": main,
        "partner": partner,
        "order": order,
        "contract": contract,
        "shared_tier": shared_tier,
        "company_tier": company_tier,
    }


def _approve(session, scene, admin_rpc):
    session("sale.order", "action_revcycle_approve", [scene["order"]])


def _change_credit_limit(session, scene, admin_rpc):
    session("res.partner", "write", [scene["partner"]], {"credit_limit": 1234.0})
    session("res.partner", "write", [scene["partner"]], {"credit_limit": 0.0})


def _open_temporary_limit(session, scene, admin_rpc):
    action = session("res.partner", "action_revcycle_open_temporary_limit", [scene["partner"]])
    assert action["res_model"] == "revcycle.credit.override"


def _credit_hold(session, scene, admin_rpc):
    session("res.partner", "action_revcycle_credit_hold", [scene["partner"]], "matrix check")
    session("res.partner", "action_revcycle_credit_release", [scene["partner"]], "matrix check done")


def _credit_figures(session, scene, admin_rpc):
    result = session("res.partner", "revcycle_check_credit", [scene["partner"]], 10.0)
    assert "allowed" in result and "reason" in result
    if "exposure" not in result:
        assert not {"score", "overdue_amount", "limit"} & set(result)
        raise PermissionError("figures withheld")


def _run_dunning(session, scene, admin_rpc):
    session("revcycle.dunning.run", "run_for_date", "2000-01-31")


def _recognize_main(session, scene, admin_rpc):
    session("revcycle.revenue.contract", "recognize_until", "2000-01-31", [scene["main"]])


def _kpis_main(session, scene, admin_rpc):
    session("revcycle.kpi", "get_kpis", "2026-01-01", "2026-01-31", [scene["main"]])


def _other_salesperson_contract(session, scene, admin_rpc):
    found = session("revcycle.contract", "search_read", [("id", "=", scene["contract"])], fields=["name"])
    if not found:
        raise PermissionError("not visible")


def _change_tier(key):
    def change(session, scene, admin_rpc):
        session("revcycle.price.tier", "write", [scene[key]], {"price": 11.0})
        admin_rpc("revcycle.price.tier", "write", [scene[key]], {"price": 10.0})

    return change


def _read_main_policies(session, scene, admin_rpc):
    if not session("revcycle.dunning.policy", "search_count", [("company_id", "=", scene["main"])]):
        raise PermissionError("none visible")


ACTIONS = {
    "approve_discount": _approve,
    "change_credit_limit": _change_credit_limit,
    "open_temporary_limit": _open_temporary_limit,
    "credit_hold": _credit_hold,
    "credit_figures": _credit_figures,
    "run_dunning": _run_dunning,
    "recognize_main": _recognize_main,
    "kpis_main": _kpis_main,
    "other_salesperson_contract": _other_salesperson_contract,
    "change_company_tier": _change_tier("company_tier"),
    "change_shared_tier": _change_tier("shared_tier"),
    "read_main_policies": _read_main_policies,
}


def test_every_sensitive_action_has_a_check():
    assert set(ACTIONS) == set(SENSITIVE)


@pytest.mark.parametrize("action", sorted(SENSITIVE))
def test_sensitive_action(admin_rpc, users, scene, action):
    """Every role tries the action: the declared roles succeed, every other one is refused cleanly."""
    _label, allowed = SENSITIVE[action]
    violations = []
    for role, session in users.items():
        RESULTS["actions"] += 1
        try:
            ACTIONS[action](session, scene, admin_rpc)
            done = True
        except PermissionError:
            done = False
        except xmlrpc.client.Fault as fault:
            if "Traceback" in fault.faultString or fault.faultCode not in (2, 3, 4):
                violations.append(f"{role} {action}: unclean refusal {fault.faultString[-500:]}")
            done = False
        if done != (role in allowed):
            violations.append(f"{role} {action}: {'done' if done else 'refused'}, declared allowed={role in allowed}")
    RESULTS["violations"] += violations
    assert not violations, "\n".join(violations)


def test_report_counts(capsys):
    """The figures of the closing note: cells and actions checked, violations."""
    with capsys.disabled():
        print(
            f"\nrole matrix: {RESULTS['cells']} cells and {RESULTS['actions']} sensitive-action checks,"
            f" {len(RESULTS['violations'])} violations ({datetime.date.today()})"
        )
    assert not RESULTS["violations"]
