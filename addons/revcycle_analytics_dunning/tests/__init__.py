from . import test_dunning_kpis
