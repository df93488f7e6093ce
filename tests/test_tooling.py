"""The project's own tooling: finding Odoo, reading test reports, PostgreSQL helpers. No database needed."""

import socket
from pathlib import Path

import pytest

from revcycle_tool import bench, environment, odoo_server, odoo_source, postgres, testing
from revcycle_tool.errors import SetupError


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


ODOO_LOG_OK = """\
2026-01-01 10:00:00,000 1 INFO db odoo.modules.loading: Modules loaded.
2026-01-01 10:00:01,000 1 INFO db odoo.addons.revcycle_cpq.tests.test_x: skipped test_y (x.T.test_y) : no reason
2026-01-01 10:00:02,000 1 INFO db odoo.tests.result: 0 failed, 0 error(s) of 12 tests when loading database 'db'
"""


def test_odoo_log_counts():
    counts = testing.parse_odoo_log(ODOO_LOG_OK.splitlines(), 0)
    assert (counts.passed, counts.failed, counts.skipped) == (11, 0, 1)


def test_odoo_log_failures_and_stray_errors_fail():
    failing = ODOO_LOG_OK.replace("0 failed, 0 error(s) of 12", "2 failed, 1 error(s) of 12")
    assert testing.parse_odoo_log(failing.splitlines(), 1).failed == 3
    stray = "2026-01-01 10:00:00,500 1 ERROR db odoo.modules.registry: Failed to load registry\n" + ODOO_LOG_OK
    assert testing.parse_odoo_log(stray.splitlines(), 0).failed == 1
    assert testing.parse_odoo_log(["no report at all"], 255).failed == 1


def test_junit_counts(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text('<testsuites><testsuite tests="7" failures="1" errors="1" skipped="2"/></testsuites>')
    counts = testing.parse_junit(junit)
    assert (counts.passed, counts.failed, counts.skipped) == (3, 2, 2)
    assert testing.parse_junit(tmp_path / "missing.xml").failed == 1


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
