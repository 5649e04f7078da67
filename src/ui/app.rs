//! The root component: one `use_reducer` state, an animation-frame clock while playing, keyboard keys.
use super::components::{
    anomalies::AnomalyFeed, canvas::Canvas, charts::Charts, controls::Controls, details::Details,
    scoreboard::Scoreboard,
};
use super::state::{Action, Model};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The reducer's state for Yew: the model lives behind a `RefCell` (the engine is large and mutated in
/// place); every action returns a new `Rc` with a new revision so Yew re-renders.
pub struct AppState {
    pub model: Rc<RefCell<Model>>,
    pub revision: u64,
}

impl Default for AppState {
    fn default() -> Self {
        AppState { model: Rc::new(RefCell::new(Model::new())), revision: 0 }
    }
}

impl PartialEq for AppState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model) && self.revision == other.revision
    }
}

impl Reducible for AppState {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        self.model.borrow_mut().update(action);
        Rc::new(AppState { model: self.model.clone(), revision: self.revision + 1 })
    }
}

type FrameCallback = Closure<dyn FnMut(f64)>;

/// Calls `on_frame(elapsed_ms)` on every animation frame while `active`; stops (and cancels the pending
/// frame) when `active` turns false or the component unmounts.
#[hook]
fn use_animation_frames(active: bool, on_frame: Callback<f64>) {
    use_effect_with(active, move |&active| {
        let cancelled = Rc::new(Cell::new(false));
        let pending = Rc::new(Cell::new(None::<i32>));
        let closure: Rc<RefCell<Option<FrameCallback>>> = Rc::default();
        if active {
            let last = Rc::new(Cell::new(None::<f64>));
            let (c2, p2, cl2) = (cancelled.clone(), pending.clone(), closure.clone());
            *closure.borrow_mut() = Some(Closure::new(move |timestamp: f64| {
                if c2.get() {
                    return;
                }
                let elapsed = last.get().map_or(0.0, |l| timestamp - l);
                last.set(Some(timestamp));
                on_frame.emit(elapsed);
                if let Some(f) = cl2.borrow().as_ref() {
                    p2.set(gloo::utils::window().request_animation_frame(f.as_ref().unchecked_ref()).ok());
                }
            }));
            if let Some(f) = closure.borrow().as_ref() {
                pending.set(gloo::utils::window().request_animation_frame(f.as_ref().unchecked_ref()).ok());
            }
        }
        move || {
            cancelled.set(true);
            if let Some(id) = pending.take() {
                let _ = gloo::utils::window().cancel_animation_frame(id);
            }
            closure.borrow_mut().take();
        }
    });
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::default);
    let dispatch = {
        let state = state.clone();
        Callback::from(move |action: Action| state.dispatch(action))
    };
    let playing = state.model.borrow().playing;
    {
        let dispatch = dispatch.clone();
        use_animation_frames(playing, Callback::from(move |wall_ms: f64| dispatch.emit(Action::Tick { wall_ms })));
    }
    // Keyboard: space play/pause, → step, R restart (not while typing in a field).
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            // Not passive: space must not scroll the page when it plays or pauses.
            let options = gloo::events::EventListenerOptions::enable_prevent_default();
            let listener = gloo::events::EventListener::new_with_options(
                &gloo::utils::document(),
                "keydown",
                options,
                move |event| {
                    let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    let typing = event
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
                    if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
                        return;
                    }
                    let action = match event.key().as_str() {
                        " " => Action::TogglePlay,
                        "ArrowRight" => Action::Step,
                        "r" | "R" => Action::Restart,
                        _ => return,
                    };
                    event.prevent_default();
                    dispatch.emit(action);
                },
            );
            move || drop(listener)
        });
    }
    let model = state.model.borrow();
    let revision = state.revision;
    let story = model.scenario.story.clone();
    html! {
        <div class="app">
            <header class="app-header">
                <h1 class="app-title"><span class="mark">{"◆ "}</span>{"Brokerscope"}</h1>
                <p class="app-tagline">{"See what asynchronous systems do to messages: events on logs, commands on queues, faults, and idempotency."}</p>
            </header>
            <Controls model={state.model.clone()} {revision} on_action={dispatch.clone()} />
            <div class="app-main">
                <div class="stage">
                    if let Some(error) = model.error.clone() {
                        <div class="error-banner" role="alert" data-testid="error">{error}</div>
                    }
                    <p class="story" data-testid="story">{story}</p>
                    if let Some(focus) = model.focus.clone() {
                        <p class="focus-banner" data-testid="focus">
                            <strong>{format!("At {}: ", crate::engine::observe::seconds(focus.at_ms))}</strong>{focus.explanation}
                        </p>
                    }
                    <Canvas model={state.model.clone()} {revision} on_action={dispatch.clone()} />
                    <Details model={state.model.clone()} {revision} on_action={dispatch.clone()} />
                </div>
                <aside class="side">
                    <Scoreboard model={state.model.clone()} {revision} />
                    <Charts model={state.model.clone()} {revision} />
                    <AnomalyFeed model={state.model.clone()} {revision} on_action={dispatch.clone()} />
                    <div class="visually-hidden" aria-live="polite" data-testid="narration">
                        { for model.narration.iter().map(|line| html! { <p>{line.clone()}</p> }) }
                    </div>
                </aside>
            </div>
        </div>
    }
}
