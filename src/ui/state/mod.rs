//! The one application state and its reducer: the only caller of the engine. Pure Rust (no web types),
//! so every transition is tested natively; the Yew layer only wraps it in `use_reducer`.
use crate::engine::kernel::SimTime;
use crate::engine::observe::{Anomaly, What};
use crate::engine::{Budget, Engine, MessageId};
use crate::scenario::lesson::{parse_lesson, Lesson, LESSONS};
use crate::scenario::link::{self, SharedRun, View};
use crate::scenario::model::{FaultAction, ScriptedFault};
use crate::scenario::presets::PRESETS;
use crate::scenario::validate::validate;
use crate::scenario::{parse_scenario, Scenario};
use crate::ui::layout::NodeId;
use crate::ui::lesson::{ConditionCheck, LessonProgress};
use std::collections::VecDeque;

pub use crate::scenario::edit::{apply_edit, Edit, FaultRate};

mod changes;
mod compare;
mod lessons;
mod links;
mod lookahead;
mod narration;
mod playback;
mod seek;
mod slices;
#[cfg(test)]
mod tests;

pub use changes::MAX_IMPORT_BYTES;

/// What the page's one run may use (the engine's default: the tab stays under about 1.5 GiB).
pub const LANE_BUDGET: Budget = Budget::DEFAULT;
/// What each lane of a comparison may use: half the memory each, so both fit the same tab.
pub const SHARED_LANE_BUDGET: Budget =
    Budget { events: Budget::DEFAULT.events, memory_bytes: Budget::DEFAULT.memory_bytes / 2 };
pub use compare::{aligned_with, CompareLane};
pub use links::SetAside;
use lookahead::probe;
pub use lookahead::{Lookahead, Mark};
pub use playback::{next_seed, SPEEDS};
pub use seek::{Goal, Seek};
pub use slices::Clock;
use slices::Deadline;

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    SelectPreset(usize),
    TogglePlay,
    Pause,
    /// Run exactly one engine event.
    Step,
    /// Go back exactly one engine event (recomputed from t = 0, like scrubbing).
    StepBack,
    /// Go to a mark of the scrubber: a scripted fault's moment, or an anomaly's (which it then shows).
    GoToMark(usize),
    /// Pause (or not) when play meets an anomaly, with its explanation on the stage.
    TogglePauseOnAnomaly,
    Restart,
    /// An animation frame: this much wall time passed while playing.
    Tick {
        wall_ms: f64,
    },
    SetSpeed(f64),
    /// The seed field's text (validated here, not in the view).
    SetSeed(String),
    /// A different seed, derived from the current one (no wall clock, no global RNG).
    NewSeed,
    /// Show the run at this virtual time (recomputed from t = 0 when going back).
    Scrub(SimTime),
    FastForward,
    /// Click on the canvas: a node's settings and figures, or a message's journey.
    Select(Selection),
    ClearSelection,
    /// Inject a fault at the current moment. It is recorded into the scenario's scripted faults, so
    /// restarting, scrubbing or sharing the run reproduces it exactly.
    Inject(FaultAction),
    /// Something the page did outside the model, in a sentence (a recording started, refused or saved).
    Notice(String),
    /// Inject a fault at an earlier moment of this run (a send drawn in flight left its producer then),
    /// and show the run again up to now.
    InjectAt {
        at_ms: SimTime,
        action: FaultAction,
    },
    /// Change a setting: the run restarts from t = 0 with the same seed.
    Edit(Edit),
    /// Click an anomaly: jump to its moment, open its message, highlight its causal chain.
    FocusAnomaly(usize),
    /// The anomaly tour: the next or the previous anomaly of the whole run (keys `]` and `[`).
    NextAnomaly,
    PreviousAnomaly,
    /// A scenario file the user opened: its name and its text.
    Import {
        file_name: String,
        text: String,
    },
    /// The page opened: its address's fragment (a share link, or empty), the work saved on the
    /// previous visit, if any, and work set aside on an earlier visit because it could not be opened. A
    /// link wins; a bad link shows why, the default scenario, and leaves the saved work untouched and
    /// offered back; saved work that cannot be opened is set aside, never overwritten.
    Open {
        fragment: String,
        saved: Option<String>,
        aside: Option<String>,
    },
    /// The user discarded the work set aside (after downloading it, or not).
    DiscardSetAside,
    /// Another tab of this page saved its work over this tab's.
    SavedByAnotherTab,
    /// The fragment changed while the page was open (a link pasted into the address bar).
    OpenLink(String),
    /// Bring back the saved work that a bad link displaced.
    RestoreSaved,
    /// Open a lesson at its first step.
    StartLesson(usize),
    /// Go to a step of the open lesson (its scenario, changes and moment).
    GoToStep(usize),
    NextStep,
    PreviousStep,
    /// The learner's prediction (a choice's index); the step then plays and reveals what came true.
    Predict(usize),
    /// Play a copy of the run to its end and check the challenge's requirements.
    CheckChallenge,
    /// Apply the challenge's solution (for a trainer, or a learner who is stuck).
    ShowSolution,
    EndLesson,
    /// Large type and high contrast for a projector.
    TogglePresenter,
    /// Fork at this moment: keep the run on screen as lane B, to change lane A and watch both in lockstep.
    ComparePin,
    /// Compare with a preset as lane B (e.g. the same workload over queues), in lockstep.
    CompareWith(usize),
    EndCompare,
    /// Show or hide the keyboard help (`?`).
    ToggleHelp,
    /// Show what the model simplifies (from an element's details).
    ShowSimplifications,
    /// Share: the link, its QR code and an embed snippet (the clock stops).
    ShowShare,
    /// Turn single-character shortcuts on or off (WCAG 2.1.4).
    SetSingleKeys(bool),
    /// The page's theme, and more contrast (both kept for the next visit by the page).
    SetTheme(Theme),
    SetMoreContrast(bool),
    /// Esc: close what is open, the help first, then the anomaly shown and the selection.
    Escape,
    /// "Copy link" ran: how long the link is and whether the clipboard took it.
    LinkCopied {
        chars: usize,
        copied: bool,
    },
}

/// A dialog over the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialog {
    /// Keyboard, display, and the workshop plan.
    Help,
    /// What the model simplifies.
    Simplifications,
    /// The link, its QR code and the embed snippet.
    Share,
}

/// The page's colours: the system's (followed live), or always light or dark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    /// Its name in the page's storage and in the theme select's values.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// Its name in the theme selects.
    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    /// A stored or selected value; anything else is the system's.
    pub fn from_name(name: &str) -> Theme {
        Theme::ALL.into_iter().find(|t| t.as_str() == name).unwrap_or(Theme::System)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    Node(NodeId),
    Message(MessageId),
}

/// The anomaly the user clicked: what to highlight on the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct Focus {
    pub message: MessageId,
    pub at_ms: SimTime,
    /// The boxes of its causal chain, in the order its message reached them (see `ui::chain`).
    pub chain: Vec<crate::ui::layout::NodeId>,
    /// That chain in words: "1 user-service → 2 user-events → 3 c2 → 4 email".
    pub chain_line: String,
    pub kind: &'static str,
    pub explanation: String,
    /// Its place among the run's anomalies (for the tour: "3 of 8").
    pub index: usize,
}

pub struct Model {
    pub presets: Vec<(String, Scenario)>,
    /// Index of the loaded preset (`usize::MAX` when the scenario came from a file, a link or saved work).
    pub preset: usize,
    /// Where a scenario that is not a preset came from ("Your file", "Shared link", "Your last work").
    pub custom_source: String,
    /// True after a link that could not be opened: the default scenario on screen must not overwrite the
    /// user's saved work (nor the address bar's link) until they change the scenario themselves.
    pub keep_saved_work: bool,
    /// The saved work that a bad link displaced, for the "Restore" button.
    pub restorable: Option<String>,
    /// Saved work this release cannot open (damaged, or from a newer release), kept aside in the
    /// browser's storage for the user to download: never overwritten, never lost.
    pub set_aside: Option<SetAside>,
    /// Another tab saved its work since this one changed anything: this tab's run still goes in the
    /// address bar, but no longer into the saved work.
    pub saved_elsewhere: bool,
    /// The lessons that ship, by file stem.
    pub lessons: Vec<(String, Lesson)>,
    pub lesson: Option<LessonProgress>,
    pub presenter: bool,
    /// The dialog open over the page, if any.
    pub dialog: Option<Dialog>,
    /// Single-character shortcuts (letters, digits, punctuation) act; off, only named keys do.
    pub single_keys: bool,
    pub theme: Theme,
    /// More contrast than the theme's (the system's `prefers-contrast: more` gives it too).
    pub more_contrast: bool,
    /// Playing pauses here (a lesson step's moment).
    pub play_until: Option<SimTime>,
    /// The second lane of a comparison, kept at the same virtual time as the main run.
    pub compare: Option<CompareLane>,
    pub scenario: Scenario,
    pub engine: Engine,
    pub playing: bool,
    pub speed: f64,
    /// End of the run, known in advance by running a copy (the end of the fault phase stands in while a
    /// big run's copy is still looking ahead); `run_end` adds a comparison's lane B.
    pub end_ms: SimTime,
    pub error: Option<String>,
    /// Recent happenings, spoken by the `aria-live` region.
    pub narration: VecDeque<String>,
    /// Lines ever said: keys the narration's lines, so a new line is announced alone (rewriting all six
    /// would have screen readers repeat them).
    pub narration_said: u64,
    narrated_upto: u64,
    /// Happenings not yet said while playing, and the wall time since the last line (see `narrate`).
    narration_held: narration::Held,
    narration_quiet_ms: f64,
    pub selection: Option<Selection>,
    pub focus: Option<Focus>,
    /// What the last inject or edit did, for the page to confirm it.
    pub notice: Option<String>,
    /// The stage's caption: what the last step did, what play skipped, how the run ended.
    pub caption: Option<String>,
    /// "To end »", or a jump too far to make at once, under way a slice per animation frame (see `seek`).
    seek: Option<Seek>,
    /// Play pauses at each anomaly and shows its explanation on the stage (on unless turned off).
    pub pause_on_anomaly: bool,
    /// A lesson step is playing to its moment: it runs there without pausing on the way.
    playing_a_step: bool,
    /// The run's scripted faults and anomalies, known from a copy run to its end, for the scrubber (only
    /// the faults while a big run's copy is still looking ahead).
    pub marks: Vec<Mark>,
    /// The copy of the run looking ahead, a slice per frame for a big run (see `lookahead`); a small one
    /// is kept at its end.
    lookahead: Option<Lookahead>,
    /// The page's clock, which ends each action's engine work in time (see `slices`); none natively.
    clock: Option<Clock>,
    /// When the engine work of the action under way must stop.
    deadline: Deadline,
    /// Every anomaly of the whole run, known from the same copy: the feed lists them all, reached or not.
    pub run_anomalies: Vec<Anomaly>,
    /// How many times a copy of the run was played ahead to learn its end (once per scenario opened or
    /// changed; never for a restart of the same one).
    pub(super) lookaheads: u32,
}

impl Model {
    /// Loads the shipped presets; a preset that fails to parse is reported, never a panic.
    pub fn new() -> Model {
        let mut presets = vec![];
        let mut errors = vec![];
        for (stem, json) in PRESETS {
            match parse_scenario(json) {
                Ok(s) => presets.push((stem.to_string(), s)),
                Err(e) => errors.push(format!("preset {stem}: {e}")),
            }
        }
        if presets.is_empty() {
            presets.push(("empty".to_string(), Scenario::default()));
        }
        let mut lessons = vec![];
        for (stem, json) in LESSONS {
            match parse_lesson(json) {
                Ok(l) => lessons.push((stem.to_string(), l)),
                Err(e) => errors.push(format!("lesson {stem}: {e}")),
            }
        }
        let scenario = presets[0].1.clone();
        let engine = Engine::new(scenario.clone())
            .unwrap_or_else(|_| Engine::new(Scenario::default()).expect("the default scenario is valid"));
        let mut model = Model {
            presets,
            preset: 0,
            custom_source: String::new(),
            keep_saved_work: false,
            restorable: None,
            set_aside: None,
            saved_elsewhere: false,
            lessons,
            lesson: None,
            presenter: false,
            dialog: None,
            single_keys: true,
            theme: Theme::System,
            more_contrast: false,
            play_until: None,
            compare: None,
            end_ms: 0,
            scenario,
            engine,
            playing: false,
            speed: 1.0,
            error: if errors.is_empty() { None } else { Some(errors.join("; ")) },
            narration: VecDeque::new(),
            narration_said: 0,
            narrated_upto: 0,
            narration_held: narration::Held::default(),
            narration_quiet_ms: 0.0,
            selection: None,
            focus: None,
            notice: None,
            caption: None,
            seek: None,
            pause_on_anomaly: true,
            playing_a_step: false,
            marks: vec![],
            lookahead: None,
            clock: None,
            deadline: Deadline::default(),
            run_anomalies: vec![],
            lookaheads: 0,
        };
        model.foresee();
        model
    }

    /// The page's model: each action's engine work ends in time on `clock` (see `slices`).
    pub fn with_clock(clock: Clock) -> Model {
        Model { clock: Some(clock), ..Model::new() }
    }

    /// Replaces the scenario (a preset, an edit, a link): on error the previous state is kept.
    pub fn load(&mut self, scenario: Scenario) -> Result<(), String> {
        validate(&scenario).map_err(|e| format!("This scenario cannot run: {e}"))?;
        // A large scenario reserves its tables up front: the old run goes before the new one is built.
        self.engine = Engine::placeholder();
        // A guess or a check is of the scenario it was made for: another one is asked again. The same one
        // built again keeps them, a check still waiting included (its copy answers it as before).
        if scenario != self.scenario {
            self.forget_answers();
        }
        self.foresee_run(&scenario);
        self.engine = Engine::new(scenario.clone()).map_err(|e| format!("This scenario cannot run: {e}"))?;
        self.engine.set_budget(self.lane_budget());
        self.scenario = scenario;
        self.retitle_lanes();
        self.reset_view();
        Ok(())
    }

    /// The same scenario from t = 0. What the run will do is known already (its end, marks and anomalies
    /// stand), so only the run is built again: scrubbing back, stepping back and Restart on a heavy
    /// scenario pay for one build, not a look-ahead too.
    fn restart(&mut self) {
        self.engine = Engine::placeholder();
        match Engine::new(self.scenario.clone()) {
            Ok(engine) => {
                self.engine = engine;
                self.engine.set_budget(self.lane_budget());
                self.reset_view();
            }
            Err(e) => self.error = Some(format!("This scenario cannot run: {e}")),
        }
    }

    /// What a fresh run shows: not playing, nothing said or selected yet.
    fn reset_view(&mut self) {
        self.playing = false;
        self.seek = None;
        self.play_until = None;
        self.playing_a_step = false;
        self.error = None;
        self.narration.clear();
        self.narrated_upto = 0;
        self.narration_held = narration::Held::default();
        self.focus = None;
        self.notice = None;
        self.caption = None;
        if let Some(Selection::Message(_)) = self.selection {
            self.selection = None;
        }
    }

    /// What each engine on the page may use: a comparison's two lanes share the tab's memory.
    pub fn lane_budget(&self) -> Budget {
        if self.compare.is_some() {
            SHARED_LANE_BUDGET
        } else {
            LANE_BUDGET
        }
    }

    /// The reducer: every arm one call, to the file of what it changes.
    pub fn update(&mut self, action: Action) {
        self.deadline = Deadline::from_now(self.clock);
        let notice_before = self.notice.clone();
        let tick_ms = match action {
            Action::Tick { wall_ms } => Some(wall_ms),
            _ => None,
        };
        let answered = self.answered_step(&action);
        if changes_the_scenario(&action) {
            // The screen is the user's own work again (after a bad link's fallback, or another tab's save).
            self.keep_saved_work = false;
            self.saved_elsewhere = false;
        }
        match action {
            Action::Import { file_name, text } => self.import(&file_name, &text),
            Action::Open { fragment, saved, aside } => self.open(&fragment, saved, aside),
            Action::DiscardSetAside => self.set_aside = None,
            Action::SavedByAnotherTab => self.saved_by_another_tab(),
            Action::OpenLink(fragment) => self.open_link_from_address_bar(&fragment),
            Action::RestoreSaved => self.restore_displaced_work(),
            Action::LinkCopied { chars, copied } => self.link_copied(chars, copied),
            Action::StartLesson(i) => self.start_lesson(i),
            Action::GoToStep(step) => self.open_step(step),
            Action::NextStep => self.move_steps(1),
            Action::PreviousStep => self.move_steps(-1),
            Action::Predict(choice) => self.predict(choice),
            Action::CheckChallenge => self.check_challenge(),
            Action::ShowSolution => self.show_solution(),
            Action::EndLesson => self.lesson = None,
            Action::TogglePresenter => self.presenter = !self.presenter,
            Action::ToggleHelp => {
                self.dialog = if self.dialog == Some(Dialog::Help) { None } else { Some(Dialog::Help) }
            }
            Action::ShowSimplifications => self.dialog = Some(Dialog::Simplifications),
            Action::ShowShare => {
                // The link, the QR code and the snippet show one moment: the clock stops on it.
                self.pause();
                self.dialog = Some(Dialog::Share);
            }
            Action::SetSingleKeys(on) => self.single_keys = on,
            Action::SetTheme(theme) => self.theme = theme,
            Action::SetMoreContrast(on) => self.more_contrast = on,
            Action::Escape => self.escape(),
            Action::ComparePin => self.fork_here(),
            Action::CompareWith(i) => self.compare_with_preset(i),
            Action::EndCompare => self.end_compare(),
            Action::SelectPreset(i) => self.select_preset(i),
            Action::TogglePlay if self.seek.is_some() => self.pause(),
            Action::TogglePlay => self.toggle_play(),
            Action::Pause => self.pause(),
            Action::Step => self.step_one_event(),
            Action::StepBack => self.step_back(),
            Action::GoToMark(i) => self.go_to_mark(i),
            Action::TogglePauseOnAnomaly => self.pause_on_anomaly = !self.pause_on_anomaly,
            Action::Restart => self.restart(),
            Action::Tick { wall_ms } => self.tick(wall_ms),
            Action::SetSpeed(speed) => self.set_speed(speed),
            Action::SetSeed(text) => self.set_seed(&text),
            Action::NewSeed => self.new_seed(),
            Action::Scrub(t) => self.scrub(t),
            Action::FastForward => self.start_to_end(),
            Action::Select(selection) => self.selection = Some(selection),
            Action::ClearSelection => self.clear_selection(),
            Action::Notice(text) => self.notice = Some(text),
            Action::Inject(action) => self.inject(self.engine.now(), action),
            Action::InjectAt { at_ms, action } => self.inject(at_ms.min(self.engine.now()), action),
            Action::Edit(edit) => self.edit(edit),
            Action::FocusAnomaly(i) => self.focus_anomaly(i),
            Action::NextAnomaly => self.tour_step(true),
            Action::PreviousAnomaly => self.tour_step(false),
        }
        self.say_why_asked_again(answered);
        if self.notice.is_some() && self.notice != notice_before {
            // A new notice is the latest word: it takes the caption's place.
            self.caption = None;
        }
        self.keep_lanes_in_step();
        self.settle_lesson();
        self.narrate(tick_ms);
    }

    fn clear_selection(&mut self) {
        self.selection = None;
        self.focus = None;
    }

    /// Esc closes one thing at a time, the topmost first.
    fn escape(&mut self) {
        if self.dialog.is_some() {
            self.dialog = None;
        } else {
            self.clear_selection();
        }
    }

    /// Clicking an anomaly, reached or still ahead: jump to its moment, open its message's journey and
    /// light its causal chain. The feed keeps listing the whole run's anomalies.
    fn focus_anomaly(&mut self, i: usize) {
        let known = self.run_anomalies.get(i).or_else(|| self.engine.anomalies().get(i));
        let Some(at_ms) = known.map(|a| a.at_ms) else { return };
        self.playing = false;
        self.go_to(at_ms, seek::Then::ShowAnomaly { index: i, tour: true });
    }

    /// On arriving at anomaly `i`'s moment: its chain lit and its explanation on the stage; as the tour's
    /// step (`tour`), its message's journey open too.
    pub(super) fn show_anomaly(&mut self, i: usize, tour: bool) {
        if self.engine.anomalies().len() <= i && !self.engine.is_finished() {
            // A loss is found when the run ends.
            self.seek(Goal::End, seek::Then::ShowAnomaly { index: i, tour });
            return;
        }
        let Some(focus) = self.focus_of(i) else { return };
        let (kind, message) = (&focus.kind, focus.message);
        self.caption = Some(if tour {
            format!("Anomaly {} of {}: {kind} of #{message}.", i + 1, self.tour_len())
        } else {
            format!("{}: {kind} of #{message}.", crate::engine::observe::seconds(focus.at_ms))
        });
        if tour {
            self.selection = Some(Selection::Message(message));
        }
        self.focus = Some(focus);
    }

    /// How many anomalies the tour has: the whole run's (or those reached, past what the copy could see).
    pub fn tour_len(&self) -> usize {
        self.run_anomalies.len().max(self.engine.anomalies().len())
    }

    /// The next (`forward`) or previous anomaly of the tour, from the one shown or from the moment on
    /// screen.
    fn tour_step(&mut self, forward: bool) {
        let reached = self.engine.anomalies().len();
        let next = match (self.focus.as_ref().map(|f| f.index), forward) {
            (Some(i), true) => i + 1,
            (Some(i), false) => i.wrapping_sub(1),
            (None, true) => reached,
            (None, false) => reached.wrapping_sub(1),
        };
        if next < self.tour_len() {
            self.focus_anomaly(next);
        }
    }
}

impl Model {
    /// Anomaly `i` of the run so far as the stage shows it: its message, moment, explanation and the
    /// boxes of its causal chain.
    pub(super) fn focus_of(&self, i: usize) -> Option<Focus> {
        let a = self.engine.anomalies().get(i)?;
        let chain = crate::ui::chain::causal_chain(&self.engine, a);
        let chain_line = crate::ui::chain::chain_line(&self.engine, &chain);
        let kind = crate::ui::labels::anomaly_label(a.kind);
        Some(Focus {
            message: a.message_id,
            at_ms: a.at_ms,
            chain,
            chain_line,
            kind,
            explanation: a.explanation.clone(),
            index: i,
        })
    }

    fn foresee(&mut self) {
        let scenario = self.scenario.clone();
        self.foresee_run(&scenario);
    }
}

/// Whether an action changes the scenario on screen (and so makes it the user's own work again).
fn changes_the_scenario(action: &Action) -> bool {
    matches!(
        action,
        Action::SelectPreset(_)
            | Action::SetSeed(_)
            | Action::NewSeed
            | Action::Inject(_)
            | Action::InjectAt { .. }
            | Action::Edit(_)
            | Action::Import { .. }
            | Action::LinkCopied { .. }
            | Action::StartLesson(_)
            | Action::GoToStep(_)
            | Action::NextStep
            | Action::PreviousStep
            | Action::ShowSolution
            | Action::ComparePin
            | Action::CompareWith(_)
            | Action::EndCompare
    )
}

impl Default for Model {
    fn default() -> Self {
        Model::new()
    }
}
