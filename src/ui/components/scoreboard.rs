//! The live figures a trainer points at.
use super::ModelProps;
use yew::prelude::*;

#[component]
pub fn Scoreboard(props: &ModelProps) -> Html {
    let model = props.model.borrow();
    let c = model.engine.counters();
    let depth: u64 = model.engine.queues().iter().map(|q| q.store.depth()).sum();
    let rows: Vec<(&str, &str, u64, bool)> = vec![
        ("produced", "Produced", c.produced, false),
        ("appended", "Appended", c.appended, c.appended > c.produced),
        ("delivered", "Delivered", c.deliveries, false),
        ("processed", "Processed", c.processed, false),
        ("effects", "Effects applied", c.effects_applied, false),
        ("duplicates", "Duplicate effects", c.duplicate_effects, c.duplicate_effects > 0),
        ("lost", "Lost", c.lost_messages, c.lost_messages > 0),
        ("dead-lettered", "Dead-lettered", c.dead_lettered, c.dead_lettered > 0),
        (
            "dead-lettered-after-effect",
            "Dead-lettered, effect applied",
            c.dead_lettered_after_effect,
            c.dead_lettered_after_effect > 0,
        ),
        ("out-of-order", "Out of order", c.out_of_order, c.out_of_order > 0),
        ("stale-reads", "Stale reads", c.stale_reads, c.stale_reads > 0),
        ("crashes", "Crashes", c.crashes, false),
        ("queue-depth", "Queue depth", depth, false),
    ];
    let status = if model.engine.halted().is_some() {
        "stopped at its work budget: what was still in flight stays in flight"
    } else if model.engine.is_finished() {
        "finished: every message is effected, parked or lost"
    } else {
        "running"
    };
    html! {
        <section class="panel" aria-labelledby="scoreboard-title">
            <h2 id="scoreboard-title">{"Scoreboard"}</h2>
            <dl class="scoreboard" data-testid="scoreboard">
                { for rows.into_iter().map(|(id, label, value, bad)| html! {
                    <div class={classes!(bad.then_some("bad"))}>
                        <dt>{label}</dt>
                        <dd data-testid={format!("score-{id}")}>{value}</dd>
                    </div>
                }) }
            </dl>
            <p class="empty" data-testid="run-status">{status}</p>
            <p class="trace-id" title="A fingerprint of every event so far: the same scenario, seed and moment give the same fingerprint on every machine">
                {"Trace "}<code data-testid="trace-hash">{model.engine.trace().hash.hex()}</code>
            </p>
        </section>
    }
}

/// The few figures that stay on screen beside the picture: duplicates, losses, anomalies, and whether
/// the run is over (losses are final only then).
#[component]
pub fn Figures(props: &ModelProps) -> Html {
    let model = props.model.borrow();
    let c = model.engine.counters();
    let finished = model.engine.is_finished();
    let figure = |id: &'static str, label: &'static str, value: u64| {
        html! {
            <span class={classes!("figure", (value > 0).then_some("bad"))}>
                {label}{" "}<strong data-testid={format!("figure-{id}")}>{value}</strong>
            </span>
        }
    };
    html! {
        <p class="figures" data-testid="figures" aria-label="Key figures">
            { figure("duplicates", "Duplicates", c.duplicate_effects) }
            { figure("lost", "Lost", c.lost_messages) }
            { figure("anomalies", "Anomalies", model.engine.anomaly_count()) }
            <span class={classes!("figure", "status", finished.then_some("done"))} data-testid="figure-status">
                { if model.engine.halted().is_some() { "stopped at its budget" }
                  else if finished { "run over: final" } else if model.playing { "running" } else { "paused" } }
            </span>
        </p>
    }
}
