"""revcycle's own tooling: find Odoo 18.0, build the environment, run and test the suite.

Standard library only: it runs before the virtual environment exists.
"""
