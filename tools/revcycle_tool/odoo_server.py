"""Odoo as a subprocess of the venv's python: installing/updating the addons and serving HTTP on 127.0.0.1."""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from . import settings as S
from .errors import SetupError
from .postgres import port_in_use

CONFIG = S.ROOT / "odoo.conf"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def addons_path(tree, extra_addons=()):
    return ",".join(str(p) for p in (*tree.core_addons_paths, S.ADDONS, *extra_addons))


# What odoo-bin holds: when no script of Odoo's own is found (odoo importable without a source tree and without
# its console script), the tooling writes this one into the venv.
ENTRY_SCRIPT = """#!/usr/bin/env python3
# Written by ./revcycle: starts Odoo like odoo-bin does (a script path, so that Odoo can re-execute it).
__import__("os").environ["TZ"] = "UTC"
import odoo

if __name__ == "__main__":
    odoo.cli.main()
"""


def odoo_entry(settings, tree):
    """The script Odoo is started through. Not ``python -m odoo``: in multi-process mode Odoo starts its gevent
    (websocket/longpolling) worker by re-executing ``sys.argv[0]``, which must then be a runnable script."""
    for candidate in (
        tree.root / "odoo-bin",  # a source tree, git or nightly layout
        settings.venv_dir / "bin" / "odoo-bin",
        settings.venv_dir / "bin" / "odoo",  # odoo pip-installed into the venv: its console script
    ):
        if candidate.is_file():
            return candidate
    entry = settings.venv_dir / "bin" / "revcycle-odoo"
    if not entry.is_file() or entry.read_text(encoding="utf-8") != ENTRY_SCRIPT:
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_text(ENTRY_SCRIPT, encoding="utf-8")
    return entry


def odoo_options(settings, cluster, addons, database):
    """Odoo's options for this machine: the project's odoo.conf plus the paths and ports found here."""
    return [
        "-c",
        str(CONFIG),
        "--addons-path",
        addons,
        "--data-dir",
        str(settings.data_dir),
        "--db_host",
        str(cluster.socket_dir),
        "--db_port",
        str(cluster.port),
        "--db_user",
        cluster.user,
        "--database",
        database,
        "--db-filter",
        f"^{database}$",
    ]


def base_command(settings, tree, cluster, database, extra_addons=()):
    """The venv's python running Odoo's script, with ``odoo_options``."""
    return [
        str(settings.python),
        str(odoo_entry(settings, tree)),
        *odoo_options(settings, cluster, addons_path(tree, extra_addons), database),
    ]


def server_command(settings, tree, cluster, database, http_port, workers=0, gevent_port=None, logfile=None):
    """The command of a serving Odoo on 127.0.0.1. workers > 0: Odoo's multi-process mode, whose gevent worker
    serves /websocket (and longpolling) on ``gevent_port``."""
    command = [
        *base_command(settings, tree, cluster, database),
        "--http-interface",
        "127.0.0.1",
        "--http-port",
        str(http_port),
    ]
    if workers:
        command += ["--workers", str(workers), "--gevent-port", str(gevent_port or free_port())]
    if logfile:
        command += ["--logfile", str(logfile)]
    return command


def wkhtmltopdf_missing_line(which=shutil.which):
    """One line for ./revcycle run when wkhtmltopdf is not on PATH (Odoo then serves PDFs as HTML), else None."""
    if which("wkhtmltopdf"):
        return None
    return (
        "Note: PDFs (quotes, dunning letters) need wkhtmltopdf, which is not on PATH (Odoo falls back to HTML): "
        "install it (Debian/Ubuntu: apt-get install wkhtmltopdf), then ./revcycle run again to restart Odoo."
    )


def odoo_env():
    # Odoo expects to run in UTC (odoo-bin sets it too); the .pth link makes the tree importable.
    return {**os.environ, "TZ": "UTC", "PYTHONUNBUFFERED": "1"}


def install_or_update(settings, tree, cluster, database, modules=S.MODULES, extra_addons=()):
    """Install the addons that are missing and update the ones installed: a second run reuses the database."""
    states = cluster.module_states(database, modules) if cluster.database_exists(database) else {}
    to_install = [m for m in modules if states.get(m) != "installed"]
    to_update = [m for m in modules if states.get(m) == "installed"]
    args = ["--stop-after-init", "--no-http"]
    if to_install:
        args += ["-i", ",".join(to_install)]
        print(f"Odoo: installing {', '.join(to_install)} with demo data into '{database}' ...", flush=True)
    if to_update:
        args += ["-u", ",".join(to_update)]
        print(f"Odoo: updating {', '.join(to_update)} in '{database}' ...", flush=True)
    log = settings.log_dir / f"install-{database}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    # Odoo appends to its log file: start it empty so that only this install's errors are judged
    log.write_text("")
    command = base_command(settings, tree, cluster, database, extra_addons) + args + ["--logfile", str(log)]
    done = subprocess.run(command, env=odoo_env())
    errors = [
        line for line in log.read_text(errors="replace").splitlines() if " ERROR " in line or " CRITICAL " in line
    ]
    if done.returncode != 0 or errors:
        raise SetupError(
            f"Odoo could not install/update the addons in '{database}' (full log: {log}).",
            "\n".join(errors[-10:]) or f"Odoo exited with code {done.returncode}.",
        )


def wait_until_answering(url, process, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback URL we built)
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


def running_server_pid(settings):
    try:
        pid = int(settings.server_pidfile.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def stop_server(settings, quiet=False):
    pid = running_server_pid(settings)
    if pid is None:
        settings.server_pidfile.unlink(missing_ok=True)
        return False
    os.killpg(pid, signal.SIGTERM)
    for _ in range(100):
        if running_server_pid(settings) is None:
            break
        time.sleep(0.1)
    else:
        os.killpg(pid, signal.SIGKILL)
    settings.server_pidfile.unlink(missing_ok=True)
    if not quiet:
        print(f"Odoo: stopped the server (pid {pid}).", flush=True)
    return True


def check_http_port_free(http_port):
    if port_in_use(http_port):
        raise SetupError(
            f"Port {http_port} on 127.0.0.1 is already in use by another program, so Odoo cannot serve there.",
            f"Stop that program, or choose another port: REVCYCLE_HTTP_PORT={free_port()} ./revcycle run",
        )


def start_server(settings, tree, cluster, database, http_port, foreground=False, workers=0):
    """Start Odoo in the background (or in this terminal); return (process, url, gevent_port or None)."""
    check_http_port_free(http_port)
    log = settings.log_dir / "odoo.log"
    gevent_port = free_port() if workers else None
    command = server_command(
        settings, tree, cluster, database, http_port, workers, gevent_port, logfile=None if foreground else log
    )
    # Detached, the server writes to its logfile only: holding our stdout would keep a pipe reader
    # (./revcycle run | tee ...) waiting for as long as the server runs.
    quiet = {} if foreground else {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    process = subprocess.Popen(command, env=odoo_env(), start_new_session=True, stdin=subprocess.DEVNULL, **quiet)
    settings.server_pidfile.write_text(f"{process.pid}\n")
    url = f"http://127.0.0.1:{http_port}"
    if not wait_until_answering(f"{url}/web/login", process):
        stop_server(settings, quiet=True)
        raise SetupError(f"Odoo did not answer on {url} (log: {log if not foreground else 'above'}).")
    return process, url, gevent_port
