from odoo import models


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _get_rendering_context(self, report, docids, data):
        """The portal shows a posted invoice whose PDF was not generated yet as "PROFORMA"; the invoice a dunning
        reminder links to is posted and owed, so it is titled as the invoice it is."""
        data = super()._get_rendering_context(report, docids, data)
        if data.get("proforma") and self.env.context.get("proforma_invoice") and report.model == "account.move":
            # sudo: only the state of the documents being rendered is read, the caller already renders them
            moves = self.env["account.move"].sudo().browse(docids)  # sudo: state of docs being rendered
            if moves and all(move.state == "posted" and move.is_sale_document() for move in moves):
                data["proforma"] = False
        return data
