"""./revcycle run | test | lint | stop | status | shell — see README.md."""

import argparse
import os
import shutil
import subprocess
import sys
import time

from . import bench, environment, i18n, lint, odoo_server, testing
from . import settings as S
from .errors import SetupError
from .postgres import Cluster

DEMO_LOGIN = ("admin", "admin")


def prepare(settings):
    """Everything both commands need: venv + requirements, the Odoo tree, a running project cluster."""
    tree = environment.ensure_venv(settings)
    print(f"Odoo 18.0: {tree.root} (found via {tree.origin}).", flush=True)
    cluster = Cluster(settings)
    cluster.ensure_running()
    return tree, cluster


def cmd_run(settings, args):
    if args.workers < 0:
        raise SetupError(f"--workers {args.workers}: the number of worker processes cannot be negative.")
    tree, cluster = prepare(settings)
    if odoo_server.stop_server(settings, quiet=True):
        print("Odoo: stopped the server of the previous run to update the addons.", flush=True)
    odoo_server.check_http_port_free(settings.http_port)  # before the update, not after minutes of it
    odoo_server.install_or_update(settings, tree, cluster, settings.db_name, (*S.MODULES, *S.DEMO_MODULES))
    process, url, gevent_port = odoo_server.start_server(
        settings, tree, cluster, settings.db_name, settings.http_port, args.foreground, args.workers
    )
    login, password = DEMO_LOGIN
    print(
        f"\nrevcycle is running: {url}/odoo\n"
        f"  database: {settings.db_name}   login: {login}   password: {password}\n"
        f"  log: {settings.log_dir / 'odoo.log' if not args.foreground else 'this terminal'}   "
        f"stop with: ./revcycle stop\n"
        + (
            f"  workers: {args.workers} HTTP worker processes; websocket/longpolling on 127.0.0.1:{gevent_port} "
            "(behind a proxy, route /websocket there)\n"
            if args.workers
            else ""
        ),
        flush=True,
    )
    missing_pdf_tool = odoo_server.wkhtmltopdf_missing_line()
    if missing_pdf_tool:
        print(missing_pdf_tool, flush=True)  # Odoo goes on without it: only PDF printing is affected
    if args.foreground:
        try:
            return process.wait()
        except KeyboardInterrupt:
            odoo_server.stop_server(settings)
    return 0


def cmd_test(settings, args):
    try:
        workers = testing.worker_count()
    except ValueError as error:
        raise SetupError(str(error)) from None
    tree, cluster = prepare(settings)
    # the linters read files only: they run beside the install, which waits on PostgreSQL part of the time
    finish_lint = None if args.no_lint else lint.start(settings)
    database = settings.test_db_name
    cluster.drop_database(database)
    drop_worker_databases(settings, cluster, database)
    started = time.monotonic()
    try:
        # a fresh database: installs, runs no test
        odoo_server.install_or_update(settings, tree, cluster, database, (*S.MODULES, *S.DEMO_MODULES))
        install_error = None
        print(f"Odoo: installed in {time.monotonic() - started:.0f} s.", flush=True)
    except SetupError as error:
        install_error = error
    # lint findings fail the test command, counted as one failed check
    lint_failures = 0 if finish_lint is None or finish_lint() else 1
    if install_error is not None:
        print(f"revcycle: {install_error}", flush=True)
        print(f"summary: 0 passed, {lint_failures + 1} failed, 0 skipped", flush=True)
        return 1
    # pytest prints the summary line (lint findings included), then its own closing line
    returncode = testing.run_pytest(settings, tree, cluster, database, prior_failures=lint_failures, workers=workers)
    return 0 if returncode == 0 and not lint_failures else 1


def drop_worker_databases(settings, cluster, database):
    """What a killed run (or one with more workers) left of its test workers: their copies of the test database
    ('<database>-gw0', ..., and the databases named after them) with their filestores."""
    rows = cluster.psql("postgres", "SELECT datname FROM pg_database WHERE starts_with(datname, :'prefix')",
                        prefix=f"{database}-gw")
    for (name,) in rows:
        cluster.drop_database(name)
        shutil.rmtree(settings.data_dir / "filestore" / name, ignore_errors=True)


def cmd_pytest(settings, args):
    tree, cluster = prepare(settings)
    database = settings.test_db_name
    if not cluster.database_exists(database):
        raise SetupError(f"The test database '{database}' does not exist yet.", "Build it with: ./revcycle test")
    command = testing.pytest_command(settings, tree, cluster, database, paths=args.pytest_args or testing.DEFAULT_PATHS)
    print("pytest:", " ".join(command), flush=True)
    return subprocess.run(command, cwd=S.ROOT, env=testing.pytest_env(database, cluster)).returncode


def cmd_lint(settings, args):
    environment.ensure_venv(settings)
    return 0 if lint.run(settings) else 1


def cmd_stop(settings, args):
    stopped = odoo_server.stop_server(settings)
    cluster = Cluster(settings)
    if cluster.initialized() and cluster.running_port() is not None:
        cluster.stop()
        print("PostgreSQL: stopped the project cluster.")
    elif not stopped:
        print("Nothing was running.")
    return 0


def cmd_status(settings, args):
    pid = odoo_server.running_server_pid(settings)
    cluster = Cluster(settings)
    port = cluster.running_port() if cluster.initialized() else None
    print(f"Odoo: {'running, pid %s, http://127.0.0.1:%s/odoo' % (pid, settings.http_port) if pid else 'not running'}")
    print(f"PostgreSQL: {'running on port %s' % port if port else 'not running'}")
    return 0


def cmd_shell(settings, args):
    tree, cluster = prepare(settings)
    command = odoo_server.base_command(settings, tree, cluster, settings.db_name)
    command.insert(command.index("-c"), "shell")
    return subprocess.run([*command, "--no-http"], env=odoo_server.odoo_env()).returncode


def cmd_i18n(settings, args):
    tree, cluster = prepare(settings)
    modules = args.module or S.MODULES
    unknown = set(modules) - set(S.MODULES)
    if unknown:
        raise SetupError(f"Unknown addon(s): {', '.join(sorted(unknown))}.", f"Choose among {', '.join(S.MODULES)}.")
    if args.db:
        database = args.db  # a database where the addons are already installed and current: no update
    else:
        database = settings.db_name
        odoo_server.install_or_update(settings, tree, cluster, database)
    i18n.export(settings, tree, cluster, database, modules)
    return 0


def cmd_bench(settings, args):
    if args.name == "all":
        # every benchmark in turn and the table of their RESULT lines (bench/run_all.py; its options after "all")
        return subprocess.run([sys.executable, str(S.ROOT / "bench" / "run_all.py"), *args.odoo_args]).returncode
    script = S.ROOT / "bench" / f"bench_{args.name}.py"
    if not script.is_file():
        available = sorted(p.stem.removeprefix("bench_") for p in (S.ROOT / "bench").glob("bench_*.py"))
        raise SetupError(f"No benchmark named {args.name!r}.", f"Available: {', '.join(available) or 'none'}.")
    tree, cluster = prepare(settings)
    modules = bench.declared(script, "MODULES", S.MODULES)
    peers = bench.declared(script, "PEER_MODULES", ())
    extra_addons = (bench.peer_addons_dir(settings),) if peers else ()
    stock = bench.declared(script, "STOCK_MODULES", ())
    database = os.environ.get("REVCYCLE_BENCH_DB") or f"revcycle_bench_{args.name}"
    odoo_server.install_or_update(settings, tree, cluster, database, (*modules, *peers), extra_addons)
    env = odoo_server.odoo_env()
    if stock:
        # a second database with stock Odoo only (no revcycle addon, no peer): the baseline a consultant compares
        # against; the script opens it by the name given in REVCYCLE_BENCH_STOCK_DB
        env["REVCYCLE_BENCH_STOCK_DB"] = f"{database}_stock"
        odoo_server.install_or_update(settings, tree, cluster, env["REVCYCLE_BENCH_STOCK_DB"], stock)
    odoo_args = odoo_server.odoo_options(settings, cluster, odoo_server.addons_path(tree, extra_addons), database)
    command = [str(settings.python), str(script), *odoo_args, "--no-http", "--log-level", "warn", *args.odoo_args]
    return subprocess.run(command, env=env).returncode


def build_parser():
    parser = argparse.ArgumentParser(prog="revcycle", description="Run and test the revcycle Odoo addons.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="set up what is missing, install/update the addons, start Odoo")
    run.add_argument("--foreground", action="store_true", help="keep Odoo attached to this terminal")
    run.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="Odoo's multi-process mode: N HTTP worker processes plus its gevent worker for websockets (default 0)",
    )
    run.set_defaults(handler=cmd_run)
    test = commands.add_parser("test", help="lint, fresh test database, every addon test and tests/, one summary")
    test.add_argument("--no-lint", action="store_true", help="skip the linters (CI never does)")
    test.set_defaults(handler=cmd_test)
    pytest_parser = commands.add_parser(
        "pytest", help="pytest with pytest-odoo on the test database ./revcycle test built, e.g. one addon's tests"
    )
    pytest_parser.add_argument(
        "pytest_args", nargs=argparse.REMAINDER, help="pytest's arguments: paths and options (default: addons tests)"
    )
    pytest_parser.set_defaults(handler=cmd_pytest)
    commands.add_parser("lint", help="ruff and pylint-odoo").set_defaults(handler=cmd_lint)
    commands.add_parser("stop", help="stop Odoo and the project PostgreSQL").set_defaults(handler=cmd_stop)
    commands.add_parser("status", help="what is running").set_defaults(handler=cmd_status)
    commands.add_parser("shell", help="Odoo shell on the run database").set_defaults(handler=cmd_shell)
    bench = commands.add_parser("bench", help="run a benchmark of bench/ on its own database (revcycle_bench_NAME)")
    bench.add_argument("name", help="e.g. cpq_quote for bench/bench_cpq_quote.py; all: every one and their table")
    bench.add_argument("odoo_args", nargs=argparse.REMAINDER, help="extra Odoo options")
    bench.set_defaults(handler=cmd_bench)
    i18n_parser = commands.add_parser("i18n", help="export each addon's .pot and merge it into fr/nl/zh_CN")
    i18n_parser.add_argument("--module", action="append", help="only this addon (repeatable)")
    i18n_parser.add_argument("--db", help="export from this database as it is, without installing/updating")
    i18n_parser.set_defaults(handler=cmd_i18n)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    settings = S.load()
    try:
        return args.handler(settings, args)
    except SetupError as error:
        print(f"revcycle: {error}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        return 130
