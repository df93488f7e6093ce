import { registry } from "@web/core/registry";

// The customer raises the seats of their subscription in the portal: the prorated amount is shown before they
// confirm, and the page says the change is recorded.
registry.category("web_tour.tours").add("revcycle_contract_self_service_tour", {
    steps: () => [
        {
            content: "Twelve seats instead of ten",
            trigger: "form.o_revcycle_change_quantity input[name='quantity']",
            run: "edit 12",
        },
        {
            content: "Ask for the change",
            trigger: "form.o_revcycle_change_quantity button[type='submit']",
            run: "click",
        },
        {
            content: "The prorated amount is shown before confirming",
            trigger: ".o_revcycle_amend_preview .o_revcycle_prorated",
        },
        {
            content: "Confirm",
            trigger: "button.o_revcycle_confirm",
            run: "click",
        },
        {
            content: "The change is recorded",
            trigger: ".alert-success:contains('Your change is recorded.')",
        },
    ],
});
