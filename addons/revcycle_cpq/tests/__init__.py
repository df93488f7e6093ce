from . import test_engine_tiers, test_price_tier
