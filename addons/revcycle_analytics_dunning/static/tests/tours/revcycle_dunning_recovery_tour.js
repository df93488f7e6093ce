import { registry } from "@web/core/registry";

function setDate(selector, value) {
    return function () {
        const input = document.querySelector(selector);
        input.value = value;
        input.dispatchEvent(new Event("change", { bubbles: true }));
    };
}

// The dashboard from the app menu, moved to January 2012 (where the test dunned one 1,000.00 invoice, 400.00 of it
// paid since): the Dunning Recovery card reads 40.0 %, and a click on it lists the notice behind the figure.
registry.category("web_tour.tours").add("revcycle_dunning_recovery_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Revenue Cycle app: the dashboard is its first menu",
            trigger: ".dropdown-item[data-menu-xmlid='revcycle_base.revcycle_menu_root']",
            run: "click",
        },
        {
            content: "The dunning recovery card is on the dashboard",
            trigger: ".o_revcycle_card[data-kpi='dunning_recovery_rate'] .o_revcycle_card_value",
        },
        {
            content: "Period starts on 1 January 2012",
            trigger: ".o_revcycle_date_from",
            run: setDate(".o_revcycle_date_from", "2012-01-01"),
        },
        {
            content: "... and ends on 31 January 2012",
            trigger: ".o_revcycle_period_label:contains('01/01/2012')",
            run: setDate(".o_revcycle_date_to", "2012-01-31"),
        },
        {
            content: "The dashboard reloaded for January 2012",
            trigger: ".o_revcycle_period_label:contains('01/01/2012 → 01/31/2012')",
        },
        {
            content: "Recovery: 400.00 paid of the 1,000.00 dunned = 40.0 %",
            trigger: ".o_revcycle_card[data-kpi='dunning_recovery_rate'] .o_revcycle_card_value:contains('40.0 %')",
        },
        {
            content: "Drill down into the notices",
            trigger: ".o_revcycle_card[data-kpi='dunning_recovery_rate']",
            run: "click",
        },
        {
            content: "The list shows the notice sent to the customer in January 2012",
            trigger: ".o_list_view .o_data_row:contains('Tour Recovery Customer'):contains('01/10/2012')",
        },
    ],
});
