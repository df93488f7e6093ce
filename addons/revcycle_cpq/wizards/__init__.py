from . import revcycle_reject_quote_wizard
from . import revcycle_contract_terminate_wizard
from . import revcycle_contract_pause_wizard
