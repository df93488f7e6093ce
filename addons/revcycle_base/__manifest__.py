{
    "name": "Revenue Cycle: Base",
    "summary": "The Revenue Cycle app menu, settings block, group categories and the rules the revcycle addons share",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "license": "LGPL-3",
    "author": "revcycle",
    "website": "https://github.com/revcycle/revcycle",
    "depends": ["base_setup", "account"],
    "data": [
        "security/revcycle_base_security.xml",
        "views/revcycle_base_menus.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "web.assets_tests": ["revcycle_base/static/tests/tours/**/*"],
    },
    "pre_init_hook": "pre_init_hook",
    "installable": True,
    "application": False,
}
