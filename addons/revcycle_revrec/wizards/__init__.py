from . import revcycle_recognize_wizard
