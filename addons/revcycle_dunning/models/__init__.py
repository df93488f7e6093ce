from . import res_company
from . import res_config_settings
from . import revcycle_dunning_level
from . import revcycle_dunning_policy
