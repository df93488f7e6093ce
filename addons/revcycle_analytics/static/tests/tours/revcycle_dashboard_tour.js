import { registry } from "@web/core/registry";
import { monthPeriodSteps, openDashboardSteps, setDate } from "@revcycle_analytics/../tests/tours/dashboard_steps";

// Opens the Revenue Cycle dashboard from the app menu, reads the KPI cards, moves the period to January 2019
// (where the test put one unpaid 1,000 invoice) and drills down from the receivables card into the items behind it.
registry.category("web_tour.tours").add("revcycle_dashboard_tour", {
    url: "/odoo",
    steps: () => [
        ...openDashboardSteps(),
        {
            content: "The cards show their values, with the previous period beside them",
            trigger: ".o_revcycle_card[data-kpi='dso_simple'] .o_revcycle_card_previous",
        },
        {
            content: "The charts are drawn",
            trigger: ".o_revcycle_dashboard canvas",
        },
        {
            content: "The dashboard states the currency of its amounts",
            trigger: ".o_revcycle_currency:contains('USD')",
        },
        {
            content: "The cash-in forecast lists its 13 weeks",
            trigger: ".o_revcycle_forecast_weeks tr[data-week='13']",
        },
        {
            content: "A week opens the items behind it",
            trigger: ".o_revcycle_forecast_weeks tr[data-week='1']",
            run: "click",
        },
        {
            content: "... listed under it",
            trigger: ".o_revcycle_forecast_items",
        },
        {
            content: "Scenario: customers pay 10 days later",
            trigger: ".o_revcycle_scenario_delay",
            run: setDate(".o_revcycle_scenario_delay", "10"),
        },
        {
            content: "The weeks show the scenario's difference",
            trigger: ".o_revcycle_forecast_weeks th:contains('Scenario difference')",
        },
        {
            content: "Ask how accurate the forecast was",
            trigger: ".o_revcycle_backtest_button",
            run: "click",
        },
        {
            content: "The backtest's WAPE, next to the due-date forecast's, and the AUC",
            trigger: ".o_revcycle_backtest_summary:contains('WAPE')",
        },
        {
            content: "A start after the end (2099) ...",
            trigger: ".o_revcycle_date_from",
            run: setDate(".o_revcycle_date_from", "2099-01-01"),
        },
        {
            content: "... is an error, and the figures of the last valid period are hidden",
            trigger: ".o_revcycle_range_error:contains('after its end')",
        },
        ...monthPeriodSteps("2019", "01", "31"),
        {
            content: "Credit sales of the month: the one invoice",
            trigger: ".o_revcycle_card[data-kpi='credit_sales'] .o_revcycle_card_value:contains('1,000.00')",
        },
        {
            content: "DSO: AR 1,000 / sales 1,000 x 31 days",
            trigger: ".o_revcycle_card[data-kpi='dso_simple'] .o_revcycle_card_value:contains('31.0')",
        },
        {
            content: "Drill down into the receivables",
            trigger: ".o_revcycle_card[data-kpi='ar_total']",
            run: "click",
        },
        {
            content: "The list shows the open receivable of the invoice",
            trigger: ".o_list_view .o_data_row:contains('Tour Dashboard Customer')",
        },
    ],
});
