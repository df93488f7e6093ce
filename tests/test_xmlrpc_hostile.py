"""Issue 15: hostile input over XML-RPC and HTTP, across every public model, method and route of the suite.

Each call must be refused cleanly — a Fault carrying a UserError / ValidationError / AccessError whose message names
the problem (never a traceback or a database error), or an HTTP 4xx (or the login redirect) with a message — and
must write nothing: the record counts and the latest write of the models it could touch are the same after it."""

import datetime
import hashlib
import hmac
import json
import math
import re
import threading
import time
import xmlrpc.client

import psycopg2
import pytest
import requests

from revcycle_tool import settings as S
from revcycle_tool.postgres import Cluster

INF, NAN = math.inf, math.nan
TODAY = datetime.date.today()
# Two days ahead, not one: the server's today is the user's (admin is in Europe/Brussels), so between 23:00 and
# midnight UTC the UTC tomorrow is already the server's today. No time zone is more than a day ahead of UTC.
TOMORROW = (TODAY + datetime.timedelta(days=2)).isoformat()
WEBHOOK_SECRET = "whsec_revcycle_hostile"
CLEAN_FAULT_CODES = (2, 3, 4)  # UserError/ValidationError, AccessDenied, AccessError (1 is an application error)
WATCHED = [
    "revcycle.price.tier",
    "revcycle.config.rule",
    "revcycle.approval.rule",
    "revcycle.contract",
    "revcycle.contract.line",
    "revcycle.usage.record",
    "revcycle.usage.rating",
    "revcycle.dunning.policy",
    "revcycle.dunning.level",
    "revcycle.dunning.run",
    "revcycle.dunning.notice",
    "revcycle.credit.override",
    "revcycle.risk.class",
    "revcycle.ssp",
    "revcycle.revenue.contract",
    "revcycle.revenue.line",
    "revcycle.aging.bucket",
    "revcycle.stripe.event",
    "revcycle.payment.plan",
    "account.move",
    "sale.order",
    "res.partner",
    "product.template",
]
REPORT = {"tried": 0, "refused": 0, "written": 0, "unclean": []}


def _group(admin_rpc, xmlid):
    module, name = xmlid.split(".")
    return admin_rpc("ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], fields=["res_id"])[
        0
    ]["res_id"]


def _user(admin_rpc, rpc_as, login, groups, company_ids=None):
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
def world(admin_rpc, rpc_as, odoo_server_url):
    """The records and the users the hostile calls aim at."""
    url, database = odoo_server_url
    main = admin_rpc("res.users", "read", [admin_rpc.uid], fields=["company_id"])[0]["company_id"][0]
    found = admin_rpc("res.company", "search", [("name", "=", "RPC Company Two")])
    other = found[0] if found else admin_rpc("res.company", "create", {"name": "RPC Company Two"})
    template = admin_rpc("product.template", "create", {"name": "Hostile Tiered", "type": "service"})
    tier = admin_rpc("revcycle.price.tier", "create", {"product_tmpl_id": template, "min_quantity": 0, "price": 5.0})
    product = admin_rpc("product.product", "search", [("product_tmpl_id", "=", template)])[0]
    partner = admin_rpc("res.partner", "create", {"name": "Hostile Customer", "is_company": True})
    order = admin_rpc(
        "sale.order",
        "create",
        {"partner_id": partner, "order_line": [(0, 0, {"product_id": product, "product_uom_qty": 1, "discount": 60})]},
    )
    contract = admin_rpc(
        "revcycle.contract",
        "create",
        {
            "partner_id": partner,
            "date_start": "2026-01-01",
            "date_end": "2026-12-31",
            "line_ids": [(0, 0, {"product_id": product, "name": "Hostile", "quantity": 1, "price_unit": 10.0})],
        },
    )
    line = admin_rpc("revcycle.contract", "read", [contract], fields=["line_ids"])[0]["line_ids"][0]
    policy = admin_rpc(
        "revcycle.dunning.policy",
        "create",
        {
            "name": "Hostile policy",
            "level_ids": [(0, 0, {"sequence": 10, "name": "Call", "days": 5, "channel": "phone"})],
        },
    )
    level = admin_rpc("revcycle.dunning.policy", "read", [policy], fields=["level_ids"])[0]["level_ids"][0]
    currency = admin_rpc("res.company", "read", [main], fields=["currency_id"])[0]["currency_id"][0]
    bucket = admin_rpc("revcycle.aging.bucket", "search", [], limit=1)
    revenue = admin_rpc(
        "revcycle.revenue.contract",
        "create",
        {"partner_id": partner, "company_id": main, "currency_id": currency, "date": "2026-01-01"},
    )
    plan = admin_rpc("revcycle.payment.plan", "create", {"partner_id": partner})
    risk = admin_rpc("revcycle.risk.class", "search", [], limit=1)
    approval = admin_rpc("revcycle.approval.rule", "search", [], limit=1)
    users = {
        "admin": admin_rpc,
        "salesperson": _user(
            admin_rpc, rpc_as, "hx_salesperson", ["base.group_user", "sales_team.group_sale_salesman"]
        ),
        "cpq_user": _user(
            admin_rpc, rpc_as, "hx_cpq_user", ["base.group_user", "revcycle_cpq.group_revcycle_cpq_user"]
        ),
        "collector": _user(
            admin_rpc, rpc_as, "hx_collector", ["base.group_user", "revcycle_dunning.group_revcycle_dunning_user"]
        ),
        "billing": _user(admin_rpc, rpc_as, "hx_billing", ["base.group_user", "account.group_account_invoice"]),
        "revrec_user": _user(
            admin_rpc, rpc_as, "hx_revrec_user", ["base.group_user", "revcycle_revrec.group_revcycle_revrec_user"]
        ),
        "portal": _user(admin_rpc, rpc_as, "hx_portal", ["base.group_portal"]),
        "other_manager": _user(
            admin_rpc,
            rpc_as,
            "hx_other_manager",
            [
                "base.group_user",
                "revcycle_cpq.group_revcycle_cpq_manager",
                "revcycle_dunning.group_revcycle_dunning_manager",
                "revcycle_revrec.group_revcycle_revrec_manager",
                "revcycle_analytics.group_revcycle_analytics_manager",
            ],
            company_ids=[other],
        ),
    }
    return {
        "url": url,
        "database": database,
        "main": main,
        "other": other,
        "template": template,
        "tier": tier,
        "product": product,
        "partner": partner,
        "order": order,
        "contract": contract,
        "line": line,
        "policy": policy,
        "level": level,
        "currency": currency,
        "revenue": revenue,
        "plan": plan,
        "bucket": bucket[0] if bucket else False,
        "risk": risk[0] if risk else False,
        "approval": approval[0] if approval else False,
        "users": users,
    }


# models without log columns (a high-volume fact table): what shows a write there instead of write_date
_NO_WRITE_DATE = {"revcycle.usage.record": ("max(id)", "count(rating_id)")}


@pytest.fixture(scope="module")
def ledger_sql(odoo_server_url):
    """A read-only SQL connection to the served database (autocommit: each query sees what is committed now)."""
    settings = S.load()
    cluster = Cluster(settings)
    connection = psycopg2.connect(dbname=odoo_server_url[1], host=str(cluster.socket_dir), port=cluster.port,
                                  user=cluster.user)
    connection.autocommit = True
    connection.set_session(readonly=True)
    yield connection
    connection.close()


def _fingerprint(connection, models):
    """Per model: how many rows, and the latest write, read in the database itself (every row: archived ones and
    other companies' too). One query for all the models: a case reads it twice."""
    selects = []
    for model in models:
        table = model.replace(".", "_")
        aggregates = _NO_WRITE_DATE.get(model, ("max(write_date)",))
        columns = ", ".join(f"({aggregate})::text" for aggregate in aggregates)
        selects.append(f"SELECT '{model}', ARRAY[count(*)::text, {columns}] FROM {table}")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects))
        return dict(cursor.fetchall())


# (role, model, method, args, kwargs, regex the message must match); "{key}" strings are replaced by world[key]
C = []


def case(role, model, method, args, match, **kwargs):
    C.append((role, model, method, args, kwargs, match))


# --- revcycle.price.tier.revcycle_compute_price(product_tmpl_id, quantity, pricelist_id) --------------------------
for bad_id, why in [
    ("12", "product_tmpl_id"),
    ("abc", "product_tmpl_id"),
    (None, "product_tmpl_id"),
    (-1, "product_tmpl_id"),
    (0, "product_tmpl_id"),
    (1e12, "product_tmpl_id"),
    (99999999, "no product template"),
    ([1, 2], "product_tmpl_id"),
    ({"id": 1}, "product_tmpl_id"),
    (4e9, "product_tmpl_id"),
]:
    case("admin", "revcycle.price.tier", "revcycle_compute_price", [bad_id, 10], why)
for bad_quantity in [NAN, INF, -INF, "abc", None, -5, 1e300, [1], {"q": 1}, True]:
    case("admin", "revcycle.price.tier", "revcycle_compute_price", ["{template}", bad_quantity], "quantity")
for bad_pricelist in [99999999, "x", -1, 1.5, [99999999]]:
    case("admin", "revcycle.price.tier", "revcycle_compute_price", ["{template}", 5, bad_pricelist], "pricelist_id")

# --- revcycle.aging.bucket.revcycle_bucket_for(days, company_id) ------------------------------------------------
for bad_days in [1e12, -1e12, "abc", NAN, INF, None, [1], 45.5, "45", 4e9]:
    case("admin", "revcycle.aging.bucket", "revcycle_bucket_for", [bad_days], "days_past_due")
for bad_company, why in [
    ("1", "company_id"),
    (99999999, "Unknown company"),
    ([99999999], "Unknown company"),
    (-3, "company_id"),
]:
    case("admin", "revcycle.aging.bucket", "revcycle_bucket_for", [10, bad_company], why)
case("other_manager", "revcycle.aging.bucket", "revcycle_bucket_for", [10, "{main}"], "not one of your companies")

# --- revcycle.kpi.get_kpis / get_dashboard_data(date_from, date_to, company_ids) --------------------------------
for method in ("get_kpis", "get_dashboard_data"):
    for dates, why in [
        ((None, "2026-01-31"), "period start"),
        (("2026-01-01", None), "period end"),
        (("", ""), "period start"),
        (("abc", "2026-01-31"), "not a date"),
        (("0001-01-01", "2026-01-31"), "out of range"),
        (("2026-01-01", "9999-12-31"), "out of range"),
        ((20260101, "2026-01-31"), "not a date"),
        (("2026-12-31", "2026-01-01"), "before it starts"),
        ((["2026-01-01"], "2026-01-31"), "not a date"),
    ]:
        case("admin", "revcycle.kpi", method, list(dates), why)
    for companies, why in [
        ("abc", "company_ids"),
        ("12", "company_ids"),
        ([0], "company_ids"),
        ([-1], "company_ids"),
        (["1"], "company_ids"),
        ([99999999], "Unknown company"),
        ([True], "company_ids"),
        ({"a": 1}, "company_ids"),
    ]:
        case("admin", "revcycle.kpi", method, ["2026-01-01", "2026-01-31", companies], why)
case("salesperson", "revcycle.kpi", "get_kpis", ["2026-01-01", "2026-01-31"], "may not see the revenue-cycle KPIs")
case("portal", "revcycle.kpi", "get_kpis", ["2026-01-01", "2026-01-31"], "may not see|not allowed|access")
case("other_manager", "revcycle.kpi", "get_kpis", ["2026-01-01", "2026-01-31", ["{main}"]], "Unknown company")

# --- revcycle.kpi.get_cash_forecast(date, weeks, company_ids, scenario) / get_cash_backtest(date, weeks, origins) ---
for args, why in [
    ([None], "forecast date"),
    (["abc"], "not a date"),
    (["9999-12-31"], "out of range|after today"),
    (["2999-01-01"], "after today"),
    ([20260101], "not a date"),
    (["2026-01-01", 0], "weeks is a whole number"),
    (["2026-01-01", 53], "weeks is a whole number"),
    (["2026-01-01", "13"], "weeks is a whole number"),
    (["2026-01-01", 1e12], "weeks is a whole number"),
    (["2026-01-01", NAN], "weeks is a whole number"),
    (["2026-01-01", 13, [99999999]], "Unknown company"),
    (["2026-01-01", 13, "1"], "company_ids"),
    (["2026-01-01", 13, False, "ten days"], "scenario is a dict"),
    (["2026-01-01", 13, False, {"payers": 3}], "scenario is a dict"),
    (["2026-01-01", 13, False, {"delay_days": 1e9}], "scenario delay_days"),
    (["2026-01-01", 13, False, {"delay_days": "10"}], "scenario delay_days"),
    (["2026-01-01", 13, False, {"billing_days": 366}], "scenario billing_days"),
    (["2026-01-01", 13, False, {"delay_days": NAN}], "scenario delay_days"),
]:
    case("admin", "revcycle.kpi", "get_cash_forecast", args, why)
for args, why in [
    (["abc"], "not a date"),
    ([False, 0], "weeks is a whole number"),
    ([False, 13, 0], "Origins is a whole number"),
    ([False, 13, 1000], "Origins is a whole number"),
    ([False, 13, "6"], "Origins is a whole number"),
]:
    case("admin", "revcycle.kpi", "get_cash_backtest", args, why)
case("salesperson", "revcycle.kpi", "get_cash_forecast", ["2026-01-01"], "may not see the revenue-cycle KPIs")
case("portal", "revcycle.kpi", "get_cash_backtest", [], "may not see|not allowed|access")
case("other_manager", "revcycle.kpi", "get_cash_forecast", ["2026-01-01", 13, ["{main}"]], "Unknown company")
# the day's stored cash forecast models: read only; retrained by a manager's button, today's only
case("salesperson", "revcycle.forecast.model", "action_revcycle_retrain", [[1]], "Analytics / Manager")
case("admin", "revcycle.forecast.model", "action_revcycle_retrain", [[99999999]], "does not exist|deleted")
case("admin", "revcycle.forecast.model", "create", [{"key": "x"}], "access|rights|not allowed")
case("portal", "revcycle.forecast.model", "search_read", [[]], "access|rights|not allowed")

# --- revcycle.dunning.run.run_for_date(date) ----------------------------------------------------------------------
for bad_date, why in [
    (None, "Give the run date"),
    ("abc", "not a date"),
    ("0001-01-01", "out of range"),
    ("9999-12-31", "after today"),
    (TOMORROW, "after today"),
    (20250101, "not a date"),
    (["2025-01-01"], "not a date"),
    ("2025-02-30", "not a date"),
]:
    case("admin", "revcycle.dunning.run", "run_for_date", [bad_date], why)
case("salesperson", "revcycle.dunning.run", "run_for_date", ["2025-01-31"], "Only collections users")
case("billing", "revcycle.dunning.run", "run_for_date", ["2025-01-31"], "Only collections users")

# --- revcycle.revenue.contract.recognize_until(date, company_ids, limit) -----------------------------------------
for args, why in [
    ([None], "Give the date"),
    (["abc"], "not a date"),
    (["0001-01-01"], "out of range"),
    (["9999-12-31"], "out of range|after today"),
    ([TOMORROW], "after today"),
    (["2025-01-31", None, 1e300], "limit"),
    (["2025-01-31", None, -1], "limit"),
    (["2025-01-31", None, "x"], "limit"),
    (["2025-01-31", None, 0], "limit"),
    (["2025-01-31", None, NAN], "limit"),
    (["2025-01-31", "12"], "company_ids"),
    (["2025-01-31", "abc"], "company_ids"),
    (["2025-01-31", [99999999]], "Unknown company"),
]:
    case("admin", "revcycle.revenue.contract", "recognize_until", args, why)
case("revrec_user", "revcycle.revenue.contract", "recognize_until", ["2025-01-31"], "Revenue|manager|Manager")
case("other_manager", "revcycle.revenue.contract", "recognize_until", ["2025-01-31", ["{main}"]], "not one of your")

# --- revcycle.revenue.contract.recognize_contract_until(date), on contracts -----------------------------------------
for args, why in [
    ([["{revenue}"], None], "Give the date"),
    ([["{revenue}"], "abc"], "not a date"),
    ([["{revenue}"], "0001-01-01"], "out of range"),
    ([["{revenue}"], TOMORROW], "after today"),
]:
    case("admin", "revcycle.revenue.contract", "recognize_contract_until", args, why)
case("revrec_user", "revcycle.revenue.contract", "recognize_contract_until", [["{revenue}"], "2025-01-31"],
     "Revenue|manager|Manager")
case("other_manager", "revcycle.revenue.contract", "recognize_contract_until", [["{revenue}"], "2025-01-31"],
     "access|rights|not allowed|company")

# --- revcycle.revenue.contract.revcycle_deferred_rollforward(date_from, date_to, company_id) ---------------------
for args, why in [
    (["2026-12-31", "2026-01-01"], "before it starts"),
    ([None, "2026-01-31"], "date_from"),
    (["2026-01-01", None], "date_to"),
    (["abc", "2026-01-31"], "not a date"),
    (["0001-01-01", "2026-01-31"], "out of range"),
    (["2026-01-01", "2026-01-31", "x"], "company_id"),
    (["2026-01-01", "2026-01-31", 99999999], "Unknown company"),
]:
    case("admin", "revcycle.revenue.contract", "revcycle_deferred_rollforward", args, why)
case(
    "other_manager",
    "revcycle.revenue.contract",
    "revcycle_deferred_rollforward",
    ["2026-01-01", "2026-01-31", "{main}"],
    "not one of your",
)

# --- revcycle.ssp.revcycle_get_ssp(product_tmpl_id, currency_id, on_date, company_id) ----------------------------
for args, why in [
    (["1", "{currency}", "2026-01-01"], "product_tmpl_id"),
    (["{template}", None, "2026-01-01"], "currency_id"),
    (["{template}", "{currency}", "abc"], "not a date"),
    (["{template}", "{currency}", "0001-01-01"], "out of range"),
    (["{template}", "{currency}", None], "on_date"),
    (["{template}", 99999999, "2026-01-01"], "currency_id"),
    (["{template}", "{currency}", "2026-01-01", 99999999], "Unknown company"),
]:
    case("admin", "revcycle.ssp", "revcycle_get_ssp", args, why)

# --- res.partner.revcycle_check_credit(amount) and the credit actions --------------------------------------------
for amount in [NAN, INF, -INF, "abc", [1], 1e300, {"a": 1}]:
    case("admin", "res.partner", "revcycle_check_credit", [["{partner}"], amount], "amount to check")
case("portal", "res.partner", "revcycle_check_credit", [["{partner}"], 10], "Only internal users|access")
case("admin", "res.partner", "action_revcycle_credit_hold", [["{partner}"], 123], "reason must be text")
case("admin", "res.partner", "action_revcycle_credit_hold", [["{partner}"], None], "reason")
case("admin", "res.partner", "action_revcycle_credit_release", [["{partner}"], ["x"]], "reason must be text")
case("salesperson", "res.partner", "action_revcycle_credit_hold", [["{partner}"], "hostile"], "Only a Credit Manager")
case("salesperson", "res.partner", "action_revcycle_open_temporary_limit", [["{partner}"]], "Only a Credit Manager")
case("collector", "res.partner", "action_revcycle_open_temporary_limit", [["{partner}"]], "Only a Credit Manager")
case("portal", "res.partner", "action_revcycle_open_temporary_limit", [["{partner}"]], "Only a Credit Manager|access")
for role in ("billing", "collector"):
    case(role, "res.partner", "write", [["{partner}"], {"credit_limit": 1e6}], "Only a Credit Manager")
case("salesperson", "res.partner", "write", [["{partner}"], {"credit_limit": 1e6}], "credit|Credit|access|rights")
for bad_limit in [NAN, INF, "abc", 1e300, [5]]:
    case("admin", "res.partner", "write", [["{partner}"], {"credit_limit": bad_limit}], "credit_limit")

# --- sale.order actions -------------------------------------------------------------------------------------------
case("admin", "sale.order", "action_revcycle_reject", [["{order}"], 123], "reason must be text")
case("admin", "sale.order", "action_revcycle_reject", [["{order}"], ""], "Give a reason")
case("admin", "sale.order", "action_revcycle_reject", [["{order}"], {"x": 1}], "reason must be text")
case("admin", "sale.order", "action_revcycle_credit_override", [["{order}"], 5], "reason must be text")
case("salesperson", "sale.order", "action_revcycle_credit_override", [["{order}"], "please"], "Only a Credit Manager")
case(
    "salesperson", "sale.order", "write", [["{order}"], {"revcycle_approval_decision": "approved"}], "approval actions"
)
case("salesperson", "sale.order", "action_revcycle_approve", [["{order}"]], "approve|Approve|access|rights|Manager")

# --- revcycle.contract and its lines -----------------------------------------------------------------------------
for vals, why in [
    ({"date_start": "0001-01-01"}, "out of range"),
    ({"date_end": "9999-12-31"}, "out of range"),
    ({"uplift_percent": INF}, "uplift_percent"),
    ({"uplift_percent": NAN}, "uplift_percent"),
    ({"notice_days": 1e12}, "notice_days"),
    ({"renewal_months": -1e12}, "renewal_months"),
    ({"notice_days": "abc"}, "notice_days"),
    ({"date_start": "abc"}, "not a date"),
    ({"state": "active"}, "actions"),
    ({"date_end": "2025-01-01"}, "end before it starts|before"),
]:
    case("admin", "revcycle.contract", "write", [["{contract}"], vals], why)
case("admin", "revcycle.contract", "action_terminate", [["{contract}"], "abc"], "termination_date")
case("admin", "revcycle.contract", "action_terminate", [["{contract}"], "0001-01-01"], "termination_date")
case("admin", "revcycle.contract", "action_sign", [["{contract}"], 123], "signed_by must be text")
# --- contract amendments, pause and resume (issue 17) --------------------------------------------------------------
case("admin", "revcycle.contract", "action_amend", [["{contract}"], "quantity=3"], "dictionary of values")
case("admin", "revcycle.contract", "action_amend", [["{contract}"], [1, 2]], "dictionary of values")
case("admin", "revcycle.contract", "action_amend", [["{contract}"], {"colour": "red"}], "Unknown amendment values")
case("admin", "revcycle.contract", "action_amend", [["{contract}"], {"kind": "quantity", "quantity": -1}], "active")
case("admin", "revcycle.contract", "action_pause", [["{contract}"], "abc", "2026-05-31"], "date_from")
case("admin", "revcycle.contract", "action_pause", [["{contract}"], "2026-06-01", "2026-05-31"], "date_to")
case("admin", "revcycle.contract", "action_pause", [["{contract}"], None, None], "date_from")
case("admin", "revcycle.contract", "action_resume", [["{contract}"], "not a date"], "date")
case("admin", "revcycle.contract", "action_resume", [["{contract}"], 12], "date")
case("admin", "revcycle.contract", "action_cancel_pause", [["{contract}"]], "pause|unpaused")
# the pause dates are the Pause action's to write: a plain write over XML-RPC is refused, nothing written
case("admin", "revcycle.contract", "write", [["{contract}"], {"pause_from": "2026-05-01", "pause_to": "2026-05-31"}],
     "change through its actions")
# the contract's card for collection is saved by its customer on the portal: a plain write is refused
case("admin", "revcycle.contract", "write", [["{contract}"], {"revcycle_payment_token_id": 1}], "saved by its customer")
case("salesperson", "revcycle.contract", "search_read", [[]], "access|rights|not allowed")
case("portal", "revcycle.contract", "write", [["{contract}"], {"notice_days": 1}], "access|rights|not allowed")
for vals, why in [
    ({"quantity": NAN}, "quantity"),
    ({"price_unit": INF}, "price_unit"),
    ({"discount": NAN}, "discount"),
    ({"discount": 150}, "0|100|discount"),
    ({"quantity": "lots"}, "quantity"),
    ({"sequence": 1e12}, "sequence"),
]:
    case("admin", "revcycle.contract.line", "write", [["{line}"], vals], why)

# --- usage billing (issue 22): a malformed call is refused whole; record-level problems are returned as refusals
# (tests/test_xmlrpc_usage.py); create (forms, CSV import) raises the first one ------------------------------------
for bad_records in ["abc", None, 12, {"contract_line_id": 1}, True]:
    case("admin", "revcycle.usage.record", "revcycle_report_usage", [bad_records], "must be a list")
for bad_text, why in [
    (None, "must be CSV text"),
    (12, "must be CSV text"),
    ([{"contract_line_id": 1}], "must be CSV text"),
    ("", "header must name"),
    ("contract_line_id,date,quantity,key,price\n", "header must name"),
    ("contract_line_id,date,quantity,key\n1,2026-02-01 00:00:00,1,k,extra\n", "cannot be read"),
    ('contract_line_id,date,quantity,key\n1,2026-02-01 00:00:00,1,"open\n', "cannot be read"),
]:
    case("admin", "revcycle.usage.record", "revcycle_report_usage_csv", [bad_text], why)
_CSV_HEADER = "contract_line_id,date,quantity,key\n"
for role in ("salesperson", "portal", "billing"):
    case(role, "revcycle.usage.record", "revcycle_report_usage_csv", [_CSV_HEADER], "access|rights|not allowed")
case("salesperson", "revcycle.usage.record", "revcycle_report_usage", [[]], "access|rights|not allowed")
case("portal", "revcycle.usage.record", "revcycle_report_usage", [[]], "access|rights|not allowed")
case("billing", "revcycle.usage.record", "revcycle_report_usage", [[]], "access|rights|not allowed")
_USAGE = {"contract_line_id": "{line}", "date": "2026-02-01 00:00:00", "quantity": 1, "idempotency_key": "hx"}
for vals, why in [
    (_USAGE, "is not metered"),
    ({**_USAGE, "quantity": NAN}, "quantity"),
    ({**_USAGE, "contract_line_id": 99999999}, "not a contract line you can report usage on"),
    ({**_USAGE, "date": "0001-01-01 00:00:00"}, "out of range"),
]:
    case("admin", "revcycle.usage.record", "create", [vals], why)
case("portal", "revcycle.usage.record", "search_read", [[]], "access|rights|not allowed")

# --- configuration models: numbers, dates, shared rows -------------------------------------------------------------
for vals, why in [
    ({"price": NAN}, "price"),
    ({"price": INF}, "price"),
    ({"min_quantity": -INF}, "min_quantity"),
    ({"min_quantity": "abc"}, "min_quantity"),
    ({"price": 1e300}, "price"),
]:
    case("admin", "revcycle.price.tier", "write", [["{tier}"], vals], why)
for vals, why in [
    ({"product_tmpl_id": "{template}", "min_quantity": 7, "price": NAN}, "price"),
    ({"product_tmpl_id": "{template}", "min_quantity": INF, "price": 1}, "min_quantity"),
]:
    case("admin", "revcycle.price.tier", "create", [vals], why)
case("other_manager", "revcycle.price.tier", "write", [["{tier}"], {"price": 0.01}], "shared by all companies|access")
case("other_manager", "revcycle.price.tier", "unlink", [["{tier}"]], "shared by all companies|access")
case(
    "other_manager",
    "revcycle.price.tier",
    "create",
    [{"product_tmpl_id": "{template}", "min_quantity": 9, "price": 1}],
    "shared by all companies|access",
)
case("salesperson", "revcycle.price.tier", "write", [["{tier}"], {"price": 0.01}], "shared|access|rights|not allowed")
for vals, why in [
    ({"min_overdue_amount": INF}, "min_overdue_amount"),
    ({"min_overdue_amount": NAN}, "min_overdue_amount"),
    ({"days": 1e12}, "days"),
    ({"days": "abc"}, "days"),
    ({"fee_fixed": INF}, "fee_fixed"),
    ({"fee_percent": NAN}, "fee_percent"),
    ({"interest_rate": -INF}, "interest_rate"),
    ({"sequence": 1e13}, "sequence"),
    # a level for risky payers only: its minimum late probability is a probability (revcycle_analytics_dunning)
    ({"revcycle_min_late_probability": -0.1}, "revcycle_min_late_probability"),
    ({"revcycle_min_late_probability": 1.5}, "revcycle_min_late_probability"),
    ({"revcycle_min_late_probability": NAN}, "revcycle_min_late_probability"),
    ({"revcycle_min_late_probability": INF}, "revcycle_min_late_probability"),
    ({"revcycle_min_late_probability": "high"}, "revcycle_min_late_probability"),
]:
    case("admin", "revcycle.dunning.level", "write", [["{level}"], vals], why)
case("collector", "revcycle.dunning.level", "write", [["{level}"], {"fee_fixed": 5000}], "access|rights|not allowed")
case(
    "collector",
    "revcycle.dunning.notice",
    "create",
    [{"partner_id": "{partner}", "fee_amount": 5000}],
    "run|access|rights|not allowed|Invalid field",
)
for vals, why in [({"days_from": 1e12}, "days_from"), ({"days_to": "abc"}, "days_to"), ({"sequence": NAN}, "sequence")]:
    case("admin", "revcycle.aging.bucket", "write", [["{bucket}"], vals], why)
case(
    "other_manager",
    "revcycle.aging.bucket",
    "write",
    [["{bucket}"], {"name": "Hacked"}],
    "shared by all companies|access",
)
for vals, why in [({"limit_months": INF}, "limit_months"), ({"limit_months": NAN}, "limit_months")]:
    case("admin", "revcycle.risk.class", "write", [["{risk}"], vals], why)
case(
    "other_manager",
    "revcycle.risk.class",
    "write",
    [["{risk}"], {"limit_months": 99}],
    "shared by all companies|access",
)
for vals, why in [
    ({"max_discount": NAN}, "max_discount"),
    ({"amount_threshold": INF}, "amount_threshold"),
    ({"min_margin": -INF}, "min_margin"),
]:
    case("admin", "revcycle.approval.rule", "write", [["{approval}"], vals], why)
for vals, why in [
    ({"product_tmpl_id": "{template}", "currency_id": "{currency}", "price": INF, "date_from": "2026-01-01"}, "price"),
    (
        {"product_tmpl_id": "{template}", "currency_id": "{currency}", "price": 5, "date_from": "0001-01-01"},
        "out of range",
    ),
    ({"product_tmpl_id": "{template}", "currency_id": "{currency}", "price": NAN, "date_from": "2026-01-01"}, "price"),
]:
    case("admin", "revcycle.ssp", "create", [vals], why)
for vals, why in [
    ({"revcycle_ssp": NAN}, "revcycle_ssp"),
    ({"revcycle_ssp": INF}, "revcycle_ssp"),
    ({"revcycle_term_months": 1e12}, "revcycle_term_months"),
    ({"revcycle_term_months": "abc"}, "revcycle_term_months"),
]:
    case("admin", "product.template", "write", [["{template}"], vals], why)
# --- revcycle.payment.plan: state by its actions only; plans and promises from plain data (issue 18) -------------
for vals in ({"state": "accepted"}, {"amount_covered": 1.0}, {"accepted_by": "me"}, {"state": "done"}):
    case("collector", "revcycle.payment.plan", "write", [["{plan}"], vals], "set by its actions")
case("collector", "revcycle.payment.plan", "create", [{"partner_id": "{partner}", "state": "accepted"}],
     "set by its actions")
case("collector", "revcycle.payment.plan", "action_accept", [["{plan}"]], "Only a proposed plan")
case("portal", "revcycle.payment.plan", "search_read", [[]], "access|rights|not allowed")
case("salesperson", "revcycle.payment.plan", "revcycle_make_plan", ["{partner}", 3, TOMORROW], "Only collections")
for args, why in [
    (["abc", 3, TOMORROW], "partner_id"),
    ([99999999, 3, TOMORROW], "partner_id"),
    (["{partner}", 0, TOMORROW], "count"),
    (["{partner}", NAN, TOMORROW], "count"),
    (["{partner}", 500, TOMORROW], "count"),
    (["{partner}", 3, "abc"], "first_date"),
    (["{partner}", 3, None], "first_date"),
    (["{partner}", 3, TOMORROW, 13], "months"),
    (["{partner}", 3, TOMORROW, 1, "1,2"], "invoice_ids"),
    (["{partner}", 3, TOMORROW, 1, [99999999]], "invoice_ids"),
    (["{partner}", 3, TOMORROW], "no overdue invoice"),
]:
    case("admin", "revcycle.payment.plan", "revcycle_make_plan", args, why)
for args, why in [
    (["{partner}", TOMORROW, NAN], "amount"),
    (["{partner}", TOMORROW, -5], "amount"),
    (["{partner}", TOMORROW, "12"], "amount"),
    (["{partner}", "2020-01-01", 5.0], "today or later"),
    (["{partner}", "abc", 5.0], "date"),
]:
    case("collector", "revcycle.payment.plan", "revcycle_record_promise", args, why)
# --- res.partner: the collector's actions on the collections page (issue 18) --------------------------------------
for args, why in [
    ([["{partner}"], "shouted"], "outcome"),
    ([["{partner}"], None], "outcome"),
    ([["{partner}"], "no_answer", 5], "note"),
]:
    case("collector", "res.partner", "revcycle_log_call", args, why)
for args, why in [
    ([["{partner}"], "2020-01-01", "late"], "today or later"),
    ([["{partner}"], TOMORROW, ""], "reason"),
    ([["{partner}"], TOMORROW, None], "reason"),
    ([["{partner}"], "abc", "x"], "until"),
    ([["{partner}"], 12, "x"], "until"),
]:
    case("collector", "res.partner", "revcycle_pause_dunning", args, why)
case("collector", "res.partner", "write", [["{partner}"], {"revcycle_dunning_paused_until": TOMORROW}],
     "Pause Dunning")
case("salesperson", "res.partner", "revcycle_log_call", [["{partner}"], "no_answer"], "Only collections")
case("billing", "res.partner", "revcycle_send_next_notice", [["{partner}"]], "Only collections")
case("collector", "res.partner", "revcycle_send_next_notice", [["{partner}"]], "no notice due today")
case("collector", "revcycle.dunning.policy", "create", [{"name": "x"}], "access|rights|not allowed")
case("portal", "revcycle.dunning.run", "search_read", [[]], "access|rights|not allowed")
case("portal", "revcycle.price.tier", "search_read", [[]], "access|rights|not allowed")
# --- account.partial.reconcile: the cash forecast's payment facts follow the journal items (issue 23) --------------
case("admin", "account.partial.reconcile", "write", [[1], {"revcycle_debit_due": "2020-01-01"}],
     r"Due date of the receivable \(revcycle_debit_due\)")
case("admin", "account.partial.reconcile", "create",
     [{"debit_move_id": 1, "credit_move_id": 2, "amount": 1.0, "revcycle_is_payment": True}], "revcycle_is_payment")


def _resolve(value, world):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return world[value[1:-1]]
    if isinstance(value, list):
        return [_resolve(item, world) for item in value]
    if isinstance(value, dict):
        return {key: _resolve(item, world) for key, item in value.items()}
    return value


@pytest.mark.parametrize(
    "role,model,method,args,kwargs,match", C, ids=[f"{i:03d}-{c[0]}-{c[1]}.{c[2]}" for i, c in enumerate(C)]
)
def test_hostile_call(admin_rpc, world, ledger_sql, role, model, method, args, kwargs, match):
    session = world["users"][role]
    watched = WATCHED
    before = _fingerprint(ledger_sql, watched)
    REPORT["tried"] += 1
    with pytest.raises(xmlrpc.client.Fault) as caught:
        session(model, method, *_resolve(args, world), **kwargs)
    fault = caught.value
    clean = fault.faultCode in CLEAN_FAULT_CODES and not any(
        marker in fault.faultString for marker in ("Traceback", "psycopg2", 'File "')
    )
    after = _fingerprint(ledger_sql, watched)
    written = [model for model in watched if before[model] != after[model]]
    REPORT["written"] += bool(written)
    if clean and re.search(match, fault.faultString):
        REPORT["refused"] += 1
    else:
        REPORT["unclean"].append(f"{role} {model}.{method}: {fault.faultString[-300:]}")
    assert clean, fault.faultString[-3000:]
    assert re.search(match, fault.faultString), f"message does not name the problem ({match}): {fault.faultString}"
    assert not written, f"written: {written}"


# --- routes --------------------------------------------------------------------------------------------------------
def _http_session(world, login):
    session = requests.Session()
    response = session.post(
        f"{world['url']}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": world["database"], "login": login, "password": login}},
        timeout=60,
    )
    assert response.json().get("result"), response.text
    return session


XLSX_CASES = [
    ({"date_from": "2026-01-01", "date_to": "2026-01-31", "company_ids": "abc"}, 400, "company_ids"),
    ({"date_from": "2026-01-01", "date_to": "2026-01-31", "company_ids": "1,x"}, 400, "company_ids"),
    ({"date_from": "2026-01-01", "date_to": "2026-01-31", "company_ids": "-1"}, 400, "company_ids"),
    ({"date_to": "2026-01-31"}, 400, "period start"),
    ({"date_from": "2026-01-01"}, 400, "period end"),
    ({}, 400, "period start"),
    ({"date_from": "0001-01-01", "date_to": "2026-01-31"}, 400, "out of range"),
    ({"date_from": "2026-01-01", "date_to": "9999-12-31"}, 400, "out of range"),
    ({"date_from": "abc", "date_to": "2026-01-31"}, 400, "not a date"),
    ({"date_from": "2026-12-31", "date_to": "2026-01-01"}, 400, "before it starts"),
    ({"date_from": "2026-01-01", "date_to": "2026-01-31", "company_ids": "99999999"}, 400, "Unknown company"),
]


@pytest.mark.parametrize("params,status,match", XLSX_CASES)
def test_hostile_kpis_xlsx(admin_rpc, world, ledger_sql, params, status, match):
    session = _http_session(world, "admin")
    before = _fingerprint(ledger_sql, WATCHED[:3])
    REPORT["tried"] += 1
    response = session.get(f"{world['url']}/revcycle_analytics/kpis.xlsx", params=params, timeout=120)
    assert response.status_code == status, response.text[:2000]
    assert match in response.text and "Traceback" not in response.text
    assert _fingerprint(ledger_sql, WATCHED[:3]) == before
    REPORT["refused"] += 1


def test_hostile_kpis_xlsx_roles(admin_rpc, world):
    params = {"date_from": "2026-01-01", "date_to": "2026-01-31"}
    for login, status in (("hx_salesperson", 403), ("hx_portal", 403)):
        REPORT["tried"] += 1
        response = _http_session(world, login).get(
            f"{world['url']}/revcycle_analytics/kpis.xlsx", params=params, timeout=60, allow_redirects=False
        )
        assert response.status_code == status, response.text[:500]
        REPORT["refused"] += 1
    REPORT["tried"] += 1
    anonymous = requests.get(
        f"{world['url']}/revcycle_analytics/kpis.xlsx", params=params, timeout=60, allow_redirects=False
    )
    assert anonymous.status_code in (302, 303) and "/web/login" in anonymous.headers["Location"]
    REPORT["refused"] += 1


def test_hostile_portal_contract_routes(world):
    session = _http_session(world, "hx_portal")
    for path, statuses in (
        (f"/my/contracts/{world['contract']}", (303,)),
        ("/my/contracts/99999999", (303,)),
        ("/my/contracts/abc", (404,)),
        (f"/my/contracts/{world['contract']}?access_token=forged", (303,)),
        # "Update the saved card": another customer's contract, unknown ids, forged transactions: 404, never 500
        (f"/my/contracts/{world['contract']}/card", (404,)),
        ("/my/contracts/99999999/card", (404,)),
        (f"/my/contracts/{world['contract']}/card/saved?tx_id=1&access_token=forged", (404,)),
        (f"/my/contracts/{world['contract']}/card/saved?tx_id=abc", (404,)),
        (f"/my/contracts/{world['contract']}/card/saved", (404,)),
    ):
        REPORT["tried"] += 1
        response = session.get(f"{world['url']}{path}", timeout=60, allow_redirects=False)
        assert response.status_code in statuses, (path, response.status_code)
        if response.status_code == 303:
            assert response.headers["Location"].endswith("/my")
        REPORT["refused"] += 1
    internal = _http_session(world, "hx_cpq_user")
    REPORT["tried"] += 1
    response = internal.get(f"{world['url']}/my/contracts/{world['contract']}", timeout=60, allow_redirects=False)
    assert response.status_code == 303
    REPORT["refused"] += 1


def test_hostile_portal_payment_plan_routes(world):
    """A plan's page and its acceptance answer 404 to anyone but its customer or its link; an unknown short payment
    link answers 404 (issue 18)."""
    session = _http_session(world, "hx_portal")
    for method, path in (
        ("get", f"/my/payment_plans/{world['plan']}"),
        ("get", f"/my/payment_plans/{world['plan']}?access_token=forged"),
        ("get", "/my/payment_plans/99999999"),
        ("get", "/my/payment_plans/abc"),
        ("post", f"/my/payment_plans/{world['plan']}/accept"),
        ("get", "/pay/AAAAAAAAAAAAAAAA"),
        ("get", "/pay/%27%3B%20DROP%20TABLE%20account_move"),
        ("get", "/pay/" + "x" * 3000),
    ):
        REPORT["tried"] += 1
        response = getattr(session, method)(f"{world['url']}{path}", timeout=60, allow_redirects=False)
        assert 400 <= response.status_code < 500, (path, response.status_code)
        REPORT["refused"] += 1


# --- the Stripe webhook --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stripe_provider(admin_rpc):
    provider = admin_rpc("payment.provider", "search", [("code", "=", "stripe")], limit=1)[0]
    saved = admin_rpc(
        "payment.provider",
        "read",
        [provider],
        fields=["state", "stripe_secret_key", "stripe_publishable_key", "revcycle_webhook_secret"],
    )[0]
    admin_rpc(
        "payment.provider",
        "write",
        [provider],
        {
            "state": "test",
            "stripe_secret_key": saved["stripe_secret_key"] or "sk_test_revcycle_hostile",
            "stripe_publishable_key": saved["stripe_publishable_key"] or "pk_test_revcycle_hostile",
            "revcycle_webhook_secret": WEBHOOK_SECRET,
        },
    )
    yield provider
    admin_rpc(
        "payment.provider",
        "write",
        [provider],
        {
            key: saved[key]
            for key in ("state", "stripe_secret_key", "stripe_publishable_key", "revcycle_webhook_secret")
        },
    )


def _signed(payload, secret=WEBHOOK_SECRET, timestamp=None):
    timestamp = int(timestamp or time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={signature}", "Content-Type": "application/json"}


def _post(world, payload, headers):
    return requests.post(f"{world['url']}/revcycle/stripe/webhook", data=payload, headers=headers, timeout=60)


WEBHOOK_CASES = [
    ("unsigned", json.dumps({"id": "evt_x", "type": "payment_intent.succeeded"}), None, "invalid signature"),
    ("forged", json.dumps({"id": "evt_x", "type": "x"}), "whsec_forged", "invalid signature"),
    ("stale", json.dumps({"id": "evt_x", "type": "x"}), "stale", "invalid signature"),
    ("not json", "not json at all", WEBHOOK_SECRET, "malformed|invalid"),
    ("empty", "", WEBHOOK_SECRET, "malformed|invalid"),
    ("list", "[]", WEBHOOK_SECRET, "malformed"),
    ("no type", json.dumps({"id": "evt_hx_1", "object": "event"}), WEBHOOK_SECRET, "malformed"),
    ("no data", json.dumps({"id": "evt_hx_2", "type": "payment_intent.succeeded"}), WEBHOOK_SECRET, "malformed"),
    (
        "intent is text",
        json.dumps({"id": "evt_hx_3", "type": "payment_intent.succeeded", "data": {"object": "pi"}}),
        WEBHOOK_SECRET,
        "malformed",
    ),
    (
        "amount is text",
        json.dumps(
            {"id": "evt_hx_4", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_hx", "amount": "1"}}}
        ),
        WEBHOOK_SECRET,
        "malformed",
    ),
    ("id is a number", json.dumps({"id": 5, "type": "charge.succeeded", "data": {}}), WEBHOOK_SECRET, "malformed"),
]


@pytest.mark.parametrize("label,payload,secret,match", WEBHOOK_CASES, ids=[c[0] for c in WEBHOOK_CASES])
def test_hostile_webhook(admin_rpc, world, ledger_sql, stripe_provider, label, payload, secret, match):
    before = _fingerprint(ledger_sql, ["revcycle.stripe.event", "revcycle.payment.attempt", "account.move"])
    REPORT["tried"] += 1
    if secret is None:
        headers = {"Content-Type": "application/json"}
    elif secret == "stale":
        headers = _signed(payload, timestamp=time.time() - 600)
    else:
        headers = _signed(payload, secret)
    response = _post(world, payload, headers)
    assert response.status_code == 400, (label, response.status_code, response.text[:1000])
    assert re.search(match, response.text)
    assert _fingerprint(ledger_sql, ["revcycle.stripe.event", "revcycle.payment.attempt", "account.move"]) == before
    REPORT["refused"] += 1


def test_webhook_concurrent_deliveries_of_one_event(admin_rpc, world, stripe_provider):
    # Reproduction: five simultaneous deliveries of one event answered 400 "Reference must be unique!" to four.
    event_id = f"evt_hx_concurrent_{int(time.time() * 1000)}"
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_hx_nobody", "status": "succeeded", "amount": 100, "currency": "usd"}},
        }
    )
    headers = _signed(payload)
    responses = []
    barrier = threading.Barrier(5)

    def deliver():
        barrier.wait()
        responses.append(_post(world, payload, headers))

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [response.status_code for response in responses] == [200] * 5, [r.text[:300] for r in responses]
    results = sorted(response.json()["result"] for response in responses)
    assert results == ["duplicate"] * 4 + ["ignored"]
    assert admin_rpc("revcycle.stripe.event", "search_count", [("event_id", "=", event_id)]) == 1
    # and again later: still a duplicate
    assert _post(world, payload, _signed(payload)).json()["result"] == "duplicate"


def test_hostile_report(capsys):
    """The figures of the closing note."""
    with capsys.disabled():
        print(
            f"\nhostile calls: {REPORT['tried']} tried, {REPORT['refused']} refused cleanly naming the problem,"
            f" {REPORT['written']} wrote something"
        )
    assert REPORT["tried"] >= 150
    assert REPORT["refused"] == REPORT["tried"] and REPORT["written"] == 0, REPORT["unclean"]
