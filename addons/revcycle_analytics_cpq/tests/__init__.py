from . import test_contract_kpis
from . import test_ui
