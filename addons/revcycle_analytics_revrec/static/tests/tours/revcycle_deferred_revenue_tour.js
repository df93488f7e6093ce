import { registry } from "@web/core/registry";

function setDate(selector, value) {
    return function () {
        const input = document.querySelector(selector);
        input.value = value;
        input.dispatchEvent(new Event("change", { bubbles: true }));
    };
}

// The dashboard from the app menu, moved to January 2012 (where the test billed 900.00 ahead to the deferred revenue
// account): the Deferred Revenue card reads 900.00, and a click on it lists the ledger item behind the figure.
registry.category("web_tour.tours").add("revcycle_deferred_revenue_tour", {
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
            content: "The deferred revenue card is on the dashboard",
            trigger: ".o_revcycle_card[data-kpi='deferred_revenue'] .o_revcycle_card_value",
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
            content: "Deferred revenue on 31 January 2012: the 900.00 billed ahead",
            trigger: ".o_revcycle_card[data-kpi='deferred_revenue'] .o_revcycle_card_value:contains('900.00')",
        },
        {
            content: "Drill down into the items behind it",
            trigger: ".o_revcycle_card[data-kpi='deferred_revenue']",
            run: "click",
        },
        {
            content: "The list shows the deferred revenue item of the entry",
            trigger: ".o_list_view .o_data_row:contains('Tour deferred revenue')",
        },
    ],
});
