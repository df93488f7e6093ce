from odoo import models
from odoo.exceptions import UserError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def button_validate(self):
        self._revcycle_check_credit_on_validate()
        return super().button_validate()

    def _revcycle_check_credit_on_validate(self):
        """Refuse, with a UserError an XML-RPC caller gets as a Fault, before anything is written."""
        to_check = self.filtered(
            lambda picking: (
                picking.picking_type_code == "outgoing"
                and picking.state not in ("done", "cancel")
                and picking.company_id.revcycle_credit_check_on_delivery
                and picking._revcycle_credit_customer()
                and not picking._revcycle_credit_override_covers()
            )
        )
        groups = to_check.grouped(lambda picking: (picking._revcycle_credit_customer(), picking.company_id))
        for (partner, company), pickings in groups.items():
            # the goods were counted in the exposure when their order was confirmed (or will be when invoiced):
            # shipping them adds nothing, so the question is whether the customer is in good standing right now
            result = partner.with_company(company)._revcycle_credit_decision(0.0)
            if not result["allowed"]:
                raise UserError(
                    self.env._(
                        "%(pickings)s cannot be validated: %(reason)s",
                        pickings=", ".join(pickings.mapped("name")),
                        reason=result["reason"],
                    )
                )

    def _revcycle_credit_customer(self):
        """The customer who owes for the goods: the order's customer, else the commercial entity shipped to."""
        self.ensure_one()
        # a warehouse user may not read sale orders: the customer is looked up, not shown
        customer = (self.sudo().sale_id.partner_id or self.sudo().partner_id).commercial_partner_id
        return self.env["res.partner"].browse(customer.id)

    def _revcycle_credit_override_covers(self):
        """A delivery of an order a credit manager let through is let through too."""
        self.ensure_one()
        order = self.sudo().sale_id
        return bool(order) and bool(order.revcycle_credit_override_ids.filtered("active"))
