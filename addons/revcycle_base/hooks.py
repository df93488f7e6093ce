"""Databases that ran revcycle before revcycle_base existed hold the shared app menu, settings action and view under
``revcycle_base.revcycle_*`` xml ids (each addon used to create them), and the group categories under each addon's name.
Before this module's data loads, those rows are handed over to revcycle_base, so its XML updates the very same
records (no duplicate "Revenue Cycle" app) and uninstalling revcycle_base removes them."""

# (old module, old name) -> name under revcycle_base
MOVED_XMLIDS = {
    ("base", "revcycle_menu_root"): "revcycle_menu_root",
    ("base", "revcycle_menu_config"): "revcycle_menu_config",
    ("base", "revcycle_menu_settings"): "revcycle_menu_settings",
    ("base", "revcycle_res_config_settings_action"): "revcycle_res_config_settings_action",
    ("base", "revcycle_res_config_settings_view_form"): "revcycle_res_config_settings_view_form",
    ("revcycle_cpq", "module_category_revcycle_cpq"): "module_category_revcycle_cpq",
    ("revcycle_dunning", "module_category_revcycle_dunning"): "module_category_revcycle_dunning",
    ("revcycle_revrec", "module_category_revcycle_revrec"): "module_category_revcycle_revrec",
    ("revcycle_analytics", "module_category_revcycle_analytics"): "module_category_revcycle_analytics",
}


def move_legacy_xmlids(cr):
    """Rename the legacy xml ids to revcycle_base's; an id revcycle_base already has is left alone. noupdate is
    cleared so this module's data, not the copy an addon made first, decides the records (icon, names)."""
    for (module, name), new_name in MOVED_XMLIDS.items():
        cr.execute(
            """UPDATE ir_model_data SET module = 'revcycle_base', name = %s, noupdate = FALSE
                WHERE module = %s AND name = %s
                  AND NOT EXISTS (SELECT 1 FROM ir_model_data WHERE module = 'revcycle_base' AND name = %s)""",
            (new_name, module, name, new_name),
        )


def pre_init_hook(env):
    move_legacy_xmlids(env.cr)
