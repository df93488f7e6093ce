"""Where things live and which ports they use; every value can be overridden by an environment variable."""

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ADDONS = ROOT / "addons"
# Every addon of addons/: the four of the module map and their auto-installed bridges (e.g. revcycle_dunning_stock).
MODULES = tuple(sorted(p.name for p in ADDONS.iterdir() if (p / "__manifest__.py").is_file()))
# Odoo modules the demo and test databases get beside the addons: Odoo's demo payment provider (test mode, offline),
# so a dunning email's payment link can be paid end to end. Never a dependency of an addon: production has its own.
DEMO_MODULES = ("payment_demo",)
DEFAULT_ODOO_SRC = Path.home() / ".cache" / "revcycle" / "odoo-18.0"
ODOO_GIT_URL = "https://github.com/odoo/odoo.git"
ODOO_BRANCH = "18.0"
SUPPORTED_PYTHONS = ((3, 10), (3, 11), (3, 12))


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    venv_dir: Path
    pg_port: int
    http_port: int
    db_name: str
    test_db_name: str
    db_user: str = "revcycle"

    @property
    def pg_home(self):
        """The project cluster's folder: data/ and the socket folder run/."""
        return self.state_dir / "pg"

    @property
    def log_dir(self):
        return self.state_dir / "log"

    @property
    def data_dir(self):
        """Odoo's filestore and sessions, kept inside the project so nothing leaks to $HOME."""
        return self.state_dir / "odoo-data"

    @property
    def python(self):
        return self.venv_dir / "bin" / "python"

    @property
    def server_pidfile(self):
        return self.state_dir / "odoo.pid"


def _int_env(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def load():
    state_dir = Path(os.environ.get("REVCYCLE_STATE_DIR") or ROOT / ".local")
    return Settings(
        state_dir=state_dir,
        venv_dir=Path(os.environ.get("REVCYCLE_VENV") or ROOT / ".venv"),
        pg_port=_int_env("REVCYCLE_PG_PORT", 55432),
        http_port=_int_env("REVCYCLE_HTTP_PORT", 8069),
        db_name=os.environ.get("REVCYCLE_DB") or "revcycle",
        test_db_name=os.environ.get("REVCYCLE_TEST_DB") or "revcycle_test",
    )
