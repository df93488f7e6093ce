from . import res_config_settings, revcycle_aging_bucket
