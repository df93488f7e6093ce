import { registry } from "@web/core/registry";

// A signed subscription contract is activated from its form: its Revenue smart button appears and opens the revenue
// contract made for it, with the term value allocated by relative SSP and a monthly revenue schedule.
registry.category("web_tour.tours").add("revcycle_contract_revenue_tour", {
    steps: () => [
        {
            content: "No revenue contract before activation",
            trigger: ".o_form_view:not(:has(button[name='action_view_revcycle_revenue_contracts']))",
        },
        {
            content: "Activate the signed contract",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_activate']",
            run: "click",
        },
        {
            content: "The contract is active",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Active')",
        },
        {
            content: "Its Revenue smart button counts one revenue contract: open it",
            trigger: "button[name='action_view_revcycle_revenue_contracts']:contains('1')",
            run: "click",
        },
        {
            content: "The revenue contract's term value: 4 quarters x (930 + 2 x 300) = 6,120.00",
            trigger: ".o_form_view .o_field_widget[name='transaction_price']:contains('6,120.00')",
        },
        {
            content: "Hosting (no SSP, weighed by its price) gets 6,120 x 3,720 / 7,320 = 3,110.16",
            trigger: ".o_field_widget[name='obligation_ids'] .o_data_row:contains('Tour Hosting'):contains('3,110.16')",
        },
        {
            content: "Seats (SSP 450 a quarter each) get the rest, 3,009.84",
            trigger: ".o_field_widget[name='obligation_ids'] .o_data_row:contains('Tour Seats'):contains('3,009.84')",
        },
        {
            content: "Open the revenue schedule",
            trigger: ".o_notebook .nav-link[name='schedule']",
            run: "click",
        },
        {
            content: "Hosting earns 3,110.16 / 12 = 259.18 a month",
            trigger: ".o_field_widget[name='line_ids'] .o_data_row:contains('Tour Hosting'):contains('259.18')",
        },
    ],
});
