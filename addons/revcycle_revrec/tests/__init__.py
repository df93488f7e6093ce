from . import test_engine_allocation
from . import test_ssp
