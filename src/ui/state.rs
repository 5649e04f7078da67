//! The one application state and its reducer: the only caller of the engine. Pure Rust (no web types),
//! so every transition is tested natively; the Yew layer only wraps it in `use_reducer`.
use crate::engine::kernel::SimTime;
use crate::engine::observe::What;
use crate::engine::Engine;
use crate::scenario::presets::PRESETS;
use crate::scenario::{parse_scenario, Scenario};
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
}

pub struct Model {
    pub presets: Vec<(String, Scenario)>,
    pub preset: usize,
    pub scenario: Scenario,
    pub engine: Engine,
    pub playing: bool,
    pub speed: f64,
    /// End of the run (known in advance by running a copy), for the scrubber's range.
    pub end_ms: SimTime,
    pub error: Option<String>,
    /// Recent happenings, spoken by the `aria-live` region.
    pub narration: VecDeque<String>,
    narrated_upto: u64,
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
        let scenario = presets[0].1.clone();
        let engine = Engine::new(scenario.clone())
            .unwrap_or_else(|_| Engine::new(Scenario::default()).expect("the default scenario is valid"));
        let mut model = Model {
            presets,
            preset: 0,
            end_ms: 0,
            scenario,
            engine,
            playing: false,
            speed: 1.0,
            error: if errors.is_empty() { None } else { Some(errors.join("; ")) },
            narration: VecDeque::new(),
            narrated_upto: 0,
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
        self.error = None;
        self.narration.clear();
        self.narrated_upto = 0;
        Ok(())
    }

    fn rebuild(&mut self) {
        if let Err(e) = self.load(self.scenario.clone()) {
            self.error = Some(e);
        }
    }

    pub fn update(&mut self, action: Action) {
        match action {
            Action::SelectPreset(i) => {
                if let Some((_, s)) = self.presets.get(i) {
                    let s = s.clone();
                    if let Err(e) = self.load(s) {
                        self.error = Some(e);
                    } else {
                        self.preset = i;
                    }
                }
            }
            Action::TogglePlay => {
                if self.engine.is_finished() && !self.playing {
                    self.rebuild();
                }
                self.playing = !self.playing;
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
                let target = self.engine.now() + (wall_ms * self.speed).round() as SimTime;
                self.engine.run_until_bounded(target, EVENTS_PER_FRAME);
                if self.engine.is_finished() {
                    self.playing = false;
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
                let t = t.min(self.end_ms);
                if t < self.engine.now() {
                    self.rebuild();
                }
                self.engine.run_until(t);
            }
            Action::FastForward => {
                self.engine.run_to_end();
                self.playing = false;
            }
        }
        self.narrate();
    }

    /// Turns new trace events into short sentences for screen-reader users.
    fn narrate(&mut self) {
        let from = self.narrated_upto;
        let lines: Vec<String> = self
            .engine
            .trace
            .events
            .iter()
            .filter(|e| e.seq >= from)
            .filter_map(|e| narrate_event(&self.engine, e.at_ms, &e.what, e.message))
            .collect();
        self.narrated_upto = self.engine.trace.total;
        for line in lines {
            if self.narration.len() == NARRATION_LINES {
                self.narration.pop_front();
            }
            self.narration.push_back(line);
        }
    }
}

impl Default for Model {
    fn default() -> Self {
        Model::new()
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
    let Ok(mut probe) = Engine::new(scenario.clone()) else { return scenario.until_ms };
    probe.set_trace_capacity(0);
    while probe.events_processed() < END_PROBE_EVENTS && probe.step() {}
    probe.end_time().unwrap_or(scenario.until_ms).max(scenario.until_ms)
}

fn narrate_event(engine: &Engine, at_ms: SimTime, what: &What, message: Option<u32>) -> Option<String> {
    let t = crate::engine::observe::seconds(at_ms);
    let name = |c: u16| engine.consumers.get(c as usize).map_or("?".to_string(), |c| c.name.clone());
    let label = || message.map_or(String::new(), |m| engine.message_label(m));
    Some(match *what {
        What::Crashed { consumer, .. } => format!("{t}: consumer {} crashed", name(consumer)),
        What::Restarted { consumer } => format!("{t}: consumer {} restarted", name(consumer)),
        What::Effect { consumer, duplicate: true, .. } => {
            format!("{t}: duplicate effect — {} applied {} again", name(consumer), label())
        }
        What::DeadLettered { .. } => format!("{t}: {} moved to the dead-letter queue", label()),
        What::RebalanceDone { group, .. } => {
            format!("{t}: group {} rebalanced", engine.groups.get(group as usize).map_or("?", |g| g.spec.name.as_str()))
        }
        What::AckLost { .. } => format!("{t}: the ack for {} was lost", label()),
        What::VisibilityExpired { .. } => format!("{t}: visibility timeout — {} is visible again", label()),
        _ => return None,
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
}
