{
    "name": "Revenue Cycle: Contracts Analytics",
    "summary": "MRR, ARR and their movements, customer churn, revenue retention, ARPA and CLTV from the contracts",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "revcycle",
    "website": "https://github.com/revcycle/revcycle",
    "depends": ["revcycle_analytics", "revcycle_cpq"],
    "data": [
        "security/revcycle_analytics_cpq_security.xml",
        "security/ir.model.access.csv",
        "views/revcycle_mrr_movement_report_views.xml",
        "views/revcycle_analytics_cpq_menus.xml",
    ],
    "assets": {
        "web.assets_backend": ["revcycle_analytics_cpq/static/src/dashboard/**/*"],
        "web.assets_tests": ["revcycle_analytics_cpq/static/tests/tours/**/*"],
    },
    "pre_init_hook": "pre_init_hook",
    "installable": True,
    "auto_install": True,
    "application": False,
}
