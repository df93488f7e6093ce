import { Component, onWillStart, onWillUnmount, status, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { formatDate } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { download } from "@web/core/network/download";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { formatMonetary } from "@web/views/fields/formatters";
import { RevcycleCashForecast } from "../cash_forecast/cash_forecast";

const { DateTime } = luxon;

/** The period presets of the selector: each returns [from, to] as luxon dates. */
function periodPresets() {
    const today = DateTime.local().startOf("day");
    return [
        { key: "month", label: _t("This month"), range: () => [today.startOf("month"), today.endOf("month")] },
        {
            key: "last_month",
            label: _t("Last month"),
            range: () => [today.minus({ months: 1 }).startOf("month"), today.minus({ months: 1 }).endOf("month")],
        },
        {
            key: "quarter",
            label: _t("Last 3 months"),
            range: () => [today.minus({ months: 2 }).startOf("month"), today.endOf("month")],
        },
        {
            key: "year",
            label: _t("Last 12 months"),
            range: () => [today.minus({ months: 11 }).startOf("month"), today.endOf("month")],
        },
        { key: "this_year", label: _t("This year"), range: () => [today.startOf("year"), today.endOf("year")] },
        {
            key: "last_year",
            label: _t("Last year"),
            range: () => [today.minus({ years: 1 }).startOf("year"), today.minus({ years: 1 }).endOf("year")],
        },
    ];
}

export class RevcycleDashboard extends Component {
    static template = "revcycle_analytics.Dashboard";
    static props = ["*"];
    static components = { RevcycleCashForecast };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.presets = periodPresets();
        const [from, to] = this.presets.find((preset) => preset.key === "year").range();
        this.state = useState({
            preset: "year",
            dateFrom: from.toISODate(),
            dateTo: to.toISODate(),
            companyIds: [],
            data: null,
            loading: false,
            rangeError: "",
        });
        this.agingRef = useRef("aging");
        this.trendRef = useRef("trend");
        this.charts = [];
        onWillStart(async () => {
            await loadBundle("web.chartjs_lib");
            await this.load();
        });
        useEffect(
            () => this.renderCharts(),
            () => [this.state.data]
        );
        onWillUnmount(() => this.destroyCharts());
    }

    async load() {
        if (status(this) === "destroyed") {
            return; // the user left while the chart library was loading
        }
        this.state.loading = true;
        try {
            // everything the dashboard shows comes from this one call
            this.state.data = await this.orm.call("revcycle.kpi", "get_dashboard_data", [
                this.state.dateFrom,
                this.state.dateTo,
                this.state.companyIds.length ? this.state.companyIds : false,
            ]);
            if (!this.state.companyIds.length) {
                this.state.companyIds = [...this.state.data.company_ids];
            }
        } finally {
            this.state.loading = false;
        }
    }

    // -- selectors ------------------------------------------------------------------------------------------------
    async onPreset(ev) {
        const preset = this.presets.find((p) => p.key === ev.target.value);
        this.state.preset = ev.target.value;
        if (preset) {
            this.state.rangeError = "";
            const [from, to] = preset.range();
            this.state.dateFrom = from.toISODate();
            this.state.dateTo = to.toISODate();
            await this.load();
        }
    }

    async onDateChange(field, ev) {
        if (!ev.target.value) {
            return;
        }
        this.state[field] = ev.target.value;
        this.state.preset = "custom";
        // an invalid range says so and hides the figures of the last valid one (they are not this period's)
        if (this.state.dateFrom > this.state.dateTo) {
            this.state.rangeError = _t(
                "The period starts on %(start)s, after its end on %(end)s: choose a start on or before the end.",
                { start: this.formatDay(this.state.dateFrom), end: this.formatDay(this.state.dateTo) }
            );
            return;
        }
        this.state.rangeError = "";
        await this.load();
    }

    async toggleCompany(companyId) {
        const selected = new Set(this.state.companyIds);
        if (selected.has(companyId)) {
            if (selected.size === 1) {
                return; // at least one company stays selected
            }
            selected.delete(companyId);
        } else {
            selected.add(companyId);
        }
        this.state.companyIds = [...selected];
        await this.load();
    }

    onExport() {
        return download({
            url: "/revcycle_analytics/kpis.xlsx",
            data: {
                date_from: this.state.dateFrom,
                date_to: this.state.dateTo,
                company_ids: this.state.companyIds.join(","),
            },
        });
    }

    openCard(card) {
        if (card.action) {
            return this.action.doAction(card.action);
        }
    }

    // -- formatting: Odoo's formatters, so numbers, amounts and dates follow the user's language ------------------
    formatMoney(value) {
        return formatMonetary(value, { currencyId: this.state.data.currency_id });
    }

    formatDay(isoDate) {
        return formatDate(DateTime.fromISO(isoDate));
    }

    format(card, value) {
        if (value === false || value === null || value === undefined) {
            return _t("n/a");
        }
        if (card.unit === "money") {
            return this.formatMoney(value);
        }
        if (card.unit === "percent") {
            return `${formatFloat(value, { digits: [false, 1] })} %`;
        }
        return _t("%(days)s days", { days: formatFloat(value, { digits: [false, 1] }) });
    }

    trend(card) {
        const kpi = this.state.data.kpis[card.key];
        if (typeof kpi.value !== "number" || typeof kpi.previous !== "number") {
            return { icon: "fa-minus", css: "text-muted", text: "" };
        }
        const delta = kpi.value - kpi.previous;
        if (Math.abs(delta) < 1e-9) {
            return { icon: "fa-minus", css: "text-muted", text: "0" };
        }
        const good = delta > 0 === card.higher_is_better;
        const percent = kpi.previous ? ` (${formatFloat((delta / Math.abs(kpi.previous)) * 100, { digits: [false, 1] })} %)` : "";
        return {
            icon: delta > 0 ? "fa-arrow-up" : "fa-arrow-down",
            css: good ? "text-success" : "text-danger",
            text: `${delta > 0 ? "+" : ""}${formatFloat(delta, { digits: [false, 1] })}${percent}`,
        };
    }

    // -- charts (Chart.js, the library Odoo's graph view loads) ---------------------------------------------------
    destroyCharts() {
        for (const chart of this.charts) {
            chart.destroy();
        }
        this.charts = [];
    }

    renderCharts() {
        this.destroyCharts();
        const data = this.state.data;
        if (!data) {
            return;
        }
        const kpis = data.kpis;
        if (kpis.ar_aging && this.agingRef.el) {
            const buckets = kpis.ar_aging.value;
            this.charts.push(
                new Chart(this.agingRef.el, {
                    type: "bar",
                    data: {
                        labels: buckets.map((bucket) => bucket.bucket),
                        datasets: [
                            {
                                label: _t("Previous period"),
                                data: kpis.ar_aging.previous.map((bucket) => bucket.amount),
                                backgroundColor: "#c8c8d0",
                            },
                            {
                                label: _t("Open receivables"),
                                data: buckets.map((bucket) => bucket.amount),
                                backgroundColor: "#017e84",
                            },
                        ],
                    },
                    options: this.chartOptions((value) => this.formatMoney(value)),
                })
            );
        }
        if (data.dso_trend && this.trendRef.el) {
            this.charts.push(
                new Chart(this.trendRef.el, {
                    type: "line",
                    data: {
                        labels: data.dso_trend.map((point) =>
                            DateTime.fromISO(point.month).toLocaleString({ month: "short", year: "numeric" })
                        ),
                        datasets: [
                            {
                                label: _t("DSO (days)"),
                                data: data.dso_trend.map((point) => (point.dso === false ? null : point.dso)),
                                borderColor: "#714b67",
                                backgroundColor: "#714b67",
                                spanGaps: true,
                            },
                        ],
                    },
                    options: this.chartOptions((value) => formatFloat(value, { digits: [false, 1] })),
                })
            );
        }
    }

    /** Chart options whose value axis and tooltips use the user's number format. */
    chartOptions(formatValue) {
        return {
            maintainAspectRatio: false,
            animation: false,
            scales: { y: { ticks: { callback: (value) => formatValue(value) } } },
            plugins: {
                tooltip: {
                    callbacks: { label: (item) => `${item.dataset.label}: ${formatValue(item.parsed.y)}` },
                },
            },
        };
    }
}

registry.category("actions").add("revcycle_analytics.dashboard", RevcycleDashboard);
