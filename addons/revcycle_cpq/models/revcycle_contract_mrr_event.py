from odoo import api, fields, models
from odoo.addons.revcycle_base.engine import periods as period_engine
from odoo.exceptions import AccessError

MRR_EVENT_KINDS = [
    ("new", "New"),
    ("expansion", "Expansion"),
    ("contraction", "Contraction"),
    ("pause", "Pause"),
    ("resume", "Resume"),
    ("churn", "Churn"),
    ("renewal", "Renewal"),
]
# Events are written by the contract's actions only (activation, termination, expiry, amendment, pause, resume,
# renewal), which hold this token: no XML-RPC or JSON-RPC caller can put the object in a context.
_MRR_EVENT_TOKEN = object()


class RevcycleContractMrrEvent(models.Model):
    """The append-only log of a contract's MRR movements: one row each time an action changes what the contract is
    worth per month (new, expansion, contraction, pause, resume, churn, renewal). Analytics reads expansion and
    contraction from here, revenue recognition the modifications; nobody edits or deletes a row."""

    _name = "revcycle.contract.mrr.event"
    _description = "Contract MRR Event"
    _order = "date desc, id desc"
    _rec_name = "contract_id"

    contract_id = fields.Many2one("revcycle.contract", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    # the customer when the event happened: kept as it was, as the figures are
    commercial_partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index=True)
    date = fields.Date(string="Effective Date", required=True, readonly=True, index=True)
    kind = fields.Selection(MRR_EVENT_KINDS, required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    mrr_before = fields.Monetary(string="MRR Before", readonly=True, currency_field="currency_id")
    mrr_after = fields.Monetary(string="MRR After", readonly=True, currency_field="currency_id")
    mrr_change = fields.Monetary(
        string="MRR Change", compute="_compute_mrr_change", store=True, currency_field="currency_id"
    )

    @api.depends("mrr_before", "mrr_after")
    def _compute_mrr_change(self):
        for event in self:
            event.mrr_change = event.currency_id.round(event.mrr_after - event.mrr_before)

    @api.model_create_multi
    def create(self, vals_list):
        self._revcycle_check_token()
        return super().create(vals_list)

    def write(self, vals):
        # no action edits an event: a write is refused as a direct creation would be
        self._revcycle_check_token()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self.env._("MRR events are a log: they go only with their contract, never one by one."))

    def _revcycle_check_token(self):
        if self.env.context.get("revcycle_mrr_event_write") is not _MRR_EVENT_TOKEN:
            raise AccessError(
                self.env._(
                    "MRR events are written by the contract's actions (activate, amend, pause, resume, renew, "
                    "terminate), not directly."
                )
            )

    @api.model
    def _revcycle_log(self, contract, kind, date, mrr_before, mrr_after):
        """Append one event for ``contract``. Called by the contract's actions, after they checked the caller may
        change the contract."""
        contract.ensure_one()
        contract.check_access("write")
        currency = contract.currency_id
        return (
            self.sudo()  # users only read the log; the contract action writing it checked write access just above
            .with_context(revcycle_mrr_event_write=_MRR_EVENT_TOKEN)
            .create(
                {
                    "contract_id": contract.id,
                    "commercial_partner_id": contract.partner_id.commercial_partner_id.id,
                    "date": date,
                    "kind": kind,
                    "currency_id": currency.id,
                    "mrr_before": currency.round(mrr_before),
                    "mrr_after": currency.round(mrr_after),
                }
            )
        )

    @api.model
    def _revcycle_backfill(self):
        """A 'new' event for every active contract that has none yet, dated at its start (its MRR of today, as the
        past is not known): run at install and each update, so a database that had contracts before this log
        starts complete. Idempotent."""
        contracts = (
            self.env["revcycle.contract"]
            .sudo()  # install/update step run by the superuser: every company's contracts get their first event
            .with_context(active_test=False)
            .search([("state", "in", ("active", "suspended")), ("mrr_event_ids", "=", False)])
        )
        vals_list = [
            {
                "contract_id": contract.id,
                "commercial_partner_id": contract.partner_id.commercial_partner_id.id,
                "date": contract.date_start,
                "kind": "new",
                "currency_id": contract.currency_id.id,
                "mrr_before": 0.0,
                "mrr_after": contract._revcycle_mrr(),
            }
            for contract in contracts
        ]
        return self.sudo().with_context(revcycle_mrr_event_write=_MRR_EVENT_TOKEN).create(vals_list)  # see above


def contract_mrr(currency, recurring_total, billing_period):
    """The contract's MRR: its recurring amount per period normalised to a month, rounded in its currency."""
    return currency.round(period_engine.monthly_value(recurring_total, billing_period))
