from . import test_revrec_kpis
from . import test_ui
