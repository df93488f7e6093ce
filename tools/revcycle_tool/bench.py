"""Benchmarks of bench/: each on its own database, with the OCA peer addons it compares against.

A benchmark declares at module level which of our addons it needs (`MODULES`, default all) and which peer addons
(`PEER_MODULES`, e.g. ``("contract",)``). Peers come from PyPI as wheels listed in bench/requirements.txt, installed
with --no-deps into a folder of their own (never into the venv, where Odoo would see them for every database) that only
the benchmark's addons path includes.
"""

import ast
import hashlib
import subprocess

from . import settings as S
from .errors import SetupError

REQUIREMENTS = S.ROOT / "bench" / "requirements.txt"


def declared(script, name, default):
    """A module-level tuple constant of the script, read without importing it (it imports odoo)."""
    for node in ast.parse(script.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    return default


def peer_addons_dir(settings):
    """Install bench/requirements.txt with --no-deps into .local/bench-addons once per version of that file."""
    target = settings.state_dir / "bench-addons"
    stamp = target / ".requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not (stamp.is_file() and stamp.read_text() == digest):
        print("pip: installing the peer addons of bench/requirements.txt (--no-deps) ...", flush=True)
        done = subprocess.run(
            [str(settings.python), "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade"]
            + ["--target", str(target), "-r", str(REQUIREMENTS)]
        )
        if done.returncode != 0:
            raise SetupError(
                "Installing the benchmark's peer addons failed (pip's output is above).",
                f"They are listed in {REQUIREMENTS.relative_to(S.ROOT)}; check that the package index answers.",
            )
        stamp.write_text(digest)
    return target / "odoo" / "addons"
