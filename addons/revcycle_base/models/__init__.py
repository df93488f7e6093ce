from . import revcycle_access, account_tax, res_currency
