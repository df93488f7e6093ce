from . import test_activation
from . import test_amendment_revenue
