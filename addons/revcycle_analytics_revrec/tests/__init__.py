from . import test_revrec_kpis
