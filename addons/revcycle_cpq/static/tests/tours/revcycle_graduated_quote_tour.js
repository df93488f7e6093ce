import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";
import tourUtils from "@sale/js/tours/tour_utils";

// A salesperson quotes 230 calls of a graduated product whose tiers start at 1, 101 and 201 (10.00, 8.00, 6.00):
// across two thresholds, 100 x 10 + 100 x 8 + 30 x 6 = 1,980.00. The line shows the unit price 8.61 (1,980 / 230,
// rounded) and the amount 1,980.00, not 8.61 x 230 = 1,980.30.
registry.category("web_tour.tours").add("revcycle_graduated_quote_tour", {
    url: "/odoo/sales",
    steps: () => [
        ...tourUtils.createNewSalesOrder(),
        ...tourUtils.selectCustomer("Tour Graduated Customer"),
        ...tourUtils.addProduct("Tour Graduated Calls"),
        {
            content: "Quote 230 calls",
            trigger: ".o_selected_row div[name='product_uom_qty'] input",
            run: "edit 230",
        },
        ...tourUtils.clickSomewhereElse(),
        {
            content: "The unit price is the tier total over the quantity, rounded",
            trigger: ".o_data_row td[name='price_unit']:contains('8.61')",
        },
        {
            content: "The line's amount is the tier total to the cent",
            trigger: ".o_data_row td[name='price_subtotal']:contains('1,980.00')",
        },
        ...stepUtils.saveForm(),
        {
            content: "Saved, the order's untaxed amount is the tier total",
            trigger: "[name='tax_totals']:contains('1,980.00')",
        },
    ],
});
