from . import test_engine_allocation, test_ssp
