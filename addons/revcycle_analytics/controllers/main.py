import io

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import content_disposition, request
from odoo.tools.misc import xlsxwriter


class RevcycleAnalyticsController(http.Controller):
    @http.route("/revcycle_analytics/kpis.xlsx", type="http", auth="user", methods=["GET", "POST"])
    def kpis_xlsx(self, date_from=None, date_to=None, company_ids=None, **kwargs):
        """The KPI table of the dashboard as an XLSX workbook: one row per KPI, value and previous period.
        ``company_ids`` is a comma-separated list of ids. Access and input are checked by ``get_kpis``; bad
        parameters answer 400 (403 for access) with the message, never 500."""
        try:
            companies = None
            if company_ids:
                parts = [part.strip() for part in company_ids.split(",") if part.strip()]
                if not all(part.isdigit() for part in parts):
                    raise UserError(
                        request.env._(
                            "company_ids must be comma-separated company ids like 1,2, not %(value)r.",
                            value=company_ids,
                        )
                    )
                companies = [int(part) for part in parts]
            data = request.env["revcycle.kpi"].get_kpis(date_from, date_to, companies)
        except AccessError as error:
            return request.make_response(str(error), status=403, headers=[("Content-Type", "text/plain")])
        except UserError as error:
            return request.make_response(str(error), status=400, headers=[("Content-Type", "text/plain")])
        content = self._revcycle_workbook(request.env, data)
        filename = f"revenue-cycle-kpis-{data['date_from']}-{data['date_to']}.xlsx"
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )

    def _revcycle_workbook(self, env, data):
        Kpi = env["revcycle.kpi"]
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"in_memory": True})
        sheet = workbook.add_worksheet(env._("KPIs"))
        bold = workbook.add_format({"bold": True})
        number = workbook.add_format({"num_format": "#,##0.00"})
        sheet.write_row(0, 0, [env._("Period"), data["date_from"], data["date_to"]], bold)
        sheet.write_row(1, 0, [env._("Previous period"), data["previous_date_from"], data["previous_date_to"]])
        sheet.write_row(2, 0, [env._("Currency"), data["currency"]])
        sheet.write_row(4, 0, [env._("KPI"), env._("Unit"), env._("Value"), env._("Previous"), env._("Change")], bold)
        units = {"money": data["currency"], "days": env._("days"), "percent": "%"}
        row = 5
        declarations = [d for d in Kpi._revcycle_kpi_registry() if d.key in data["kpis"]]
        for declaration in declarations:
            if not declaration.card:
                continue
            kpi = data["kpis"][declaration.key]
            value, previous = kpi["value"], kpi["previous"]
            sheet.write(row, 0, declaration.label)
            sheet.write(row, 1, units[declaration.unit])
            for column, figure in ((2, value), (3, previous)):
                if figure is not False:
                    sheet.write_number(row, column, figure, number)
            if value is not False and previous is not False:
                sheet.write_number(row, 4, value - previous, number)
            row += 1
        row += 1
        # the structured KPIs (aging buckets, MRR movements): one row per part, as their declaration breaks them down
        for declaration in declarations:
            kpi = data["kpis"][declaration.key]
            if not declaration.breakdown or not kpi["value"]:
                continue
            sheet.write(row, 0, declaration.label, bold)
            row += 1
            for label, value, previous in getattr(Kpi, declaration.breakdown)(declaration, kpi):
                sheet.write(row, 0, label)
                for column, figure in ((2, value), (3, previous)):
                    if figure is not False:
                        sheet.write_number(row, column, figure, number)
                row += 1
            row += 1
        sheet.set_column(0, 0, 32)
        sheet.set_column(1, 4, 16)
        workbook.close()
        return output.getvalue()
