def uninstall_hook(env):
    """What the cash forecast created outside Odoo's models: the ledger change table, its trigger function and
    the triggers on the accounting tables (models/revcycle_forecast_ledger.py)."""
    env["revcycle.kpi"]._revcycle_forecast_drop_ledger_triggers()
