"""The stored cash forecast models' companies became a stored Many2many (what the record rule reads): the rows kept
from before 18.0.1.5.0 (today's and yesterday's; older ones are dropped by the daily job) get their relation rows from
their comma-separated ``companies``, so none is left without companies (the rule would restrict such a row by its
main company only)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        INSERT INTO revcycle_forecast_model_company_rel (model_id, company_id)
             SELECT model.id, company.id
               FROM revcycle_forecast_model model
              CROSS JOIN LATERAL unnest(string_to_array(model.companies, ',')::int4[]) AS listed(id)
               JOIN res_company company ON company.id = listed.id
        ON CONFLICT DO NOTHING
        """
    )
