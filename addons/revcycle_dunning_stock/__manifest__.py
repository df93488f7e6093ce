{
    "name": "Revenue Cycle: Credit Check at Delivery",
    "summary": "Refuse to validate a delivery to a customer over their credit limit, on credit hold or overdue",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "license": "LGPL-3",
    "author": "revcycle",
    "website": "https://github.com/revcycle/revcycle",
    "depends": ["revcycle_dunning", "sale_stock"],
    "data": [
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["revcycle_dunning_stock/static/tests/tours/**/*"],
    },
    "installable": True,
    "auto_install": True,
    "application": False,
}
