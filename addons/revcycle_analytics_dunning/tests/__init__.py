from . import test_dunning_kpis
from . import test_cash_forecast_dunning
from . import test_dunning_late_threshold
from . import test_ui
