from . import res_config_settings
from . import revcycle_aging_bucket
from . import revcycle_kpi
from . import revcycle_ar_aging_report
from . import revcycle_access
from . import revcycle_cash_forecast
from . import revcycle_forecast_ledger
from . import revcycle_forecast_model
