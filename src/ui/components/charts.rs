//! Lag and queue depth over time, and end-to-end latency: small SVG charts drawn from `chart::chart`.
use super::ModelProps;
use crate::engine::observe::seconds;
use crate::number::decimal;
use crate::ui::chart::chart;
use yew::prelude::*;

const W: f64 = 300.0;
const H: f64 = 90.0;

#[component]
pub fn Charts(props: &ModelProps) -> Html {
    let model = props.model.borrow();
    let e = &model.engine;
    let latency = e.latency();
    let summary = if latency.count == 0 {
        "No message has completed yet.".to_string()
    } else {
        format!(
            "End-to-end latency: p50 {} ms · p95 {} ms · max {} ms",
            latency.quantile_ms(0.5),
            latency.quantile_ms(0.95),
            latency.max_ms
        )
    };
    html! {
        <section class="panel" aria-labelledby="charts-title">
            <h2 id="charts-title">{"Lag and depth over time"}</h2>
            if let Some(c) = chart(e, W, H) {
                <svg class="chart" data-testid="chart" viewBox={format!("-2 -4 {} {}", decimal(W + 4.0), decimal(H + 22.0))} role="img"
                    aria-label={format!("Line chart up to {}: {}", seconds(c.end_ms),
                        c.series.iter().map(|s| format!("{} now {}", s.label, s.last)).collect::<Vec<_>>().join(", "))}>
                    <line class="axis" x1="0" y1={decimal(H)} x2={decimal(W)} y2={decimal(H)} />
                    <line class="axis" x1="0" y1="0" x2="0" y2={decimal(H)} />
                    <text class="tick" x="4" y="8">{format!("max {}", c.max)}</text>
                    <text class="tick" x={decimal(W)} y={decimal(H + 14.0)} text-anchor="end">{seconds(c.end_ms)}</text>
                    { for c.series.iter().map(|s| html! {
                        <path class="series" d={s.path.clone()} stroke-dasharray={s.dash}><title>{s.label.clone()}</title></path>
                    }) }
                </svg>
                <ul class="legend">
                    { for c.series.iter().map(|s| html! {
                        <li>
                            <svg width="28" height="8" aria-hidden="true"><line class="series" x1="0" y1="4" x2="28" y2="4" stroke-dasharray={s.dash} /></svg>
                            {format!("{}: {}", s.label, s.last)}
                        </li>
                    }) }
                </ul>
            } else {
                <p class="empty">{"Press Play: lag and depth are sampled as the run goes."}</p>
            }
            <p class="figure" data-testid="latency">{summary}</p>
        </section>
    }
}
