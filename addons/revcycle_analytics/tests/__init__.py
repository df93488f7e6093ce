from . import test_aging_bucket, test_engine_kpis
