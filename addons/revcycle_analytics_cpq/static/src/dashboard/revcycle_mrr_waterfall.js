import { useRef } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { RevcycleDashboard } from "@revcycle_analytics/dashboard/revcycle_dashboard";

/** The MRR movement waterfall of the Revenue Cycle dashboard: drawn from the mrr_movements KPI this bridge declares. */
patch(RevcycleDashboard.prototype, {
    setup() {
        super.setup();
        this.waterfallRef = useRef("waterfall");
    },

    renderCharts() {
        super.renderCharts();
        const movements = this.state.data && this.state.data.kpis.mrr_movements;
        if (movements && this.waterfallRef.el) {
            this.charts.push(new Chart(this.waterfallRef.el, this.waterfallConfig(movements.value)));
        }
    },

    /** A waterfall as floating bars: each movement spans from the running total before it to the one after. */
    waterfallConfig(movements) {
        const steps = [
            [_t("Start"), movements.start, "total"],
            [_t("New"), movements.new, "up"],
            [_t("Expansion"), movements.expansion, "up"],
            [_t("Reactivation"), movements.reactivation, "up"],
            [_t("Contraction"), -movements.contraction, "down"],
            [_t("Churn"), -movements.churn, "down"],
            [_t("End"), movements.end, "total"],
        ];
        const colors = { total: "#017e84", up: "#28a745", down: "#dc3545" };
        let running = 0;
        const bars = steps.map(([, amount, kind]) => {
            if (kind === "total") {
                running = amount;
                return [0, amount];
            }
            const bar = [running, running + amount];
            running += amount;
            return bar;
        });
        return {
            type: "bar",
            data: {
                labels: steps.map(([label]) => label),
                datasets: [
                    {
                        label: _t("MRR"),
                        data: bars,
                        backgroundColor: steps.map(([, , kind]) => colors[kind]),
                    },
                ],
            },
            options: {
                maintainAspectRatio: false,
                animation: false,
                plugins: { legend: { display: false } },
            },
        };
    },
});
