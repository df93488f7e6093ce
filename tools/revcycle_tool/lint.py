"""ruff over all Python, pylint with the pylint-odoo plugin over the addons. Any finding fails."""

import subprocess
import threading

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


def run(settings, output=None):
    """Return True when every check is clean. Each check's output goes to ``output`` (a list of text) when given,
    else straight to the terminal."""

    def check(label, command):
        _say(output, f"Lint: {label} ...")
        if output is None:
            return subprocess.run(command, cwd=S.ROOT).returncode == 0
        done = subprocess.run(command, cwd=S.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.stdout.strip():
            output.append(done.stdout.rstrip("\n"))
        return done.returncode == 0

    targets = [t for t in RUFF_TARGETS if (S.ROOT / t).exists()]
    verdicts = {
        "ruff": check("ruff", [str(settings.python), "-m", "ruff", "check", *targets]),
        "pylint-odoo": check(
            "pylint-odoo", [str(settings.python), "-m", "pylint", "--rcfile", str(S.ROOT / ".pylintrc"), *addon_dirs()]
        ),
        "translation extraction": check("translation extraction", [str(settings.python), "-c", _EXTRACT_CHECK]),
    }
    _say(output, "Lint: " + ", ".join(f"{name} {'clean' if ok else 'FOUND ERRORS'}" for name, ok in verdicts.items())
         + ".")
    return all(verdicts.values())


def start(settings):
    """Run the checks in the background (they read files only: the test command installs Odoo meanwhile, on the
    other core) and return the function that waits for them, prints what they said and returns whether all are
    clean."""
    output, verdict = [], []
    worker = threading.Thread(target=lambda: verdict.append(run(settings, output)), name="revcycle-lint", daemon=True)
    worker.start()

    def finish():
        worker.join()
        print("\n".join(output), flush=True)
        return bool(verdict and verdict[0])  # no verdict: the checks themselves failed to run (said above)

    return finish


def _say(output, line):
    if output is None:
        print(line, flush=True)
    else:
        output.append(line)
