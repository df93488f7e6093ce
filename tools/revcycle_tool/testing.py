"""The test command's pieces: Odoo's own test runner for the addons, pytest for tests/, one summary line."""

import os
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from . import odoo_server
from . import settings as S

_REPORT_RE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
_SKIP_RE = re.compile(r" INFO \S+ [\w.]+: skipped ")
_LEVEL_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (\w+) ")
_ALWAYS_SHOWN = ("odoo.tests.result", "odoo.tests.stats", "Starting post tests", "post-tests in")


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def __add__(self, other):
        return Counts(self.passed + other.passed, self.failed + other.failed, self.skipped + other.skipped)

    @property
    def total(self):
        return self.passed + self.failed + self.skipped


def parse_odoo_log(lines, returncode):
    """Counts from Odoo's final test report; an ERROR logged outside any test counts as one failure too."""
    report = None
    skipped = 0
    errors_logged = 0
    for line in lines:
        match = _REPORT_RE.search(line)
        if match:
            report = tuple(int(g) for g in match.groups())
        if _SKIP_RE.search(line):
            skipped += 1
        level = _LEVEL_RE.match(line)
        if level and level.group(1) in ("ERROR", "CRITICAL"):
            errors_logged += 1
    if report is None:
        # Odoo never reached its test report: installation failed.
        return Counts(failed=1)
    failed, errored, run = report
    counts = Counts(passed=run - failed - errored - skipped, failed=failed + errored, skipped=skipped)
    if (counts.failed == 0 and errors_logged) or (counts.failed == 0 and returncode != 0):
        counts.failed += 1
    return counts


def _shown(line, state):
    level = _LEVEL_RE.match(line)
    if level:
        state["loud"] = level.group(1) in ("WARNING", "ERROR", "CRITICAL")
        return (
            state["loud"]
            or any(marker in line for marker in _ALWAYS_SHOWN)
            or ("odoo.addons.revcycle_" in line and ": Starting " in line)
        )
    return state["loud"]  # continuation of a multi-line record (a traceback)


def run_odoo_tests(settings, tree, cluster, database):
    log_path = settings.log_dir / "test-odoo.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tags = ",".join(f"/{m}" for m in S.MODULES)
    command = [
        *odoo_server.base_command(settings, tree, cluster, database),
        "-i",
        ",".join(S.MODULES),
        "--test-enable",
        "--test-tags",
        tags,
        "--stop-after-init",
        "--http-port",
        str(odoo_server.free_port()),
        "--max-cron-threads",
        "0",
    ]
    print(
        f"Odoo: installing the addons into a fresh '{database}' and running their tests "
        f"(full log: {log_path}) ...",
        flush=True,
    )
    lines = []
    state = {"loud": False}
    with (
        open(log_path, "w", encoding="utf-8") as log,
        subprocess.Popen(
            command,
            env=odoo_server.odoo_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
        ) as process,
    ):
        for line in process.stdout:
            log.write(line)
            lines.append(line.rstrip("\n"))
            if _shown(line, state):
                print(line, end="", flush=True)
    counts = parse_odoo_log(lines, process.returncode)
    print(f"Odoo tests: {counts.passed} passed, {counts.failed} failed, {counts.skipped} skipped.", flush=True)
    return counts


def parse_junit(path):
    if not path.is_file():
        return Counts(failed=1)
    root = ET.parse(path).getroot()  # noqa: S314 (pytest's own report, written by us a moment ago)
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return Counts(passed=tests - failed - skipped, failed=failed, skipped=skipped)


def run_pytest(settings, database):
    junit = settings.log_dir / "pytest.xml"
    junit.unlink(missing_ok=True)
    print("pytest: tests/ (tooling and external-API tests against a real Odoo HTTP server) ...", flush=True)
    env = {**os.environ, "REVCYCLE_TEST_DB": database}
    subprocess.run(
        [str(settings.python), "-m", "pytest", "tests", "-p", "no:cacheprovider", "-q", "-rfEs", f"--junitxml={junit}"],
        cwd=S.ROOT,
        env=env,
    )
    counts = parse_junit(junit)
    print(f"pytest: {counts.passed} passed, {counts.failed} failed, {counts.skipped} skipped.", flush=True)
    return counts
