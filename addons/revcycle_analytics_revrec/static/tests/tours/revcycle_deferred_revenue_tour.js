import { registry } from "@web/core/registry";
import { monthPeriodSteps, openDashboardSteps } from "@revcycle_analytics/../tests/tours/dashboard_steps";

// The dashboard from the app menu, moved to January 2012 (where the test billed 900.00 ahead to the deferred revenue
// account): the Deferred Revenue card reads 900.00, and a click on it lists the ledger item behind the figure.
registry.category("web_tour.tours").add("revcycle_deferred_revenue_tour", {
    url: "/odoo",
    steps: () => [
        ...openDashboardSteps(),
        {
            content: "The deferred revenue card is on the dashboard",
            trigger: ".o_revcycle_card[data-kpi='deferred_revenue'] .o_revcycle_card_value",
        },
        ...monthPeriodSteps("2012", "01", "31"),
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
