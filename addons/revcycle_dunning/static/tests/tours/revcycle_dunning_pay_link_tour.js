import { registry } from "@web/core/registry";

// The customer follows the payment link of a dunning email: the invoice's portal page (no login, the link's access
// token), Pay Now, the company's card provider (Odoo's demo provider in test mode), and the payment confirmed.
registry.category("web_tour.tours").add("revcycle_dunning_pay_link_tour", {
    steps: () => [
        {
            content: "The linked invoice offers to pay it",
            trigger: "a.btn[data-bs-target='#pay_with']",
            run: "click",
        },
        {
            content: "Choose the card provider",
            trigger: "#pay_with input[name='o_payment_radio'][data-provider-code='demo']",
            run: "click",
        },
        {
            content: "Enter the (test) card number",
            trigger: "#pay_with input[name='customer_input']",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: "#pay_with button[name='o_payment_submit_button']:not(:disabled)",
            run: "click",
        },
        {
            content: "The payment is confirmed",
            trigger: "div[name='o_payment_status_alert']",
            // the status page is a new page: its asset bundles are built on their first request (7.4 s seen on a
            // loaded 2-core machine, past the tour's 10 s step timeout) before it polls the transaction
            timeout: 30000,
        },
    ],
});
