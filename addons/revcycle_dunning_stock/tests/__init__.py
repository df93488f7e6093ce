from . import test_delivery_credit_check
from . import test_delivery_credit_xmlrpc
from . import test_delivery_credit_tour
