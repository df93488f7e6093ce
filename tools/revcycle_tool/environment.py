"""The project's virtual environment: created when missing, requirements installed when they changed."""

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from . import odoo_source
from . import settings as S
from .errors import SetupError

# python-ldap only serves Odoo's auth_ldap, which revcycle never installs; skipping it spares every machine
# the libldap/libsasl headers. Set REVCYCLE_WITH_LDAP=1 to keep it.
OPTIONAL_ODOO_REQUIREMENTS = ("python-ldap",)
BUILD_CONSTRAINTS = S.ROOT / "tools" / "pip-build-constraints.txt"
PROJECT_REQUIREMENTS = (S.ROOT / "requirements.txt", S.ROOT / "requirements-dev.txt")
STAMP_NAME = ".revcycle-requirements.sha256"
# Installed last, into the venv itself (not a build constraint). gevent, Odoo's websocket worker in multi-process mode
# (--workers), loads its plugins through pkg_resources, which before setuptools 80 does not find distributions whose
# metadata folder has a normalized name (zope_interface-8.7.dist-info): that worker then dies at each start with
# "DistributionNotFound: The 'zope.interface' distribution was not found". setuptools 82 no longer ships pkg_resources.
RUNTIME_PINS = ("setuptools>=80,<82",)


def check_python():
    if sys.version_info[:2] not in S.SUPPORTED_PYTHONS:
        wanted = ", ".join(f"{major}.{minor}" for major, minor in S.SUPPORTED_PYTHONS)
        raise SetupError(
            f"Python {sys.version_info.major}.{sys.version_info.minor} cannot run Odoo 18.0; it needs one of {wanted}.",
            "Install one of them (python3.11 is the reference) and run ./revcycle with it: python3.11 ./revcycle ...",
        )


def venv_site_packages(venv_dir):
    """site-packages of the venv, derived from this interpreter's layout (same version as the venv)."""
    relative = Path(sysconfig.get_path("purelib")).relative_to(sysconfig.get_path("data"))
    return Path(venv_dir) / relative


def odoo_requirement_lines(requirements_path):
    keep_optional = os.environ.get("REVCYCLE_WITH_LDAP") == "1"
    lines = []
    for line in Path(requirements_path).read_text(encoding="utf-8").splitlines():
        name = line.split(";")[0].split("=")[0].split("<")[0].split(">")[0].strip().lower()
        if name in OPTIONAL_ODOO_REQUIREMENTS and not keep_optional:
            continue
        lines.append(line)
    return lines


def _requirements_digest(odoo_lines):
    digest = hashlib.sha256(sys.version.encode())
    digest.update("\n".join((*odoo_lines, *RUNTIME_PINS)).encode())
    for path in (*PROJECT_REQUIREMENTS, BUILD_CONSTRAINTS):
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def _check_build_tools():
    if shutil.which("pg_config") is None:
        raise SetupError(
            "pg_config is missing: psycopg2 (Odoo's PostgreSQL driver) is built against libpq's headers.",
            "On Debian/Ubuntu: apt-get install libpq-dev (elsewhere: PostgreSQL's client development package)",
        )


def _pip(settings, *args, build_constraints=False):
    """pip install into the venv. build_constraints=True applies BUILD_CONSTRAINTS (setuptools<70) to the isolated
    build environments: Odoo's pinned cbor2 needs it, while current sdists such as localstripe's need a newer
    setuptools, so it reaches Odoo's own requirements only."""
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for name in ("PIP_CONSTRAINT", "PIP_BUILD_CONSTRAINT"):
        env.pop(name, None)
    if build_constraints:
        # pip < 25.3 hands PIP_CONSTRAINT to isolated build environments; newer pips read PIP_BUILD_CONSTRAINT.
        env["PIP_CONSTRAINT"] = env["PIP_BUILD_CONSTRAINT"] = str(BUILD_CONSTRAINTS)
    subprocess.run([str(settings.python), "-m", "pip", "install", "--quiet", *args], check=True, env=env)


def ensure_venv(settings):
    """Create the venv when missing and (re)install requirements when they changed; return the Odoo tree."""
    check_python()
    site_packages = venv_site_packages(settings.venv_dir)
    tree = odoo_source.locate(settings.python, site_packages)  # before anything is built: a missing tree stops here
    if not settings.python.exists():
        print(f"Creating the virtual environment in {settings.venv_dir} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(settings.venv_dir)], check=True)
    odoo_lines = odoo_requirement_lines(tree.requirements) if tree.requirements else []
    stamp = settings.venv_dir / STAMP_NAME
    digest = _requirements_digest(odoo_lines)
    if not stamp.is_file() or stamp.read_text().strip() != digest:
        _install_requirements(settings, odoo_lines)
        stamp.write_text(digest + "\n")
    odoo_source.link_into_venv(tree, site_packages)
    return tree


def _install_requirements(settings, odoo_lines):
    _check_build_tools()
    print("Installing Python requirements (Odoo's, then revcycle's) ...", flush=True)
    odoo_requirements = settings.venv_dir / "odoo-requirements.txt"
    odoo_requirements.write_text("\n".join(odoo_lines) + "\n", encoding="utf-8")
    try:
        _pip(settings, "--upgrade", "pip", "wheel")
        if odoo_lines:
            _pip(settings, "-r", str(odoo_requirements), build_constraints=True)
        for path in PROJECT_REQUIREMENTS:
            if path.is_file():
                _pip(settings, "-r", str(path))
        _pip(settings, *RUNTIME_PINS)
    except subprocess.CalledProcessError as error:
        raise SetupError(
            "Installing Python requirements failed (pip's output is above).",
            "Fix what pip reports (often a missing system package), then run the command again.",
        ) from error
