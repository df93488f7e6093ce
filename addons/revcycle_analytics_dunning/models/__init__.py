from . import revcycle_kpi
