import { registry } from "@web/core/registry";

// The Revenue Cycle settings block: a user opens it from the app's Configuration menu, turns off one of its
// settings ("Post contract invoices", of the contracts addon), saves, and finds it off after the page reloads.
registry.category("web_tour.tours").add("revcycle_settings_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Revenue Cycle app",
            trigger: ".dropdown-item[data-menu-xmlid='revcycle_base.revcycle_menu_root']",
            run: "click",
        },
        {
            content: "Open Configuration",
            trigger: ".o_menu_sections button[data-menu-xmlid='revcycle_base.revcycle_menu_config']",
            run: "click",
        },
        {
            content: "Open Settings: the Revenue Cycle block",
            trigger: ".dropdown-item[data-menu-xmlid='revcycle_base.revcycle_menu_settings']",
            run: "click",
        },
        {
            content: "Turn off 'Post contract invoices'",
            trigger:
                ".app_settings_block[data-key='revcycle'] #revcycle_contract_auto_post input[type='checkbox']:checked",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_control_panel .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved (nothing left to save) and, after the reload, the setting is off",
            trigger:
                "body:not(:has(.o_form_dirty)) .app_settings_block[data-key='revcycle'] " +
                "#revcycle_contract_auto_post input[type='checkbox']:not(:checked)",
        },
    ],
});
