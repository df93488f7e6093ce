from . import test_aging_bucket
from . import test_engine_kpis
from . import test_ui
from . import test_kpis
from . import test_kpi_registry
from . import test_kpi_cfo
from . import test_engine_forecast
from . import test_cash_forecast
