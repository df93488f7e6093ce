{
    "name": "Revenue Cycle: Analytics",
    "summary": "DSO, CEI, AR aging, win rate and a KPI registry the bridges extend, on screen and over XML-RPC",
    "version": "18.0.1.6.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "revcycle",
    "website": "https://github.com/revcycle/revcycle",
    # The sibling addons' KPIs come from the auto-installed bridges revcycle_analytics_cpq, _dunning and _revrec.
    "depends": ["revcycle_base", "sale_management", "account"],
    "data": [
        "security/revcycle_analytics_security.xml",
        "security/ir.model.access.csv",
        "views/revcycle_aging_bucket_views.xml",
        "views/revcycle_ar_aging_report_views.xml",
        "views/revcycle_dashboard_views.xml",
        "views/revcycle_forecast_model_views.xml",
        "views/res_config_settings_views.xml",
        "views/revcycle_analytics_menus.xml",
        "data/revcycle_aging_bucket_data.xml",
        "data/ir_cron_data.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "revcycle_analytics/static/src/dashboard/**/*",
            "revcycle_analytics/static/src/cash_forecast/**/*",
        ],
        "web.assets_tests": ["revcycle_analytics/static/tests/tours/**/*"],
    },
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "application": False,
}
