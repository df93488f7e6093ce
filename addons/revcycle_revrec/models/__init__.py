from . import product_template
from . import res_company
from . import res_config_settings
from . import revcycle_ssp
