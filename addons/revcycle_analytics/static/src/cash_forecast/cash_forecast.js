import { Component, onWillStart, onWillUnmount, onWillUpdateProps, useEffect, useRef, useState } from "@odoo/owl";
import { formatDate, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { formatMonetary } from "@web/views/fields/formatters";

const { DateTime } = luxon;

/** The 13-week cash-in forecast of the dashboard (revcycle.kpi.get_cash_forecast): the weekly receipts with their
 * band and the due-date forecast, the items behind a week, a scenario, and the backtest figures on demand. */
export class RevcycleCashForecast extends Component {
    static template = "revcycle_analytics.CashForecast";
    static props = { companyIds: { type: Array } };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({
            data: null,
            week: null,
            delayDays: 0,
            billingDays: 0,
            backtest: null,
            backtestLoading: false,
        });
        this.chartRef = useRef("forecast");
        this.chart = null;
        onWillStart(() => this.load(this.props.companyIds));
        onWillUpdateProps((next) => {
            if (next.companyIds.join(",") !== this.props.companyIds.join(",")) {
                this.state.backtest = null;
                return this.load(next.companyIds);
            }
        });
        useEffect(
            () => this.renderChart(),
            () => [this.state.data]
        );
        onWillUnmount(() => this.chart && this.chart.destroy());
    }

    async load(companyIds) {
        const scenario =
            this.state.delayDays || this.state.billingDays
                ? { delay_days: this.state.delayDays, billing_days: this.state.billingDays }
                : false;
        this.state.data = await this.orm.call("revcycle.kpi", "get_cash_forecast", [
            DateTime.local().toISODate(),
            13,
            companyIds.length ? companyIds : false,
            scenario,
        ]);
        this.state.week = null;
    }

    async onScenario(field, ev) {
        const value = parseInt(ev.target.value || "0", 10);
        this.state[field] = Number.isFinite(value) ? Math.max(-365, Math.min(365, value)) : 0;
        await this.load(this.props.companyIds);
    }

    async loadBacktest() {
        this.state.backtestLoading = true;
        try {
            this.state.backtest = await this.orm.call("revcycle.kpi", "get_cash_backtest", [
                false,
                13,
                6,
                this.props.companyIds.length ? this.props.companyIds : false,
            ]);
        } finally {
            this.state.backtestLoading = false;
        }
    }

    selectWeek(week) {
        this.state.week = this.state.week === week ? null : week;
    }

    openItem(item) {
        const [model, resId] = item.move_id ? ["account.move", item.move_id] : [item.model, item.res_id];
        if (!resId) {
            return;
        }
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: model,
            res_id: resId,
            views: [[false, "form"]],
            target: "current",
        });
    }

    formatMoney(value) {
        return formatMonetary(value, { currencyId: this.state.data.currency_id });
    }

    formatDay(isoDate) {
        return isoDate ? formatDate(DateTime.fromISO(isoDate)) : "";
    }

    formatMoment(utcDatetime) {
        // learned_at is a UTC "YYYY-MM-DD HH:MM:SS": shown in the user's time zone
        return utcDatetime ? formatDateTime(DateTime.fromSQL(utcDatetime, { zone: "utc" }).toLocal()) : "";
    }

    formatPercent(value, digits = 1) {
        return value === false || value === null ? _t("n/a") : `${formatFloat(value, { digits: [false, digits] })} %`;
    }

    scenarioWeek(week) {
        const scenario = this.state.data.scenario;
        return scenario ? scenario.weeks[week.week - 1] : null;
    }

    renderChart() {
        if (this.chart) {
            this.chart.destroy();
            this.chart = null;
        }
        const data = this.state.data;
        if (!data || !this.chartRef.el) {
            return;
        }
        const labels = data.weeks.map((week) => this.formatDay(week.date_from));
        const datasets = [
            {
                type: "line",
                label: _t("High (90th percentile)"),
                data: data.weeks.map((week) => week.high),
                borderColor: "rgba(1, 126, 132, 0.3)",
                backgroundColor: "rgba(1, 126, 132, 0.12)",
                pointRadius: 0,
                fill: "+1",
            },
            {
                type: "line",
                label: _t("Low (10th percentile)"),
                data: data.weeks.map((week) => week.low),
                borderColor: "rgba(1, 126, 132, 0.3)",
                pointRadius: 0,
                fill: false,
            },
            {
                type: "bar",
                label: _t("Expected receipts"),
                data: data.weeks.map((week) => week.expected),
                backgroundColor: "#017e84",
            },
            {
                type: "line",
                label: _t("Due-date forecast"),
                data: data.weeks.map((week) => week.due_date_forecast),
                borderColor: "#c8c8d0",
                borderDash: [4, 4],
                fill: false,
            },
        ];
        if (data.scenario) {
            datasets.push({
                type: "line",
                label: _t("Scenario"),
                data: data.scenario.weeks.map((week) => week.expected),
                borderColor: "#714b67",
                fill: false,
            });
        }
        this.chart = new Chart(this.chartRef.el, {
            type: "bar",
            data: { labels, datasets },
            options: {
                maintainAspectRatio: false,
                animation: false,
                onClick: (_event, elements) => {
                    if (elements.length) {
                        this.selectWeek(data.weeks[elements[0].index]);
                    }
                },
                scales: { y: { ticks: { callback: (value) => this.formatMoney(value) } } },
                plugins: {
                    tooltip: {
                        callbacks: { label: (item) => `${item.dataset.label}: ${this.formatMoney(item.parsed.y)}` },
                    },
                },
            },
        });
    }
}
