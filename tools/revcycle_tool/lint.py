"""ruff over all Python, pylint with the pylint-odoo plugin over the addons. Any finding fails."""

import subprocess

from . import settings as S

RUFF_TARGETS = ("addons", "tools", "tests", "bench", "revcycle")


def addon_dirs():
    return sorted(str(p) for p in S.ADDONS.iterdir() if (p / "__manifest__.py").is_file())


# Odoo exports translatable strings with Babel, which silently skips a whole file it cannot parse (an f-string
# among a _() call's arguments, for one): such files would lose every translation without a word.
_EXTRACT_CHECK = """
import glob, sys, warnings
warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)  # babel's, under setuptools 81
from babel.messages import extract
failed = 0
for path in sorted(glob.glob("addons/*/**/*.py", recursive=True)):
    with open(path, "rb") as handle:
        try:
            list(extract.extract("python", handle, keywords={"_": None, "_lt": None}))
        except Exception as error:
            failed += 1
            print(f"{path}: translation extraction fails ({error}); format values outside _() calls")
sys.exit(1 if failed else 0)
"""


def run(settings):
    """Return True when every check is clean."""
    print("Lint: ruff ...", flush=True)
    targets = [t for t in RUFF_TARGETS if (S.ROOT / t).exists()]
    ruff_ok = subprocess.run([str(settings.python), "-m", "ruff", "check", *targets], cwd=S.ROOT).returncode == 0
    print("Lint: pylint-odoo ...", flush=True)
    pylint = subprocess.run(
        [str(settings.python), "-m", "pylint", "--rcfile", str(S.ROOT / ".pylintrc"), *addon_dirs()], cwd=S.ROOT
    )
    pylint_ok = pylint.returncode == 0
    print("Lint: translation extraction ...", flush=True)
    extract_ok = subprocess.run([str(settings.python), "-c", _EXTRACT_CHECK], cwd=S.ROOT).returncode == 0
    verdicts = {"ruff": ruff_ok, "pylint-odoo": pylint_ok, "translation extraction": extract_ok}
    print(
        "Lint: " + ", ".join(f"{name} {'clean' if ok else 'FOUND ERRORS'}" for name, ok in verdicts.items()) + ".",
        flush=True,
    )
    return all(verdicts.values())
