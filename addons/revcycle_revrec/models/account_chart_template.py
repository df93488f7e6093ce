from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        """Loading a chart proposes the three recognition settings (issue 16 item 10): the deferred revenue and
        contract asset accounts and the recognition journal are created for the company, but recognition is not
        switched on. Switching it on changes where every invoice of over-time products is booked, so it stays a
        decision: Settings warns while it is off and sets them in one click. (Switching it on here would also turn
        ASC 606 deferral on in every company a test loads a chart for.)"""
        result = super()._post_load_data(template_code, company, template_data)
        company = company or self.env.company
        if not company.parent_id:  # a branch uses its parent's chart
            company._revcycle_revrec_prepare_records()
        return result
