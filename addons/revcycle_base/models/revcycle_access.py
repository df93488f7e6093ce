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
            raise UserError(self.env._("There is no company with the id %(ids)s.", ids=", ".join(map(str, unknown))))
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
