from . import res_company, res_config_settings, revcycle_credit_profile, revcycle_contract
