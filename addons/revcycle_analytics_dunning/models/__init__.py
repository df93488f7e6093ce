from . import revcycle_kpi
from . import revcycle_cash_forecast
