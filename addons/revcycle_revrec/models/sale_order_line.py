from odoo import api, fields, models

REVCYCLE_PRICE_FIELDS = {"price_unit", "product_uom_qty", "discount", "product_id", "tax_id"}


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    revcycle_service_start = fields.Date(
        string="Service Start", copy=False,
        help="First day of this line's service; empty: the order's service start, else its delivery date, else "
        "the confirmation date.")
    revcycle_service_end = fields.Date(
        string="Service End", copy=False,
        help="Last day of this line's service; empty: the order's service end, else the product's term.")

    _sql_constraints = [
        ("revcycle_service_dates_ordered",
         "CHECK (revcycle_service_end IS NULL OR revcycle_service_start IS NULL "
         "OR revcycle_service_end >= revcycle_service_start)",
         "The service cannot end before it starts: set its end on or after its start."),
    ]

    def _revcycle_service_dates(self):
        """(start, end) of the line's service for its obligation: the line's, else the order's, else the
        order's delivery (commitment) date for the start; None leaves the contract date and the product's term."""
        self.ensure_one()
        order = self.order_id
        start = self.revcycle_service_start or order.revcycle_service_start or (
            order.commitment_date and fields.Date.to_date(order.commitment_date))
        end = self.revcycle_service_end or order.revcycle_service_end
        if start and end and end < start:
            end = None
        return start or None, end or None

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id.filtered(lambda order: order.state == "sale")._revcycle_reallocate_contracts()
        return lines

    def write(self, vals):
        result = super().write(vals)
        if REVCYCLE_PRICE_FIELDS.intersection(vals):
            self.order_id.filtered(lambda order: order.state == "sale")._revcycle_reallocate_contracts()
        return result
