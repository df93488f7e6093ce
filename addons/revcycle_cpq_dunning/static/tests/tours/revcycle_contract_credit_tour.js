import { registry } from "@web/core/registry";

// A signed contract whose first three months (300.00) would take its customer over a 250.00 credit limit: Activate
// is refused with both figures; the credit manager opens the customer from the contract, raises the limit to 300.00,
// comes back and activates the contract.
registry.category("web_tour.tours").add("revcycle_contract_credit_tour", {
    steps: () => [
        {
            content: "Activate the signed contract",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_activate']",
            run: "click",
        },
        {
            content: "Refused: what it will bill over the horizon against the customer's limit",
            trigger: ".modal:contains('cannot be activated'):contains('300.00'):contains('250.00')",
        },
        {
            content: "Close the refusal",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The contract is still signed",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Signed')",
        },
        {
            content: "Open the customer from the contract",
            trigger: ".o_form_view .o_field_widget[name='partner_id'] a.o_form_uri",
            run: "click",
        },
        {
            content: "Open the customer's Credit tab",
            trigger: ".o_form_view .o_notebook .nav-link[name='revcycle_credit']",
            run: "click",
        },
        {
            content: "The credit manager raises the limit to 300.00",
            trigger: ".o_form_view .tab-pane.active .o_field_widget[name='credit_limit'] input",
            run: "edit 300",
        },
        {
            content: "Save the customer",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "Back to the contract (the breadcrumb before the customer's, not the contracts list)",
            trigger: ".o_breadcrumb .breadcrumb-item:not(.active) a:contains('CTR/')",
            run: "click",
        },
        {
            content: "Activate it again",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_activate']",
            run: "click",
        },
        {
            content: "The contract is active",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Active')",
        },
    ],
});
