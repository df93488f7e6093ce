from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from odoo import Command
from odoo.addons.revcycle_cpq.models.account_move_line import AccountMove
from odoo.tests import tagged

from .common import ContractCase

# what differs between two runs that make the same invoices: the records' own ids and timestamps
NOT_COMPARED = {"id", "create_date", "write_date", "create_uid", "write_uid", "move_id", "access_token"}


@tagged("post_install", "-at_install", "revcycle")
class TestContractBatchInvoicing(ContractCase):
    """The invoicing run makes a batch of invoices with three shortcuts through Odoo's path (AccountMove.write,
    _get_next_sequence_format, AccountAnalyticDistributionModel): no second look at lines a write leaves alone, one
    sequence look-up per journal and month, one analytic-model look-up per batch. The invoices must be those Odoo's
    full path makes, field by field."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        cls.tax_15 = cls.env["account.tax"].create(
            {"name": "Tax 15 %", "amount": 15.0, "amount_type": "percent", "type_tax_use": "sale",
             "company_id": company.id}
        )
        cls.vat_included = cls.env["account.tax"].create(
            {"name": "VAT 21 % included", "amount": 21.0, "amount_type": "percent", "type_tax_use": "sale",
             "price_include_override": "tax_included", "company_id": company.id}
        )
        cls.metered = cls._metered_storage()
        cls.eur = cls.setup_other_currency("EUR")  # 2 EUR for 1 USD (the company's currency) since 2017

    def _line(self, quantity=1, price=310.0, discount=0.0, taxes=None, name="Seats"):
        return Command.create(
            {"product_id": self.service.id, "name": name, "quantity": quantity, "price_unit": price,
             "discount": discount, "tax_ids": [Command.set(taxes.ids if taxes else [])]}
        )

    def _mixed_contracts(self):
        """Prepaid and postpaid, USD and EUR, a price-included tax, discount lines and a metered line with usage."""
        customers = self.env["res.partner"].create([{"name": f"Batch customer {n}"} for n in range(5)])
        prepaid = self._active(
            partner_id=customers[0].id, user_id=self.salesman.id,
            line_ids=[self._line(2, 310.0, 10.0, self.tax_15), self._line(1, 99.99, 0.0, self.tax_15, "Add-on")],
        )
        postpaid = self._active(
            partner_id=customers[1].id, billing_mode="postpaid",
            line_ids=[self._line(3, 121.0, 10.0, self.vat_included)],
        )
        in_eur = self._active(
            partner_id=customers[2].id, currency_id=self.eur.id,
            line_ids=[self._line(1, 333.33, 5.0, self.tax_15), self._line(4, 12.5)],
        )
        metered = self._active(
            partner_id=customers[3].id,
            line_ids=[
                self._line(1, 310.0),
                Command.create({"product_id": self.metered.id, "name": "Storage", "quantity": 1, "price_unit": 0.02}),
            ],
        )
        self.env["revcycle.usage.record"].revcycle_report_usage(
            [
                {"contract_line_id": metered.line_ids.filtered("revcycle_metered").id, "date": day,
                 "quantity": quantity, "key": key}
                for key, day, quantity in (("jan", "2026-01-20", 2500), ("feb", "2026-02-10", 800))
            ]
        )
        calendar = self._active(
            partner_id=customers[4].id, date_start=date(2026, 1, 16), billing_anchor="calendar",
            line_ids=[self._line(1, 310.0, 0.0, self.tax_15)],
        )
        return prepaid | postpaid | in_eur | metered | calendar

    def _invoices_of_a_run(self, contracts):
        """Run the invoicing job in a savepoint, read every stored field of the invoices and their journal items, and
        roll it all back (Odoo's sequence cache with it), so the next run starts from the same state."""
        with self.env.cr.savepoint() as savepoint:
            self.Contract._cron_generate_invoices()
            self.env.flush_all()
            moves = self.env["account.move"].search(
                [("invoice_origin", "in", contracts.mapped("name"))], order="invoice_origin, invoice_date, id"
            )
            invoices = [self._stored(move) for move in moves]
            for invoice, move in zip(invoices, moves, strict=True):
                invoice["journal items"] = sorted(
                    (self._stored(line) for line in move.line_ids), key=lambda line: repr(sorted(line.items()))
                )
                invoice["followers"] = sorted(
                    (f.partner_id.id, tuple(sorted(f.subtype_ids.ids))) for f in move.message_follower_ids
                )
            savepoint.rollback()
        self.env.cr.precommit.data.pop("sequence.mixin", None)
        self.env.invalidate_all()
        return invoices

    @staticmethod
    def _stored(record):
        values = {}
        for name, field in record._fields.items():
            if not field.store or name in NOT_COMPARED or field.type == "one2many":
                continue
            value = record[name]
            values[name] = tuple(sorted(value.ids)) if field.relational else value
        return values

    @freeze_time("2026-03-20")
    def test_batch_gives_the_invoices_odoo_full_path_gives(self):
        contracts = self._mixed_contracts()
        batched = self._invoices_of_a_run(contracts)
        with patch.object(AccountMove, "_revcycle_batch_token", return_value=None):  # Odoo's path at every step
            full_path = self._invoices_of_a_run(contracts)
        # prepaid January-March 3 + postpaid January-February 2 + EUR 3 + metered 3 + calendar 16 January-March 3
        self.assertEqual(len(batched), 14)
        self.assertEqual(len(full_path), 14)
        for fast, odoo in zip(batched, full_path, strict=True):
            self.assertEqual(fast, odoo, f"invoice {odoo['name']} differs")
        names = [invoice["name"] for invoice in batched]
        self.assertEqual(len(set(names)), 14, "one number each, none skipped or repeated")
        self.assertTrue(all(invoice["state"] == "posted" for invoice in batched))
        by_total = {(invoice["invoice_origin"], invoice["invoice_date"]): invoice for invoice in batched}
        prepaid, postpaid, in_eur, metered, calendar = contracts
        # prepaid: 2 x 310 less 10 % = 558.00, + 99.99 = 657.99; tax 15 % of each line 83.70 + 15.00 = 98.70
        january = by_total[(prepaid.name, date(2026, 1, 1))]
        self.assertEqual((january["amount_untaxed"], january["amount_tax"]), (657.99, 98.70))
        # postpaid, VAT 21 % included: 3 x 121 less 10 % = 326.70 tax included = 270.00 + 56.70, invoiced 1 February
        february = by_total[(postpaid.name, date(2026, 2, 1))]
        self.assertEqual((february["amount_untaxed"], february["amount_total"]), (270.0, 326.7))
        # EUR: 333.33 less 5 % = 316.66 (316.6635 rounded) + 4 x 12.50 = 366.66 EUR; 15 % tax on the first
        # 47.50 EUR; in the company's USD at 2 EUR for 1 USD: 366.66 / 2 = 183.33
        eur_january = by_total[(in_eur.name, date(2026, 1, 1))]
        self.assertEqual((eur_january["amount_untaxed"], eur_january["amount_tax"]), (366.66, 47.5))
        self.assertEqual(eur_january["amount_untaxed_signed"], 183.33)
        # metered, February: 310 + January's usage 2,500 - 1,000 included = 1,500 x 0.02 = 30.00, below the 50.00
        # minimum: 50.00; March: 310 + February's 800 (all included): the 50.00 minimum
        self.assertEqual(by_total[(metered.name, date(2026, 2, 1))]["amount_untaxed"], 360.0)
        self.assertEqual(by_total[(metered.name, date(2026, 3, 1))]["amount_untaxed"], 360.0)
        # calendar from 16 January: 310 x 16 / 31 = 160.00 (+ 24.00 tax)
        self.assertEqual(by_total[(calendar.name, date(2026, 1, 16))]["amount_total"], 184.0)
