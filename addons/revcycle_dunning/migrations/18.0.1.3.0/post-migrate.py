"""Companies of databases from before 18.0.1.3.0 left the late-fee product empty while fees used the addon's own:
write it on them so Settings shows the product in use."""

from odoo import SUPERUSER_ID, api
from odoo.addons.revcycle_dunning.hooks import set_default_fee_product


def migrate(cr, version):
    if version:
        set_default_fee_product(api.Environment(cr, SUPERUSER_ID, {}))
