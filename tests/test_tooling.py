"""The project's own tooling: finding Odoo, reading test reports, PostgreSQL helpers, the commands Odoo is started
with. No database needed, but for the one test that starts Odoo in multi-process mode on the test database."""

import base64
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from conftest import database_under_test, log_file_name

from revcycle_tool import bench, environment, lint, odoo_server, odoo_source, postgres, pytest_odoo18, testing
from revcycle_tool import settings as S
from revcycle_tool.errors import SetupError
from revcycle_tool.postgres import Cluster


def make_tree(root, series="18.0", git_layout=False):
    major, minor = series.split(".")
    (root / "odoo" / "addons" / "base").mkdir(parents=True)
    (root / "odoo" / "addons" / "base" / "__manifest__.py").write_text("{}")
    (root / "odoo" / "release.py").write_text(f"version_info = ({major}, {minor}, 0, 'final', 0, '')\n")
    (root / "odoo-bin").write_text("#!/usr/bin/env python3\n")
    if git_layout:
        (root / "addons" / "web").mkdir(parents=True)
        (root / "addons" / "web" / "__manifest__.py").write_text("{}")
    return root


def locate(tmp_path, environ, can_clone=lambda: False):
    missing_python = tmp_path / "no-venv" / "bin" / "python"
    return odoo_source.locate(
        missing_python, tmp_path / "site", environ=environ, default=tmp_path / "default", can_clone=can_clone
    )


def test_odoo_src_wins_over_the_default(tmp_path):
    make_tree(tmp_path / "default")
    explicit = make_tree(tmp_path / "explicit", git_layout=True)
    tree = locate(tmp_path, {"ODOO_SRC": str(explicit)})
    assert tree.root == explicit.resolve() and tree.origin == "ODOO_SRC"
    assert tree.core_addons_paths == [explicit.resolve() / "addons", explicit.resolve() / "odoo" / "addons"]


def test_default_location_in_sdist_layout(tmp_path):
    make_tree(tmp_path / "default")
    tree = locate(tmp_path, {})
    assert tree.origin == "the default location"
    assert tree.core_addons_paths == [tree.root / "odoo" / "addons"]


def test_wrong_series_or_not_odoo_is_refused(tmp_path):
    make_tree(tmp_path / "old", series="17.0")
    with pytest.raises(SetupError, match="Odoo 17.0 .* needs Odoo 18.0"):
        locate(tmp_path, {"ODOO_SRC": str(tmp_path / "old")})
    (tmp_path / "empty").mkdir()
    with pytest.raises(SetupError, match="holds no Odoo source tree"):
        locate(tmp_path, {"ODOO_SRC": str(tmp_path / "empty")})


def test_nothing_found_and_no_github_says_what_to_do(tmp_path):
    with pytest.raises(SetupError) as error:
        locate(tmp_path, {})
    message = str(error.value)
    assert "not found" in message and "ODOO_SRC" in message and "git clone --depth 1 -b 18.0" in message


def test_clone_is_tried_when_github_answers(tmp_path, monkeypatch):
    cloned = []
    monkeypatch.setattr(odoo_source, "clone_default", lambda destination: cloned.append(make_tree(destination)))
    tree = locate(tmp_path, {}, can_clone=lambda: True)
    assert cloned and tree.origin == "a fresh clone"


def test_ldap_requirement_is_left_out_unless_asked(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lxml==4.9.3\npython-ldap==3.4.0 ; sys_platform != 'win32'\nzeep==4.2.1\n")
    monkeypatch.delenv("REVCYCLE_WITH_LDAP", raising=False)
    assert environment.odoo_requirement_lines(requirements) == ["lxml==4.9.3", "zeep==4.2.1"]
    monkeypatch.setenv("REVCYCLE_WITH_LDAP", "1")
    assert len(environment.odoo_requirement_lines(requirements)) == 3


def test_one_pytest_session_runs_the_addon_tests_through_pytest_odoo(tmp_path):
    settings, tree, cluster = fake_setup(tmp_path)
    command = testing.pytest_command(settings, tree, cluster, "rc_test", junit=tmp_path / "j.xml", summary=True)
    assert command[1:5] == ["-m", "pytest", "-p", "revcycle_tool.pytest_odoo18"]
    assert command[-2:] == ["addons", "tests"]  # one session, one junit, one closing line
    for option in (
        "--odoo-database=rc_test",
        "--odoo-http",  # HttpCase tests (tours, XML-RPC) need Odoo's HTTP server in the pytest process
        f"--odoo-extra=db_host={tmp_path / 'run'}",
        "--odoo-extra=db-filter=^rc_test$",
        "--odoo-extra=max-cron-threads=0",
        f"--junitxml={tmp_path / 'j.xml'}",
        "--revcycle-summary",
    ):
        assert option in command
    assert "--revcycle-summary" not in testing.pytest_command(settings, tree, cluster, "rc_test")


def test_the_tests_run_in_one_worker_process_per_cpu(tmp_path):
    """pytest-xdist: one worker per CPU up to MAX_WORKERS, none on one CPU, REVCYCLE_TEST_WORKERS overrides (0 =
    none); a test file's tests stay in one worker (--dist loadfile), so a class set-up runs once."""
    assert testing.worker_count({}, cpus=1) == 0
    assert testing.worker_count({}, cpus=2) == 2
    assert testing.worker_count({}, cpus=64) == testing.MAX_WORKERS
    assert testing.worker_count({"REVCYCLE_TEST_WORKERS": "0"}, cpus=8) == 0
    assert testing.worker_count({"REVCYCLE_TEST_WORKERS": " 3 "}, cpus=1) == 3
    for bad in ("two", "-1", "²", "33"):
        with pytest.raises(ValueError, match=f"REVCYCLE_TEST_WORKERS='{bad}': give a whole number"):
            testing.worker_count({"REVCYCLE_TEST_WORKERS": bad})
    settings, tree, cluster = fake_setup(tmp_path)
    command = testing.pytest_command(settings, tree, cluster, "rc_test", workers=2)
    assert command[command.index("-n") + 1] == "2" and command[command.index("--dist") + 1] == "loadfile"
    assert "-n" not in testing.pytest_command(settings, tree, cluster, "rc_test")
    # pytest-odoo copies the database per worker with createdb/dropdb: they must reach the project's cluster
    env = testing.pytest_env("rc_test", cluster)
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"]) == (str(cluster.socket_dir), str(cluster.port), cluster.user)
    assert env["PATH"].split(os.pathsep)[0] == str(cluster.bin)


def test_database_names_follow_pytest_odoos_worker_copies(monkeypatch):
    settings = S.load()
    monkeypatch.setenv("REVCYCLE_TEST_DB", "rc_test")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("REVCYCLE_WORKER_DB", raising=False)
    assert (database_under_test(settings), log_file_name("x.log")) == ("rc_test", "x.log")
    # in a worker, once the plugin has published pytest-odoo's copy (without pytest-odoo, no copy: the database)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert (database_under_test(settings), log_file_name("x.log")) == ("rc_test", "x-gw1.log")
    monkeypatch.setenv("REVCYCLE_WORKER_DB", "rc_test-gw1")
    assert database_under_test(settings) == "rc_test-gw1"


def test_usable_cpus_follow_a_containers_quota(tmp_path):
    cpu_max = tmp_path / "cpu.max"
    affinity = testing.usable_cpus(tmp_path / "missing")
    cpu_max.write_text("max 100000\n")
    assert testing.usable_cpus(cpu_max) == affinity
    cpu_max.write_text("150000 100000\n")  # 1.5 CPUs of quota: 2 processes can use it
    assert testing.usable_cpus(cpu_max) == min(affinity, 2)
    cpu_max.write_text("50000 100000\n")
    assert testing.usable_cpus(cpu_max) == 1


def test_summary_counts_follow_pytests_closing_line():
    report = SimpleNamespace
    stats = {
        "passed": [report(when="call")] * 5 + [report(when="setup")],  # a passed setup is no test of its own
        "failed": [report(when="call")],
        "error": [report(when="teardown")],
        "skipped": [report(when="setup")] * 2,
    }
    assert pytest_odoo18.summary_counts(stats) == (5, 2, 2)
    assert pytest_odoo18.summary_counts(stats, prior_failures=1) == (5, 3, 2)
    assert pytest_odoo18.summary_counts({}) == (0, 0, 0)


def test_port_in_use_detects_a_listener():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert postgres.port_in_use(port)
    assert not postgres.port_in_use(port)  # free again once closed


def test_missing_postgresql_binaries_give_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(postgres.shutil, "which", lambda name: None)
    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: [])
    with pytest.raises(SetupError, match="PostgreSQL server binaries .* were not found"):
        postgres.find_bin_dir(environ={"REVCYCLE_PG_BIN": str(tmp_path)})


def test_socket_dir_falls_back_when_the_path_is_too_long():
    assert postgres.socket_dir(Path("/srv/revcycle/.local/pg")) == Path("/srv/revcycle/.local/pg/run")
    short = postgres.socket_dir(Path("/" + "x" * 120) / "pg")
    assert len(str(short)) < 60 and short.name.startswith("revcycle-pg-")


def test_bench_declarations_are_read_without_importing(tmp_path):
    script = tmp_path / "bench_x.py"
    script.write_text('import odoo_that_does_not_exist\nPEER_MODULES = ("contract",)\nMODULES = ["revcycle_cpq"]\n')
    assert bench.declared(script, "PEER_MODULES", ()) == ("contract",)
    assert bench.declared(script, "MODULES", ("all",)) == ("revcycle_cpq",)
    assert bench.declared(script, "OTHER", ("default",)) == ("default",)


def test_missing_wkhtmltopdf_is_one_line_that_says_how_to_install_it():
    line = odoo_server.wkhtmltopdf_missing_line(which=lambda name: None)
    assert "\n" not in line and "PDFs" in line and "apt-get install wkhtmltopdf" in line
    assert odoo_server.wkhtmltopdf_missing_line(which=lambda name: f"/usr/bin/{name}") is None


def fake_setup(tmp_path):
    tree = odoo_source.OdooTree(make_tree(tmp_path / "odoo-src"), "test")
    settings = S.Settings(
        state_dir=tmp_path / ".local",
        venv_dir=tmp_path / "venv",
        pg_port=55999,
        http_port=8999,
        db_name="rc",
        test_db_name="rc_test",
    )
    cluster = SimpleNamespace(socket_dir=tmp_path / "run", port=55999, user="revcycle", bin=tmp_path / "pg-bin")
    return settings, tree, cluster


def test_odoo_starts_through_a_script_so_that_its_gevent_worker_can_reexecute_it(tmp_path):
    settings, tree, cluster = fake_setup(tmp_path)
    command = odoo_server.server_command(settings, tree, cluster, "rc", 8999, workers=2, gevent_port=40123)
    assert command[:2] == [str(settings.python), str(tree.root / "odoo-bin")]  # not "python -m odoo"
    assert "-m" not in command
    assert command[command.index("--workers") + 1] == "2"
    assert command[command.index("--gevent-port") + 1] == "40123"
    assert command[command.index("--http-port") + 1] == "8999"
    single = odoo_server.server_command(settings, tree, cluster, "rc", 8999)
    assert "--workers" not in single and "--gevent-port" not in single


def test_odoo_entry_without_a_source_tree(tmp_path):
    settings, tree, _cluster = fake_setup(tmp_path)
    site_packages = odoo_source.OdooTree(tmp_path / "site-packages", "the virtual environment's importable odoo")
    entry = odoo_server.odoo_entry(settings, site_packages)  # nothing of Odoo's own: the tooling writes one
    assert entry == settings.venv_dir / "bin" / "revcycle-odoo"
    assert "odoo.cli.main()" in entry.read_text()
    console_script = settings.venv_dir / "bin" / "odoo"
    console_script.write_text("#!/usr/bin/env python3\n")
    assert odoo_server.odoo_entry(settings, site_packages) == console_script
    assert odoo_server.odoo_entry(settings, tree) == tree.root / "odoo-bin"


def child_pids(pid):
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            children.append(int(stat.parent.name))
    return children


def gevent_worker_pid(pid):
    for child in child_pids(pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"gevent" in argv[1:3]:
            return child
    return None


def websocket_handshake_status(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            f"GET /websocket?version=18.0-1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n\r\n".encode()
        )
        return connection.recv(200).split(b"\r\n", 1)[0].decode(errors="replace")


def test_workers_mode_keeps_its_gevent_worker_alive_and_serving_websockets():
    """./revcycle run --workers 2, on the test database: Odoo's gevent worker (a re-execution of the script Odoo was
    started with) stays up past 20 s, one process, and answers a websocket upgrade."""
    settings = S.load()
    database = database_under_test(settings)
    cluster = Cluster(settings)
    if cluster.running_port() != cluster.port or not cluster.database_exists(database):
        pytest.fail(f"The test database '{database}' is not there: run ./revcycle test, which builds it first.")
    tree = odoo_source.locate(settings.python, environment.venv_site_packages(settings.venv_dir))
    http_port = odoo_server.free_port()
    gevent_port = odoo_server.free_port()
    log = settings.log_dir / log_file_name("test-workers-server.log")
    command = odoo_server.server_command(settings, tree, cluster, database, http_port, 2, gevent_port, log)
    started = time.monotonic()
    with open(settings.log_dir / "test-workers-server.stderr", "w") as stderr:
        process = subprocess.Popen(
            [*command, "--max-cron-threads", "0"],
            env=odoo_server.odoo_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        assert odoo_server.wait_until_answering(f"http://127.0.0.1:{http_port}/web/login", process, timeout=120), log
        first = None
        while first is None and time.monotonic() - started < 60:
            first = gevent_worker_pid(process.pid)
            time.sleep(0.5)
        assert first, f"no gevent worker started; see {log} and its .stderr"
        time.sleep(max(0.0, 20 - (time.monotonic() - started)))
        assert gevent_worker_pid(process.pid) == first, f"the gevent worker was restarted; see {log} and its .stderr"
        assert websocket_handshake_status(gevent_port).split()[1] == "101"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_addon_tests_are_selected_as_odoos_loader_selects_them(monkeypatch):
    """Each test once, as Odoo's runner: no class a module imports, no inherited method, nothing Odoo leaves out."""
    from odoo.tests import BaseCase, tagged

    def module(name):
        created = ModuleType(name)
        monkeypatch.setitem(sys.modules, name, created)
        return created

    package = module("odoo.addons.fake_addon.tests")
    test_a, test_b, helpers = (module(f"odoo.addons.fake_addon.tests.{n}") for n in ("test_a", "test_b", "test_c"))
    package.test_a, package.test_b = test_a, test_b  # tests/__init__.py imports test_a and test_b, not test_c

    class TestA(BaseCase):
        __module__ = test_a.__name__

        def test_one(self):
            pass

    class TestB(TestA):
        __module__ = test_b.__name__

        def test_two(self):
            pass

    @tagged("-standard")
    class TestSlow(BaseCase):
        __module__ = test_b.__name__

        def test_slow(self):
            pass

    class TestHelper(BaseCase):
        __module__ = helpers.__name__

        def test_helper(self):
            pass

    def item(cls, mod, name):
        return SimpleNamespace(cls=cls, module=mod, name=name, originalname=name)

    selected = pytest_odoo18.odoo_would_run
    assert selected(item(TestA, test_a, "test_one"))
    assert not selected(item(TestA, test_b, "test_one"))  # TestA as test_b imports it
    assert not selected(item(TestB, test_b, "test_one"))  # inherited
    assert selected(item(TestB, test_b, "test_two"))
    assert not selected(item(TestSlow, test_b, "test_slow"))  # -standard
    assert not selected(item(TestHelper, helpers, "test_helper"))  # a module tests/__init__.py does not import
    assert not selected(item(None, test_a, "test_function"))  # a plain function in an addon: Odoo never runs it
    assert selected(item(None, ModuleType("test_tooling"), "test_anything"))  # tests/ keeps pytest's own rules


def test_lint_runs_beside_the_install_and_reports_after_it(monkeypatch, capsys):
    """The test command starts the linters in the background: nothing they say is printed until the install is done
    (``finish``), and a finding is reported as a failed check then."""

    release = threading.Event()

    def fake_run(settings, output=None):
        release.wait(10)
        output.append("addons/x.py:1: W8113 a finding")
        return False

    monkeypatch.setattr(lint, "run", fake_run)
    finish = lint.start(settings=None)
    print("Odoo: installing ...")  # the install's own lines come first
    assert "W8113" not in capsys.readouterr().out
    release.set()
    assert finish() is False
    assert "addons/x.py:1: W8113 a finding" in capsys.readouterr().out
