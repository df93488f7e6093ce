import { registry } from "@web/core/registry";
import { monthPeriodSteps, openDashboardSteps } from "@revcycle_analytics/../tests/tours/dashboard_steps";

// The dashboard from the app menu, moved to January 2012 (where the test dunned one 1,000.00 invoice, 400.00 of it
// paid since): the Dunning Recovery card reads 40.0 %, and a click on it lists the notice behind the figure.
registry.category("web_tour.tours").add("revcycle_dunning_recovery_tour", {
    url: "/odoo",
    steps: () => [
        ...openDashboardSteps(),
        {
            content: "The dunning recovery card is on the dashboard",
            trigger: ".o_revcycle_card[data-kpi='dunning_recovery_rate'] .o_revcycle_card_value",
        },
        ...monthPeriodSteps("2012", "01", "31"),
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
