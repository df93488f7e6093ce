from . import revcycle_credit_hold_wizard
from . import revcycle_collections_wizard
