"""Proactive collections: each customer's expected loss on the collections workbench (docs/domain.md, Cash
forecast): the sum over its open invoices of open amount x late probability x age weight, refreshed nightly from the
cash forecast's late-payment score, so the workbench lists first whom to call first."""

import logging
import zlib

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

AGE_MONTH_DAYS = 30  # the age weight: 1 + whole and partial months overdue (1 before the due date)


def expected_loss(amount, late_probability, days_overdue):
    """open amount x late probability x (1 + max(0, days overdue) / 30)."""
    return amount * late_probability * (1 + max(0, days_overdue) / AGE_MONTH_DAYS)


class RevcycleCreditProfile(models.Model):
    _inherit = "revcycle.credit.profile"

    revcycle_expected_loss = fields.Monetary(
        string="Expected Loss", readonly=True, copy=False, index=True,
        help="Open invoices x their late-payment probability x age (1 + months overdue), refreshed nightly from the "
        "cash forecast's late-payment score: whom to call first.")
    revcycle_expected_loss_date = fields.Date(string="Expected Loss On", readonly=True, copy=False)

    @api.model
    def _cron_refresh_expected_loss(self):
        """Nightly, per company: every profile's expected loss in one UPDATE. Safe twice (the same inputs give the
        same figures) and in parallel (a company another worker is refreshing is skipped, not waited for)."""
        done = 0
        company_ids = [row[0] for row in self.env.execute_query(SQL(
            "SELECT DISTINCT company_id FROM revcycle_credit_profile ORDER BY 1"))]
        for company in self.env["res.company"].sudo().browse(company_ids):  # sudo: the cron refreshes every company
            lock = zlib.crc32(f"revcycle_expected_loss:{company.id}".encode())
            if not self.env.execute_query(SQL("SELECT pg_try_advisory_xact_lock(%s)", lock))[0][0]:
                _logger.info("Expected loss of company %s is being refreshed by another worker", company.id)
                continue
            try:
                with self.env.cr.savepoint():
                    self._revcycle_refresh_expected_loss(company)
                done += 1
            except Exception:
                _logger.exception("The expected loss of company %s could not be refreshed", company.id)
        return done

    @api.model
    def _revcycle_refresh_expected_loss(self, company):
        """The expected loss of each customer of ``company`` as of today, in the company's currency."""
        today = fields.Date.context_today(self)
        kpi = self.env["revcycle.kpi"].sudo().with_company(company)  # sudo: a cron's figures, no user's view
        run = kpi._revcycle_forecast_run(today, 1, company, with_sources=False)
        losses = {}
        for row in run["open"]:
            probability, _reasons = kpi._revcycle_late_score(row, run)
            key = row["partner_id"]
            losses[key] = losses.get(key, 0.0) + expected_loss(
                row["raw_amount"], probability, (today - row["due"]).days)
        rounding = company.currency_id.decimal_places
        values = [(partner, round(loss, rounding)) for partner, loss in losses.items() if partner]
        self.flush_model()
        self.env.execute_query(SQL(
            """
            UPDATE revcycle_credit_profile profile
               SET revcycle_expected_loss = COALESCE(
                       (SELECT loss.amount FROM unnest(%(partners)s::int[], %(amounts)s::numeric[])
                                                AS loss(partner_id, amount)
                         WHERE loss.partner_id = profile.partner_id), 0),
                   revcycle_expected_loss_date = %(today)s
             WHERE profile.company_id = %(company)s
            """, today=today, company=company.id, partners=[v[0] for v in values],
            amounts=[v[1] for v in values]))
        self.invalidate_model(["revcycle_expected_loss", "revcycle_expected_loss_date"])
