from . import product_template, res_company, res_config_settings, revcycle_ssp
