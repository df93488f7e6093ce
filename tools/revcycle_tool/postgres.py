"""A project-local PostgreSQL cluster: initdb into .local/pg, a private port and socket directory, trust auth
for the project's own role. Nothing system-wide, no root needed."""

import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from .errors import SetupError

# A unix socket path must fit in sun_path (107 bytes); the longest we create is <dir>/.s.PGSQL.<port>.lock
_SOCKET_PATH_LIMIT = 100


def find_bin_dir(environ=None):
    environ = os.environ if environ is None else environ
    candidates = []
    if environ.get("REVCYCLE_PG_BIN"):
        candidates.append(Path(environ["REVCYCLE_PG_BIN"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    # Debian and Ubuntu keep server binaries out of PATH, one folder per major version: take the newest.
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    candidates += [Path(p) for p in versions]
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres", "psql")):
            return folder
    raise SetupError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) were not found.",
        "Install them (Debian/Ubuntu: apt-get install postgresql; no service needs to run),\n"
        "or set REVCYCLE_PG_BIN to the folder that holds them.",
    )


def socket_dir(pg_home):
    """The socket folder beside the cluster's data, unless that path would overflow sun_path."""
    preferred = Path(pg_home) / "run"
    if len(str(preferred)) + len("/.s.PGSQL.65535.lock") <= _SOCKET_PATH_LIMIT:
        return preferred
    # A deep checkout would overflow sun_path: fall back to a short folder named after the cluster's path.
    tag = hashlib.sha256(str(pg_home).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"revcycle-pg-{tag}"


def service_user():
    """PostgreSQL refuses to run as root: as root, the cluster runs as the 'postgres' (else 'nobody') account."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise SetupError(
        "Running as root, and no 'postgres' or 'nobody' account exists to run PostgreSQL as.",
        "Run ./revcycle as an ordinary user, or create a 'postgres' system account.",
    )


def port_in_use(port, host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


class Cluster:
    def __init__(self, settings):
        self.settings = settings
        self.bin = find_bin_dir()
        self.owner = service_user()
        self.data = self._cluster_home(settings.pg_home) / "data"
        self.port = settings.pg_port
        self.user = settings.db_user
        self.socket_dir = socket_dir(self.data.parent)

    def _server_command(self, *command):
        """Server-side commands (initdb, pg_ctl) run as the cluster's owner when we are root."""
        if self.owner is None:
            return [str(c) for c in command]
        return ["runuser", "-u", self.owner.pw_name, "--", *(str(c) for c in command)]

    def _own(self, *folders, files=()):
        """Create the folders and files the server writes to, owned by the account it runs as."""
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        for path in files:
            path.touch(exist_ok=True)
        if self.owner is not None:
            for path in (*folders, *files):
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)

    def _owner_can_reach(self, path):
        existing = Path(path)
        while not existing.exists():
            existing = existing.parent
        return subprocess.run(["runuser", "-u", self.owner.pw_name, "--", "test", "-x", str(existing)]).returncode == 0

    def _cluster_home(self, preferred):
        """As root, PostgreSQL runs as another account, which must reach the cluster's folder; a checkout under
        /root is out of its reach, so the cluster then lives in the temp folder, in a folder named after the project."""
        if self.owner is None or self._owner_can_reach(preferred):
            return preferred
        tag = hashlib.sha256(str(preferred).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"revcycle-{tag}" / "pg"

    # -- state -----------------------------------------------------------------------------------------------
    def initialized(self):
        return (self.data / "PG_VERSION").is_file()

    def running_port(self):
        """The port our cluster runs on, or None when it is not running."""
        done = subprocess.run(self._server_command(self.bin / "pg_ctl", "status", "-D", self.data), capture_output=True)
        if done.returncode != 0:
            return None
        lines = (self.data / "postmaster.pid").read_text().splitlines()
        return int(lines[3]) if len(lines) > 3 else None

    # -- actions -----------------------------------------------------------------------------------------------
    def ensure_running(self):
        if not self.initialized():
            self._initdb()
        port = self.running_port()
        if port == self.port:
            print(f"PostgreSQL: reusing the project cluster on port {self.port}.", flush=True)
            return
        if port is not None:
            print(f"PostgreSQL: the project cluster runs on port {port}; restarting it on {self.port}.", flush=True)
            self.stop()
        if port_in_use(self.port):
            raise SetupError(
                f"Port {self.port} is already in use by another program, so the project's PostgreSQL cannot start.",
                f"Stop that program, or choose another port: REVCYCLE_PG_PORT={_free_port_hint()} ./revcycle ...",
            )
        self._start()

    def _initdb(self):
        print(f"PostgreSQL: creating the project cluster in {self.data} ...", flush=True)
        self._own(self.data.parent, self.data)
        self.data.chmod(0o700)
        subprocess.run(
            self._server_command(
                self.bin / "initdb",
                "-D",
                self.data,
                "-U",
                self.user,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-instructions",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def _start(self):
        log = self.settings.log_dir / "postgresql.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self._own(self.socket_dir, files=(log,))
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c synchronous_commit=off"
        )
        done = subprocess.run(
            self._server_command(
                self.bin / "pg_ctl", "start", "-D", self.data, "-w", "-t", "60", "-l", log, "-o", options
            ),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            tail = log.read_text(errors="replace").splitlines()[-15:] if log.is_file() else []
            raise SetupError(
                f"PostgreSQL did not start on port {self.port}.",
                "Its log says:\n" + "\n".join(tail or [done.stderr.strip()]),
            )
        print(f"PostgreSQL: started the project cluster on port {self.port}.", flush=True)

    def stop(self):
        if self.initialized() and self.running_port() is not None:
            subprocess.run(
                self._server_command(self.bin / "pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w"),
                check=True,
                stdout=subprocess.DEVNULL,
            )

    # -- SQL helpers ---------------------------------------------------------------------------------------------
    def psql(self, database, sql, **variables):
        """Run SQL read from stdin, where psql interpolates ``:'name'`` (literal) and ``:"name"`` (identifier)
        from ``variables`` safely; return the rows as lists of strings."""
        command = [str(self.bin / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", self.user]
        command += ["-d", database, "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"]
        for name, value in variables.items():
            command += ["-v", f"{name}={value}"]
        done = subprocess.run(command, input=sql, capture_output=True, text=True)
        if done.returncode != 0:
            raise SetupError(f"PostgreSQL refused a statement on {database}: {done.stderr.strip()}")
        return [line.split("\t") for line in done.stdout.splitlines() if line]

    def database_exists(self, name):
        return bool(self.psql("postgres", "SELECT 1 FROM pg_database WHERE datname = :'name'", name=name))

    def drop_database(self, name):
        self.psql("postgres", 'DROP DATABASE IF EXISTS :"name" WITH (FORCE)', name=name)

    def module_states(self, database, modules):
        if not self.psql(database, "SELECT 1 FROM pg_tables WHERE tablename = 'ir_module_module'"):
            return {}
        rows = self.psql(
            database,
            "SELECT name, state FROM ir_module_module WHERE name = ANY(string_to_array(:'names', ','))",
            names=",".join(modules),
        )
        return dict(rows)


def _free_port_hint():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
