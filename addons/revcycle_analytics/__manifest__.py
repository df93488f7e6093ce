{
    "name": "Revenue Cycle: Analytics",
    "summary": "DSO, CEI, AR aging, MRR movements, churn, retention, CLTV and win rate, on screen and over XML-RPC",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "revcycle",
    "website": "https://github.com/revcycle/revcycle",
    "depends": ["revcycle_cpq", "revcycle_dunning", "revcycle_revrec"],
    "data": [
        "security/revcycle_analytics_security.xml",
        "security/ir.model.access.csv",
        "views/revcycle_root_menu.xml",
        "views/revcycle_aging_bucket_views.xml",
        "views/res_config_settings_views.xml",
        "views/revcycle_analytics_menus.xml",
        "data/revcycle_aging_bucket_data.xml",
    ],
    "assets": {
        "web.assets_tests": ["revcycle_analytics/static/tests/tours/**/*"],
    },
    "installable": True,
    "application": False,
}
