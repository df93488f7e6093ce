from . import test_contract_credit
from . import test_contract_card
from . import test_contract_credit_tour
