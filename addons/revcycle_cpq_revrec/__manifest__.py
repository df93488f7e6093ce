{
    "name": "Revenue Cycle: Contracts Revenue Recognition",
    "summary": "Activated subscription contracts get ASC 606 revenue contracts; their invoices defer and recognise",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "revcycle",
    "website": "https://github.com/revcycle/revcycle",
    "depends": ["revcycle_cpq", "revcycle_revrec"],
    "data": [
        "views/revcycle_contract_views.xml",
        "views/revcycle_revenue_contract_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["revcycle_cpq_revrec/static/tests/tours/**/*"],
    },
    "installable": True,
    "auto_install": True,
    "application": False,
}
