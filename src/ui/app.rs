//! The root component: one `use_reducer` state, an animation-frame clock while playing, keyboard keys.
use super::browser;
use super::components::{
    anomalies::AnomalyFeed,
    canvas::Canvas,
    charts::Charts,
    compare::CompareBoard,
    controls::Controls,
    details::Details,
    help::Help,
    lesson::LessonPanel,
    scoreboard::{Figures, Scoreboard},
    share::{OpenInFullApp, Share},
};
use super::frames::{Moving, Revisions};
use super::keys::{key_command, Focus, KeyCommand, KeyContext};
use super::lanes::{arrange, Arrangement};
use super::layout::Stage;
use super::state::{Action, Model, Theme};
use super::zoom::{pinch_steps, zoomed, ViewKey, Zoom};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The reducer's state for Yew: the model lives behind a `RefCell` (the engine is large and mutated in
/// place); every action returns a new `Rc` with new revisions so Yew re-renders (`frames::Revisions`).
pub struct AppState {
    pub model: Rc<RefCell<Model>>,
    pub shown: Revisions,
}

impl Default for AppState {
    fn default() -> Self {
        AppState { model: Rc::new(RefCell::new(Model::with_clock(now_ms))), shown: Revisions::default() }
    }
}

impl PartialEq for AppState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model) && self.shown.revision == other.shown.revision
    }
}

impl Reducible for AppState {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let shown = self.shown.after(&mut self.model.borrow_mut(), action);
        Rc::new(AppState { model: self.model.clone(), shown })
    }
}

/// The page's clock: it ends each action's engine work in time (the engine itself never reads a clock).
fn now_ms() -> f64 {
    gloo::utils::window().performance().map_or(0.0, |p| p.now())
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

/// The share link's life in the page: open the address's link (or the saved work) once, follow links
/// pasted into the address bar, and keep the address bar and the saved work in step with the run while
/// it is paused (debounced: browsers limit `replaceState` calls, and encoding on every frame is waste).
#[hook]
fn use_share_link(state: &UseReducerHandle<AppState>, dispatch: Callback<Action>) {
    let model = state.model.clone();
    {
        let model = model.clone();
        use_effect_with((), move |_| {
            dispatch.emit(Action::Open {
                fragment: browser::fragment(),
                saved: browser::saved_work(),
                aside: browser::set_aside_work(),
            });
            // An embed asked to play on opening does, once its run is open (unless motion is to be reduced).
            if browser::embedded() && browser::embed_options().autoplay && !browser::prefers_reduced_motion() {
                dispatch.emit(Action::TogglePlay);
            }
            let on_saved_elsewhere = {
                let dispatch = dispatch.clone();
                browser::on_saved_elsewhere(move || dispatch.emit(Action::SavedByAnotherTab))
            };
            let on_hash = gloo::events::EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                let fragment = browser::fragment();
                if !fragment.is_empty() {
                    dispatch.emit(Action::OpenLink(fragment));
                }
            });
            // Closing the tab while it plays still keeps the moment it reached.
            let on_hide = gloo::events::EventListener::new(&gloo::utils::window(), "pagehide", move |_| {
                let model = model.borrow();
                if let Some(fragment) = model.share_fragment() {
                    browser::remember(&fragment, !model.saved_elsewhere);
                }
            });
            move || drop((on_hash, on_hide, on_saved_elsewhere))
        });
    }
    // Saved work that could not be opened goes under a key of its own before anything can save over it.
    let aside = model.borrow().set_aside.as_ref().map(|a| a.fragment.clone());
    use_effect_with(aside, |aside| {
        if let Some(fragment) = aside {
            browser::set_aside(fragment);
        }
    });
    let playing = model.borrow().playing;
    use_effect_with((state.shown.revision, playing), move |&(_, playing)| {
        let pending = (!playing).then(|| {
            gloo::timers::callback::Timeout::new(400, move || {
                let model = model.borrow();
                if let Some(fragment) = model.share_fragment() {
                    browser::remember(&fragment, !model.saved_elsewhere);
                }
            })
        });
        move || drop(pending)
    });
}

/// The zoom as a reducer, so the keyboard's listener (made once) always zooms from the current value.
#[derive(PartialEq)]
struct ZoomState(Zoom);

impl Reducible for ZoomState {
    type Action = ViewKey;
    fn reduce(self: Rc<Self>, key: ViewKey) -> Rc<Self> {
        Rc::new(ZoomState(zoomed(self.0, key)))
    }
}

/// Where a drag of the stage began: the pointer (x, y), and the stage's scroll (left, top) then.
type DragStart = (i32, i32, i32, i32);

/// The fingers on the stage (pointer id, x, y), and a pinch under way: the fingers' distance when it
/// began and the zoom steps it has made since.
#[derive(Default)]
struct Touches {
    down: Vec<(i32, f64, f64)>,
    pinch: Option<(f64, i32)>,
}

impl Touches {
    fn distance(&self) -> f64 {
        match self.down.as_slice() {
            [(_, x0, y0), (_, x1, y1), ..] => (x1 - x0).hypot(y1 - y0),
            _ => 0.0,
        }
    }

    /// A finger moved: the zoom steps to take now (positive: in).
    fn moved(&mut self, id: i32, x: f64, y: f64) -> i32 {
        if let Some(finger) = self.down.iter_mut().find(|f| f.0 == id) {
            (finger.1, finger.2) = (x, y);
        }
        let distance = self.distance();
        let Some((start, made)) = self.pinch.as_mut() else { return 0 };
        let due = pinch_steps(*start, distance) - *made;
        *made += due;
        due
    }
}

/// The stage's pointer gestures: Ctrl + wheel (a trackpad's pinch) and two fingers' pinch zoom,
/// dragging its background with a mouse pans (the stage scrolls; a plain wheel and one finger scroll it
/// natively).
#[hook]
fn use_stage_gestures(stage_ref: &NodeRef, on_view: Callback<ViewKey>) {
    let stage_ref = stage_ref.clone();
    use_effect_with((), move |_| {
        let listeners = stage_ref.cast::<web_sys::Element>().map(|el| {
            let options = gloo::events::EventListenerOptions::enable_prevent_default();
            let zoom = on_view.clone();
            let wheel = gloo::events::EventListener::new_with_options(&el, "wheel", options, move |event| {
                let Some(w) = event.dyn_ref::<web_sys::WheelEvent>() else { return };
                if w.ctrl_key() {
                    w.prevent_default();
                    zoom.emit(if w.delta_y() < 0.0 { ViewKey::ZoomIn } else { ViewKey::ZoomOut });
                }
            });
            let drag: Rc<Cell<Option<DragStart>>> = Rc::default();
            let touches: Rc<RefCell<Touches>> = Rc::default();
            let (start, stage, fingers) = (drag.clone(), el.clone(), touches.clone());
            let down = gloo::events::EventListener::new(&el, "pointerdown", move |event| {
                let Some(p) = event.dyn_ref::<web_sys::PointerEvent>() else { return };
                if p.pointer_type() == "touch" {
                    let mut t = fingers.borrow_mut();
                    t.down.push((p.pointer_id(), f64::from(p.client_x()), f64::from(p.client_y())));
                    if t.down.len() == 2 {
                        t.pinch = Some((t.distance(), 0));
                    }
                    return;
                }
                let on_something = p
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|t| t.closest(".node, .cell, .token, button, .callout").ok().flatten())
                    .is_some();
                if p.button() == 0 && !on_something {
                    start.set(Some((p.client_x(), p.client_y(), stage.scroll_left(), stage.scroll_top())));
                }
            });
            let (moving, stage, fingers) = (drag.clone(), el.clone(), touches.clone());
            let pan = gloo::events::EventListener::new(&el, "pointermove", move |event| {
                let Some(p) = event.dyn_ref::<web_sys::PointerEvent>() else { return };
                if p.pointer_type() == "touch" {
                    let steps =
                        fingers.borrow_mut().moved(p.pointer_id(), f64::from(p.client_x()), f64::from(p.client_y()));
                    let key = if steps > 0 { ViewKey::ZoomIn } else { ViewKey::ZoomOut };
                    for _ in 0..steps.unsigned_abs() {
                        on_view.emit(key);
                    }
                    return;
                }
                let Some((x0, y0, left, top)) = moving.get() else { return };
                stage.set_scroll_left(left - (p.client_x() - x0));
                stage.set_scroll_top(top - (p.client_y() - y0));
            });
            let lift = move |event: &Event| {
                drag.set(None);
                if let Some(p) = event.dyn_ref::<web_sys::PointerEvent>() {
                    let mut t = touches.borrow_mut();
                    t.down.retain(|f| f.0 != p.pointer_id());
                    if t.down.len() < 2 {
                        t.pinch = None;
                    }
                }
            };
            let lift = Rc::new(lift);
            let window = gloo::utils::window();
            let (l1, l2) = (lift.clone(), lift);
            let up = gloo::events::EventListener::new(&window, "pointerup", move |e| l1(e));
            let cancel = gloo::events::EventListener::new(&window, "pointercancel", move |e| l2(e));
            (wheel, down, pan, up, cancel)
        });
        move || drop(listeners)
    });
}

/// What has the focus, as far as the keyboard cares.
fn focus_of(target: Option<&web_sys::Element>) -> Focus {
    let Some(el) = target else { return Focus::Other };
    match el.tag_name().as_str() {
        "INPUT" if el.get_attribute("type").is_some_and(|t| t == "checkbox" || t == "radio") => Focus::Pressable,
        "INPUT" | "TEXTAREA" => Focus::Field,
        "SELECT" => Focus::Select,
        "BUTTON" | "A" | "SUMMARY" => Focus::Pressable,
        _ if el.get_attribute("role").as_deref() == Some("button") => Focus::Pressable,
        _ => Focus::Other,
    }
}

/// The stage element's size now, or the projector's until it has been laid out.
fn measure(stage: &NodeRef) -> Stage {
    stage.cast::<web_sys::Element>().map_or(Stage::PROJECTOR, |el| Stage {
        width: f64::from(el.client_width().max(320)),
        height: f64::from(el.client_height().max(200)),
    })
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(AppState::default);
    let dispatch = {
        let state = state.clone();
        Callback::from(move |action: Action| state.dispatch(action))
    };
    let playing = Moving::of(&state.model.borrow()).any() || state.shown.picture_owed();
    {
        let dispatch = dispatch.clone();
        use_animation_frames(playing, Callback::from(move |wall_ms: f64| dispatch.emit(Action::Tick { wall_ms })));
    }
    let zoom = use_reducer(|| ZoomState(Zoom::Factor(1.0)));
    let on_view = {
        let zoom = zoom.clone();
        Callback::from(move |key: ViewKey| zoom.dispatch(key))
    };
    // Keyboard: what each key does is `keys::key_command`'s to say; this only reads the event.
    {
        let (dispatch, on_view, model) = (dispatch.clone(), on_view.clone(), state.model.clone());
        use_effect_with((), move |_| {
            // Not passive: space must not scroll the page when it plays or pauses.
            let options = gloo::events::EventListenerOptions::enable_prevent_default();
            let listener = gloo::events::EventListener::new_with_options(
                &gloo::utils::document(),
                "keydown",
                options,
                move |event| {
                    let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    let target = event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                    let Ok(m) = model.try_borrow() else { return };
                    let cx = KeyContext {
                        focus: focus_of(target.as_ref()),
                        in_lesson: m.lesson.is_some(),
                        single_keys: m.single_keys,
                        modifier: event.ctrl_key() || event.meta_key() || event.alt_key(),
                    };
                    drop(m);
                    let Some(command) = key_command(&event.key(), cx) else { return };
                    event.prevent_default();
                    match command {
                        KeyCommand::Act(action) => dispatch.emit(action),
                        KeyCommand::View(view) => on_view.emit(view),
                    }
                },
            );
            move || drop(listener)
        });
    }
    // The preferences kept from an earlier visit (index.html's first script has applied the display
    // already), and any change to them, kept and applied.
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let (single_keys, theme, more_contrast) = browser::preferences();
            dispatch.emit(Action::SetSingleKeys(single_keys));
            dispatch.emit(Action::SetTheme(Theme::from_name(&theme)));
            dispatch.emit(Action::SetMoreContrast(more_contrast));
        });
    }
    let preferences = {
        let model = state.model.borrow();
        (model.single_keys, model.theme, model.more_contrast)
    };
    let preferences_read = use_mut_ref(|| false);
    use_effect_with(preferences, move |&(single_keys, theme, more_contrast)| {
        // The first run is the model's defaults, before the stored preferences above arrive: not a choice.
        if std::mem::replace(&mut *preferences_read.borrow_mut(), true) {
            browser::remember_preferences(single_keys, theme.as_str(), more_contrast);
        }
    });
    use_share_link(&state, dispatch.clone());
    // In an iframe (`?embed=1`): how it shows itself, read from its address once.
    let embed = *use_memo((), |_| browser::embedded().then(browser::embed_options));
    let story_state = use_state(|| false);
    let story_open = *story_state;
    let toggle_story = Callback::from(move |_: MouseEvent| story_state.set(!*story_state));
    let model = state.model.borrow();
    let panels = state.shown.panels;
    let story = model.scenario.story.clone();
    let error_banner = model.error.clone().map(|error| {
        html! {
            <div class="error-banner" role="alert" data-testid="error">
                {error}
                if model.restorable.is_some() {
                    {" "}
                    <button data-testid="restore" onclick={dispatch.reform(|_: MouseEvent| Action::RestoreSaved)}>
                        {"Restore your last work"}
                    </button>
                }
            </div>
        }
    });
    let set_aside_banner = model.set_aside.clone().map(|aside| {
        let on_download = Callback::from(move |_: MouseEvent| {
            let link = browser::link_to(&aside.fragment);
            let blob = gloo::file::Blob::new_with_options(format!("{link}\n").as_str(), Some("text/plain"));
            browser::download(blob, "brokerscope-saved-work.txt");
        });
        let on_discard = dispatch.reform(|_: MouseEvent| {
            browser::discard_set_aside();
            Action::DiscardSetAside
        });
        html! {
            <div class="error-banner" role="alert" data-testid="set-aside">
                {aside.sentence}{" "}
                <button data-testid="download-set-aside" onclick={on_download}>{"Download it"}</button>
                {" "}
                <button data-testid="discard-set-aside" onclick={on_discard}>{"Discard it"}</button>
            </div>
        }
    });
    // The stage's size, measured whenever its box changes size: the window, the drawer, a lesson's panel,
    // the callout's column or a comparison. (Measuring after every render forced a layout read each frame.)
    let stage_ref = use_node_ref();
    let stage = use_state_eq(|| Stage::PROJECTOR);
    // A selection opens the drawer (its details are there); an anomaly shown on the stage does not.
    let selected = model.selection.is_some();
    let drawer_choice = use_state(|| None::<bool>);
    let wide =
        *use_memo((), |_| gloo::utils::window().inner_width().ok().and_then(|w| w.as_f64()).unwrap_or(0.0) >= 1600.0);
    let drawer_open = drawer_choice.unwrap_or(wide) || selected;
    let in_lesson = model.lesson.is_some();
    let side_open = drawer_open || in_lesson;
    {
        let (stage_ref, stage) = (stage_ref.clone(), stage.clone());
        use_effect_with((), move |_| {
            let el = stage_ref.cast::<web_sys::Element>();
            let on_resize = Closure::<dyn FnMut()>::new(move || stage.set(measure(&stage_ref)));
            let observer = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
            if let (Some(observer), Some(el)) = (&observer, &el) {
                observer.observe(el);
            }
            move || {
                if let Some(observer) = observer {
                    observer.disconnect();
                }
                drop(on_resize);
            }
        });
    }
    use_stage_gestures(&stage_ref, on_view.clone());
    let toggle_drawer = {
        let (drawer_choice, dispatch) = (drawer_choice.clone(), dispatch.clone());
        Callback::from(move |_: MouseEvent| {
            if drawer_open && selected {
                dispatch.emit(Action::ClearSelection);
            }
            drawer_choice.set(Some(!drawer_open));
        })
    };
    // A comparison's lanes share the stage, side by side or stacked, whichever shows both larger; laid
    // out anew when the stage or either lane's scenario changes (their titles and ends say when).
    let compare_key = model.compare.as_ref().map(|lane| (lane.titles.clone(), lane.end_ms, model.end_ms));
    let lanes = use_memo((*stage, compare_key), |(stage, key)| {
        let lane = model.compare.as_ref().filter(|_| key.is_some())?;
        Some(arrange(&model.engine, &lane.engine, *stage))
    });
    let lane_stage = lanes.map_or(*stage, |(_, lane)| lane);
    let side_by_side = matches!(*lanes, Some((Arrangement::SideBySide, _)));
    // A comparison starts with both lanes whole in view; ending it gives the legible size back.
    {
        let zoom = zoom.clone();
        use_effect_with(model.compare.is_some(), move |&comparing| {
            zoom.dispatch(if comparing { ViewKey::FitAll } else { ViewKey::ZoomReset });
        });
    }
    let zoom_now = zoom.0;
    let view_button = |key: ViewKey, label: &'static str, title: &'static str, testid: &'static str| {
        let on_view = on_view.clone();
        html! {
            <button class="quiet" data-testid={testid} {title} aria-label={title} onclick={Callback::from(move |_: MouseEvent| on_view.emit(key))}>{label}</button>
        }
    };
    let canvases = html! {
        <>
            <Canvas model={state.model.clone()} revision={state.shown.canvas} picture_revision={state.shown.picture} on_action={dispatch.clone()}
                stage={lane_stage} zoom={zoom_now} />
            <Canvas model={state.model.clone()} revision={state.shown.canvas} picture_revision={state.shown.picture} on_action={dispatch.clone()}
                lane_b=true stage={lane_stage} zoom={zoom_now} />
        </>
    };
    if let Some(options) = embed {
        // For an iframe in a slide deck: the picture and the controls (unless ?controls=0), nothing else.
        let controls = options.controls;
        return html! {
            <div class={classes!("app", "embed", (!controls).then_some("bare"))} data-testid="embed">
                if controls {
                    <Controls model={state.model.clone()} revision={panels} on_action={dispatch.clone()} />
                }
                <Share model={state.model.clone()} revision={panels} on_action={dispatch.clone()} />
                { error_banner }
                <div class="stage" ref={stage_ref}>{ canvases }</div>
                <OpenInFullApp model={state.model.clone()} revision={panels} />
            </div>
        };
    }
    html! {
        <div class={classes!("app", model.presenter.then_some("presenter"))}>
            <Controls model={state.model.clone()} revision={panels} on_action={dispatch.clone()} />
            <Help model={state.model.clone()} revision={panels} on_action={dispatch.clone()} />
            <Share model={state.model.clone()} revision={panels} on_action={dispatch.clone()} />
            <div class={classes!("workspace", side_open.then_some("drawer-open"), in_lesson.then_some("with-lesson"))}>
                <main class="stage-column">
                    { error_banner }
                    { set_aside_banner }
                    <div class="stage-bar">
                        // What just happened (a step, a skip, the end), else one line of the story, so the
                        // picture keeps the screen; More shows the story whole.
                        if let Some(caption) = model.caption.clone() {
                            <p class="caption" data-testid="caption">{caption}</p>
                        } else if let Some(notice) = model.notice.clone() {
                            <p class="caption notice" role="status" data-testid="notice">{notice}</p>
                        } else {
                            <div class={classes!("story", story_open.then_some("open"))}>
                                <p data-testid="story">{story}</p>
                                <button class="quiet" data-testid="story-toggle" aria-expanded={story_open.to_string()}
                                    onclick={toggle_story}>{if story_open { "Less" } else { "More" }}</button>
                            </div>
                        }
                        <Figures model={state.model.clone()} revision={panels} />
                        <label class="inline pause-toggle">
                            <input type="checkbox" data-testid="pause-on-anomaly" checked={model.pause_on_anomaly}
                                onchange={dispatch.reform(|_: Event| Action::TogglePauseOnAnomaly)} />
                            {"Pause on anomaly"}
                        </label>
                        <div class="view-buttons" role="group" aria-label="Zoom">
                            { view_button(ViewKey::ZoomOut, "−", "Zoom out (−)", "zoom-out") }
                            { view_button(ViewKey::ZoomIn, "+", "Zoom in (+)", "zoom-in") }
                            { view_button(ViewKey::FitAll, "Fit", "Fit: show the whole picture (F)", "zoom-fit") }
                            { view_button(ViewKey::ZoomReset, "100%", "100%: legible size (0)", "zoom-reset") }
                        </div>
                        <button class="panels-toggle" data-testid="panels-toggle" aria-expanded={drawer_open.to_string()}
                            aria-controls="drawer" onclick={toggle_drawer}>
                            { if drawer_open { "Hide panels ▸" } else { "◂ Panels" } }
                        </button>
                    </div>
                    <div class={classes!("stage-frame", model.focus.is_some().then_some("with-callout"))}>
                        <div class={classes!("stage", side_by_side.then_some("side-by-side"))} ref={stage_ref} data-testid="stage">{ canvases }</div>
                        // The moment that matters, in large type on the stage: what happened and why.
                        if let Some(focus) = model.focus.clone() {
                            <aside class="callout" data-testid="focus" role="status" aria-label="The anomaly shown">
                                <button class="quiet close" aria-label="Close the explanation"
                                    onclick={dispatch.reform(|_: MouseEvent| Action::ClearSelection)}>{"×"}</button>
                                <h2>{format!("{} · {}", focus.kind, crate::engine::observe::seconds(focus.at_ms))}</h2>
                                <p class="tour" data-testid="tour">
                                    <button data-testid="previous-anomaly" aria-keyshortcuts="[" title="The previous anomaly ([)"
                                        disabled={focus.index == 0} onclick={dispatch.reform(|_: MouseEvent| Action::PreviousAnomaly)}>{"◂"}</button>
                                    {format!(" Anomaly {} of {} ", focus.index + 1, model.tour_len())}
                                    <button data-testid="next-anomaly" aria-keyshortcuts="]" title="The next anomaly (])"
                                        disabled={focus.index + 1 >= model.tour_len()} onclick={dispatch.reform(|_: MouseEvent| Action::NextAnomaly)}>{"▸"}</button>
                                </p>
                                <p>{focus.explanation}</p>
                                <p class="chain" data-testid="focus-chain">{focus.chain_line}</p>
                                if !model.playing && !model.engine.is_finished() {
                                    <p class="hint">{"Space goes on."}</p>
                                }
                            </aside>
                        }
                    </div>
                </main>
                // A lesson's text sits beside the picture, never above it: the room watches the picture
                // while the step is read.
                <aside class="drawer" id="drawer" data-testid="drawer" hidden={!side_open}>
                    <LessonPanel model={state.model.clone()} revision={panels} on_action={dispatch.clone()} />
                    <div class="drawer-panels" hidden={!drawer_open}>
                        <Details model={state.model.clone()} revision={panels} on_action={dispatch.clone()} />
                        <CompareBoard model={state.model.clone()} revision={panels} />
                        <Scoreboard model={state.model.clone()} revision={panels} />
                        <Charts model={state.model.clone()} revision={panels} />
                        <AnomalyFeed model={state.model.clone()} revision={panels} on_action={dispatch.clone()} />
                    </div>
                </aside>
                <div class="visually-hidden" aria-live="polite" data-testid="narration">
                    { for model.narration.iter().enumerate().map(|(i, line)| {
                        let key = model.narration_said - model.narration.len() as u64 + i as u64;
                        html! { <p {key}>{line.clone()}</p> }
                    }) }
                </div>
            </div>
        </div>
    }
}
