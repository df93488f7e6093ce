from . import test_credit_check
from . import test_credit_exposure
from . import test_credit_score
from . import test_dunning_policy
from . import test_engine_credit
from . import test_engine_levels
from . import test_credit_xmlrpc
