from . import test_contract_kpis
from . import test_ui
from . import test_kpi_cfo_contracts
from . import test_usage_kpis
from . import test_cash_forecast_contracts
