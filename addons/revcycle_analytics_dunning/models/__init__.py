from . import revcycle_kpi
from . import revcycle_cash_forecast
from . import revcycle_credit_profile
from . import revcycle_dunning_level
from . import revcycle_dunning_policy
from . import revcycle_dunning_run
