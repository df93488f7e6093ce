import { registry } from "@web/core/registry";

// The contract amendment journey in the backend: from an active contract's form, Amend; choose the seats line and
// a new quantity of 15; submit (no approval rule applies) and apply; the amendment is applied and the contract's
// Amendments tab lists it.
registry.category("web_tour.tours").add("revcycle_contract_amendment_tour", {
    steps: () => [
        {
            content: "The active contract: amend it",
            trigger: ".o_form_view button[name='action_open_amendment']",
            run: "click",
        },
        {
            content: "A quantity change (the default kind) ...",
            trigger: ".o_field_widget[name='kind'] select",
            run: 'select "quantity"',
        },
        {
            content: "... of the seats line",
            trigger: ".o_field_widget[name='line_id'] input",
            run: "edit Tour Seats",
        },
        {
            content: "Pick the line",
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Seats')",
            run: "click",
        },
        {
            content: "New quantity: 15 seats",
            trigger: ".o_field_widget[name='quantity'] input",
            run: "edit 15",
        },
        {
            content: "Submit it (it lowers nothing: approved at once)",
            trigger: ".o_form_view button[name='action_submit']",
            run: "click",
        },
        {
            content: "Apply it",
            trigger: ".o_form_view button[name='action_apply']",
            run: "click",
        },
        {
            content: "The amendment is applied",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Applied')",
        },
    ],
});
