import { registry } from "@web/core/registry";

// The salesperson opens a quotation the credit check would refuse: the banner says why, with the amounts, and the
// salesperson asks the credit managers for an approval instead of hitting a wall at Confirm.
registry.category("web_tour.tours").add("revcycle_credit_request_tour", {
    steps: () => [
        {
            content: "The banner explains the block with the amounts",
            trigger: "div[name='revcycle_credit_banner']:contains('1,200.00'):contains('1,000.00')",
        },
        {
            content: "Ask the credit managers",
            trigger: "button[name='action_revcycle_request_credit_approval']",
            run: "click",
        },
        {
            content: "The request is on record",
            trigger: "div[name='revcycle_credit_banner']:contains('Approval requested')",
        },
    ],
});

// The credit manager approves the override from the quotation.
registry.category("web_tour.tours").add("revcycle_credit_approve_tour", {
    steps: () => [
        {
            content: "Only a blocked quotation offers the override",
            trigger: "button[name='action_revcycle_open_credit_override']",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal div[name='reason'] textarea",
            run: "edit Long-standing customer, payment promised for Friday",
        },
        {
            content: "Approve",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The quotation is no longer blocked",
            trigger: ".o_form_view:not(:has(div[name='revcycle_credit_banner']:visible))",
        },
        {
            content: "Back to the quotations (the form must not stay open in edition at the tour's end)",
            trigger: ".o_back_button",
            run: "click",
        },
        {
            content: "The list of quotations",
            trigger: ".o_list_view",
        },
    ],
});

// The salesperson confirms the approved quotation.
registry.category("web_tour.tours").add("revcycle_credit_confirm_tour", {
    steps: () => [
        {
            content: "Confirm",
            trigger: "button[name='action_confirm']:visible",
            run: "click",
        },
        {
            content: "The order is confirmed",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Sales Order')",
        },
    ],
});
