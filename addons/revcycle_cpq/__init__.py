from . import engine
from . import models
