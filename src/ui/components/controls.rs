//! Play/pause, step, restart, fast-forward, speed, seed and the time scrubber.
use super::ActionProps;
use crate::engine::observe::seconds;
use crate::ui::state::{Action, Goal, SPEEDS};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

pub(super) fn speed_label(s: f64) -> String {
    if s < 1.0 {
        format!("{}×", crate::number::decimal(s))
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
    let on_lesson = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            match select.value().parse::<usize>() {
                Ok(i) => on_action.emit(Action::StartLesson(i)),
                Err(_) => on_action.emit(Action::EndLesson),
            }
        })
    };
    let on_compare = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let value = select.value();
            match value.as_str() {
                "pin" => on_action.emit(Action::ComparePin),
                _ => match value.parse::<usize>() {
                    Ok(i) => on_action.emit(Action::CompareWith(i)),
                    Err(_) => on_action.emit(Action::EndCompare),
                },
            }
        })
    };
    // Which compare option is on: the preset lane B was made from, or the pinned run.
    let compare_value = model.compare.as_ref().map(|c| c.preset.map_or("pin".to_string(), |i| i.to_string()));
    let on_speed = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(s) = crate::number::parse_decimal(&select.value()) {
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
    // Export: the scenario as the CLI's JSON.
    let on_export = {
        let json = serde_json::to_string_pretty(&model.scenario).unwrap_or_default();
        let file_name = crate::ui::labels::export_file_name(&model.scenario.name);
        Callback::from(move |_: MouseEvent| {
            crate::ui::browser::download(
                gloo::file::Blob::new_with_options(json.as_str(), Some("application/json")),
                &file_name,
            );
        })
    };
    // The canvas for slides: SVG (sharp at any size) or PNG (pastes anywhere).
    let export_image = |png: bool| {
        let stem = crate::ui::labels::export_file_name(&model.scenario.name);
        let stem = stem.trim_end_matches(".json").to_string();
        let at = model.engine.now();
        Callback::from(move |_: MouseEvent| {
            let Some((svg, width, height)) =
                crate::ui::browser::svg_document("[data-testid=canvas]", Some("[data-testid=canvas-tokens] > g"))
            else {
                return;
            };
            let name = format!("{stem}-at-{at}ms");
            if png {
                crate::ui::browser::download_png(&svg, width, height, format!("{name}.png"));
            } else {
                let blob = gloo::file::Blob::new_with_options(svg.as_str(), Some("image/svg+xml"));
                crate::ui::browser::download(blob, &format!("{name}.svg"));
            }
        })
    };
    // Record: the picture as a WebM video of what the run shows until Stop.
    let recorder = use_mut_ref(|| None::<crate::ui::recorder::Recorder>);
    let recording = use_state(|| false);
    let on_record = {
        let (recorder, recording, on_action) = (recorder.clone(), recording.clone(), props.on_action.clone());
        let stem = crate::ui::labels::export_file_name(&model.scenario.name);
        let name = format!("{}-from-{}ms.webm", stem.trim_end_matches(".json"), model.engine.now());
        Callback::from(move |_: MouseEvent| {
            let running = recorder.take();
            let said = match running {
                Some(running) => {
                    running.stop();
                    recording.set(false);
                    format!("Recording stopped: {name} is saved.")
                }
                None => match crate::ui::recorder::Recorder::start(name.clone()) {
                    Ok(started) => {
                        recorder.replace(Some(started));
                        recording.set(true);
                        "Recording the picture: play, step or scrub the run, then Stop.".to_string()
                    }
                    Err(why) => format!("Cannot record: {why}."),
                },
            };
            on_action.emit(Action::Notice(said));
        })
    };
    // Import: the file's text goes to the reducer, which validates it like a link or a CLI file.
    // The read in progress lives here: dropping a FileReader cancels it.
    let reader = use_memo((), |_| std::cell::Cell::new(None::<gloo::file::callbacks::FileReader>));
    let on_import = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
            input.set_value("");
            let file = gloo::file::File::from(file);
            let file_name = file.name();
            if file.size() > crate::ui::state::MAX_IMPORT_BYTES as u64 {
                on_action.emit(Action::Import { file_name, text: " ".repeat(crate::ui::state::MAX_IMPORT_BYTES + 1) });
                return;
            }
            let on_action = on_action.clone();
            let task = gloo::file::callbacks::read_as_text(&file, move |text| {
                let text = text.unwrap_or_else(|_| String::from("(unreadable)"));
                on_action.emit(Action::Import { file_name, text });
            });
            reader.set(Some(task));
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
    // While a scrub is on its way, the thumb stays where the user put it.
    let shown = match model.seeking() {
        Some(Goal::Time(t)) => t,
        _ => now,
    };
    let finished = model.engine.is_finished();
    let play_label = if model.playing {
        "Pause"
    } else if finished {
        "Replay"
    } else {
        "Play"
    };
    // What the bar under the scrubber looks ahead for: the run's end and anomalies, or a lesson's answer.
    let (looking_for, looking_title) = if model.looking_again() {
        ("Working out the run's end for the lesson's answer", "Working out the run's end for the lesson's answer")
    } else {
        (
            "Looking ahead for the run's end and anomalies",
            "Looking ahead: the run's end and its anomalies, for the marks",
        )
    };
    html! {
        <div class="controls" role="toolbar" aria-label="Simulation controls">
            <h1 class="app-title" title="See what asynchronous systems do to messages: events on logs, commands on queues, faults, and idempotency.">
                <span class="mark">{"◆ "}</span>{"Brokerscope"}
            </h1>
            <div class="group">
                <label class="inline" for="preset">{"Scenario"}</label>
                <select id="preset" data-testid="preset" onchange={on_preset}>
                    { for model.presets.iter().enumerate().map(|(i, (_, s))| html! {
                        <option value={i.to_string()} selected={i == model.preset}>{format!("{}. {}", i + 1, s.name)}</option>
                    }) }
                    if model.preset >= model.presets.len() {
                        <option value="" selected=true disabled=true>{format!("{}: {}", model.custom_source, crate::scenario::names::isolated(&model.scenario.name))}</option>
                    }
                </select>
            </div>
            <div class="group">
                <label class="visually-hidden" for="lesson">{"Lesson"}</label>
                <select id="lesson" data-testid="lesson-select" onchange={on_lesson}>
                    <option value="" selected={model.lesson.is_none()}>{"Lesson: none"}</option>
                    { for model.lessons.iter().enumerate().map(|(i, (_, l))| html! {
                        <option value={i.to_string()} selected={model.lesson.as_ref().is_some_and(|p| p.lesson == i)}>{format!("Lesson {}: {}", i + 1, l.title)}</option>
                    }) }
                </select>
            </div>
            <div class="group">
                <label class="visually-hidden" for="compare">{"Compare"}</label>
                <select id="compare" data-testid="compare-select" onchange={on_compare}>
                    <option value="" selected={model.compare.is_none()}>{"Compare: off"}</option>
                    <option value="pin" selected={compare_value.as_deref() == Some("pin")}>{"Fork here: this run as B, then change A"}</option>
                    { for model.presets.iter().enumerate().map(|(i, (_, s))| html! {
                        <option value={i.to_string()} selected={compare_value == Some(i.to_string())}>{format!("B: {}. {} (same seed and faults)", i + 1, crate::scenario::names::isolated(&s.name))}</option>
                    }) }
                </select>
            </div>
            <div class="group">
                <button data-testid="share" title="The link to this moment, its QR code for the room, and an embed for slides" onclick={send(Action::ShowShare)}>{"Share…"}</button>
                <button data-testid="export-json" title="Save this scenario as a JSON file (the command line runs it too)" onclick={on_export}>{"Save"}</button>
                <label class="button" title="Open a scenario JSON file">{"Open…"}
                    <input class="visually-hidden" data-testid="import-json" type="file" accept=".json,application/json" onchange={on_import} />
                </label>
                <button data-testid="export-svg" title="Download the picture as SVG, for slides" onclick={export_image(false)}>{"SVG"}</button>
                <button data-testid="export-png" title="Download the picture as PNG, for slides" onclick={export_image(true)}>{"PNG"}</button>
                <button data-testid="help" aria-keyshortcuts="?" title="Keyboard shortcuts and the workshop plan (?)" aria-label="Help"
                    aria-expanded={(model.dialog == Some(crate::ui::state::Dialog::Help)).to_string()} onclick={send(Action::ToggleHelp)}>{"?"}</button>
            </div>
            // Two rows on a 1280-pixel screen: choosing and sharing, then running the clock.
            <span class="break" aria-hidden="true"></span>
            <div class="group">
                <button class="primary" data-testid="play" aria-keyshortcuts="Space" onclick={send(Action::TogglePlay)}>{play_label}</button>
                <button data-testid="step-back" aria-keyshortcuts="ArrowLeft" title="Back one engine event (←)" aria-label="Back one event" onclick={send(Action::StepBack)} disabled={model.engine.events_processed() == 0}>{"◂"}</button>
                <button data-testid="step" aria-keyshortcuts="ArrowRight" title="Run the next engine event (→)" onclick={send(Action::Step)} disabled={finished}>{"Step ▸"}</button>
                <button data-testid="restart" aria-keyshortcuts="R" title="Restart from t = 0 (R)" onclick={send(Action::Restart)}>{"Restart"}</button>
                if let Some(goal) = model.seeking() {
                    <button data-testid="cancel-to-end" title="Stop the run where it is (Space)" onclick={send(Action::Pause)}>{"Cancel"}</button>
                    <progress data-testid="to-end-progress" aria-label={if goal == Goal::End { "Run to the end" } else { "Run to the moment" }}
                        max="1" value={crate::number::decimal(model.seek_progress())}></progress>
                } else {
                    <button data-testid="fast-forward" title="Run to the end of the healing phase" onclick={send(Action::FastForward)} disabled={finished}>{"To end »"}</button>
                }
                <button data-testid="record" aria-pressed={recording.to_string()} title="Record the picture as a video (WebM) while the run plays, until Stop" onclick={on_record}>{if *recording { "■ Stop" } else { "● Record" }}</button>
            </div>
            <div class="group">
                <label class="inline" for="speed">{"Speed"}</label>
                <select id="speed" data-testid="speed" onchange={on_speed}>
                    { for SPEEDS.iter().map(|&s| html! {
                        <option value={crate::number::decimal(s)} selected={(s - model.speed).abs() < 1e-9}>{speed_label(s)}</option>
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
                <div class="scrubber-track">
                    <input id="scrubber" data-testid="scrubber" type="range" min="0" max={model.run_end().to_string()} step="1"
                        value={shown.min(model.run_end()).to_string()} oninput={on_scrub} aria-valuetext={seconds(now)} />
                    // A mark for every scripted fault (▲) and anomaly (●) of the run: each goes to its moment.
                    <div class="marks" data-testid="marks">
                        { for model.marks.iter().enumerate().map(|(i, mark)| {
                            let left = 100.0 * mark.at_ms as f64 / model.run_end().max(1) as f64;
                            let (class, symbol) = if mark.anomaly.is_some() { ("mark anomaly", "●") } else { ("mark fault", "▲") };
                            html! {
                                <button class={class} style={format!("left: {}%", crate::number::decimal(left.min(100.0)))}
                                    title={mark.label.clone()} aria-label={mark.label.clone()} data-testid={format!("scrub-mark-{i}")}
                                    onclick={send(Action::GoToMark(i))}>{symbol}</button>
                            }
                        }) }
                    </div>
                    if let Some(progress) = model.lookahead_progress() {
                        <progress data-testid="lookahead-progress" max="1" value={crate::number::decimal(progress)}
                            aria-label={looking_for} title={looking_title}></progress>
                    }
                </div>
                <span class="clock" data-testid="clock" aria-label="virtual time">{seconds(now)}</span>
            </div>
        </div>
    }
}
