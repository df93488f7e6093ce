from . import res_company, res_config_settings, revcycle_dunning_level, revcycle_dunning_policy
