from . import test_engine_allocation
from . import test_engine_schedule
from . import test_ssp
from . import test_worked_example
from . import test_changes
from . import test_multi
from . import test_engine_delivery
from . import test_delivery
