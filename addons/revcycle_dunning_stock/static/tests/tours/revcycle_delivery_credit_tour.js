import { registry } from "@web/core/registry";

// A warehouse validates the delivery of an order whose customer has since gone over their credit limit (1,100.00
// owed against 1,000.00): refused with both figures. The credit manager opens the customer from the delivery, raises
// the limit to 1,100.00, comes back and the delivery is validated.
registry.category("web_tour.tours").add("revcycle_delivery_credit_tour", {
    steps: () => [
        {
            content: "Validate the delivery",
            trigger: ".o_form_view .o_statusbar_buttons button[name='button_validate']",
            run: "click",
        },
        {
            content: "Refused: the customer's exposure against their limit",
            trigger: ".modal:contains('cannot be validated'):contains('1,100.00'):contains('1,000.00')",
        },
        {
            content: "Close the refusal",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The delivery is not done",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Ready')",
        },
        {
            content: "Focus the customer field (its internal link shows on focus)",
            trigger: ".o_form_view .o_field_widget[name='partner_id'] input",
            run: "click",
        },
        {
            content: "Open the customer",
            trigger: ".o_form_view .o_field_widget[name='partner_id'] .o_external_button",
            run: "click",
        },
        {
            content: "Open the customer's Credit tab",
            trigger: ".o_form_view .o_notebook .nav-link[name='revcycle_credit']",
            run: "click",
        },
        {
            content: "The credit manager raises the limit to 1,100.00",
            trigger: ".o_form_view .tab-pane.active .o_field_widget[name='credit_limit'] input",
            run: "edit 1100",
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
            content: "Back to the delivery",
            trigger: ".o_breadcrumb .breadcrumb-item:not(.active) a:contains('/OUT/')",
            run: "click",
        },
        {
            content: "Validate it again",
            trigger: ".o_form_view .o_statusbar_buttons button[name='button_validate']",
            run: "click",
        },
        {
            content: "The delivery is done",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Done')",
        },
    ],
});
