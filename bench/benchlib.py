"""What every benchmark of bench/ starts with: Odoo's options from the command line `./revcycle bench` builds."""

import odoo


def open_registry(argv):
    """Parse Odoo's command-line options and return the registry of the benchmark's database."""
    odoo.tools.config.parse_config(argv)
    name = odoo.tools.config["db_name"]
    return odoo.modules.registry.Registry(name[0] if isinstance(name, list) else name)
