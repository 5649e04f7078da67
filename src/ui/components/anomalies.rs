//! The anomaly feed: every anomaly with the engine's own explanation.
use super::ActionProps;
use crate::engine::observe::{seconds, AnomalyKind};
use crate::ui::state::Action;
use yew::prelude::*;

#[component]
pub fn AnomalyFeed(props: &ActionProps) -> Html {
    let model = props.model.borrow();
    let anomalies = model.engine.anomalies();
    html! {
        <section class="panel" aria-labelledby="anomalies-title">
            <h2 id="anomalies-title">{format!("Anomalies ({})", model.engine.anomaly_count())}</h2>
            if anomalies.is_empty() {
                <p class="empty">{"None yet. Press Play and watch."}</p>
            } else {
                <ol class="anomalies" data-testid="anomalies">
                    { for anomalies.iter().enumerate().rev().take(200).map(|(i, a)| {
                        let on_action = props.on_action.clone();
                        let onclick = Callback::from(move |_: MouseEvent| on_action.emit(Action::FocusAnomaly(i)));
                        html! {
                            // Keyed: a new anomaly is one inserted item, not 200 rewritten ones.
                            <li key={i} class={classes!(matches!(a.kind, AnomalyKind::DeadLettered).then_some("parked"))} data-kind={format!("{:?}", a.kind)}>
                                <button class="anomaly" {onclick} title="Jump to this moment and show the message's journey">
                                    <span class="time">{seconds(a.at_ms)}</span>
                                    <span class="kind">{crate::ui::labels::anomaly_label(a.kind)}</span>
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
