//! The one application state and its reducer: the only caller of the engine. Pure Rust (no web types),
//! so every transition is tested natively; the Yew layer only wraps it in `use_reducer`.
use crate::engine::kernel::SimTime;
use crate::engine::observe::What;
use crate::engine::Engine;
use crate::scenario::lesson::{parse_lesson, Lesson, LESSONS};
use crate::scenario::link::{self, SharedRun, View};
use crate::scenario::model::{Acks, CommitPolicy, FaultAction, Isolation, PublishMode, ScriptedFault, Strategy};
use crate::scenario::presets::PRESETS;
use crate::scenario::{parse_scenario, Scenario};
use crate::ui::layout::NodeId;
use crate::ui::lesson::{self as lessons, ConditionCheck, LessonProgress};
use std::collections::VecDeque;

/// Speeds offered, as multiples of real time (virtual ms per wall ms).
pub const SPEEDS: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 100.0];
/// At most this many engine events per animation frame, so a frame never stalls the page.
const EVENTS_PER_FRAME: u64 = 20_000;
/// How far ahead the scrubber's range is computed when a run is opened (events).
const END_PROBE_EVENTS: u64 = 2_000_000;
const NARRATION_LINES: usize = 6;

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    SelectPreset(usize),
    TogglePlay,
    Pause,
    /// Run exactly one engine event.
    Step,
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
    /// Change a setting: the run restarts from t = 0 with the same seed.
    Edit(Edit),
    /// Click an anomaly: jump to its moment, open its message, highlight its causal chain.
    FocusAnomaly(usize),
    /// A scenario file the user opened: its name and its text.
    Import {
        file_name: String,
        text: String,
    },
    /// The page opened: its address's fragment (a share link, or empty) and the work saved on the
    /// previous visit, if any. A link wins; a bad link shows why, the default scenario, and leaves the
    /// saved work untouched and offered back.
    Open {
        fragment: String,
        saved: Option<String>,
    },
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
    /// Compare: keep the run on screen as lane B, to change lane A and watch both in lockstep.
    ComparePin,
    /// Compare with a preset as lane B (e.g. the same workload over queues), in lockstep.
    CompareWith(usize),
    EndCompare,
    /// "Copy link" ran: how long the link is and whether the clipboard took it.
    LinkCopied {
        chars: usize,
        copied: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    Node(NodeId),
    Message(u32),
}

/// The settings that can be changed in place (entities by their index in the scenario's lists).
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    GroupStrategy(usize, Strategy),
    QueueStrategy(usize, Strategy),
    GroupCommit(usize, CommitPolicy),
    /// Kafka transactions on or off for a consume→transform→produce stage.
    GroupTransactional(usize, bool),
    /// isolation.level read_committed (true) or read_uncommitted (false).
    GroupReadCommitted(usize, bool),
    /// Add (true) or remove (false) a member of a group.
    GroupMembers(usize, bool),
    /// Add (true) or remove (false) a worker of a queue.
    QueueWorkers(usize, bool),
    Partitions(usize, u32),
    VisibilityTimeout(usize, u64),
    MaxReceives(usize, u32),
    ProducerIdempotent(usize, bool),
    /// `acks = 0` when on, `all` when off.
    ProducerFireAndForget(usize, bool),
    ProducerPublishMode(usize, PublishMode),
    SinkAcceptsKey(usize, bool),
    /// Add a producer like this one (a fresh name, the same target and settings).
    CopyProducer(usize),
    /// Remove a producer (and the scripted faults that name it) while one stays.
    RemoveProducer(usize),
    /// Add a group like this one: a new team reading the same topic, with its own copy of the sink (so its
    /// emails are not counted as the first group's duplicates).
    CopyGroup(usize),
    /// Remove a group, the scripted faults that name it or its consumers, and its sink if nothing else
    /// uses it.
    RemoveGroup(usize),
    /// Per handler run, in percent.
    CrashPercent(f64),
    /// Per producer send, in percent.
    LostAckPercent(f64),
    LostSendPercent(f64),
    ProducerCrashPercent(f64),
}

/// The anomaly the user clicked: what to highlight on the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct Focus {
    pub message: u32,
    pub at_ms: SimTime,
    /// Consumers whose deliveries form the causal chain.
    pub consumers: Vec<u16>,
    pub explanation: String,
}

/// Lane B of a comparison: another scenario on the same clock (same seed and fault schedule unless the
/// user changed them), drawn below the main run with its figures side by side.
pub struct CompareLane {
    pub scenario: Scenario,
    pub engine: Engine,
    pub end_ms: SimTime,
    /// The preset lane B was made from (with lane A's seed and faults), if any.
    pub preset: Option<usize>,
}

impl CompareLane {
    fn new(scenario: Scenario, preset: Option<usize>) -> Result<CompareLane, String> {
        let engine = Engine::new(scenario.clone()).map_err(|e| format!("This scenario cannot be compared: {e}"))?;
        Ok(CompareLane { end_ms: probe_end(&scenario), scenario, engine, preset })
    }
}

/// A preset made comparable with lane A: the same seed and the same faults (probabilities and scripted
/// timeline), so the lanes differ in their wiring, not their luck. Scripted faults that name what only
/// lane A has are left out (the preset's own are kept instead).
pub fn aligned_with(preset: &Scenario, a: &Scenario) -> Scenario {
    let mut b = preset.clone();
    b.seed = a.seed;
    let own_scripted = std::mem::take(&mut b.faults.scripted);
    b.faults = a.faults.clone();
    if crate::scenario::validate::validate(&b).is_err() {
        b.faults.scripted = own_scripted;
    }
    b
}

/// Larger scenario files are refused before parsing (the biggest valid scenario is far smaller).
pub const MAX_IMPORT_BYTES: usize = 1 << 20;

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
    /// The lessons that ship, by file stem.
    pub lessons: Vec<(String, Lesson)>,
    pub lesson: Option<LessonProgress>,
    pub presenter: bool,
    /// Playing pauses here (a lesson step's moment).
    pub play_until: Option<SimTime>,
    /// The second lane of a comparison, kept at the same virtual time as the main run.
    pub compare: Option<CompareLane>,
    pub scenario: Scenario,
    pub engine: Engine,
    pub playing: bool,
    pub speed: f64,
    /// End of the run (known in advance by running a copy); `run_end` adds a comparison's lane B.
    pub end_ms: SimTime,
    pub error: Option<String>,
    /// Recent happenings, spoken by the `aria-live` region.
    pub narration: VecDeque<String>,
    /// Lines ever said: keys the narration's lines, so a new line is announced alone (rewriting all six
    /// would have screen readers repeat them).
    pub narration_said: u64,
    narrated_upto: u64,
    pub selection: Option<Selection>,
    pub focus: Option<Focus>,
    /// What the last inject or edit did, for the page to confirm it.
    pub notice: Option<String>,
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
            lessons,
            lesson: None,
            presenter: false,
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
            selection: None,
            focus: None,
            notice: None,
        };
        model.end_ms = probe_end(&model.scenario);
        model
    }

    /// Replaces the scenario (a preset, an edit, a link): on error the previous state is kept.
    pub fn load(&mut self, scenario: Scenario) -> Result<(), String> {
        let engine = Engine::new(scenario.clone()).map_err(|e| format!("This scenario cannot run: {e}"))?;
        self.end_ms = probe_end(&scenario);
        self.scenario = scenario;
        self.engine = engine;
        self.playing = false;
        self.play_until = None;
        self.error = None;
        self.narration.clear();
        self.narrated_upto = 0;
        self.focus = None;
        self.notice = None;
        if let Some(Selection::Message(_)) = self.selection {
            self.selection = None;
        }
        Ok(())
    }

    /// Recomputes the run from t = 0 up to `t` (how scrubbing back, injecting and editing stay exact).
    fn replay_to(&mut self, t: SimTime) {
        let (playing, selection, focus) = (self.playing, self.selection, self.focus.take());
        self.rebuild();
        self.engine.run_until(t);
        self.playing = playing && !self.engine.is_finished();
        self.selection = selection;
        self.focus = focus;
    }

    fn inject(&mut self, action: FaultAction) {
        let now = self.engine.now();
        let label = crate::ui::labels::fault_label(&action);
        let mut scenario = self.scenario.clone();
        scenario.faults.scripted.push(ScriptedFault { at_ms: now, action });
        // Rebuilt rather than applied to the live engine: the scripted fault then runs in the same order
        // among the events of its millisecond as it will in every replay, restart or shared link.
        match Engine::new(scenario.clone()) {
            Ok(_) => {
                self.scenario = scenario;
                self.replay_to(now);
                self.notice = Some(format!("Injected at {}: {label}.", crate::engine::observe::seconds(now)));
            }
            Err(e) => self.error = Some(format!("That fault cannot be injected: {e}")),
        }
    }

    fn edit(&mut self, edit: Edit) {
        let mut scenario = self.scenario.clone();
        if let Err(e) = apply_edit(&mut scenario, &edit) {
            self.error = Some(e);
            return;
        }
        // A copy is selected (its settings are what the user wants next); a removal leaves nothing selected.
        let selection = match edit {
            Edit::CopyProducer(_) => Some(Selection::Node(NodeId::Producer(scenario.producers.len() as u16 - 1))),
            Edit::CopyGroup(_) => Some(Selection::Node(NodeId::Group(scenario.groups.len() as u16 - 1))),
            Edit::RemoveProducer(_) | Edit::RemoveGroup(_) => None,
            _ => self.selection,
        };
        match self.load(scenario) {
            Ok(()) => {
                self.selection = selection.filter(|s| matches!(s, Selection::Node(_)));
                self.notice = Some("Setting changed: the run restarted from 0 with the same seed.".into());
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn rebuild(&mut self) {
        if let Err(e) = self.load(self.scenario.clone()) {
            self.error = Some(e);
        }
    }

    /// Opens a scenario file; anything wrong with it is said on the page and the current run is kept.
    fn import(&mut self, file_name: &str, text: &str) {
        if text.len() > MAX_IMPORT_BYTES {
            self.error = Some(format!(
                "{file_name} is {} KB: a scenario file is at most {} KB.",
                text.len() / 1024,
                MAX_IMPORT_BYTES / 1024
            ));
            return;
        }
        let scenario = match parse_scenario(text) {
            Ok(s) => s,
            Err(e) => {
                self.error = Some(format!("{file_name} is not a scenario this release can open: {e}"));
                return;
            }
        };
        let run =
            SharedRun { scenario, view: View { at_ms: 0, events: Some(0), speed: self.speed, ..View::default() } };
        match self.open_run(run, "Your file") {
            Ok(()) => self.notice = Some(format!("Opened {file_name}: {}.", self.scenario.name)),
            Err(e) => self.error = Some(format!("{file_name}: {e}")),
        }
    }

    /// The end of the run on screen for the scrubber: lane A's end, or lane B's when a comparison runs
    /// longer.
    pub fn run_end(&self) -> SimTime {
        self.compare.as_ref().map_or(self.end_ms, |lane| self.end_ms.max(lane.end_ms))
    }

    /// The open lesson's current step.
    pub fn current_step(&self) -> Option<&crate::scenario::lesson::LessonStep> {
        let l = self.lesson.as_ref()?;
        self.lessons.get(l.lesson)?.1.steps.get(l.step)
    }

    /// The moment a step plays to (its own, or the end of the run).
    pub fn step_moment(&self) -> SimTime {
        self.current_step().and_then(|s| s.play_to_ms).unwrap_or(self.run_end()).min(self.run_end())
    }

    /// The preset the scenario on screen is, if it is one unchanged (`usize::MAX` otherwise).
    fn preset_on_screen(&self) -> usize {
        self.presets.iter().position(|(_, p)| *p == self.scenario).unwrap_or(usize::MAX)
    }

    fn lesson_highlight(&mut self) {
        let names = self.current_step().map(|s| s.highlight.clone()).unwrap_or_default();
        let nodes = names.iter().filter_map(|n| lessons::node_named(&self.engine, n)).collect();
        if let Some(l) = self.lesson.as_mut() {
            l.highlight = nodes;
        }
    }

    /// The scenario a step starts from. Moving on to the next step keeps the scenario on screen (with the
    /// learner's own changes) unless the step names a preset; any other jump rebuilds it from the nearest
    /// earlier step that names one, with the changes of the steps in between.
    fn step_scenario(&self, lesson: &Lesson, step: usize, next: bool) -> Result<Scenario, String> {
        let preset = |stem: &str| {
            self.presets
                .iter()
                .find(|(p, _)| p == stem)
                .map(|(_, s)| s.clone())
                .ok_or_else(|| format!("this lesson needs the scenario '{stem}', which this release lacks"))
        };
        let target = &lesson.steps[step];
        if let Some(stem) = &target.preset {
            return lessons::apply_changes(&preset(stem)?, &target.set);
        }
        if next {
            return lessons::apply_changes(&self.scenario, &target.set);
        }
        let start = (0..=step).rev().find(|&k| lesson.steps[k].preset.is_some()).unwrap_or(0);
        let mut scenario = match &lesson.steps[start].preset {
            Some(stem) => preset(stem)?,
            None => self.scenario.clone(),
        };
        for s in &lesson.steps[start..=step] {
            scenario = lessons::apply_changes(&scenario, &s.set)?;
        }
        Ok(scenario)
    }

    /// Opens a step: its scenario and changes, then plays to its moment unless it first asks for a
    /// prediction.
    fn open_step(&mut self, step: usize) {
        let Some(progress) = self.lesson.clone() else { return };
        let Some((_, lesson)) = self.lessons.get(progress.lesson) else { return };
        let Some(s) = lesson.steps.get(step).cloned() else { return };
        let count = lesson.steps.len();
        let next = step == progress.step + 1;
        let loaded = self.step_scenario(lesson, step, next).and_then(|scenario| self.load(scenario));
        if let Err(e) = loaded {
            self.error = Some(format!("This lesson step cannot be shown: {e}"));
            return;
        }
        self.preset = self.preset_on_screen();
        self.custom_source = "Lesson".into();
        self.selection = None;
        self.lesson = Some(LessonProgress { lesson: progress.lesson, step, ..LessonProgress::default() });
        self.lesson_highlight();
        if s.predict.is_none() {
            if let Some(t) = s.play_to_ms {
                self.play_until = Some(t.min(self.run_end()));
                self.playing = true;
            }
        }
        self.say(format!("Lesson step {} of {count}: {}", step + 1, s.title));
    }

    /// Records the learner's guess, works out which choices come true at the step's moment, and plays there.
    fn predict(&mut self, choice: usize) {
        let Some(prediction) = self.current_step().and_then(|s| s.predict.clone()) else { return };
        if choice >= prediction.choices.len() || self.lesson.as_ref().is_some_and(|l| l.guess.is_some()) {
            return;
        }
        // At the step's moment, or at the end of the run (where losses are final).
        let play_to = self.current_step().and_then(|s| s.play_to_ms);
        let moment = self.step_moment();
        let came_true = match probe(&self.scenario, play_to) {
            Some(engine) => {
                prediction.choices.iter().map(|c| c.when.iter().all(|w| lessons::holds(&engine, w))).collect()
            }
            None => vec![false; prediction.choices.len()],
        };
        if let Some(l) = self.lesson.as_mut() {
            l.guess = Some(choice);
            l.came_true = came_true;
        }
        if self.engine.now() < moment || (play_to.is_none() && !self.engine.is_finished()) {
            self.play_until = play_to.map(|t| t.min(self.run_end()));
            self.playing = true;
        }
    }

    fn check_challenge(&mut self) {
        let Some(challenge) = self.current_step().and_then(|s| s.challenge.clone()) else { return };
        let Some(engine) = probe(&self.scenario, None) else { return };
        let checks: Vec<ConditionCheck> = challenge
            .require
            .iter()
            .map(|c| ConditionCheck {
                label: lessons::describe(c),
                value: lessons::figure(&engine, c),
                met: lessons::holds(&engine, c),
            })
            .collect();
        let passed = checks.iter().all(|c| c.met);
        self.notice = Some(if passed {
            format!("Challenge met! {}", challenge.success)
        } else {
            format!("Not yet: {}", challenge.hint)
        });
        if let Some(l) = self.lesson.as_mut() {
            l.check = Some(checks);
        }
    }

    /// Adds a line to the narration (the last few are kept for the `aria-live` region).
    fn say(&mut self, line: String) {
        if self.narration.len() == NARRATION_LINES {
            self.narration.pop_front();
        }
        self.narration.push_back(line);
        self.narration_said += 1;
    }

    /// The run as a share link would carry it: the scenario and the moment on screen.
    pub fn shared_run(&self) -> SharedRun {
        let view = View {
            at_ms: self.engine.now(),
            events: Some(self.engine.events_processed()),
            speed: self.speed,
            lesson: self.lesson.as_ref().and_then(|l| self.lessons.get(l.lesson)).map(|(stem, _)| stem.clone()),
            step: self.lesson.as_ref().map_or(0, |l| l.step),
            compare: self.compare.as_ref().map(|c| c.scenario.clone()),
        };
        SharedRun { scenario: self.scenario.clone(), view }
    }

    /// The fragment the address bar and the saved work should hold now; `None` while a bad link's
    /// fallback is on screen (it must not replace the user's own work).
    pub fn share_fragment(&self) -> Option<String> {
        (!self.keep_saved_work).then(|| link::encode(&self.shared_run()))
    }

    /// Shows a decoded run: its scenario (selecting the preset it equals, if any), speed and moment.
    fn open_run(&mut self, run: SharedRun, source: &str) -> Result<(), String> {
        self.load(run.scenario)?;
        self.preset = self.preset_on_screen();
        self.custom_source = source.to_string();
        self.selection = None;
        self.keep_saved_work = false;
        self.restorable = None;
        self.update(Action::SetSpeed(run.view.speed));
        // The lesson the link was made in, at its step; the link's scenario stands (the step's changes are
        // not applied again).
        self.lesson = run.view.lesson.as_ref().and_then(|stem| {
            let index = self.lessons.iter().position(|(s, _)| s == stem)?;
            let steps = self.lessons[index].1.steps.len();
            Some(LessonProgress { lesson: index, step: run.view.step.min(steps - 1), ..LessonProgress::default() })
        });
        if self.lesson.is_some() {
            self.lesson_highlight();
        }
        self.compare = match run.view.compare {
            Some(b) => {
                let preset = self.presets.iter().position(|(_, p)| aligned_with(p, &self.scenario) == b);
                Some(CompareLane::new(b, preset)?)
            }
            None => None,
        };
        let at = run.view.at_ms.min(self.run_end());
        match run.view.events {
            // Exactly as many events as when the link was made, then the clock on to its moment. A link made
            // while stepping has its moment at its last event (the clock stays); one made by scrubbing or
            // playing has every live event up to its moment run already, so only stale timers are left.
            Some(n) => {
                self.engine.run_until_bounded(at, n);
                if self.engine.now() < at {
                    self.engine.run_until(at);
                }
            }
            None => {
                self.engine.run_until(at);
            }
        }
        Ok(())
    }

    /// Opens a link (a fragment); on failure says why and keeps what is on screen.
    fn open_link(&mut self, fragment: &str, source: &str) -> Result<(), String> {
        let run = link::decode(fragment).map_err(|e| e.to_string())?;
        self.open_run(run, source)
    }

    /// Opens a shared link and says so; the error (why it could not be opened) is the caller's to show.
    fn open_shared_link(&mut self, fragment: &str) -> Result<(), String> {
        self.open_link(fragment, "Shared link")?;
        self.notice = Some(format!("Opened a shared link: {}.", self.scenario.name));
        Ok(())
    }

    /// Opens the saved work and says so, or says (after `failure`) why it could not be.
    fn restore_saved(&mut self, saved: &str, failure: &str) {
        match self.open_link(saved, "Your last work") {
            Ok(()) => self.notice = Some(format!("Restored your last work: {}.", self.scenario.name)),
            Err(e) => self.error = Some(format!("{failure} {e}")),
        }
    }

    fn open(&mut self, fragment: &str, saved: Option<String>) {
        if !fragment.trim_start_matches('#').is_empty() {
            if let Err(e) = self.open_shared_link(fragment) {
                self.error = Some(format!("{e} The default scenario is shown instead."));
                self.keep_saved_work = true;
                self.restorable = saved;
            }
        } else if let Some(saved) = saved {
            self.restore_saved(&saved, "Your work from the last visit could not be restored:");
        }
    }

    pub fn update(&mut self, action: Action) {
        // Changing the scenario makes the screen the user's own work again (after a bad link's fallback).
        if matches!(
            action,
            Action::SelectPreset(_)
                | Action::SetSeed(_)
                | Action::NewSeed
                | Action::Inject(_)
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
        ) {
            self.keep_saved_work = false;
        }
        match action {
            Action::Import { file_name, text } => self.import(&file_name, &text),
            Action::Open { fragment, saved } => self.open(&fragment, saved),
            Action::OpenLink(fragment) => {
                if let Err(e) = self.open_shared_link(&fragment) {
                    self.error = Some(format!("{e} Your scenario is unchanged."));
                }
            }
            Action::RestoreSaved => {
                if let Some(saved) = self.restorable.take() {
                    self.restore_saved(&saved, "Your last work could not be restored:");
                }
            }
            Action::StartLesson(i) => {
                if i < self.lessons.len() {
                    self.lesson = Some(LessonProgress { lesson: i, ..LessonProgress::default() });
                    self.open_step(0);
                }
            }
            Action::GoToStep(step) => self.open_step(step),
            Action::NextStep => {
                if let Some(l) = &self.lesson {
                    self.open_step(l.step + 1);
                }
            }
            Action::PreviousStep => {
                if let Some(l) = &self.lesson {
                    self.open_step(l.step.saturating_sub(1));
                }
            }
            Action::Predict(choice) => self.predict(choice),
            Action::CheckChallenge => self.check_challenge(),
            Action::ShowSolution => {
                if let Some(challenge) = self.current_step().and_then(|s| s.challenge.clone()) {
                    match lessons::apply_changes(&self.scenario, &challenge.solution) {
                        Ok(s) => match self.load(s) {
                            Ok(()) => self.notice = Some("The solution's settings are applied: press Check.".into()),
                            Err(e) => self.error = Some(e),
                        },
                        Err(e) => self.error = Some(e),
                    }
                }
            }
            Action::EndLesson => self.lesson = None,
            Action::ComparePin => self.start_compare(self.scenario.clone(), None),
            Action::CompareWith(i) => {
                if let Some((_, s)) = self.presets.get(i) {
                    self.start_compare(aligned_with(s, &self.scenario), Some(i));
                }
            }
            Action::EndCompare => self.compare = None,
            Action::TogglePresenter => self.presenter = !self.presenter,
            Action::LinkCopied { chars, copied } => {
                self.notice = Some(if copied {
                    format!(
                        "Link copied ({chars} characters): it opens this scenario at {}.",
                        crate::engine::observe::seconds(self.engine.now())
                    )
                } else {
                    "The browser did not allow copying: copy the link from the address bar.".to_string()
                });
            }
            Action::SelectPreset(i) => {
                if let Some((_, s)) = self.presets.get(i) {
                    let s = s.clone();
                    if let Err(e) = self.load(s) {
                        self.error = Some(e);
                    } else {
                        self.preset = i;
                        self.selection = None;
                    }
                }
            }
            Action::TogglePlay => {
                if self.engine.is_finished() && !self.playing {
                    self.rebuild();
                }
                self.playing = !self.playing;
                self.play_until = None;
            }
            Action::Pause => self.playing = false,
            Action::Step => {
                self.playing = false;
                self.engine.step();
            }
            Action::Restart => {
                self.rebuild();
            }
            Action::Tick { wall_ms } => {
                if !self.playing {
                    return;
                }
                // A frame that arrives after a long pause (a hidden tab) must not jump the run.
                let wall_ms = if wall_ms.is_finite() { wall_ms.clamp(0.0, 100.0) } else { 0.0 };
                let mut target = self.engine.now() + (wall_ms * self.speed).round() as SimTime;
                if let Some(until) = self.play_until {
                    target = target.min(until);
                }
                self.engine.run_until_bounded(target, EVENTS_PER_FRAME);
                if self.engine.is_finished() || self.play_until.is_some_and(|u| self.engine.now() >= u) {
                    self.playing = false;
                    self.play_until = None;
                }
            }
            Action::SetSpeed(speed) => {
                if speed.is_finite() && speed > 0.0 {
                    self.speed = speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]);
                }
            }
            Action::SetSeed(text) => match text.trim().parse::<u64>() {
                Ok(seed) => {
                    self.scenario.seed = seed;
                    self.rebuild();
                }
                Err(_) => {
                    self.error =
                        Some(format!("'{}' is not a seed: use a whole number from 0 to {}", text.trim(), u64::MAX))
                }
            },
            Action::NewSeed => {
                self.scenario.seed = next_seed(self.scenario.seed);
                self.rebuild();
            }
            Action::Scrub(t) => {
                let t = t.min(self.run_end());
                if t < self.engine.now() {
                    self.replay_to(t);
                } else {
                    self.engine.run_until(t);
                }
            }
            Action::Select(selection) => self.selection = Some(selection),
            Action::ClearSelection => {
                self.selection = None;
                self.focus = None;
            }
            Action::Inject(action) => self.inject(action),
            Action::Edit(edit) => self.edit(edit),
            Action::FocusAnomaly(i) => {
                let Some(a) = self.engine.anomalies.get(i) else { return };
                let consumers = a.deliveries.iter().filter_map(|&d| self.engine.delivery(d).map(|d| d.consumer)).fold(
                    vec![],
                    |mut v, c| {
                        if !v.contains(&c) {
                            v.push(c);
                        }
                        v
                    },
                );
                let focus =
                    Focus { message: a.message_id, at_ms: a.at_ms, consumers, explanation: a.explanation.clone() };
                self.playing = false;
                if focus.at_ms < self.engine.now() {
                    self.replay_to(focus.at_ms);
                } else {
                    self.engine.run_until(focus.at_ms);
                }
                self.selection = Some(Selection::Message(focus.message));
                self.focus = Some(focus);
            }
            Action::FastForward => {
                self.fast_forward(END_PROBE_EVENTS);
                self.playing = false;
            }
        }
        self.keep_lanes_in_step();
        self.narrate();
    }

    fn start_compare(&mut self, scenario: Scenario, preset: Option<usize>) {
        match CompareLane::new(scenario, preset) {
            Ok(lane) => {
                self.compare = Some(lane);
                self.notice = Some(
                    "Comparing: lane B runs on the same clock. Change lane A (click its elements) and watch both."
                        .into(),
                );
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Runs towards the end of the healing phase, at most `max_events` at a time (the scrubber's probe has
    /// the same bound): a scenario of millions of messages advances a slice per press, with a word on
    /// where it stopped, instead of freezing the page until its last event.
    fn fast_forward(&mut self, max_events: u64) {
        self.engine.run_until_bounded(SimTime::MAX, max_events);
        if !self.engine.is_finished() {
            self.notice = Some(format!(
                "This run is long: stopped at {} to keep the page responsive. Press To end » again to go on.",
                crate::engine::observe::seconds(self.engine.now())
            ));
        }
    }

    /// Brings lane B to lane A's moment: forward by running, backward by recomputing from t = 0 (the same
    /// way scrubbing stays exact); when A has run to its end, B does too.
    fn keep_lanes_in_step(&mut self) {
        let (now, done) = (self.engine.now(), self.engine.is_finished());
        let Some(lane) = self.compare.as_mut() else { return };
        if lane.engine.now() > now && !done {
            match Engine::new(lane.scenario.clone()) {
                Ok(engine) => lane.engine = engine,
                Err(_) => return,
            }
        }
        if done {
            if !lane.engine.is_finished() {
                lane.engine.run_until_bounded(SimTime::MAX, END_PROBE_EVENTS);
            }
        } else if lane.engine.now() < now {
            lane.engine.run_until(now);
        }
    }

    /// Turns new trace events into short sentences for screen-reader users.
    fn narrate(&mut self) {
        let from = self.narrated_upto;
        // From the back: only the events since the last frame, not the whole trace buffer.
        let mut lines: Vec<String> = self
            .engine
            .trace
            .events
            .iter()
            .rev()
            .take_while(|e| e.seq >= from)
            .filter_map(|e| narrate_event(&self.engine, e))
            .collect();
        lines.reverse();
        self.narrated_upto = self.engine.trace.total;
        for line in lines {
            self.say(line);
        }
    }
}

impl Default for Model {
    fn default() -> Self {
        Model::new()
    }
}

/// Applies one in-place edit to a scenario; the result is validated when the engine is rebuilt.
pub fn apply_edit(s: &mut Scenario, edit: &Edit) -> Result<(), String> {
    fn get<'a, T>(list: &'a mut [T], i: usize, what: &str) -> Result<&'a mut T, String> {
        list.get_mut(i).ok_or_else(|| format!("There is no {what} {}.", i + 1))
    }
    fn consumer_taken(s: &Scenario, name: &str) -> bool {
        s.groups
            .iter()
            .flat_map(|g| g.consumers.iter())
            .chain(s.queues.iter().flat_map(|q| q.consumers.iter()))
            .any(|c| c == name)
    }
    fn fresh_name(s: &Scenario, prefix: &str) -> String {
        (1..).map(|k| format!("{prefix}{k}")).find(|n| !consumer_taken(s, n)).unwrap_or_default()
    }
    match *edit {
        Edit::GroupStrategy(i, strategy) => get(&mut s.groups, i, "group")?.handler.strategy = strategy,
        Edit::QueueStrategy(i, strategy) => get(&mut s.queues, i, "queue")?.handler.strategy = strategy,
        Edit::GroupCommit(i, commit) => get(&mut s.groups, i, "group")?.commit = commit,
        Edit::GroupTransactional(i, on) => {
            let g = get(&mut s.groups, i, "group")?;
            g.transactional = on;
            if on {
                // Offsets commit inside the transaction, after the work.
                g.commit = CommitPolicy::AfterProcessing;
            }
        }
        Edit::GroupReadCommitted(i, on) => {
            get(&mut s.groups, i, "group")?.isolation =
                if on { Isolation::ReadCommitted } else { Isolation::ReadUncommitted }
        }
        Edit::GroupMembers(i, add) => {
            let name = fresh_name(s, "c");
            add_or_remove(
                &mut get(&mut s.groups, i, "group")?.consumers,
                add,
                name,
                "A group needs at least one member.",
            )?
        }
        Edit::QueueWorkers(i, add) => {
            let name = fresh_name(s, "w");
            add_or_remove(
                &mut get(&mut s.queues, i, "queue")?.consumers,
                add,
                name,
                "A queue needs at least one worker.",
            )?
        }
        Edit::Partitions(i, n) => get(&mut s.topics, i, "topic")?.partitions = n,
        Edit::VisibilityTimeout(i, ms) => get(&mut s.queues, i, "queue")?.visibility_timeout_ms = ms,
        Edit::MaxReceives(i, n) => get(&mut s.queues, i, "queue")?.max_receives = n,
        Edit::ProducerIdempotent(i, on) => get(&mut s.producers, i, "producer")?.idempotent = on,
        Edit::ProducerPublishMode(i, mode) => get(&mut s.producers, i, "producer")?.publish_mode = mode,
        Edit::ProducerFireAndForget(i, on) => {
            get(&mut s.producers, i, "producer")?.acks = if on { Acks::Zero } else { Acks::All }
        }
        Edit::SinkAcceptsKey(i, on) => get(&mut s.sinks, i, "sink")?.accepts_idempotency_key = on,
        Edit::CopyProducer(i) => {
            let mut copy = get(&mut s.producers, i, "producer")?.clone();
            copy.name = copy_name(&copy.name, |n| s.producers.iter().any(|p| p.name == n));
            s.producers.push(copy);
        }
        Edit::RemoveProducer(i) => {
            if s.producers.len() <= 1 {
                return Err("A scenario needs at least one producer.".into());
            }
            let name = get(&mut s.producers, i, "producer")?.name.clone();
            s.producers.remove(i);
            s.faults
                .scripted
                .retain(|f| !matches!(&f.action, FaultAction::DropAcks { producer, .. } if *producer == name));
        }
        Edit::CopyGroup(i) => {
            let mut copy = get(&mut s.groups, i, "group")?.clone();
            if copy.produce_to.is_some() {
                return Err(format!(
                    "{} is a stage (it produces to a topic): a copy would write every record twice. Copy a group with a side effect instead.",
                    copy.name
                ));
            }
            copy.name = copy_name(&copy.name, |n| s.groups.iter().any(|g| g.name == n));
            let prefix = copy.name.chars().next().filter(char::is_ascii_alphabetic).unwrap_or('c');
            let mut members: Vec<String> = vec![];
            for _ in 0..copy.consumers.len() {
                let name = (1..)
                    .map(|k| format!("{prefix}{k}"))
                    .find(|n| !members.contains(n) && !consumer_taken(s, n))
                    .unwrap_or_default();
                members.push(name);
            }
            copy.consumers = members;
            if let Some(sink) = s.sinks.iter().find(|k| k.name == copy.handler.sink).cloned() {
                let name = copy_name(&sink.name, |n| s.sinks.iter().any(|k| k.name == n));
                copy.handler.sink = name.clone();
                s.sinks.push(crate::scenario::model::Sink { name, ..sink });
            }
            s.groups.push(copy);
        }
        Edit::RemoveGroup(i) => {
            let group = get(&mut s.groups, i, "group")?.clone();
            s.groups.remove(i);
            s.faults.scripted.retain(|f| match &f.action {
                FaultAction::CrashConsumer { consumer, .. }
                | FaultAction::SlowConsumer { consumer, .. }
                | FaultAction::StopConsumer { consumer }
                | FaultAction::StartConsumer { consumer } => !group.consumers.contains(consumer),
                FaultAction::ResetGroup { group: name, .. } => *name != group.name,
                _ => true,
            });
            let used = s.groups.iter().map(|g| &g.handler).chain(s.queues.iter().map(|q| &q.handler));
            if !used.into_iter().any(|h| h.sink == group.handler.sink) {
                s.sinks.retain(|k| k.name != group.handler.sink);
            }
        }
        Edit::CrashPercent(p) => s.faults.consumer_crash = percent(p)?,
        Edit::LostAckPercent(p) => s.faults.lost_ack = percent(p)?,
        Edit::LostSendPercent(p) => s.faults.lost_send = percent(p)?,
        Edit::ProducerCrashPercent(p) => s.faults.producer_crash = percent(p)?,
    }
    Ok(())
}

/// "name-2" (or -3, …) for a copy: the first not `taken`, within the 64-character limit on names.
fn copy_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let base: String = name.chars().take(crate::scenario::validate::MAX_NAME_CHARS - 4).collect();
    (2..).map(|k| format!("{base}-{k}")).find(|n| !taken(n)).unwrap_or_default()
}

/// Adds a consumer by a fresh name, or removes the last one while one stays.
fn add_or_remove(consumers: &mut Vec<String>, add: bool, name: String, at_least_one: &str) -> Result<(), String> {
    if add {
        consumers.push(name);
    } else if consumers.len() > 1 {
        consumers.pop();
    } else {
        return Err(at_least_one.to_string());
    }
    Ok(())
}

fn percent(p: f64) -> Result<f64, String> {
    if p.is_finite() && (0.0..=100.0).contains(&p) {
        Ok(p / 100.0)
    } else {
        let shown = if p.is_finite() { crate::ui::labels::decimal(p) } else { "That".into() };
        Err(format!("'{shown}' is not a percentage: use a number from 0 to 100."))
    }
}

/// A fresh seed from the current one (SplitMix64 step): deterministic, so tests can predict it.
pub fn next_seed(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 1_000_000
}

/// Runs a copy of the scenario to its end (bounded) to learn how long the run is.
fn probe_end(scenario: &Scenario) -> SimTime {
    let Some(probe) = probe(scenario, None) else { return scenario.until_ms };
    probe.end_time().unwrap_or(scenario.until_ms).max(scenario.until_ms)
}

/// A copy of the run, without a trace, played to `until` (or to its end, within `END_PROBE_EVENTS`): what
/// will have happened, for the scrubber's range, a prediction's reveal and a challenge's check.
fn probe(scenario: &Scenario, until: Option<SimTime>) -> Option<Engine> {
    let mut engine = Engine::new(scenario.clone()).ok()?;
    engine.set_trace_capacity(0);
    engine.run_until_bounded(until.unwrap_or(SimTime::MAX), END_PROBE_EVENTS);
    Some(engine)
}

/// The happenings worth saying aloud (the rest would flood a screen reader).
fn narrate_event(engine: &Engine, event: &crate::engine::observe::TraceEvent) -> Option<String> {
    let notable = matches!(
        event.what,
        What::Crashed { .. }
            | What::Restarted { .. }
            | What::Effect { duplicate: true, .. }
            | What::DeadLettered { .. }
            | What::RebalanceDone { .. }
            | What::AckLost { .. }
            | What::VisibilityExpired { .. }
            | What::FaultInjected { .. }
    );
    if !notable {
        return None;
    }
    let t = crate::engine::observe::seconds(event.at_ms);
    let text = crate::ui::describe::describe(engine, event);
    Some(match event.message {
        Some(m) => format!("{t}: {} — {text}", engine.message_label(m)),
        None => format!("{t}: {text}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_load_and_first_is_selected() {
        let m = Model::new();
        assert_eq!(m.presets.len(), PRESETS.len());
        assert!(m.error.is_none(), "{:?}", m.error);
        assert!(m.end_ms >= m.scenario.until_ms);
    }

    #[test]
    fn step_advances_exactly_one_event_and_pauses() {
        let mut m = Model::new();
        m.update(Action::TogglePlay);
        m.update(Action::Step);
        assert!(!m.playing);
        assert_eq!(m.engine.events_processed(), 1);
    }

    #[test]
    fn ticks_move_virtual_time_only_while_playing() {
        let mut m = Model::new();
        m.update(Action::Tick { wall_ms: 16.0 });
        assert_eq!(m.engine.now(), 0);
        m.update(Action::SetSpeed(10.0));
        m.update(Action::TogglePlay);
        m.update(Action::Tick { wall_ms: 16.0 });
        assert_eq!(m.engine.now(), 160);
        // A huge gap (tab in the background) is clamped to one 100 ms frame.
        m.update(Action::Tick { wall_ms: 1e9 });
        assert_eq!(m.engine.now(), 1160);
    }

    #[test]
    fn scrubbing_back_reproduces_the_same_state() {
        let mut m = Model::new();
        m.update(Action::Scrub(6_000));
        let forward = m.engine.report();
        m.update(Action::Scrub(12_000));
        m.update(Action::Scrub(6_000));
        let again = m.engine.report();
        assert_eq!(forward.trace_hash, again.trace_hash);
        assert_eq!(forward.delivered, again.delivered);
    }

    #[test]
    fn bad_seed_text_keeps_state_and_explains() {
        let mut m = Model::new();
        let seed = m.scenario.seed;
        m.update(Action::SetSeed("twelve".into()));
        assert_eq!(m.scenario.seed, seed);
        assert!(m.error.as_deref().is_some_and(|e| e.contains("not a seed")));
        m.update(Action::SetSeed("77".into()));
        assert_eq!(m.scenario.seed, 77);
        assert!(m.error.is_none());
    }

    #[test]
    fn new_seed_is_deterministic_and_different() {
        assert_eq!(next_seed(5), next_seed(5));
        assert_ne!(next_seed(5), 5);
    }

    #[test]
    fn absurd_speed_is_ignored_or_clamped() {
        let mut m = Model::new();
        m.update(Action::SetSpeed(f64::NAN));
        assert_eq!(m.speed, 1.0);
        m.update(Action::SetSpeed(1e12));
        assert_eq!(m.speed, 100.0);
    }

    #[test]
    fn an_injected_fault_is_recorded_and_replays_identically() {
        let mut m = Model::new();
        m.update(Action::SelectPreset(4));
        m.update(Action::Scrub(3_000));
        let consumer = m.scenario.groups[0].consumers[0].clone();
        m.update(Action::Inject(FaultAction::CrashConsumer { consumer, at_step: None }));
        assert_eq!(m.scenario.faults.scripted.last().map(|f| f.at_ms), Some(3_000));
        assert!(m.notice.as_deref().is_some_and(|n| n.contains("crash")), "{:?}", m.notice);
        assert!(!m.engine.consumers[0].alive, "crashed at once");
        m.update(Action::Scrub(9_000));
        let live = m.engine.report();
        m.update(Action::Restart);
        m.update(Action::Scrub(9_000));
        let replayed = m.engine.report();
        assert_eq!(live.trace_hash, replayed.trace_hash);
        assert_eq!(live.duplicate_effects, replayed.duplicate_effects);
    }

    #[test]
    fn stopping_and_starting_a_member_from_the_page_is_recorded_and_replays() {
        // Preset 04: its thin-event group has one member, so while it is stopped nobody reads the topic.
        let mut m = Model::new();
        m.update(Action::SelectPreset(3));
        m.update(Action::Scrub(2_000));
        let consumer = m.scenario.groups[0].consumers[0].clone();
        m.update(Action::Inject(FaultAction::StopConsumer { consumer: consumer.clone() }));
        m.update(Action::Scrub(4_000));
        assert!(m.engine.consumers[0].stopped, "it finished its batch and left");
        m.update(Action::Inject(FaultAction::StartConsumer { consumer }));
        assert!(!m.engine.consumers[0].stopped);
        let at: Vec<u64> = m.scenario.faults.scripted.iter().map(|f| f.at_ms).collect();
        assert_eq!(at, vec![2_000, 4_000]);
        m.update(Action::Scrub(m.run_end()));
        let live = m.engine.report();
        assert_eq!(
            (live.lost_messages, live.duplicate_effects),
            (0, 0),
            "a clean stop and start lose and repeat nothing"
        );
        m.update(Action::Restart);
        m.update(Action::Scrub(m.run_end()));
        assert_eq!(m.engine.report().trace_hash, live.trace_hash);
    }

    #[test]
    fn turning_on_transactions_and_read_committed_removes_the_stage_duplicates() {
        let mut m = Model::new();
        let preset = m.presets.iter().position(|(stem, _)| stem.starts_with("12")).unwrap();
        m.update(Action::SelectPreset(preset));
        // The revenue counted by billing-plain, to the end of the run.
        let duplicates = |m: &Model| {
            let mut e = crate::engine::Engine::new(m.scenario.clone()).unwrap();
            e.run_to_end();
            e.sinks.iter().find(|k| k.spec.name == "revenue-plain").map(|k| k.duplicates)
        };
        assert!(duplicates(&m).is_some_and(|d| d > 0));
        m.update(Action::Edit(Edit::GroupTransactional(0, true)));
        m.update(Action::Edit(Edit::GroupReadCommitted(2, true)));
        assert!(m.error.is_none(), "{:?}", m.error);
        assert_eq!(duplicates(&m), Some(0));
    }

    #[test]
    fn an_exported_scenario_imports_back_and_a_bad_file_keeps_the_run() {
        let mut m = Model::new();
        m.update(Action::SelectPreset(6));
        let mut edited = m.scenario.clone();
        edited.seed = 4242;
        let text = serde_json::to_string_pretty(&edited).unwrap();
        m.update(Action::SelectPreset(0));
        m.update(Action::Import { file_name: "mine.json".into(), text });
        assert_eq!(m.scenario, edited);
        assert_eq!(m.preset, usize::MAX);
        assert!(m.notice.as_deref().is_some_and(|n| n.starts_with("Opened mine.json")));
        for bad in ["{\"groups\": [{\"batch_size\": 0}]}", "not json", "{\"version\": 9}"] {
            m.update(Action::Import { file_name: "bad.json".into(), text: bad.into() });
            assert_eq!(m.scenario, edited, "a bad file changes nothing");
            assert!(m.error.as_deref().is_some_and(|e| e.starts_with("bad.json is not a scenario")), "{:?}", m.error);
        }
        m.update(Action::Import { file_name: "huge.json".into(), text: " ".repeat(MAX_IMPORT_BYTES + 1) });
        assert!(m.error.as_deref().is_some_and(|e| e.contains("at most 1024 KB")));
        assert_eq!(m.scenario, edited);
    }

    #[test]
    fn edits_restart_with_the_same_seed_and_bad_ones_keep_the_state() {
        let mut m = Model::new();
        m.update(Action::SelectPreset(4));
        m.update(Action::Scrub(4_000));
        let seed = m.scenario.seed;
        m.update(Action::Edit(Edit::GroupStrategy(0, Strategy::IdempotencyKey)));
        assert_eq!(m.engine.now(), 0);
        assert_eq!(m.scenario.seed, seed);
        assert_eq!(m.scenario.groups.first().map(|g| g.handler.strategy), Some(Strategy::IdempotencyKey));
        let before = m.scenario.clone();
        m.update(Action::Edit(Edit::Partitions(0, 0)));
        assert_eq!(m.scenario, before, "an invalid edit changes nothing");
        assert!(m.error.as_deref().is_some_and(|e| e.contains("partitions")), "{:?}", m.error);
        m.update(Action::Edit(Edit::CrashPercent(f64::NAN)));
        assert_eq!(m.scenario, before);
        m.update(Action::Edit(Edit::GroupMembers(0, true)));
        assert_eq!(m.scenario.groups[0].consumers.len(), before.groups[0].consumers.len() + 1);
        m.update(Action::Edit(Edit::GroupMembers(9, true)));
        assert!(m.error.as_deref().is_some_and(|e| e.contains("no group 10")));
    }

    #[test]
    fn the_producer_panel_sets_acks_the_publish_mode_and_the_send_faults() {
        let mut m = Model::new();
        m.update(Action::SelectPreset(4));
        m.update(Action::Edit(Edit::ProducerPublishMode(0, PublishMode::DualWritePublishFirst)));
        m.update(Action::Edit(Edit::ProducerCrashPercent(20.0)));
        m.update(Action::Edit(Edit::ProducerFireAndForget(0, true)));
        m.update(Action::Edit(Edit::LostSendPercent(5.0)));
        let p = &m.scenario.producers[0];
        assert_eq!((p.publish_mode, p.acks), (PublishMode::DualWritePublishFirst, Acks::Zero));
        assert_eq!((m.scenario.faults.producer_crash, m.scenario.faults.lost_send), (0.2, 0.05));
        // The run restarted with them: the crashes invent events its subscribers act on.
        m.update(Action::Scrub(m.run_end()));
        assert!(m.engine.report().invented_events > 0);
        let before = m.scenario.clone();
        m.update(Action::Edit(Edit::ProducerCrashPercent(150.0)));
        assert_eq!(m.scenario, before, "an invalid percentage changes nothing");
        m.update(Action::Edit(Edit::ProducerFireAndForget(0, false)));
        assert_eq!(m.scenario.producers[0].acks, Acks::All);
    }

    #[test]
    fn to_end_runs_an_enormous_scenario_a_bounded_slice_at_a_time() {
        let mut m = Model::new();
        m.update(Action::SelectPreset(1));
        let mut big = m.scenario.clone();
        big.producers[0].count = 5_000;
        big.until_ms = big.until_ms.max(5_000 * 1_000);
        m.load(big).unwrap();
        let mut whole = Engine::new(m.scenario.clone()).unwrap();
        whole.run_to_end();
        assert!(whole.events_processed() > 30_000);
        let mut presses = 0;
        while !m.engine.is_finished() {
            let before = m.engine.events_processed();
            m.fast_forward(10_000);
            assert!(m.engine.events_processed() - before <= 10_000);
            presses += 1;
            if !m.engine.is_finished() {
                assert!(m.notice.as_deref().is_some_and(|n| n.contains("again")), "{:?}", m.notice);
            }
        }
        assert!(presses > 3);
        assert_eq!(m.engine.report().trace_hash, whole.report().trace_hash, "the same run, in slices");
        // A preset is far below the bound: one press reaches its end.
        m.update(Action::SelectPreset(1));
        m.update(Action::FastForward);
        assert!(m.engine.is_finished());
    }

    #[test]
    fn producers_and_groups_are_added_as_copies_and_removed_with_what_names_them() {
        let mut m = Model::new();
        // Preset 1: a copy of the notifications group is a new team with its own members and email sink.
        m.update(Action::SelectPreset(0));
        let before = m.scenario.clone();
        m.update(Action::Edit(Edit::CopyGroup(0)));
        assert_eq!(m.error, None);
        let copy = m.scenario.groups.last().unwrap().clone();
        assert_eq!(copy.name, "notifications-2");
        assert_eq!(copy.topic, before.groups[0].topic);
        assert_eq!(copy.consumers.len(), before.groups[0].consumers.len());
        assert!(copy.consumers.iter().all(|c| !before.groups.iter().any(|g| g.consumers.contains(c))), "{copy:?}");
        assert_eq!(copy.handler.sink, "email-2");
        assert_eq!(m.selection, Some(Selection::Node(NodeId::Group(before.groups.len() as u16))));
        m.update(Action::FastForward);
        let copy_sink = m.engine.sinks.iter().find(|k| k.spec.name == "email-2").unwrap();
        assert!(copy_sink.applied >= 60, "the new team emails every user once or more: {}", copy_sink.applied);
        // Removing the copy gives the preset back, sink included.
        m.update(Action::Edit(Edit::RemoveGroup(before.groups.len())));
        assert_eq!(m.scenario, before);
        assert_eq!(m.selection, None);

        // Preset 10 replays both groups by scripted resets: removing a group drops its reset with it.
        m.update(Action::SelectPreset(9));
        m.update(Action::Edit(Edit::RemoveGroup(1)));
        assert_eq!(m.error, None);
        assert_eq!(m.scenario.groups.len(), 1);
        assert_eq!(m.scenario.faults.scripted.len(), 1);
        // Preset 12's stages are not copied: two stages would write every record twice.
        m.update(Action::SelectPreset(11));
        let stages = m.scenario.clone();
        m.update(Action::Edit(Edit::CopyGroup(0)));
        assert!(m.error.as_deref().is_some_and(|e| e.contains("stage")), "{:?}", m.error);
        assert_eq!(m.scenario, stages);
        // Removing a group whose consumers scripted crashes name: those crashes go too, the rest stay.
        m.update(Action::Edit(Edit::RemoveGroup(0)));
        assert_eq!(m.error, None);
        let members = &stages.groups[0].consumers;
        let names_member = |f: &ScriptedFault| matches!(&f.action, FaultAction::CrashConsumer { consumer, .. } if members.contains(consumer));
        assert!(stages.faults.scripted.iter().any(names_member));
        let kept: Vec<&ScriptedFault> = stages.faults.scripted.iter().filter(|f| !names_member(f)).collect();
        assert_eq!(m.scenario.faults.scripted.iter().collect::<Vec<_>>(), kept);

        // Producers: a copy doubles the traffic; the last one cannot go.
        m.update(Action::SelectPreset(4));
        m.update(Action::Edit(Edit::CopyProducer(0)));
        assert_eq!(m.scenario.producers.len(), 2);
        assert_eq!(m.scenario.producers[1].name, format!("{}-2", m.scenario.producers[0].name));
        m.update(Action::FastForward);
        assert_eq!(m.engine.counters.produced, 2 * m.scenario.producers[0].count as u64);
        m.update(Action::Edit(Edit::RemoveProducer(1)));
        m.update(Action::Edit(Edit::RemoveProducer(0)));
        assert!(m.error.as_deref().is_some_and(|e| e.contains("at least one producer")));
        assert_eq!(m.scenario.producers.len(), 1);
    }

    /// A model showing someone's own work: preset 6, a new seed, an injected crash, stepped mid-moment.
    fn own_work() -> Model {
        let mut m = Model::new();
        m.update(Action::SelectPreset(5));
        m.update(Action::SetSeed("4242".into()));
        m.update(Action::Scrub(4_000));
        let consumer = m.scenario.queues[0].consumers[0].clone();
        m.update(Action::Inject(FaultAction::CrashConsumer { consumer, at_step: None }));
        m.update(Action::SetSpeed(5.0));
        m.update(Action::Scrub(7_500));
        for _ in 0..3 {
            m.update(Action::Step);
        }
        m
    }

    #[test]
    fn a_share_link_reopens_the_same_run_at_the_same_event() {
        let a = own_work();
        let fragment = a.share_fragment().unwrap();
        let mut b = Model::new();
        b.update(Action::Open { fragment: format!("#{fragment}"), saved: None });
        assert!(b.error.is_none(), "{:?}", b.error);
        assert_eq!(b.scenario, a.scenario);
        assert_eq!(b.speed, 5.0);
        assert_eq!(b.engine.now(), a.engine.now());
        assert_eq!(b.engine.events_processed(), a.engine.events_processed());
        assert_eq!(b.engine.report().trace_hash, a.engine.report().trace_hash);
        assert_eq!(b.preset, usize::MAX, "an edited preset is not the preset");
        assert_eq!(b.custom_source, "Shared link");
        // A plain preset link selects the preset.
        let mut c = Model::new();
        c.update(Action::SelectPreset(3));
        let mut d = Model::new();
        d.update(Action::Open { fragment: c.share_fragment().unwrap(), saved: None });
        assert_eq!(d.preset, 3);
        // A link made at a moment reached by scrubbing (clock past the last event) keeps that clock.
        c.update(Action::Scrub(5_001));
        d.update(Action::OpenLink(c.share_fragment().unwrap()));
        assert_eq!((d.engine.now(), d.engine.events_processed()), (5_001, c.engine.events_processed()));
    }

    #[test]
    fn a_bad_link_shows_the_default_and_keeps_the_saved_work_until_the_user_changes_something() {
        let saved = own_work().share_fragment().unwrap();
        let mut m = Model::new();
        m.update(Action::Open { fragment: "#v1.AAAAAAAA".into(), saved: Some(saved.clone()) });
        let e = m.error.clone().unwrap_or_default();
        assert!(e.contains("damaged") && e.contains("default scenario is shown"), "{e}");
        assert_eq!(m.preset, 0);
        assert_eq!(m.share_fragment(), None, "neither the address bar nor the saved work is overwritten");
        m.update(Action::TogglePlay);
        m.update(Action::Tick { wall_ms: 50.0 });
        m.update(Action::Scrub(3_000));
        assert_eq!(m.share_fragment(), None, "playing the fallback is not the user's work");
        m.update(Action::RestoreSaved);
        assert!(m.error.is_none(), "{:?}", m.error);
        assert_eq!(m.scenario.seed, 4242);
        assert_eq!(m.share_fragment().as_deref(), Some(saved.as_str()), "restored at the same moment");
        assert_eq!(m.restorable, None);

        // Without saved work, the first change of the scenario makes the screen the user's own again.
        let mut m = Model::new();
        m.update(Action::Open { fragment: "#v9.AAAA".into(), saved: None });
        assert!(m.error.as_deref().is_some_and(|e| e.contains("newer Brokerscope")));
        assert_eq!(m.share_fragment(), None);
        m.update(Action::Edit(Edit::CrashPercent(10.0)));
        assert!(m.share_fragment().is_some());
    }

    #[test]
    fn saved_work_is_restored_on_the_next_visit_and_a_bad_pasted_link_changes_nothing() {
        let a = own_work();
        let mut m = Model::new();
        m.update(Action::Open { fragment: String::new(), saved: a.share_fragment() });
        assert_eq!(m.scenario, a.scenario);
        assert_eq!(m.engine.events_processed(), a.engine.events_processed());
        assert!(m.notice.as_deref().is_some_and(|n| n.starts_with("Restored your last work")));
        let before = m.share_fragment();
        m.update(Action::OpenLink("v1.bad!".into()));
        assert!(m.error.as_deref().is_some_and(|e| e.contains("Your scenario is unchanged")), "{:?}", m.error);
        assert_eq!(m.share_fragment(), before);
        // Saved work that no longer opens is reported, and the default shown.
        let mut m = Model::new();
        m.update(Action::Open { fragment: String::new(), saved: Some("garbage".into()) });
        assert!(m.error.as_deref().is_some_and(|e| e.contains("could not be restored")));
        assert_eq!(m.preset, 0);
    }

    #[test]
    fn focusing_an_anomaly_jumps_to_it_and_opens_its_message() {
        let mut m = Model::new();
        m.update(Action::SelectPreset(4));
        m.update(Action::FastForward);
        let i = m
            .engine
            .anomalies
            .iter()
            .position(|a| a.kind == crate::engine::observe::AnomalyKind::DuplicateEffect)
            .unwrap();
        let a = m.engine.anomalies[i].clone();
        m.update(Action::FocusAnomaly(i));
        assert_eq!(m.engine.now(), a.at_ms);
        assert_eq!(m.selection, Some(Selection::Message(a.message_id)));
        let focus = m.focus.clone().unwrap();
        assert!(!focus.consumers.is_empty());
        // The anomaly exists again at that moment of the recomputed run.
        assert!(m.engine.anomalies.iter().any(|x| x.message_id == a.message_id && x.kind == a.kind));
        m.update(Action::FocusAnomaly(usize::MAX));
        assert_eq!(m.engine.now(), a.at_ms, "a stale index does nothing");
    }
}
