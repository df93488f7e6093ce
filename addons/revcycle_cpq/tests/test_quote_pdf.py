from odoo import Command
from odoo.addons.revcycle_base.tests.common import pdf_text
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "revcycle")
class TestQuotePdf(HttpCase):
    """A real PDF through wkhtmltopdf, read back with OCR (revcycle_base's pdf_text). HttpCase: wkhtmltopdf fetches
    the report's assets from the test server, which must see the test transaction."""

    def _pdf_text(self, pdf):
        return pdf_text(self, pdf)

    def test_quote_pdf_renders_with_revision_configuration_and_breakdown(self):
        attribute = self.env["product.attribute"].create(
            {"name": "Legs", "value_ids": [Command.create({"name": "Steel"}), Command.create({"name": "Oak"})]}
        )
        desk = self.env["product.template"].create(
            {
                "name": "PDF Desk",
                "list_price": 500.0,
                "attribute_line_ids": [
                    Command.create({"attribute_id": attribute.id, "value_ids": [Command.set(attribute.value_ids.ids)]})
                ],
            }
        )
        chair = self.env["product.product"].create({"name": "PDF Chair", "list_price": 100.0})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "PDF Customer"}).id,
                "order_line": [
                    Command.create({"product_id": desk.product_variant_ids[0].id, "product_uom_qty": 1}),
                    Command.create({"product_id": chair.id, "product_uom_qty": 2, "discount": 5.0}),
                ],
            }
        )
        revision = self.env["sale.order"].browse(order.action_revcycle_new_revision()["res_id"])
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("sale.action_report_saleorder", revision.ids)
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = self._pdf_text(pdf)
        # OCR confuses "S"/"$" and "0"/"O" in the order number: compare with those folded together
        folded = text.replace("O", "0").replace("$", "S")
        self.assertIn(revision.name.replace("O", "0")[1:], folded)
        self.assertIn("(revision 1)", text)
        self.assertIn("Legs: Steel", text)
        self.assertIn("Discount 5%", text)
        self.assertIn("Net $ 190.00", text)
