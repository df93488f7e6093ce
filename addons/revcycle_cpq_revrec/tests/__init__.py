from . import test_activation
