"""ruff over all Python, pylint with the pylint-odoo plugin over the addons. Any finding fails."""

import subprocess

from . import settings as S

RUFF_TARGETS = ("addons", "tools", "tests", "bench", "revcycle")


def addon_dirs():
    return sorted(str(p) for p in S.ADDONS.iterdir() if (p / "__manifest__.py").is_file())


def run(settings):
    """Return True when both linters are clean."""
    print("Lint: ruff ...", flush=True)
    targets = [t for t in RUFF_TARGETS if (S.ROOT / t).exists()]
    ruff_ok = subprocess.run([str(settings.python), "-m", "ruff", "check", *targets], cwd=S.ROOT).returncode == 0
    print("Lint: pylint-odoo ...", flush=True)
    pylint = subprocess.run(
        [str(settings.python), "-m", "pylint", "--rcfile", str(S.ROOT / ".pylintrc"), *addon_dirs()], cwd=S.ROOT
    )
    pylint_ok = pylint.returncode == 0
    print(
        f"Lint: ruff {'clean' if ruff_ok else 'FOUND ERRORS'}, pylint-odoo {'clean' if pylint_ok else 'FOUND ERRORS'}.",
        flush=True,
    )
    return ruff_ok and pylint_ok
