"""The test command's pieces: Odoo installs the addons into a fresh test database (running no test), then ONE pytest
session runs every addon test through pytest-odoo and every test of tests/, writes one junit and ends with the
summary line and pytest's own closing line."""

import math
import os
import re
import subprocess
from pathlib import Path

from . import odoo_server
from . import settings as S

PLUGIN = "revcycle_tool.pytest_odoo18"  # tools/revcycle_tool/pytest_odoo18.py, beside pytest-odoo
DEFAULT_PATHS = ("addons", "tests")
MAX_WORKERS = 4  # beyond that PostgreSQL and the browser tours compete more than the tests gain
WORKERS_LIMIT = 32  # an explicit REVCYCLE_TEST_WORKERS above this would exhaust PostgreSQL's connections


def worker_count(environ=os.environ, cpus=None):
    """How many pytest-xdist worker processes ./revcycle test runs: REVCYCLE_TEST_WORKERS when set (0 = none, every
    test in the pytest process itself), else one per usable CPU up to MAX_WORKERS, none on one CPU."""
    value = environ.get("REVCYCLE_TEST_WORKERS", "").strip()
    if value:
        if not re.fullmatch(r"[0-9]+", value) or int(value) > WORKERS_LIMIT:
            raise ValueError(
                f"REVCYCLE_TEST_WORKERS={value!r}: give a whole number of worker processes from 0 (none) to "
                f"{WORKERS_LIMIT}."
            )
        return int(value)
    if cpus is None:
        cpus = usable_cpus()
    return 0 if cpus < 2 else min(cpus, MAX_WORKERS)


def usable_cpus(cpu_max=Path("/sys/fs/cgroup/cpu.max")):
    """The CPUs this process may use: its affinity, capped by a container's CPU quota (cgroup v2 ``cpu.max``,
    'quota period' or 'max period')."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota to read: the affinity alone
    return cpus


def pytest_command(settings, tree, cluster, database, paths=DEFAULT_PATHS, junit=None, summary=False, prior_failures=0,
                   workers=0):
    """pytest with pytest-odoo on ``database``: Odoo's options as ``./revcycle run`` gives them, an in-process Odoo
    HTTP server for HttpCase tests (--odoo-http), no cron thread, Odoo's log in .local/log/test-odoo.log.

    With ``workers``, pytest-xdist runs the tests in that many processes, a test file's tests all in one of them
    (``--dist loadfile``: a class set-up runs once, module fixtures too). pytest-odoo gives each worker its own copy
    of ``database`` (``<database>-gw0``, ...: createdb from it as template, dropped at the end), so the workers never
    see each other's commits, locks or HTTP sessions."""
    odoo_extra = (
        f"data-dir={settings.data_dir}",
        f"db_host={cluster.socket_dir}",
        f"db_port={cluster.port}",
        f"db_user={cluster.user}",
        f"db-filter=^{database}$",
        "max-cron-threads=0",
        f"logfile={settings.log_dir / 'test-odoo.log'}",
    )
    command = [
        str(settings.python),
        "-m",
        "pytest",
        "-p",
        PLUGIN,
        f"--odoo-database={database}",
        f"--odoo-config={odoo_server.CONFIG}",
        f"--odoo-addons-path={odoo_server.addons_path(tree)}",
        "--odoo-log-level=info",
        "--odoo-http",
        *(f"--odoo-extra={option}" for option in odoo_extra),
        "-rfEs",
    ]
    if workers:
        command += ["-n", str(workers), "--dist", "loadfile"]
    if junit:
        command.append(f"--junitxml={junit}")
    if summary:
        command += ["--revcycle-summary", f"--revcycle-prior-failures={prior_failures}"]
    return command + [str(p) for p in paths]


def pytest_env(database, cluster):
    env = odoo_server.odoo_env()  # TZ=UTC, as odoo-bin sets it
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(S.ROOT / "tools"), env.get("PYTHONPATH")) if p)
    env["REVCYCLE_TEST_DB"] = database  # tests/conftest.py serves this database over XML-RPC
    # pytest-odoo copies the database for each xdist worker with PostgreSQL's createdb/dropdb: the project cluster's
    env["PATH"] = os.pathsep.join((str(cluster.bin), env.get("PATH", "")))
    env.update(PGHOST=str(cluster.socket_dir), PGPORT=str(cluster.port), PGUSER=cluster.user)
    return env


def run_pytest(settings, tree, cluster, database, paths=DEFAULT_PATHS, extra_args=(), summary=True, prior_failures=0,
               workers=0):
    """One pytest session; returns pytest's exit code. Odoo appends to its log file: it starts empty."""
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    (settings.log_dir / "test-odoo.log").write_text("")
    junit = settings.log_dir / "pytest.xml"
    junit.unlink(missing_ok=True)
    command = pytest_command(settings, tree, cluster, database, paths, junit, summary, prior_failures, workers)
    print(
        f"pytest: the addons' tests through pytest-odoo on '{database}', and tests/"
        + (f", in {workers} worker processes" if workers else "")
        + " "
        f"(Odoo's log: {settings.log_dir / 'test-odoo.log'}, junit: {junit}) ...",
        flush=True,
    )
    return subprocess.run([*command, *extra_args], cwd=S.ROOT, env=pytest_env(database, cluster)).returncode
