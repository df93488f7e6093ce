from . import test_dunning_policy, test_engine_levels
