//! Play/pause, step, restart, fast-forward, speed, seed and the time scrubber.
use super::ActionProps;
use crate::engine::observe::seconds;
use crate::ui::state::{Action, SPEEDS};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

fn speed_label(s: f64) -> String {
    if s < 1.0 {
        format!("{s}×")
    } else {
        format!("{}×", s as u64)
    }
}

#[component]
pub fn Controls(props: &ActionProps) -> Html {
    let model = props.model.borrow();
    let send = |action: Action| {
        let on_action = props.on_action.clone();
        Callback::from(move |_| on_action.emit(action.clone()))
    };
    let on_preset = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(i) = select.value().parse::<usize>() {
                on_action.emit(Action::SelectPreset(i));
            }
        })
    };
    let on_speed = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(s) = select.value().parse::<f64>() {
                on_action.emit(Action::SetSpeed(s));
            }
        })
    };
    let on_seed = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            on_action.emit(Action::SetSeed(input.value()));
        })
    };
    let on_scrub = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(t) = input.value().parse::<u64>() {
                on_action.emit(Action::Scrub(t));
            }
        })
    };
    let now = model.engine.now();
    let finished = model.engine.is_finished();
    let play_label = if model.playing {
        "Pause"
    } else if finished {
        "Replay"
    } else {
        "Play"
    };
    html! {
        <div class="controls" role="toolbar" aria-label="Simulation controls">
            <div class="group">
                <label class="inline" for="preset">{"Scenario"}</label>
                <select id="preset" data-testid="preset" onchange={on_preset}>
                    { for model.presets.iter().enumerate().map(|(i, (_, s))| html! {
                        <option value={i.to_string()} selected={i == model.preset}>{format!("{}. {}", i + 1, s.name)}</option>
                    }) }
                </select>
            </div>
            <span class="sep" aria-hidden="true"></span>
            <div class="group">
                <button class="primary" data-testid="play" aria-keyshortcuts="Space" onclick={send(Action::TogglePlay)}>{play_label}</button>
                <button data-testid="step" aria-keyshortcuts="ArrowRight" title="Run the next engine event (→)" onclick={send(Action::Step)} disabled={finished}>{"Step ▸"}</button>
                <button data-testid="restart" aria-keyshortcuts="R" title="Restart from t = 0 (R)" onclick={send(Action::Restart)}>{"Restart"}</button>
                <button data-testid="fast-forward" title="Run to the end of the healing phase" onclick={send(Action::FastForward)} disabled={finished}>{"To end »"}</button>
            </div>
            <div class="group">
                <label class="inline" for="speed">{"Speed"}</label>
                <select id="speed" data-testid="speed" onchange={on_speed}>
                    { for SPEEDS.iter().map(|&s| html! {
                        <option value={s.to_string()} selected={(s - model.speed).abs() < 1e-9}>{speed_label(s)}</option>
                    }) }
                </select>
            </div>
            <div class="group">
                <label class="inline" for="seed">{"Seed"}</label>
                <input id="seed" data-testid="seed" type="number" min="0" step="1" value={model.scenario.seed.to_string()} onchange={on_seed} />
                <button data-testid="new-seed" onclick={send(Action::NewSeed)}>{"New seed"}</button>
            </div>
            <div class="scrubber">
                <label class="visually-hidden" for="scrubber">{"Virtual time"}</label>
                <input id="scrubber" data-testid="scrubber" type="range" min="0" max={model.end_ms.to_string()} step="1"
                    value={now.min(model.end_ms).to_string()} oninput={on_scrub} aria-valuetext={seconds(now)} />
                <span class="clock" data-testid="clock" aria-label="virtual time">{seconds(now)}</span>
            </div>
        </div>
    }
}
