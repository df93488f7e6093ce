from . import controllers
from . import engine
from . import models
from .hooks import uninstall_hook
