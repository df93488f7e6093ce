"""Usage ingestion over XML-RPC (issue 22): thousands of records per call, idempotent keys, per-record refusals
returned to the caller with nothing of them written, and two callers sending the same batch at once counted once."""

import threading
import uuid
import xmlrpc.client

import pytest


@pytest.fixture(scope="module")
def metered_line(admin_rpc):
    """An active contract with a metered line (0.01 a call after 100 included), in 2031: the database is shared
    with the addons' tests, whose invoicing runs (frozen in 2026) must find nothing of it due; suspended at the end."""
    template = admin_rpc(
        "product.template",
        "create",
        {
            "name": f"RPC metered {uuid.uuid4().hex[:6]}",
            "type": "service",
            "list_price": 0.01,
            "revcycle_recurring": True,
            "revcycle_billing_period": "month",
            "revcycle_metered": True,
            "revcycle_charge_model": "per_unit",
            "revcycle_usage_included": 100,
        },
    )
    product = admin_rpc("product.product", "search", [("product_tmpl_id", "=", template)])[0]
    partner = admin_rpc("res.partner", "create", {"name": "Usage RPC Customer", "is_company": True})
    contract = admin_rpc(
        "revcycle.contract",
        "create",
        {
            "partner_id": partner,
            "date_start": "2031-01-01",
            "date_end": "2031-12-31",
            "line_ids": [(0, 0, {"product_id": product, "name": "Calls", "quantity": 1, "price_unit": 0.01})],
        },
    )
    admin_rpc("revcycle.contract", "action_sign", [contract])
    admin_rpc("revcycle.contract", "action_activate", [contract])
    yield admin_rpc("revcycle.contract", "read", [contract], fields=["line_ids"])[0]["line_ids"][0]
    admin_rpc("revcycle.contract", "action_suspend", [contract])


def _batch(line, prefix, count, day="2031-06-15"):
    return [
        {
            "contract_line_id": line,
            "date": f"{day} {index % 24:02d}:00:00",
            "quantity": 1 + index % 5,
            "key": f"{prefix}-{index}",
            "source": "rpc-test",
        }
        for index in range(count)
    ]


def _count(admin_rpc, prefix):
    return admin_rpc("revcycle.usage.record", "search_count", [("idempotency_key", "=like", f"{prefix}-%")])


def test_report_usage_in_bulk_is_idempotent(admin_rpc, metered_line):
    prefix = uuid.uuid4().hex
    batch = _batch(metered_line, prefix, 2000)
    result = admin_rpc("revcycle.usage.record", "revcycle_report_usage", batch)
    assert result == {"created": 2000, "duplicates": [], "refused": []}
    again = admin_rpc("revcycle.usage.record", "revcycle_report_usage", batch[:10])
    assert again["created"] == 0
    assert again["duplicates"] == [record["key"] for record in batch[:10]]
    assert _count(admin_rpc, prefix) == 2000
    # quantities are 1..5 in turn: 400 of each over 2,000 records = 400 x 15 = 6,000
    total = admin_rpc(
        "revcycle.usage.record", "read_group", [("idempotency_key", "=like", f"{prefix}-%")], ["quantity:sum"], []
    )
    assert total[0]["quantity"] == 6000


def test_refused_records_are_returned_and_not_written(admin_rpc, metered_line):
    prefix = uuid.uuid4().hex
    records = [
        {"contract_line_id": metered_line, "date": "2031-06-01", "quantity": 3, "key": f"{prefix}-ok"},
        {"contract_line_id": metered_line, "date": "2031-06-01", "quantity": -3, "key": f"{prefix}-negative"},
        {"contract_line_id": metered_line, "date": "2032-06-01", "quantity": 3, "key": f"{prefix}-after-end"},
        {"contract_line_id": 99999999, "date": "2031-06-01", "quantity": 3, "key": f"{prefix}-unknown"},
        {"contract_line_id": metered_line, "date": "2031-06-01", "quantity": "3", "key": f"{prefix}-text"},
        {"contract_line_id": metered_line, "date": "2031-06-01", "quantity": 3},
    ]
    result = admin_rpc("revcycle.usage.record", "revcycle_report_usage", records)
    assert result["created"] == 1
    assert [(item["index"], item["key"]) for item in result["refused"]] == [
        (1, f"{prefix}-negative"),
        (2, f"{prefix}-after-end"),
        (3, f"{prefix}-unknown"),
        (4, f"{prefix}-text"),
        (5, False),
    ]
    assert "is negative" in result["refused"][0]["reason"]
    assert "not active on 2032-06-01: the contract's term ends on 2031-12-31" in result["refused"][1]["reason"]
    assert _count(admin_rpc, prefix) == 1


def test_concurrent_calls_with_the_same_keys_count_once(admin_rpc, rpc_as, metered_line):
    prefix = uuid.uuid4().hex
    batch = _batch(metered_line, prefix, 1000)
    results, errors = [], []

    def send():
        session = rpc_as("admin", "admin")
        try:
            results.append(session("revcycle.usage.record", "revcycle_report_usage", batch))
        except xmlrpc.client.Fault as fault:  # a serialization conflict would surface here
            errors.append(fault.faultString[-500:])

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    # each key written by exactly one call, reported as a duplicate by the others
    assert sum(result["created"] for result in results) == 1000
    assert sum(len(result["duplicates"]) for result in results) == 2000
    assert _count(admin_rpc, prefix) == 1000


def test_other_salesperson_cannot_report_on_the_contract(admin_rpc, rpc_as, metered_line):
    login = "usage_rpc_cpq_user"
    if not admin_rpc("res.users", "search", [("login", "=", login)]):
        group = admin_rpc(
            "ir.model.data",
            "search_read",
            [("module", "=", "revcycle_cpq"), ("name", "=", "group_revcycle_cpq_user")],
            fields=["res_id"],
        )[0]["res_id"]
        admin_rpc(
            "res.users",
            "create",
            {"name": "Usage RPC User", "login": login, "password": login, "groups_id": [(6, 0, [group])]},
        )
    session = rpc_as(login, login)
    prefix = uuid.uuid4().hex
    result = session("revcycle.usage.record", "revcycle_report_usage", _batch(metered_line, prefix, 2))
    # own documents only: another salesperson's contract line is unknown to this user
    assert result["created"] == 0
    assert all("not a contract line you can report usage on" in item["reason"] for item in result["refused"])
    assert _count(admin_rpc, prefix) == 0


def _csv(line, prefix, count, day="2031-06-15"):
    rows = [f"{line},{day} {index % 24:02d}:00:00,{1 + index % 5},{prefix}-{index},rpc-test" for index in range(count)]
    return "\n".join(["contract_line_id,date,quantity,key,source", *rows]) + "\n"


def test_report_usage_as_csv_in_bulk_is_idempotent(admin_rpc, metered_line):
    prefix = uuid.uuid4().hex
    text = _csv(metered_line, prefix, 2000)
    result = admin_rpc("revcycle.usage.record", "revcycle_report_usage_csv", text)
    assert result == {"created": 2000, "duplicates": [], "refused": []}
    # the same text again, with one bad row added: every key a duplicate, the bad row refused by its index
    again = admin_rpc(
        "revcycle.usage.record", "revcycle_report_usage_csv", text + f"{metered_line},2031-06-15,-3,{prefix}-neg,\n"
    )
    assert (again["created"], len(again["duplicates"])) == (0, 2000)
    assert [(item["index"], item["key"]) for item in again["refused"]] == [(2000, f"{prefix}-neg")]
    assert _count(admin_rpc, prefix) == 2000
    # quantities are 1..5 in turn: 400 of each over 2,000 records = 400 x 15 = 6,000
    total = admin_rpc(
        "revcycle.usage.record", "read_group", [("idempotency_key", "=like", f"{prefix}-%")], ["quantity:sum"], []
    )
    assert total[0]["quantity"] == 6000


def test_concurrent_csv_calls_with_the_same_keys_count_once(rpc_as, admin_rpc, metered_line):
    prefix = uuid.uuid4().hex
    text = _csv(metered_line, prefix, 1000)
    results, errors = [], []

    def send():
        session = rpc_as("admin", "admin")
        try:
            results.append(session("revcycle.usage.record", "revcycle_report_usage_csv", text))
        except xmlrpc.client.Fault as fault:  # a deadlock or serialization conflict would surface here
            errors.append(fault.faultString[-500:])

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(result["created"] for result in results) == 1000
    assert sum(len(result["duplicates"]) for result in results) == 2000
    assert _count(admin_rpc, prefix) == 1000


def test_usage_after_the_contract_end_is_refused_and_not_written(admin_rpc, metered_line):
    """A contract terminated with notice (its term now ends on 30 April 2031): usage of 28 April is taken, usage of
    1 and 2 May is refused in both forms with the date and the end named, and none of it is written."""
    product = admin_rpc("revcycle.contract.line", "read", [metered_line], fields=["product_id"])[0]["product_id"][0]
    partner = admin_rpc("res.partner", "create", {"name": "Usage RPC Leaving Customer", "is_company": True})
    contract = admin_rpc(
        "revcycle.contract",
        "create",
        {
            "partner_id": partner,
            "date_start": "2031-01-01",
            "date_end": "2031-12-31",
            "line_ids": [(0, 0, {"product_id": product, "name": "Calls", "quantity": 1, "price_unit": 0.01})],
        },
    )
    admin_rpc("revcycle.contract", "action_sign", [contract])
    admin_rpc("revcycle.contract", "action_activate", [contract])
    admin_rpc("revcycle.contract", "action_terminate", [contract], "2031-04-30", "Customer closed the branch")
    line = admin_rpc("revcycle.contract", "read", [contract], fields=["line_ids", "state", "date_end"])[0]
    assert (line["state"], line["date_end"]) == ("pending_termination", "2031-04-30")
    line_id = line["line_ids"][0]
    prefix = uuid.uuid4().hex
    result = admin_rpc(
        "revcycle.usage.record",
        "revcycle_report_usage",
        [
            {"contract_line_id": line_id, "date": "2031-04-28 10:00:00", "quantity": 1200, "key": f"{prefix}-in"},
            {"contract_line_id": line_id, "date": "2031-05-02", "quantity": 5, "key": f"{prefix}-after"},
        ],
    )
    assert result["created"] == 1
    assert [item["key"] for item in result["refused"]] == [f"{prefix}-after"]
    reason = result["refused"][0]["reason"]
    assert "not active on 2031-05-02: the contract's term ends on 2031-04-30" in reason
    csv = admin_rpc(
        "revcycle.usage.record",
        "revcycle_report_usage_csv",
        f"contract_line_id,date,quantity,key\n{line_id},2031-05-01 00:00:00,5,{prefix}-csv\n",
    )
    assert csv["created"] == 0
    assert "not active on 2031-05-01: the contract's term ends on 2031-04-30" in csv["refused"][0]["reason"]
    assert _count(admin_rpc, prefix) == 1
    assert admin_rpc("revcycle.usage.record", "search_count", [("idempotency_key", "=", f"{prefix}-in")]) == 1


def test_a_plain_write_of_the_usage_billing_flag_is_refused_and_writes_nothing(admin_rpc, metered_line):
    """revcycle_cpq_revrec: an invoice line's Usage Billing flag and contract line decide how its revenue is
    recognised; only the contract's billing sets them. An integration's plain write (even with a made-up context
    key) or create is refused with the fields named, and nothing of it is written."""
    contract = admin_rpc("revcycle.contract.line", "read", [metered_line], fields=["contract_id", "product_id"])[0]
    partner = admin_rpc("revcycle.contract", "read", [contract["contract_id"][0]], fields=["partner_id"])[0]
    reference = f"rpc-flags-{uuid.uuid4().hex[:8]}"
    invoice = admin_rpc(
        "account.move",
        "create",
        {
            "move_type": "out_invoice",
            "partner_id": partner["partner_id"][0],
            "ref": reference,
            "invoice_line_ids": [
                (0, 0, {"product_id": contract["product_id"][0], "name": "Calls", "price_unit": 30.0})
            ],
        },
    )
    try:
        line = admin_rpc("account.move", "read", [invoice], fields=["invoice_line_ids"])[0]["invoice_line_ids"][0]
        for vals, context in (
            ({"revcycle_usage_billing": True}, {}),
            ({"revcycle_usage_billing": True, "revcycle_contract_line_id": metered_line}, {}),
            ({"revcycle_usage_billing": True}, {"revcycle_billing_write": True}),
        ):
            with pytest.raises(xmlrpc.client.Fault) as refused:
                admin_rpc("account.move.line", "write", [line], vals, context=context)
            assert "Usage Billing cannot be written" in refused.value.faultString
            assert "reverse the invoice" in refused.value.faultString
        stored = admin_rpc(
            "account.move.line", "read", [line], fields=["revcycle_usage_billing", "revcycle_contract_line_id"]
        )[0]
        assert (stored["revcycle_usage_billing"], stored["revcycle_contract_line_id"]) == (False, False)
        # writing what the line holds, and its other fields, goes through
        admin_rpc("account.move.line", "write", [line], {"revcycle_usage_billing": False, "name": "Calls, June"})
        assert admin_rpc("account.move.line", "read", [line], fields=["name"])[0]["name"] == "Calls, June"
        # a new invoice with a flagged line is refused as a whole
        with pytest.raises(xmlrpc.client.Fault) as refused:
            admin_rpc(
                "account.move",
                "create",
                {
                    "move_type": "out_invoice",
                    "partner_id": partner["partner_id"][0],
                    "ref": f"{reference}-new",
                    "invoice_line_ids": [
                        (0, 0, {"product_id": contract["product_id"][0], "price_unit": 30.0,
                                "revcycle_usage_billing": True, "revcycle_contract_line_id": metered_line})
                    ],
                },
            )
        assert "Contract Line, Usage Billing" in refused.value.faultString
        assert admin_rpc("account.move", "search_count", [("ref", "=", f"{reference}-new")]) == 0
        assert admin_rpc("account.move.line", "search_count", [("revcycle_contract_line_id", "=", metered_line)]) == 0
    finally:
        admin_rpc("account.move", "unlink", [invoice])
