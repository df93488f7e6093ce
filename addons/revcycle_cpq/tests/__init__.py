from . import test_engine_tiers
from . import test_price_tier
