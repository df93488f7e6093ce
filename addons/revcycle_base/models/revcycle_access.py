from odoo import api, models
from odoo.exceptions import AccessError, UserError


class RevcycleAccess(models.AbstractModel):
    """The one place where the revcycle addons check that the caller may perform a sensitive action.

    Each addon extends this model with one small method per guarded action (``_revcycle_require_<role>``) that calls
    ``_revcycle_require`` with its groups and its message, and every model calls those methods through
    ``self.env["revcycle.access"]``: no model borrows another model's check.
    """

    _name = "revcycle.access"
    _description = "Revenue Cycle: access checks"

    @api.model
    def _revcycle_require(self, requirements, message):
        """Pass when the environment is superuser or the user satisfies every requirement; else AccessError(message).

        ``requirements`` is a list whose items are a group xml id, or a tuple of group xml ids of which any one will do.
        """
        if self.env.su:
            return True
        user = self.env.user
        for requirement in requirements:
            alternatives = (requirement,) if isinstance(requirement, str) else tuple(requirement)
            if not any(user.has_group(xmlid) for xmlid in alternatives):
                raise AccessError(message)
        return True

    @api.model
    def _revcycle_check_companies(self, company_ids):
        """The companies the caller asked for, as records, refused unless each is one the user may work in.
        Callers that then work as superuser (to post in journals the user cannot write, say) check this first."""
        # sudo: only which ids exist is read here; whether the user may act in them is checked next
        companies = self.env["res.company"].sudo().browse(company_ids).exists()
        if len(companies) != len(set(company_ids)):
            unknown = sorted(set(company_ids) - set(companies.ids))
            raise UserError(self.env._("Unknown company ids: %(ids)s.", ids=unknown))
        if not self.env.su:
            forbidden = companies - self.env.user.company_ids
            if forbidden:
                raise AccessError(
                    self.env._(
                        "%(user)s may not act for %(companies)s: it is not one of your companies.",
                        user=self.env.user.name,
                        companies=", ".join(forbidden.mapped("name")),
                    )
                )
        return companies.sudo(self.env.su)

    @api.model
    def _revcycle_check_shared_rows(self, records, vals_list=()):
        """Rows with no company (``company_id`` False) are shared by every company: only a user whose allowed
        companies are all the companies of the database (or the superuser) may create, change or delete them,
        so a manager of one company cannot change what another company uses. See docs/security.md."""
        if self.env.su:
            return True
        shared = records.filtered(lambda record: not record.company_id) if "company_id" in records._fields else records
        makes_shared = any("company_id" in vals and not vals["company_id"] for vals in vals_list)
        if not (shared or makes_shared):
            return True
        # sudo: counting the companies, not reading them
        every_company = self.env["res.company"].sudo().search_count([])  # sudo: a count, nothing read
        if len(self.env.user.company_ids) >= every_company:
            return True
        raise AccessError(
            self.env._(
                "%(records)s are shared by all companies: only a user of every company can change them. Give them "
                "a company, or ask an administrator.",
                records=", ".join(shared.mapped("display_name")) or records._description,
            )
        )


class RevcycleSharedRowsMixin(models.AbstractModel):
    """Configuration whose ``company_id`` may be empty, meaning shared by every company (price tiers, bundle
    components, risk classes, aging buckets): shared rows are guarded by ``_revcycle_check_shared_rows``."""

    _name = "revcycle.shared.rows.mixin"
    _description = "Revenue Cycle: rows shared by all companies"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env["revcycle.access"]._revcycle_check_shared_rows(records)
        return records

    def write(self, vals):
        self.env["revcycle.access"]._revcycle_check_shared_rows(self, [vals])
        return super().write(vals)

    def unlink(self):
        self.env["revcycle.access"]._revcycle_check_shared_rows(self)
        return super().unlink()
