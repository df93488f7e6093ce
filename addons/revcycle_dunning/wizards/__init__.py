from . import revcycle_credit_hold_wizard
