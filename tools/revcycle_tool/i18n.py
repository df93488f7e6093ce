"""Export each addon's translation template (i18n/<addon>.pot) from a database where it is installed, and merge
it into the fr, nl and zh_CN catalogues so new strings appear there untranslated and removed ones go away."""

import subprocess

from . import odoo_server
from . import settings as S

LANGUAGES = ("fr", "nl", "zh_CN")

# The shared "Revenue Cycle" menu and settings app live under base.* xml ids (see views/revcycle_root_menu.xml), so
# Odoo's export of an addon leaves their labels out; every addon carries them in its catalogues so that whichever
# addon is installed alone still shows them translated.
SHARED_TERMS = (
    ("model:ir.ui.menu,name:base.revcycle_menu_root", "Revenue Cycle"),
    ("model:ir.ui.menu,name:base.revcycle_menu_config", "Configuration"),
    ("model:ir.ui.menu,name:base.revcycle_menu_settings", "Settings"),
    ("model:ir.actions.act_window,name:base.revcycle_res_config_settings_action", "Settings"),
    ("model_terms:ir.ui.view,arch_db:base.revcycle_res_config_settings_view_form", "Revenue Cycle"),
)

_MERGE = """
import sys, polib
module, shared = sys.argv[1], [t.split("|", 1) for t in sys.argv[2].split(";")]
pot = polib.pofile(sys.argv[3])
for occurrence, msgid in shared:
    entry = pot.find(msgid)
    if entry is None:
        entry = polib.POEntry(msgid=msgid, msgstr="", comment="module: " + module)
        pot.append(entry)
    if (occurrence, "") not in entry.occurrences:
        entry.occurrences.append((occurrence, ""))
pot.save()
for path in sys.argv[4:]:
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
        shared = ";".join(f"{occurrence}|{msgid}" for occurrence, msgid in SHARED_TERMS)
        subprocess.run([str(settings.python), "-c", _MERGE, module, shared, str(pot), *catalogues], check=True)
        print(f"i18n: {pot.relative_to(S.ROOT)} exported; merged into {', '.join(LANGUAGES)}.", flush=True)
