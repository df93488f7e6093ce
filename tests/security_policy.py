"""The declared access policy of the revcycle addons, read by tests/test_xmlrpc_role_matrix.py and mirrored in
docs/security.md (keep the two in step: the matrix test checks that the document's table is this one).

ROLES: each role the suite knows, as the groups a user of that role is given (and the company it works in); internal
users have Contact Creation (base.group_partner_manager), as Odoo gives every new internal user by default.
MATRIX: per persistent model, per role, the operations allowed: r(ead) w(rite) c(reate) u(nlink); a role not
listed has none. Record rules narrow these further (companies, own documents, portal customers): see SENSITIVE.
SENSITIVE: the actions that move money or credit decisions, with the roles allowed to perform them; every other
role is refused with an AccessError (or a UserError saying who may).
"""

MAIN, OTHER = "main", "other"

ROLES = {
    "salesperson": (MAIN, ["base.group_user", "base.group_partner_manager", "sales_team.group_sale_salesman"]),
    "sales_manager": (MAIN, ["base.group_user", "base.group_partner_manager", "sales_team.group_sale_manager"]),
    "cpq_user": (MAIN, ["base.group_user", "base.group_partner_manager", "revcycle_cpq.group_revcycle_cpq_user"]),
    "cpq_manager": (MAIN, ["base.group_user", "base.group_partner_manager", "revcycle_cpq.group_revcycle_cpq_manager"]),
    "collections_user": (
        MAIN,
        ["base.group_user", "base.group_partner_manager", "revcycle_dunning.group_revcycle_dunning_user"],
    ),
    "credit_manager": (
        MAIN,
        ["base.group_user", "base.group_partner_manager", "revcycle_dunning.group_revcycle_dunning_manager"],
    ),
    "revrec_user": (
        MAIN,
        ["base.group_user", "base.group_partner_manager", "revcycle_revrec.group_revcycle_revrec_user"],
    ),
    "revrec_manager": (
        MAIN,
        ["base.group_user", "base.group_partner_manager", "revcycle_revrec.group_revcycle_revrec_manager"],
    ),
    "analytics_user": (
        MAIN,
        ["base.group_user", "base.group_partner_manager", "revcycle_analytics.group_revcycle_analytics_user"],
    ),
    "analytics_manager": (
        MAIN,
        ["base.group_user", "base.group_partner_manager", "revcycle_analytics.group_revcycle_analytics_manager"],
    ),
    "billing": (MAIN, ["base.group_user", "base.group_partner_manager", "account.group_account_invoice"]),
    "accountant": (MAIN, ["base.group_user", "base.group_partner_manager", "account.group_account_user"]),
    "portal": (MAIN, ["base.group_portal"]),
    # every revcycle manager group, but of the other company only
    "other_company_manager": (
        OTHER,
        [
            "base.group_user",
            "base.group_partner_manager",
            "revcycle_cpq.group_revcycle_cpq_manager",
            "revcycle_dunning.group_revcycle_dunning_manager",
            "revcycle_revrec.group_revcycle_revrec_manager",
            "revcycle_analytics.group_revcycle_analytics_manager",
        ],
    ),
}

_SALES = {
    "salesperson": "r",
    "sales_manager": "r",
    "cpq_user": "r",
    "cpq_manager": "rwcu",
    "other_company_manager": "rwcu",
}
_CREDIT = {"collections_user": "r", "credit_manager": "rwcu", "other_company_manager": "rwcu"}
_READ_COLLECTIONS = {"collections_user": "r", "credit_manager": "r", "other_company_manager": "r"}
_REVREC = {"revrec_user": "r", "revrec_manager": "rwc", "other_company_manager": "rwc"}

MATRIX = {
    # revcycle_cpq
    "revcycle.price.tier": _SALES,
    "revcycle.config.rule": _SALES,
    "revcycle.bundle.component": _SALES,
    "revcycle.approval.rule": _SALES,
    "revcycle.contract": {"cpq_user": "rwc", "cpq_manager": "rwcu", "other_company_manager": "rwcu", "portal": "r"},
    "revcycle.contract.line": {
        "cpq_user": "rwcu",
        "cpq_manager": "rwcu",
        "other_company_manager": "rwcu",
        "portal": "r",
    },
    "revcycle.contract.period": {"cpq_user": "r", "cpq_manager": "rwcu", "other_company_manager": "rwcu"},
    "revcycle.contract.reminder": {"cpq_user": "r", "cpq_manager": "rwcu", "other_company_manager": "rwcu"},
    "revcycle.contract.key.date": {"cpq_user": "r", "cpq_manager": "r", "other_company_manager": "r"},
    "revcycle.contract.mrr.event": {"cpq_user": "r", "cpq_manager": "r", "other_company_manager": "r"},
    "revcycle.contract.amendment": {"cpq_user": "rwc", "cpq_manager": "rwcu", "other_company_manager": "rwcu"},
    # usage billing: CPQ users (and integration users given CPQ User + all sales documents) report usage; records
    # are append-only whatever the write right (corrections are records), ratings are written by the invoicing run
    "revcycle.usage.record": {"cpq_user": "rc", "cpq_manager": "rwcu", "other_company_manager": "rwcu"},
    "revcycle.usage.rating": {"cpq_user": "r", "cpq_manager": "r", "other_company_manager": "r"},
    # revcycle_dunning
    "revcycle.dunning.policy": _CREDIT,
    "revcycle.dunning.level": _CREDIT,
    "revcycle.risk.class": _CREDIT,
    "revcycle.credit.profile": _READ_COLLECTIONS,
    "revcycle.credit.override": {"collections_user": "r", "credit_manager": "rwc", "other_company_manager": "rwc"},
    "revcycle.dunning.run": {"collections_user": "rwc", "credit_manager": "rwcu", "other_company_manager": "rwcu"},
    "revcycle.dunning.notice": {"collections_user": "rwc", "credit_manager": "rwcu", "other_company_manager": "rwcu"},
    "revcycle.dunning.notice.line": _READ_COLLECTIONS,
    "revcycle.payment.attempt": _READ_COLLECTIONS,
    "revcycle.stripe.event": _READ_COLLECTIONS,
    "revcycle.payment.plan": {"collections_user": "rwc", "credit_manager": "rwcu", "other_company_manager": "rwcu"},
    "revcycle.payment.plan.line": {
        "collections_user": "rwcu",
        "credit_manager": "rwcu",
        "other_company_manager": "rwcu",
    },
    # revcycle_revrec
    "revcycle.ssp": {
        "salesperson": "r",
        "sales_manager": "r",
        "cpq_user": "r",
        "cpq_manager": "r",
        "revrec_user": "r",
        "revrec_manager": "rwcu",
        "other_company_manager": "rwcu",
    },
    "revcycle.revenue.contract": _REVREC,
    "revcycle.performance.obligation": _REVREC,
    "revcycle.revenue.line": _REVREC,
    "revcycle.revenue.modification": {"revrec_user": "r", "revrec_manager": "r", "other_company_manager": "r"},
    # revcycle_analytics
    "revcycle.aging.bucket": {"analytics_user": "r", "analytics_manager": "rwcu", "other_company_manager": "rwcu"},
    "revcycle.ar.aging.report": {"analytics_user": "r", "analytics_manager": "r", "other_company_manager": "r"},
    "revcycle.mrr.movement.report": {"analytics_user": "r", "analytics_manager": "r", "other_company_manager": "r"},
    "revcycle.forecast.model": {"analytics_user": "r", "analytics_manager": "r", "other_company_manager": "r"},
}

# action -> roles allowed (every other role is refused). The actions work on the main company's records and in the
# caller's own company: the other company's manager may manage credit and dunning in its company, not in the main one.
FIGURE_READERS = [
    "collections_user",
    "credit_manager",
    "billing",
    "accountant",
    "revrec_user",
    "revrec_manager",
    "analytics_user",
    "analytics_manager",
    "other_company_manager",
]
SENSITIVE = {
    "approve_discount": (
        "approve a main-company quotation's discount (sale.order.action_revcycle_approve)",
        ["cpq_manager"],
    ),
    "change_credit_limit": (
        "change a customer's credit limit (res.partner.credit_limit), noted in its chatter",
        ["credit_manager", "other_company_manager"],
    ),
    "open_temporary_limit": (
        "open the temporary limit form (res.partner.action_revcycle_open_temporary_limit)",
        ["credit_manager", "other_company_manager"],
    ),
    "credit_hold": (
        "put a customer on credit hold (res.partner.action_revcycle_credit_hold)",
        ["credit_manager", "other_company_manager"],
    ),
    "credit_figures": (
        "see a customer's exposure, score and overdue figures (res.partner.revcycle_check_credit)",
        FIGURE_READERS,
    ),
    "run_dunning": (
        "run dunning in one's company (revcycle.dunning.run.run_for_date)",
        ["collections_user", "credit_manager", "other_company_manager"],
    ),
    "recognize_main": (
        "recognise the main company's revenue (revcycle.revenue.contract.recognize_until)",
        ["revrec_manager"],
    ),
    "kpis_main": ("read the main company's KPIs (revcycle.kpi.get_kpis)", ["analytics_user", "analytics_manager"]),
    "other_salesperson_contract": (
        "read another salesperson's contract (own documents for CPQ users)",
        ["cpq_manager"],
    ),
    "change_company_tier": ("change a main-company price tier", ["cpq_manager"]),
    "change_shared_tier": (
        "change a price tier shared by all companies (only users of every company; no role here is)",
        [],
    ),
    "read_main_policies": (
        "read the main company's dunning policies",
        ["collections_user", "credit_manager"],
    ),
}
