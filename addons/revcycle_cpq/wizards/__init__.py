from . import revcycle_reject_quote_wizard
