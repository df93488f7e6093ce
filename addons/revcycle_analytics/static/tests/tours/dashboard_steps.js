// Steps every dashboard tour takes, in one place: the tours of the bridges import them (the dashboard is
// revcycle_analytics', so are the ways to reach it and to move its period).

/** A tour step's run: types a value into a date input of the dashboard the way a user's change does. */
export function setDate(selector, value) {
    return function () {
        const input = document.querySelector(selector);
        input.value = value;
        input.dispatchEvent(new Event("change", { bubbles: true }));
    };
}

/** From the home page to the dashboard, through the app menu as a user goes (the dashboard is the app's first menu). */
export function openDashboardSteps() {
    return [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Revenue Cycle app: the dashboard is its first menu",
            trigger: ".dropdown-item[data-menu-xmlid='revcycle_base.revcycle_menu_root']",
            run: "click",
        },
    ];
}

/**
 * Moves the dashboard's period to the month of `year` and `month` ("01".."12"; the tours' users write dates as
 * MM/DD/YYYY) and waits until the dashboard has reloaded for it.
 */
export function monthPeriodSteps(year, month, lastDay) {
    const first = `${month}/01/${year}`;
    const last = `${month}/${lastDay}/${year}`;
    return [
        {
            content: `Period starts on ${first}`,
            trigger: ".o_revcycle_date_from",
            run: setDate(".o_revcycle_date_from", `${year}-${month}-01`),
        },
        {
            content: `... and ends on ${last} (dates in the user's format)`,
            trigger: `.o_revcycle_period_label:contains('${first}')`,
            run: setDate(".o_revcycle_date_to", `${year}-${month}-${lastDay}`),
        },
        {
            content: `The dashboard reloaded for ${first} → ${last}`,
            trigger: `.o_revcycle_period_label:contains('${first} → ${last}')`,
        },
    ];
}
