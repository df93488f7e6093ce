from . import res_config_settings
from . import revcycle_aging_bucket
