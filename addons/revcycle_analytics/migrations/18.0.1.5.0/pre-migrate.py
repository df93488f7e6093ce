"""The rule of the stored cash forecast models checked only the main company (a row of companies A and B was visible
to a user of A alone). It is a noupdate record, which an update does not rewrite: drop it (and its XML id) here so
that this update creates it again from the file, with the new domain (every company of the row among the user's)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        DELETE FROM ir_rule
         WHERE id IN (SELECT res_id FROM ir_model_data
                       WHERE module = 'revcycle_analytics' AND name = 'revcycle_forecast_model_rule_company'
                         AND model = 'ir.rule')
        """
    )
    cr.execute(
        """
        DELETE FROM ir_model_data
         WHERE module = 'revcycle_analytics' AND name = 'revcycle_forecast_model_rule_company'
        """
    )
