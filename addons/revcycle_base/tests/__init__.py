from . import test_engine_periods, test_engine_aging, test_shared_rules
from . import test_ui
