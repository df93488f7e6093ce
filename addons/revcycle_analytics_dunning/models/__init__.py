from . import revcycle_kpi
from . import revcycle_cash_forecast
from . import revcycle_credit_profile
