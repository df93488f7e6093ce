from . import account_move
from . import account_move_line
from . import revcycle_contract
from . import revcycle_contract_line
from . import revcycle_performance_obligation
from . import revcycle_revenue_contract
from . import sale_order
from . import revcycle_contract_amendment
