"""Fixtures for the cross-module and external-API tests: a real Odoo HTTP server on a free loopback port,
serving the test database that `./revcycle test` has just built."""

import os
import subprocess
import sys
import xmlrpc.client
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from revcycle_tool import environment, odoo_server, odoo_source
from revcycle_tool import settings as S
from revcycle_tool.postgres import Cluster

ADMIN = ("admin", "admin")


@pytest.fixture(scope="session")
def odoo_server_url():
    settings = S.load()
    database = os.environ.get("REVCYCLE_TEST_DB") or settings.test_db_name
    cluster = Cluster(settings)
    if cluster.running_port() != cluster.port or not cluster.database_exists(database):
        pytest.fail(f"The test database '{database}' is not there: run ./revcycle test, which builds it first.")
    tree = odoo_source.locate(settings.python, environment.venv_site_packages(settings.venv_dir))
    port = odoo_server.free_port()
    log = settings.log_dir / "test-xmlrpc-server.log"
    command = [
        *odoo_server.base_command(settings, tree, cluster, database),
        "--http-interface",
        "127.0.0.1",
        "--http-port",
        str(port),
        "--max-cron-threads",
        "0",
        "--logfile",
        str(log),
    ]
    process = subprocess.Popen(command, env=odoo_server.odoo_env(), stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        if not odoo_server.wait_until_answering(f"{url}/web/login", process, timeout=120):
            pytest.fail(f"Odoo did not answer on {url}; see {log}")
        yield url, database
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


class Rpc:
    """A logged-in XML-RPC session, as an integration would hold one."""

    def __init__(self, url, database, login, password):
        self.database = database
        self.password = password
        common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common", allow_none=True)
        self.uid = common.authenticate(database, login, password, {})
        assert self.uid, f"login {login} refused"
        self.models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def __call__(self, model, method, *args, **kwargs):
        return self.models.execute_kw(self.database, self.uid, self.password, model, method, list(args), kwargs)


@pytest.fixture(scope="session")
def rpc_as(odoo_server_url):
    url, database = odoo_server_url

    def login(user, password):
        return Rpc(url, database, user, password)

    return login


@pytest.fixture(scope="session")
def admin_rpc(rpc_as):
    return rpc_as(*ADMIN)
