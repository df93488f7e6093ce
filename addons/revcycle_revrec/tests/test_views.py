"""Issue 16 item 11, the form: the allocation table readable without scrolling and its action confirmed."""
from lxml import etree
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestContractForm(TransactionCase):
    def test_obligations_show_their_key_columns_and_confirm_mark_delivered(self):
        """The obligations' list showed 13 columns behind a horizontal scroll with "Mark Delivered" off screen at
        the end, and the button posted without asking. Now: the key columns only by default (name, the button,
        method, SSP, allocated, service dates, recognised, not yet recognised: at most 9, the rest optional and in
        the detail form), the button next to the name, and it asks for a confirmation."""
        arch = self.env["revcycle.revenue.contract"].get_views([(False, "form")])["views"]["form"]["arch"]
        obligations = etree.fromstring(arch).xpath("//field[@name='obligation_ids']/list")[0]
        shown = [node for node in obligations if node.tag in ("field", "button")
                 and node.get("optional") != "hide" and node.get("column_invisible") not in ("True", "1")]
        self.assertLessEqual(len(shown), 9)
        self.assertEqual([node.get("name") for node in shown[:2]], ["name", "action_revcycle_satisfy"])
        button = shown[1]
        self.assertEqual(button.get("string"), "Mark Delivered")
        self.assertTrue(button.get("confirm"))
        self.assertIn("action_revcycle_open_recognize_wizard",
                      {node.get("name") for node in etree.fromstring(arch).xpath("//header/button")})
