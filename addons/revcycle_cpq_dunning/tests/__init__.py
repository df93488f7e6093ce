from . import test_contract_credit
