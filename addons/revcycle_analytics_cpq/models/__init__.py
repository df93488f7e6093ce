from . import revcycle_kpi
from . import revcycle_mrr_movement_report
from . import revcycle_kpi_usage
from . import revcycle_cash_forecast
