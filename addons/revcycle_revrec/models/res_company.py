from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    revcycle_deferred_revenue_account_id = fields.Many2one(
        "account.account", string="Deferred Revenue Account", check_company=True,
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        help="Contract liability: revenue billed but not yet earned.")
    revcycle_contract_asset_account_id = fields.Many2one(
        "account.account", string="Contract Asset Account", check_company=True,
        domain="[('account_type', 'in', ('asset_current', 'asset_receivable', 'asset_non_current'))]",
        help="Revenue earned but not yet billed.")
    revcycle_recognition_journal_id = fields.Many2one(
        "account.journal", string="Recognition Journal", check_company=True,
        domain="[('type', '=', 'general')]",
        help="Journal of the monthly revenue recognition entries.")
    revcycle_income_line_mode = fields.Selection(
        [("summarised", "Summarised per account"), ("per_contract", "One per contract")],
        string="Month-end Income Lines", default="summarised", required=True,
        help="How a recognition entry credits income. Summarised per account: one journal item per income account, "
        "currency, analytic distribution and product, labelled with the number of contracts it sums; each revenue "
        "line links to the item it was posted to, so every contract's amount stays traceable. One per contract: an "
        "income item per contract and income account, naming its obligation. Either way the deferred revenue and "
        "contract asset items stay one per contract.")

    def _revcycle_revrec_enabled(self):
        """Revenue contracts are made only for companies whose three recognition settings are filled: setting
        them is what switches ASC 606 accounting on, and a company without them invoices as plain Odoo does."""
        self.ensure_one()
        return bool(self.revcycle_deferred_revenue_account_id and self.revcycle_contract_asset_account_id
                    and self.revcycle_recognition_journal_id)

    def _revcycle_revrec_prepare_records(self):
        """The deferred revenue account, the contract asset account and the recognition journal of this company,
        created if missing (found again by their codes, so never twice). Does not switch recognition on: loading a
        chart proposes them (``account.chart.template._post_load_data``), Settings' button sets them.
        Returns (deferred revenue account, contract asset account, journal)."""
        self.ensure_one()
        company = self
        # sudo: setup records, created for the company being set up; in its own company (codes are per company)
        Account = self.env["account.account"].sudo().with_company(company)
        Journal = self.env["account.journal"].sudo()  # sudo: as above

        def _account(code, name, account_type):
            found = Account.search([*Account._check_company_domain(company), ("code", "=", code)], limit=1)
            return found or Account.create(
                {"code": code, "name": name, "account_type": account_type, "company_ids": [company.id]})

        journal = Journal.search([*Journal._check_company_domain(company), ("code", "=", "REVR")], limit=1)
        # after the chart's own miscellaneous journals, so it is never taken for the company's default one
        journal = journal or Journal.create({"name": "Revenue Recognition", "code": "REVR", "type": "general",
                                             "company_id": company.id, "sequence": 50})
        return (_account("REVDEF", "Deferred Revenue (contract liability)", "liability_current"),
                _account("REVCAS", "Contract Assets (unbilled revenue)", "asset_current"),
                journal)

    def _revcycle_revrec_setup_accounts(self):
        """Create (or reuse by code) a deferred revenue account, a contract asset account and a recognition journal
        and set them on the company, which switches recognition on; Settings' button, demo data, tests."""
        for company in self:
            deferred, asset, journal = company._revcycle_revrec_prepare_records()
            company.sudo().write({  # sudo: the caller (Settings, demo) may configure the company
                "revcycle_deferred_revenue_account_id": deferred.id,
                "revcycle_contract_asset_account_id": asset.id,
                "revcycle_recognition_journal_id": journal.id,
            })
        return True
