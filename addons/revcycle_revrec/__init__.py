from . import engine, models
