"""Fixtures for the cross-module and external-API tests: a real Odoo HTTP server on a free loopback port,
serving the test database that `./revcycle test` has just built."""

import contextlib
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


@contextlib.contextmanager
def serving(settings, cluster, database, log_name):
    """An Odoo HTTP server on a free loopback port serving ``database``, for as long as the block lasts: its URL."""
    tree = odoo_source.locate(settings.python, environment.venv_site_packages(settings.venv_dir))
    port = odoo_server.free_port()
    log = settings.log_dir / log_name
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
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def odoo_server_url():
    settings = S.load()
    database = os.environ.get("REVCYCLE_TEST_DB") or settings.test_db_name
    cluster = Cluster(settings)
    if cluster.running_port() != cluster.port or not cluster.database_exists(database):
        pytest.fail(f"The test database '{database}' is not there: run ./revcycle test, which builds it first.")
    with serving(settings, cluster, database, "test-xmlrpc-server.log") as url:
        yield url, database


@pytest.fixture(scope="session")
def analytics_alone_rpc():
    """Admin's XML-RPC session on a database of its own, '<test database>_analytics_alone', where revcycle_analytics
    is installed without its siblings (so without their bridges) and without demo data, fresh on every run."""
    settings = S.load()
    cluster = Cluster(settings)
    if cluster.running_port() != cluster.port:
        pytest.fail("The project's PostgreSQL is not running: run ./revcycle test, which starts it first.")
    database = f"{os.environ.get('REVCYCLE_TEST_DB') or settings.test_db_name}_analytics_alone"
    cluster.drop_database(database)
    tree = odoo_source.locate(settings.python, environment.venv_site_packages(settings.venv_dir))
    log = settings.log_dir / "test-analytics-alone-install.log"
    log.write_text("")  # Odoo appends: judge this install by its own log only
    command = [
        *odoo_server.base_command(settings, tree, cluster, database),
        "-i",
        "revcycle_analytics",
        "--without-demo",
        "all",
        "--stop-after-init",
        "--no-http",
        "--logfile",
        str(log),
    ]
    done = subprocess.run(command, env=odoo_server.odoo_env(), stdin=subprocess.DEVNULL)
    lines = log.read_text(errors="replace").splitlines()
    errors = [line for line in lines if " ERROR " in line or " CRITICAL " in line]
    if done.returncode != 0 or errors:
        pytest.fail(f"revcycle_analytics alone did not install (see {log}): {errors[:3]}")
    with serving(settings, cluster, database, "test-analytics-alone-server.log") as url:
        yield Rpc(url, database, *ADMIN)


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
