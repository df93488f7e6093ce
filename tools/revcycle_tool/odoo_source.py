"""Find an Odoo 18.0 source tree, in the order README.md gives (Requirements).

1. ``odoo`` already importable in the project's virtual environment (not through our own .pth link);
2. ``$ODOO_SRC``;
3. the default location ``~/.cache/revcycle/odoo-18.0``;
4. a shallow clone of branch 18.0 of odoo/odoo into the default location, where GitHub is reachable;
5. otherwise a SetupError that says what is missing and how to provide it.
"""

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import settings as S
from .errors import SetupError

PTH_NAME = "revcycle-odoo-src.pth"
_VERSION_RE = re.compile(r"^version_info\s*=\s*\((\d+),\s*(\d+)", re.M)


@dataclass(frozen=True)
class OdooTree:
    root: Path  # the folder holding the ``odoo`` package (and odoo-bin in a source checkout)
    origin: str  # how it was found, for the user

    @property
    def core_addons_paths(self):
        """Git checkouts keep most addons in addons/ and base in odoo/addons/;
        the nightly (sdist) layout keeps them all in odoo/addons/."""
        paths = [self.root / "odoo" / "addons"]
        git_layout_addons = self.root / "addons"
        if (git_layout_addons / "web" / "__manifest__.py").is_file():
            paths.insert(0, git_layout_addons)
        return paths

    @property
    def requirements(self):
        path = self.root / "requirements.txt"
        return path if path.is_file() else None


def odoo_series(root):
    """'18.0' for a valid tree, None when ``root`` holds no Odoo source."""
    release = Path(root) / "odoo" / "release.py"
    if not release.is_file() or not (Path(root) / "odoo" / "addons" / "base" / "__manifest__.py").is_file():
        return None
    match = _VERSION_RE.search(release.read_text(encoding="utf-8"))
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _checked(root, origin):
    series = odoo_series(root)
    if series is None:
        raise SetupError(
            f"{origin} points to {root}, which holds no Odoo source tree (no odoo/release.py and odoo/addons/base).",
            "Point it at the folder that holds odoo-bin and the odoo/ package of Odoo 18.0.",
        )
    if series != S.ODOO_BRANCH:
        raise SetupError(
            f"{origin} points to Odoo {series} at {root}; revcycle needs Odoo {S.ODOO_BRANCH}.",
            "Provide an Odoo 18.0 source tree (branch 18.0 of odoo/odoo, or an 18.0 nightly).",
        )
    return OdooTree(Path(root).resolve(), origin)


def importable_root(python):
    """Where the venv's python imports ``odoo`` from, or None."""
    if not Path(python).exists():
        return None
    probe = "import os, odoo; print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))"
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, env={**os.environ, "TZ": "UTC"})
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def linked_root(site_packages):
    """The tree our own .pth file links into the venv, or None."""
    pth = Path(site_packages) / PTH_NAME
    return Path(pth.read_text(encoding="utf-8").strip()) if pth.is_file() else None


def github_reachable(timeout=20):
    try:
        done = subprocess.run(
            ["git", "ls-remote", "--heads", S.ODOO_GIT_URL, S.ODOO_BRANCH],
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


def clone_default(destination):
    print(f"Cloning Odoo {S.ODOO_BRANCH} (shallow) into {destination} ...", flush=True)
    destination.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "clone", "--depth", "1", "--branch", S.ODOO_BRANCH, S.ODOO_GIT_URL, str(destination)],
        check=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )


def missing_odoo_message(default):
    return SetupError(
        f"Odoo {S.ODOO_BRANCH} source not found, and GitHub is not reachable to clone it.",
        "revcycle looked for, in this order:\n"
        "  1. odoo importable in the project's virtual environment\n"
        "  2. $ODOO_SRC (not set)\n"
        f"  3. {default} (absent)\n"
        f"  4. a shallow clone of {S.ODOO_GIT_URL} branch {S.ODOO_BRANCH} (unreachable)\n"
        f"Provide the tree: git clone --depth 1 -b {S.ODOO_BRANCH} {S.ODOO_GIT_URL} {default}\n"
        "or unpack an Odoo 18.0 nightly source archive there, or export ODOO_SRC=/path/to/odoo-18.0.",
    )


def locate(python, site_packages, environ=None, default=None, can_clone=github_reachable):
    environ = os.environ if environ is None else environ
    default = Path(default or S.DEFAULT_ODOO_SRC)
    imported = importable_root(python)
    if imported is not None and imported != linked_root(site_packages):
        return _checked(imported, "the virtual environment's importable odoo")
    if environ.get("ODOO_SRC"):
        return _checked(Path(environ["ODOO_SRC"]).expanduser(), "ODOO_SRC")
    if default.exists():
        return _checked(default, "the default location")
    if can_clone():
        clone_default(default)
        return _checked(default, "a fresh clone")
    raise missing_odoo_message(default)


def link_into_venv(tree, site_packages):
    """Make ``import odoo`` work in the venv without copying Odoo anywhere: a .pth line naming the tree."""
    pth = Path(site_packages) / PTH_NAME
    wanted = f"{tree.root}\n"
    if not pth.is_file() or pth.read_text(encoding="utf-8") != wanted:
        pth.write_text(wanted, encoding="utf-8")
