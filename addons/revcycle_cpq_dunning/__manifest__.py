{
    "name": "Revenue Cycle: Contracts Credit Control",
    "summary": "Contracts count in credit exposure by what they will bill, and are credit-checked when activated",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "revcycle",
    "website": "https://github.com/revcycle/revcycle",
    "depends": ["revcycle_cpq", "revcycle_dunning"],
    "data": [
        "views/res_config_settings_views.xml",
        "views/revcycle_credit_profile_views.xml",
        "views/revcycle_contract_views.xml",
        "views/revcycle_contract_portal_templates.xml",
    ],
    "assets": {
        "web.assets_tests": ["revcycle_cpq_dunning/static/tests/tours/**/*"],
    },
    "installable": True,
    "auto_install": True,
    "application": False,
}
