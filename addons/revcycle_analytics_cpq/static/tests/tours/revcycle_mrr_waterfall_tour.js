import { registry } from "@web/core/registry";

// The Revenue Cycle dashboard with the contracts bridge: the MRR cards and the MRR movement waterfall are there.
registry.category("web_tour.tours").add("revcycle_analytics_cpq_waterfall_tour", {
    url: "/odoo/revenue-cycle",
    steps: () => [
        {
            content: "The MRR card is shown",
            trigger: ".o_revcycle_card[data-kpi='mrr'] .o_revcycle_card_value",
        },
        {
            content: "The MRR movement waterfall is drawn",
            trigger: ".o_revcycle_charts .o_revcycle_waterfall canvas",
        },
    ],
});
