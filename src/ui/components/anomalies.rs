//! The anomaly feed: every anomaly of the whole run with the engine's own explanation, the ones still
//! ahead of the moment on screen included (known from the run's copy), the one shown marked: a tour.
use super::ActionProps;
use crate::engine::observe::{seconds, Anomaly, AnomalyKind};
use crate::ui::state::Action;
use yew::prelude::*;

/// The feed lists at most this many, from the first.
const FEED_LEN: usize = 200;

#[component]
pub fn AnomalyFeed(props: &ActionProps) -> Html {
    let model = props.model.borrow();
    // The copy's list when it saw the whole run; the live one when it goes further (a run past the copy).
    let anomalies: &[Anomaly] = if model.run_anomalies.len() >= model.engine.anomalies().len() {
        &model.run_anomalies
    } else {
        model.engine.anomalies()
    };
    let reached = model.engine.anomalies().len();
    let current = model.focus.as_ref().map(|f| f.index);
    let title = format!("Anomalies ({} of {} so far)", reached, model.tour_len());
    html! {
        <section class="panel" aria-labelledby="anomalies-title">
            <h2 id="anomalies-title">{title}</h2>
            if anomalies.is_empty() {
                <p class="empty">{"None in this run."}</p>
            } else {
                <p class="hint">{"Click one to go to it; ] and [ go to the next and the previous."}</p>
                <ol class="anomalies" data-testid="anomalies">
                    { for anomalies.iter().enumerate().take(FEED_LEN).map(|(i, a)| {
                        let on_action = props.on_action.clone();
                        let onclick = Callback::from(move |_: MouseEvent| on_action.emit(Action::FocusAnomaly(i)));
                        let classes = classes!(
                            matches!(a.kind, AnomalyKind::DeadLettered).then_some("parked"),
                            (i >= reached).then_some("ahead"),
                            (current == Some(i)).then_some("current"),
                        );
                        html! {
                            <li key={i} class={classes} data-kind={crate::ui::labels::anomaly_label(a.kind)}>
                                <button class="anomaly" {onclick} aria-current={(current == Some(i)).then_some("true")}
                                    title={if i >= reached { "Still ahead: run to this moment and show it" } else { "Go back to this moment and show it" }}>
                                    <span class="time">{seconds(a.at_ms)}</span>
                                    <span class="kind">{crate::ui::labels::anomaly_label(a.kind)}</span>
                                    if i >= reached { <span class="ahead-word">{" (ahead)"}</span> }
                                    <span class="explanation">{a.explanation.clone()}</span>
                                </button>
                            </li>
                        }
                    }) }
                </ol>
            }
        </section>
    }
}
