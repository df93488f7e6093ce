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

    def _revcycle_revrec_enabled(self):
        """Revenue contracts are made only for companies whose three recognition settings are filled: setting
        them is what switches ASC 606 accounting on, and a company without them invoices as plain Odoo does."""
        self.ensure_one()
        return bool(self.revcycle_deferred_revenue_account_id and self.revcycle_contract_asset_account_id
                    and self.revcycle_recognition_journal_id)

    def _revcycle_revrec_setup_accounts(self):
        """Create (or reuse by code) a deferred revenue account, a contract asset account and a recognition journal
        and set them on the company; for demo data, tests and a quick start."""
        Account = self.env["account.account"].sudo()
        for company in self:
            def _account(code, name, account_type, company=company):
                found = Account.search([*Account._check_company_domain(company), ("code", "=", code)], limit=1)
                return found or Account.with_company(company).create(
                    {"code": code, "name": name, "account_type": account_type, "company_ids": [company.id]})

            journal = self.env["account.journal"].sudo().search(
                [*self.env["account.journal"]._check_company_domain(company), ("code", "=", "REVR")], limit=1)
            journal = journal or self.env["account.journal"].sudo().create(
                {"name": "Revenue Recognition", "code": "REVR", "type": "general", "company_id": company.id})
            company.sudo().write({
                "revcycle_deferred_revenue_account_id": _account(
                    "REVDEF", "Deferred Revenue (contract liability)", "liability_current").id,
                "revcycle_contract_asset_account_id": _account(
                    "REVCAS", "Contract Assets (unbilled revenue)", "asset_current").id,
                "revcycle_recognition_journal_id": journal.id,
            })
        return True
