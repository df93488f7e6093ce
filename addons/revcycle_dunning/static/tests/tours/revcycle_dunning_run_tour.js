import { registry } from "@web/core/registry";

// A collections user's day in the backend: open the dunning run prepared for 15 January 2025 from the menus, run
// it, see the notice it made for the late customer, open that notice from the Notices menu and send it.
registry.category("web_tour.tours").add("revcycle_dunning_run_tour", {
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
            content: "Open Collections",
            trigger: ".o_menu_sections button[data-menu-xmlid='revcycle_dunning.revcycle_collections_menu_root']",
            run: "click",
        },
        {
            content: "Open Dunning Runs",
            trigger: ".dropdown-item[data-menu-xmlid='revcycle_dunning.revcycle_dunning_run_menu']",
            run: "click",
        },
        {
            content: "Open the draft run of 15 January 2025",
            trigger: ".o_list_view .o_data_row:contains('01/15/2025'):contains('Draft') td[name='date']",
            run: "click",
        },
        {
            content: "Run it now",
            trigger: ".o_form_view button[name='action_run']",
            run: "click",
        },
        {
            content: "The run is done and lists the notice it made for the late customer",
            trigger: ".o_field_widget[name='notice_ids'] .o_data_row:contains('Tour Dunning Customer')",
        },
        {
            content: "Open Collections again",
            trigger: ".o_menu_sections button[data-menu-xmlid='revcycle_dunning.revcycle_collections_menu_root']",
            run: "click",
        },
        {
            content: "Open the notices",
            trigger: ".dropdown-item[data-menu-xmlid='revcycle_dunning.revcycle_dunning_notice_menu']",
            run: "click",
        },
        {
            content: "The notices list is open (not the run's form any more)",
            trigger: ".o_breadcrumb .active:contains('Dunning Notices')",
        },
        {
            content: "Open the customer's notice",
            trigger: ".o_list_view .o_data_row:contains('Tour Dunning Customer') td[name='partner_id']",
            run: "click",
        },
        {
            content: "Send it now",
            trigger: ".o_form_view button[name='action_send_now']",
            run: "click",
        },
        {
            content: "The notice is sent",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Sent')",
        },
    ],
});
