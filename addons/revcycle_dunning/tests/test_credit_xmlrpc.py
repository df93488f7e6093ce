import xmlrpc.client

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import RevcycleCreditCommon


@tagged("post_install", "-at_install", "revcycle")
class TestCreditXmlRpc(RevcycleCreditCommon, HttpCase):
    def _call(self, user, model, method, *args):
        return self.xmlrpc_object.execute_kw(self.env.cr.dbname, user.id, user.login, model, method, list(args))

    def test_refusals_reach_the_api_caller_and_nothing_is_written(self):
        self._invoice(700.0)
        order = self._order(quantity=4)
        with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
            self._call(self.salesman, "sale.order", "action_confirm", order.ids)
        for expected in ("Credit Customer Ltd", "700.00", "1,000.00", "credit limit"):
            self.assertIn(expected, caught.exception.faultString)
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")

        result = self._call(self.collector, "res.partner", "revcycle_check_credit", self.customer.ids, 400.0)
        self.assertEqual((result["allowed"], result["reason_code"], result["exposure"], result["limit"]),
                         (False, "limit", 700.0, 1000.0))
        result = self._call(self.salesman, "res.partner", "revcycle_check_credit", self.customer.ids, 400.0)
        self.assertEqual((result["allowed"], result["reason_code"], "exposure" in result, "score" in result),
                         (False, "limit", False, False))

        with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
            self._call(self.salesman, "sale.order", "action_revcycle_credit_override", order.ids, "Please")
        self.assertIn("Only a Credit Manager", caught.exception.faultString)
        with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
            self._call(self.credit_manager, "sale.order", "action_revcycle_credit_override", order.ids, "")
        self.assertIn("needs a reason", caught.exception.faultString)
        self.assertFalse(self.env["revcycle.credit.override"].search([("sale_order_id", "=", order.id)]))

        self.assertTrue(self._call(self.credit_manager, "sale.order", "action_revcycle_credit_override", order.ids,
                                   "Guaranteed by the parent company"))
        self.assertTrue(self._call(self.salesman, "sale.order", "action_confirm", order.ids))
        order.invalidate_recordset()
        self.assertEqual(order.state, "sale")

    def test_write_and_create_as_confirmed_are_refused_over_the_limit(self):
        # Reproduction (issue 15): write({'state': 'sale'}) and create({'state': 'sale'}) over XML-RPC confirmed an
        # order refused by the credit check.
        self._invoice(700.0)
        order = self._order(quantity=4)
        with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
            self._call(self.salesman, "sale.order", "write", order.ids, {"state": "sale"})
        self.assertIn("credit limit", caught.exception.faultString)
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")
        before = self.env["sale.order"].search_count([("partner_id", "=", self.customer.id)])
        with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
            self._call(self.salesman, "sale.order", "create", {
                "partner_id": self.customer.id, "state": "sale",
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 4, "tax_id": [(5, 0, 0)]})]})
        self.assertIn("credit limit", caught.exception.faultString)
        self.assertEqual(self.env["sale.order"].search_count([("partner_id", "=", self.customer.id)]), before)
