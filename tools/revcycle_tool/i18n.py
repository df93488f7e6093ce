"""Export each addon's translation template (i18n/<addon>.pot) from a database where it is installed, and merge
it into the fr, nl and zh_CN catalogues so new strings appear there untranslated and removed ones go away.
The shared "Revenue Cycle" menu and settings app belong to revcycle_base, whose catalogues carry their labels."""

import subprocess

from . import odoo_server
from . import settings as S

LANGUAGES = ("fr", "nl", "zh_CN")

_MERGE = """
import sys, polib
pot = polib.pofile(sys.argv[1])
for path in sys.argv[2:]:
    try:
        catalogue = polib.pofile(path)
    except OSError:
        catalogue = polib.POFile()
        catalogue.metadata = dict(pot.metadata)
    catalogue.merge(pot)
    catalogue.save(path)
"""


def export(settings, tree, cluster, database, modules=S.MODULES):
    for module in modules:
        folder = S.ADDONS / module / "i18n"
        folder.mkdir(exist_ok=True)
        pot = folder / f"{module}.pot"
        command = odoo_server.base_command(settings, tree, cluster, database) + [
            "--i18n-export",
            str(pot),
            "--modules",
            module,
            "--stop-after-init",
            "--no-http",
            "--logfile",
            str(settings.log_dir / "i18n.log"),
        ]
        subprocess.run(command, env=odoo_server.odoo_env(), check=True, stdout=subprocess.DEVNULL)
        catalogues = [str(folder / f"{lang}.po") for lang in LANGUAGES]
        subprocess.run([str(settings.python), "-c", _MERGE, str(pot), *catalogues], check=True)
        print(f"i18n: {pot.relative_to(S.ROOT)} exported; merged into {', '.join(LANGUAGES)}.", flush=True)
