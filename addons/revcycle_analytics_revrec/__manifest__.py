{
    "name": "Revenue Cycle: Revenue Recognition Analytics",
    "summary": "Deferred revenue (contract liability) balance in the revenue-cycle KPIs and dashboard",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "revcycle",
    "website": "https://github.com/revcycle/revcycle",
    "depends": ["revcycle_analytics", "revcycle_revrec"],
    "data": [],
    "assets": {
        "web.assets_tests": ["revcycle_analytics_revrec/static/tests/tours/**/*"],
    },
    "installable": True,
    "auto_install": True,
    "application": False,
}
