{
    "name": "Revenue Cycle: Collections Analytics",
    "summary": "Dunning recovery rate KPI, dunning history in the cash forecast, expected loss on the workbench",
    "version": "18.0.1.2.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "revcycle",
    "website": "https://github.com/revcycle/revcycle",
    "depends": ["revcycle_analytics", "revcycle_dunning"],
    "data": [
        "data/ir_cron_data.xml",
        "views/revcycle_collections_views.xml",
        "views/revcycle_dunning_level_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["revcycle_analytics_dunning/static/tests/tours/**/*"],
    },
    "installable": True,
    "auto_install": True,
    "application": False,
}
