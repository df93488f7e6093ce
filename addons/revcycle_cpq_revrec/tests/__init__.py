from . import test_activation
from . import test_usage_revenue
