"""A dunning email's payment link is paid end to end by the customer in a browser, through Odoo's own demo provider
(the one the demo database gets: `./revcycle run` and `./revcycle test` install payment_demo beside the addons)."""

from urllib.parse import urlsplit

from odoo.addons.revcycle_base.tests.common import pdf_text
from odoo.tests import HttpCase, tagged

from .dunning_common import RevcycleDunningCommon


@tagged("post_install", "-at_install", "revcycle")
class TestDunningPaymentLink(RevcycleDunningCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        demo = cls.env["ir.module.module"].search([("name", "=", "payment_demo"), ("state", "=", "installed")])
        cls.demo_installed = bool(demo)
        if cls.demo_installed:
            template = cls.env.ref("payment.payment_provider_demo")
            cls.provider = template.sudo().copy({
                "company_id": cls.company.id, "state": "test", "is_published": True,
                "payment_method_ids": [(6, 0, cls.env.ref("payment_demo.payment_method_demo").ids)],
                "journal_id": cls.company_data["default_journal_bank"].id,
            })

    def test_dunning_email_payment_link_is_paid(self):
        if not self.demo_installed:
            self.skipTest("Odoo's payment_demo is not installed: ./revcycle test installs it for this test")
        # 250.00 due 10 days before the run: the 'First' email level (day 7) goes out with the invoice's link
        invoice = self._due_invoice(250.0, self._day(-10))
        self.Run.run_for_date(self.base_date)
        self.Notice._cron_send_notices()
        notice = self._notices()[-1:]
        self.assertEqual((notice.level_id, notice.state), (self.first, "sent"))
        link = notice.line_ids.payment_url
        # the short link a letter can print; it redirects to the invoice's tokenised portal page
        self.assertRegex(link, r"/pay/[A-Za-z0-9_-]{16}$")
        self.assertEqual(self.env["account.move"]._revcycle_portal_url_for_pay_token(link.rsplit("/", 1)[1]),
                         invoice.get_portal_url())
        sent_bodies = " ".join(str(body) for body in notice.message_ids.mapped("body"))
        self.assertIn(urlsplit(link).path, sent_bodies, "the email carries the payment link")

        self.start_tour(urlsplit(link)._replace(scheme="", netloc="").geturl(), "revcycle_dunning_pay_link_tour",
                        login=None)

        transaction = self.env["payment.transaction"].sudo().search([("invoice_ids", "in", invoice.ids)])
        self.assertEqual(transaction.state, "done")
        # the customer paid exactly what the reminder asked: the invoice's open 250.00, in its currency
        self.assertEqual(transaction.currency_id.compare_amounts(transaction.amount, 250.0), 0)
        transaction._post_process()  # what the status page's polling (or the post-processing cron) does
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))


@tagged("post_install", "-at_install", "revcycle")
class TestDunningLetterPdf(RevcycleDunningCommon, HttpCase):
    """The letter level's notice prints as a real PDF (wkhtmltopdf, read back with OCR). HttpCase: wkhtmltopdf fetches
    the report's assets from the test server, which must see the test transaction."""

    def test_dunning_letter_pdf_renders(self):
        # 1,234.00 due 25 days before the run, a policy that starts late customers at the 'Letter' level (day 21):
        # a letter notice is made; its heading is the level's title for the customer, not its internal name
        self.policy.initial_level_id = self.letter
        self.letter.customer_title = "Second payment reminder"
        invoice = self._due_invoice(1234.0, self._day(-25))
        self.Run.run_for_date(self.base_date)
        notice = self._notices().filtered(lambda n: n.level_id == self.letter)
        self.assertEqual(len(notice), 1)
        pdf, report_type = self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            "revcycle_dunning.revcycle_dunning_notice_report", notice.ids)
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = pdf_text(self, pdf)
        for expected in ("Second payment reminder", invoice.name.replace("/", ""), "1,234.00", "25"):
            with self.subTest(expected=expected):
                self.assertIn(expected, text.replace("/", ""))
