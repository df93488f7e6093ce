from . import test_contract_kpis
