"""Fixtures for the cross-module and external-API tests: a real Odoo HTTP server on a free loopback port,
serving the test database that `./revcycle test` has just built."""

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import uuid
import xmlrpc.client
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from revcycle_tool import environment, odoo_server, odoo_source
from revcycle_tool import settings as S
from revcycle_tool.postgres import Cluster

ADMIN = ("admin", "admin")


def database_under_test(settings):
    """The database this pytest process tests: the one ./revcycle test built, or, in a pytest-xdist worker, the copy
    of it that pytest-odoo made for that worker ('<database>-gw0', ...), whose name the revcycle plugin publishes
    (REVCYCLE_WORKER_DB) once the copy exists."""
    return (os.environ.get("REVCYCLE_WORKER_DB") or os.environ.get("REVCYCLE_TEST_DB")
            or settings.test_db_name)


def log_file_name(name):
    """A log file of this process: workers running at once must not empty or read each other's logs."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return name.replace(".log", f"-{worker}.log") if worker else name


@contextlib.contextmanager
def serving(settings, cluster, database, log_name):
    """An Odoo HTTP server on a free loopback port serving ``database``, for as long as the block lasts: its URL."""
    tree = odoo_source.locate(settings.python, environment.venv_site_packages(settings.venv_dir))
    port = odoo_server.free_port()
    log = settings.log_dir / log_file_name(log_name)
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
    database = database_under_test(settings)
    cluster = Cluster(settings)
    if cluster.running_port() != cluster.port or not cluster.database_exists(database):
        pytest.fail(f"The test database '{database}' is not there: run ./revcycle test, which builds it first.")
    with serving(settings, cluster, database, "test-xmlrpc-server.log") as url:
        yield url, database


# Odoo modules the revcycle addons stand on, without demo data: installed once per run in a template database that
# the databases of the lifecycle and analytics-alone tests copy, so each of them installs revcycle only.
FOUNDATION = "base_setup,account,sale_management,sale_stock,account_payment,payment_stripe,mail"


def run_odoo(settings, cluster, database, *args, log_name, stdin=None, subcommand=None):
    """Odoo's command line on ``database`` (a sub-command such as ``shell`` before its options), judged by its exit
    code and by the ERROR/CRITICAL lines of its own log, which is emptied first (Odoo appends)."""
    tree = odoo_source.locate(settings.python, environment.venv_site_packages(settings.venv_dir))
    log = settings.log_dir / log_file_name(log_name)
    log.write_text("")
    command = odoo_server.base_command(settings, tree, cluster, database)
    if subcommand:
        command.insert(command.index("-c"), subcommand)
    command += [*args, "--logfile", str(log)]
    done = subprocess.run(command, env=odoo_server.odoo_env(), input=stdin, capture_output=True, text=True)
    lines = log.read_text(errors="replace").splitlines() + done.stderr.splitlines() + done.stdout.splitlines()
    errors = [line for line in lines if " ERROR " in line or " CRITICAL " in line]
    if done.returncode != 0 or errors:
        pytest.fail(f"odoo {' '.join(args)} on {database} failed (see {log}):\n" + "\n".join(
            (errors or lines[-30:])[:30]))


def copy_database(settings, cluster, template, name):
    """A fresh ``name`` copied from ``template`` (PostgreSQL's CREATE DATABASE ... TEMPLATE) with its filestore."""
    cluster.drop_database(name)
    cluster.psql("postgres", 'CREATE DATABASE :"name" TEMPLATE :"template"', name=name, template=template)
    filestore = settings.data_dir / "filestore"
    shutil.rmtree(filestore / name, ignore_errors=True)
    if (filestore / template).is_dir():
        shutil.copytree(filestore / template, filestore / name)


def drop_database(settings, cluster, name):
    cluster.drop_database(name)
    shutil.rmtree(settings.data_dir / "filestore" / name, ignore_errors=True)


def foundation_database(settings):
    """'<test database>_foundation': one per run, shared by the xdist workers (nothing connects to it but the copies'
    CREATE DATABASE, and PostgreSQL lets several copies be made of one template at once)."""
    return f"{os.environ.get('REVCYCLE_TEST_DB') or settings.test_db_name}_foundation"


def pytest_configure(config):
    """In the process that started pytest: the run's identity, which the xdist workers inherit (they start after
    this): the foundation database is this run's only when its stamp says so."""
    if not hasattr(config, "workerinput"):
        os.environ["REVCYCLE_TEST_RUN"] = uuid.uuid4().hex


def _foundation_stamp(settings):
    """The file saying which run's foundation database is there: '<run> built' or '<run> failed'."""
    return settings.state_dir / f"{foundation_database(settings)}.run"


@pytest.fixture(scope="session")
def foundation_template():
    """The name of a database with FOUNDATION installed and no revcycle addon, fresh on every run. Built once per run
    by whichever process asks first, under a file lock the others wait on (they then use it, or fail at once when
    its install failed); the process that started pytest drops it when the session ends (pytest_sessionfinish)."""
    settings = S.load()
    cluster = Cluster(settings)
    if cluster.running_port() != cluster.port:
        pytest.fail("The project's PostgreSQL is not running: run ./revcycle test, which starts it first.")
    database = foundation_database(settings)
    run = os.environ["REVCYCLE_TEST_RUN"]
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    stamp = _foundation_stamp(settings)
    with open(settings.state_dir / f"{database}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes: a waiting worker then reads the stamp
        state = stamp.read_text() if stamp.is_file() else ""
        if state == f"{run} failed":
            pytest.fail(f"The install of {database} failed in another worker of this run: see "
                        f"{settings.log_dir / 'test-foundation-install*.log'}")
        if not (state == f"{run} built" and cluster.database_exists(database)):
            stamp.write_text(f"{run} failed")  # until it is built: a worker killed half-way leaves no usable one
            drop_database(settings, cluster, database)
            run_odoo(settings, cluster, database, "-i", FOUNDATION, "--without-demo", "all", "--stop-after-init",
                     "--no-http", "--max-cron-threads", "0", log_name="test-foundation-install.log")
            stamp.write_text(f"{run} built")
    yield database


def pytest_sessionfinish(session):
    """In the process that started pytest (not in an xdist worker): drop this run's foundation database, built or
    half-built; another run's (a second pytest session in the same checkout) is left alone."""
    if hasattr(session.config, "workerinput"):
        return
    settings = S.load()
    stamp = _foundation_stamp(settings)
    if stamp.is_file() and stamp.read_text().split(" ")[0] == os.environ.get("REVCYCLE_TEST_RUN"):
        cluster = Cluster(settings)
        if cluster.running_port() == cluster.port:
            drop_database(settings, cluster, foundation_database(settings))
        stamp.unlink()


@pytest.fixture(scope="session")
def analytics_alone_rpc(foundation_template):
    """Admin's XML-RPC session on a database of its own, '<test database>_analytics_alone': a copy of the foundation
    (no demo data) where revcycle_analytics is installed without its siblings (so without their bridges), fresh on
    every run and dropped after it."""
    settings = S.load()
    cluster = Cluster(settings)
    if cluster.running_port() != cluster.port:
        pytest.fail("The project's PostgreSQL is not running: run ./revcycle test, which starts it first.")
    database = f"{database_under_test(settings)}_analytics_alone"
    copy_database(settings, cluster, foundation_template, database)
    run_odoo(settings, cluster, database, "-i", "revcycle_analytics", "--without-demo", "all", "--stop-after-init",
             "--no-http", "--max-cron-threads", "0", log_name="test-analytics-alone-install.log")
    with serving(settings, cluster, database, "test-analytics-alone-server.log") as url:
        yield Rpc(url, database, *ADMIN)
    drop_database(settings, cluster, database)  # one per worker and run: nothing of it is left behind


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
