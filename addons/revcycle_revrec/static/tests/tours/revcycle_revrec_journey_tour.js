import { registry } from "@web/core/registry";

// The accountant's main journey through revenue recognition, from the apps menu: the revenue contract of the demo's
// ASC 606 worked example (90,000 sold as licence 50,000 + support 30,000 + installation 10,000, SSPs 45,000 /
// 27,000 / 18,000 summing to 90,000), its allocation by relative SSP, its schedule, then the revenue waterfall.
registry.category("web_tour.tours").add("revcycle_revrec_journey_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Revenue Cycle app",
            trigger: ".dropdown-item[data-menu-xmlid='revcycle_base.revcycle_menu_root']",
            run: "click",
        },
        {
            content: "Open Revenue Recognition",
            trigger: ".o_menu_sections button[data-menu-xmlid='revcycle_revrec.revcycle_revrec_menu']",
            run: "click",
        },
        {
            content: "Open the revenue contracts",
            trigger: ".dropdown-item[data-menu-xmlid='revcycle_revrec.revcycle_revenue_contract_menu']",
            run: "click",
        },
        {
            content: "Open the worked example's contract (transaction price 90,000.00)",
            trigger: ".o_list_view .o_data_row:contains('90,000.00') .o_data_cell[name='name']",
            run: "click",
        },
        {
            content: "Installation is allocated its SSP share: 90,000 x 18,000 / 90,000 = 18,000.00",
            trigger: ".o_field_widget[name='obligation_ids'] .o_data_row:contains('Installation'):contains('18,000.00')",
        },
        {
            content: "The licence gets 90,000 x 45,000 / 90,000 = 45,000.00, not its 50,000 selling price",
            trigger: ".o_field_widget[name='obligation_ids'] .o_data_row:contains('Licence'):contains('45,000.00')",
        },
        {
            content: "Open the revenue schedule",
            trigger: ".o_notebook .nav-link:contains('Revenue Schedule')",
            run: "click",
        },
        {
            content: "The support's monthly lines are planned",
            trigger: ".o_field_widget[name='line_ids'] .o_data_row:contains('Support')",
        },
        {
            content: "Open Revenue Recognition again",
            trigger: ".o_menu_sections button[data-menu-xmlid='revcycle_revrec.revcycle_revrec_menu']",
            run: "click",
        },
        {
            content: "Open the revenue waterfall",
            trigger: ".dropdown-item[data-menu-xmlid='revcycle_revrec.revcycle_revenue_line_menu']",
            run: "click",
        },
        {
            content: "The waterfall shows the support obligation by recognition month",
            trigger: ".o_pivot th:contains('Support, 12 months')",
        },
    ],
});
