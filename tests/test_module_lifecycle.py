"""Each revcycle addon installs alone on top of revcycle_base, all of them install together, and uninstalling every
revcycle addon leaves nothing of revcycle behind: no menu, action, view, setting, group, category, model or field.

Runs on a database of its own (the test database's name + "_modules"), without demo data, through Odoo's command
line and an ``odoo shell`` script, as a consultant would install and remove the addons."""

import ast
import textwrap

import pytest
from conftest import copy_database, database_under_test, drop_database, run_odoo

from revcycle_tool import odoo_server
from revcycle_tool import settings as S
from revcycle_tool.postgres import Cluster

MAIN_ADDONS = ("revcycle_cpq", "revcycle_dunning", "revcycle_revrec", "revcycle_analytics")
LEFTOVER_QUERIES = {
    "xml ids": "SELECT module || '.' || name FROM ir_model_data WHERE module LIKE 'revcycle%'"
               " OR name LIKE 'revcycle%'",
    "menus": "SELECT id FROM ir_ui_menu WHERE name->>'en_US' = 'Revenue Cycle' OR web_icon LIKE 'revcycle%'",
    "actions": "SELECT name->>'en_US' FROM ir_act_window WHERE res_model LIKE 'revcycle.%'"
               " OR context LIKE '%''module'': ''revcycle''%'",
    "views": "SELECT name FROM ir_ui_view WHERE arch_db::text LIKE '%revcycle%' OR name LIKE '%revcycle%'",
    "models": "SELECT model FROM ir_model WHERE model LIKE 'revcycle.%'",
    "fields": "SELECT model || '.' || name FROM ir_model_fields WHERE name LIKE 'revcycle%'",
    # the columns revcycle adds to Odoo's tables (e.g. the payment facts on account_partial_reconcile)
    "columns": "SELECT table_name || '.' || column_name FROM information_schema.columns"
               " WHERE table_schema = 'public' AND column_name LIKE 'revcycle%'",
    "categories": "SELECT name->>'en_US' FROM ir_module_category WHERE name->>'en_US' LIKE 'Revenue Cycle%'",
    "settings": "SELECT key FROM ir_config_parameter WHERE key LIKE 'revcycle%'",
    "crons": "SELECT cron_name FROM ir_cron WHERE cron_name LIKE '%Revenue Cycle%'",
    "tables": "SELECT tablename FROM pg_tables WHERE tablename LIKE 'revcycle%'",
    "triggers": "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'revcycle%'",
    "functions": "SELECT proname FROM pg_proc WHERE proname LIKE 'revcycle%'",
}
UNINSTALL_SCRIPT = textwrap.dedent(
    """
    modules = env["ir.module.module"].search([("name", "like", "revcycle_"), ("state", "=", "installed")])
    modules.button_immediate_uninstall()
    env.cr.commit()
    """
)


@pytest.fixture(scope="module")
def lifecycle_db(foundation_template):
    """A copy of the foundation database (Odoo's modules revcycle stands on, no demo data): each cycle below installs
    revcycle alone, through Odoo's command line, and uninstalls it through an ``odoo shell`` script."""
    settings = S.load()
    cluster = Cluster(settings)
    database = f"{database_under_test(settings)}_modules"
    copy_database(settings, cluster, foundation_template, database)

    def install(modules):
        run_odoo(settings, cluster, database, "-i", modules, "--without-demo", "all", "--stop-after-init",
                 "--http-port", str(odoo_server.free_port()), "--max-cron-threads", "0",
                 log_name="test-lifecycle.log")

    def uninstall_all():
        run_odoo(settings, cluster, database, "--no-http", stdin=UNINSTALL_SCRIPT, subcommand="shell",
                 log_name="test-lifecycle.log")

    def query(sql):
        return cluster.psql(database, sql)

    yield install, uninstall_all, query
    drop_database(settings, cluster, database)


def _installed_revcycle(query):
    return {row[0] for row in query("SELECT name FROM ir_module_module WHERE name LIKE 'revcycle_%' "
                                    "AND state = 'installed'")}


def _manifest(module):
    return ast.literal_eval((S.ADDONS / module / "__manifest__.py").read_text(encoding="utf-8"))


def _leftovers(query):
    found = {what: query(sql) for what, sql in LEFTOVER_QUERIES.items()}
    return {what: rows for what, rows in found.items() if rows}


def test_each_addon_alone_then_all_then_nothing_left(lifecycle_db):
    install, uninstall_all, query = lifecycle_db
    for addon in MAIN_ADDONS:
        install(addon)
        # alone: the addon, the floor it stands on, and only the bridges whose revcycle sides are all there
        # (revcycle_dunning_stock joins revcycle_dunning and Odoo's sale_stock, so it comes with dunning alone)
        installed = _installed_revcycle(query)
        assert installed & set(MAIN_ADDONS) == {addon}
        for other in installed - {"revcycle_base", addon}:
            manifest = _manifest(other)
            assert manifest.get("auto_install"), f"{other} came with {addon} without being a bridge"
            assert {d for d in manifest["depends"] if d.startswith("revcycle_")} <= installed
        (root,) = query("SELECT count(*) FROM ir_ui_menu WHERE name->>'en_US' = 'Revenue Cycle' AND parent_id IS NULL")
        assert root == ["1"], f"{addon}: one Revenue Cycle app menu expected"
        uninstall_all()
        assert not _installed_revcycle(query)
        assert not _leftovers(query), f"after uninstalling {addon}: {_leftovers(query)}"
    install(",".join(MAIN_ADDONS))
    installed = _installed_revcycle(query)
    expected = set(S.MODULES)  # the four, revcycle_base and every auto-installed bridge of addons/
    assert installed == expected, f"missing {expected - installed}, unexpected {installed - expected}"
    uninstall_all()
    assert not _installed_revcycle(query)
    assert not _leftovers(query), f"after uninstalling every revcycle addon: {_leftovers(query)}"
