"""A pytest plugin loaded next to pytest-odoo (``-p revcycle_tool.pytest_odoo18``) by ``./revcycle test``.

pytest-odoo runs Odoo's unittest classes under pytest. On Odoo 18 four things still differ from Odoo's own runner,
and this plugin aligns them:

- **Which tests run.** pytest collects every test method of every ``unittest.TestCase`` class it finds in a
  ``test_*.py`` file, imported or inherited ones included. Odoo's loader (``odoo.tests.loader``) runs only the modules
  an addon's ``tests/__init__.py`` imports, in each only the classes defined there, of each only the methods defined
  in the class itself (unless ``allow_inherited_tests_method``), and only tests tagged ``standard`` and ``at_install``
  or ``post_install``. The items Odoo would not run are deselected, so each test runs exactly once, as in Odoo.
- **``odoo.modules.module.current_test``.** Odoo's suite sets it to the running test before the class set-up; Odoo
  then sends no e-mail over SMTP and checks that HTTP requests use the test's cursor. pytest-odoo sets it on Odoo 19
  only; here it is set for every Odoo test.
- **Each pytest-xdist worker's filestore.** pytest-odoo gives each worker a copy of the database but points every
  copy at the original's filestore. Odoo's TransactionCase collects the filestore's garbage after each class (files
  marked for collection that its own database does not reference): one worker then deletes the files another has
  just written (a web asset bundle, an attachment) and that worker's next request fails. Here each worker gets a
  filestore of its own, hard links of the original's (Odoo never rewrites a file: it is named by its checksum).
- **ERRORs that Odoo logs without failing a test** (a failed mail, a server-side traceback of a request). The test
  command always counted them as a failure; here a test during which Odoo logged an ERROR fails, with the records.

pytest-odoo runs every test against the fully installed database, as Odoo's runner does for ``post_install`` tests,
which every revcycle test is; README.md says what that means for ``at_install`` ones.
"""

import logging
import os
import shutil
import sys
import unittest
from pathlib import Path
from unittest import mock

import pytest

_ERRORS = pytest.StashKey()


def _import_odoo_test_framework():
    """pytest-odoo imports ``odoo.tests`` before Odoo is in test mode, and Odoo logs an ERROR ("Importing test
    framework, avoid importing from business modules...") when that happens. Imported here first, in test mode: this
    plugin is loaded (-p) before pytest-odoo parses Odoo's options, which sets them all anew."""
    from odoo.tools import config

    test_enable = config["test_enable"]
    config["test_enable"] = True
    try:
        import odoo.tests  # noqa: F401
    finally:
        config["test_enable"] = test_enable


_import_odoo_test_framework()


class _ErrorRecords(logging.Handler):
    """Keeps the ERROR and CRITICAL records logged since the last test phase ended."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def take(self):
        records, self.records = self.records, []
        return records


def _odoo_active(config):
    return bool(config.getoption("--odoo-database", None) or config.getoption("--odoo-config", None))


def _odoo_test_class(item):
    cls = getattr(item, "cls", None)
    module = getattr(item, "module", None)
    if module is None or not module.__name__.startswith("odoo.addons."):
        return None, None
    return cls, module


def odoo_would_run(item):
    """True when Odoo 18's own runner, asked for this item's addon, would run this test once."""
    cls, module = _odoo_test_class(item)
    if module is None:
        return True  # not an addon test (tests/ of the repository): pytest's own rules
    from odoo.tests.tag_selector import TagsSelector

    if cls is None or not issubclass(cls, unittest.TestCase):
        return False  # a plain pytest function inside an addon: Odoo's loader ignores it
    package_name, _, leaf = module.__name__.rpartition(".")
    imported = getattr(sys.modules.get(package_name), leaf, None) is module
    if not (package_name.endswith(".tests") and leaf.startswith("test_") and imported):
        return False  # not imported by the addon's tests/__init__.py
    if cls.__module__ != module.__name__:
        return False  # a class imported from another module runs there
    name = item.originalname if hasattr(item, "originalname") else item.name
    if name not in vars(cls) and not getattr(cls, "allow_inherited_tests_method", False):
        return False
    test = cls(name)
    standard = TagsSelector("standard").check(test)
    positioned = TagsSelector("at_install").check(test) or TagsSelector("post_install").check(test)
    return standard and positioned


def _link_or_copy(source, destination):
    try:
        os.link(source, destination)
    except OSError:  # another file system: a copy
        shutil.copy2(source, destination)


@pytest.fixture(scope="session", autouse=True)
def _revcycle_worker_filestore(request):
    """In a pytest-xdist worker: the worker's database (pytest-odoo's copy) gets its own filestore, for this
    process and for the Odoo servers the tests start on that database (they find it by the database's name)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not (worker and _odoo_active(request.config)):
        yield
        return
    request.getfixturevalue("load_registry")  # pytest-odoo's: the worker's copy exists and Odoo is configured on it
    from odoo.tools import config

    database = config["db_name"]
    filestores = Path(config["data_dir"]) / "filestore"
    original = filestores / database.removesuffix(f"-{worker}")
    own = filestores / database
    shutil.rmtree(own, ignore_errors=True)
    if original.is_dir():
        shutil.copytree(original, own, copy_function=_link_or_copy)
    os.environ["REVCYCLE_WORKER_DB"] = database  # tests/conftest.py serves this copy to its external-API tests
    with mock.patch.object(config, "filestore", lambda dbname: str(filestores / dbname)):
        yield
    del os.environ["REVCYCLE_WORKER_DB"]
    shutil.rmtree(own, ignore_errors=True)


def pytest_configure(config):
    if _odoo_active(config):
        config.stash[_ERRORS] = _ErrorRecords()
        logging.getLogger().addHandler(config.stash[_ERRORS])


def pytest_unconfigure(config):
    if _ERRORS in config.stash:
        logging.getLogger().removeHandler(config.stash[_ERRORS])
        del config.stash[_ERRORS]


def pytest_collection_modifyitems(config, items):
    if not _odoo_active(config):
        return
    kept, dropped = [], []
    for item in items:
        (kept if odoo_would_run(item) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if not _odoo_active(item.config):
        return
    from odoo.modules import module as odoo_module
    from odoo.tests.common import BaseCase, HttpCase

    instance = getattr(item, "instance", None)
    # before the class set-up runs (a fixture of this setup phase), as Odoo's suite does
    odoo_module.current_test = instance if isinstance(instance, BaseCase) else False
    if isinstance(instance, HttpCase):
        _read_manifests_before_the_browser()


def _read_manifests_before_the_browser():
    """Odoo's HTTP application reads every addon's manifest (``ast.literal_eval``) the first time a request asks
    for its static paths, in whichever server thread comes first. CPython 3.11 (3.11.7 here) keeps the state of the
    AST it builds per interpreter, not per thread (python/cpython#106905): two threads parsing at once can raise
    "SystemError: AST constructor recursion depth mismatch", a 500 and a test failed for nothing. Read once here,
    in the test's own thread, before a browser sends its first requests (the result is cached for the process)."""
    import odoo.http

    odoo.http.root.statics  # noqa: B018 -- a lazy property: reading it is what fills it


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if _ERRORS not in item.config.stash:
        return
    records = item.config.stash[_ERRORS].take()
    report = outcome.get_result()
    if records and report.passed:
        lines = [f"{r.levelname} {r.name}: {r.getMessage()}" for r in records[:5]]
        report.outcome = "failed"
        report.longrepr = (
            f"Odoo logged {len(records)} ERROR record(s) during the {call.when} of this test "
            f"(Odoo's log holds the tracebacks):\n  " + "\n  ".join(lines)
        )


def pytest_addoption(parser):
    group = parser.getgroup("revcycle")
    group.addoption(
        "--revcycle-summary",
        action="store_true",
        help="print ./revcycle test's line 'summary: N passed, N failed, N skipped' before pytest's closing line",
    )
    group.addoption(
        "--revcycle-prior-failures",
        type=int,
        default=0,
        help="failed checks of the test command before pytest (lint findings), added to the summary line",
    )


def summary_counts(stats, prior_failures=0):
    """(passed, failed, skipped) as pytest's closing line counts them; errors count as failures."""
    passed = len([r for r in stats.get("passed", ()) if getattr(r, "when", "call") == "call"])
    failed = len(stats.get("failed", ())) + len(stats.get("error", ())) + prior_failures
    return passed, failed, len(stats.get("skipped", ()))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if config.getoption("--revcycle-summary"):
        passed, failed, skipped = summary_counts(terminalreporter.stats, config.getoption("--revcycle-prior-failures"))
        terminalreporter.write_line(f"summary: {passed} passed, {failed} failed, {skipped} skipped")
