import { registry } from "@web/core/registry";

// Opens the shared Revenue Cycle app, its settings page with the block of each of the four addons (or, when
// analytics is installed alone, its own block), and one list reached through the menus, as a user would.
function settingsSteps(withSiblings) {
    return [
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
            content: "Open Settings",
            trigger: ".dropdown-item[data-menu-xmlid='revcycle_base.revcycle_menu_settings']",
            run: "click",
        },
        ...(withSiblings
            ? [
                  {
                      content: "The Revenue Cycle settings app shows the quotes and pricing block",
                      trigger: ".app_settings_block[data-key='revcycle'] h2:contains('Quotes & Pricing')",
                  },
                  {
                      content: "... the credit and collections block",
                      trigger: ".app_settings_block[data-key='revcycle'] h2:contains('Credit & Collections')",
                  },
                  {
                      content: "... the revenue recognition block",
                      trigger: ".app_settings_block[data-key='revcycle'] h2:contains('Revenue Recognition')",
                  },
              ]
            : []),
        {
            content: "... and the analytics block with the aging buckets link",
            trigger: ".app_settings_block[data-key='revcycle'] button:contains('AR Aging Buckets')",
            run: "click",
        },
        {
            content: "The aging buckets list shows the five default buckets",
            trigger: ".o_list_view .o_data_row td[name='name']:contains('Over 90')",
        },
    ];
}

registry.category("web_tour.tours").add("revcycle_menus_settings_tour", {
    url: "/odoo",
    steps: () => settingsSteps(true),
});

registry.category("web_tour.tours").add("revcycle_analytics_settings_tour", {
    url: "/odoo",
    steps: () => settingsSteps(false),
});
