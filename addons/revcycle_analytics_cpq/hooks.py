"""Databases where revcycle_analytics ran before this bridge existed hold the MRR movements report (its model, fields,
access, rule, views, action and menu) under ``revcycle_analytics.*`` xml ids. Before this module's data loads, those
rows are handed over to revcycle_analytics_cpq, so its XML updates the very same records (no second action with the
same path) and the update of revcycle_analytics does not delete them as its own stale data."""

REPORT_XMLID_PATTERN = "%mrr_movement_report%"


def move_report_xmlids(cr):
    """Rename the report's xml ids from revcycle_analytics to this module; an id this module already has is left
    alone. Returns the number of rows handed over."""
    cr.execute(
        """UPDATE ir_model_data data SET module = 'revcycle_analytics_cpq'
            WHERE data.module = 'revcycle_analytics' AND data.name LIKE %s
              AND NOT EXISTS (SELECT 1 FROM ir_model_data own
                               WHERE own.module = 'revcycle_analytics_cpq' AND own.name = data.name)""",
        (REPORT_XMLID_PATTERN,),
    )
    return cr.rowcount


def pre_init_hook(env):
    move_report_xmlids(env.cr)
