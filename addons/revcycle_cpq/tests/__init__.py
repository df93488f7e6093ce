from . import test_engine_cpq
from . import test_engine_tiers
from . import test_price_tier
from . import test_quote_flow
from . import test_quote_pdf
from . import test_contract
from . import test_contract_portal
