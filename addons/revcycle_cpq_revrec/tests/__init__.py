from . import test_activation
from . import test_usage_revenue
from . import test_amendment_revenue
from . import test_contract_invariant_property
from . import test_contract_revenue_tour
