import xmlrpc.client

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import RevcycleDeliveryCreditCommon


@tagged("post_install", "-at_install", "revcycle")
class TestDeliveryCreditXmlRpc(RevcycleDeliveryCreditCommon, HttpCase):
    def _validate(self, picking):
        user = self.storekeeper
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, "stock.picking", "button_validate", [picking.ids]
        )

    def test_refusal_reaches_the_api_caller_and_nothing_is_written(self):
        _order, picking = self._confirmed_delivery(quantity=8)
        self._invoice(300.0)
        with self.assertRaises(xmlrpc.client.Fault) as caught, mute_logger("odoo.http"):
            self._validate(picking)
        for expected in (
            picking.name,
            "cannot be validated",
            "Credit Customer Ltd",
            "1,100.00",
            "1,000.00",
            "credit limit",
        ):
            self.assertIn(expected, caught.exception.faultString)
        picking.invalidate_recordset()
        self.assertNotEqual(picking.state, "done")
        self.assertFalse(picking.move_ids.filtered(lambda move: move.state == "done"))

        self.customer.credit_limit = 2000.0
        self._validate(picking)
        picking.invalidate_recordset()
        self.assertEqual(picking.state, "done")
