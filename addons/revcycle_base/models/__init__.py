from . import revcycle_access, revcycle_inputs, account_tax, res_currency
