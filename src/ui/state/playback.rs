//! Playback: play, pause, step, scrub, the speed and the seed.
use super::seek::{Goal, Then};
use super::*;

/// Speeds offered, as multiples of real time (virtual ms per wall ms).
pub const SPEEDS: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 100.0];

/// At most this many engine events per animation frame, so a frame never stalls the page.
pub(super) const EVENTS_PER_FRAME: u64 = 20_000;

/// What a frame that plays gives the look-ahead, in ms: it learns the run's end on its way, and the frame,
/// which also draws the picture, stays short enough for a click to be answered within 100 ms.
const LOOKAHEAD_WHILE_PLAYING_MS: f64 = 10.0;

/// Play skips a stretch of virtual time in which nothing is due for longer than this (see `skip_idle_time`).
const IDLE_SKIP_MS: SimTime = 2_000;
/// How far before the next event a skip lands, so its token is seen leaving.
const SKIP_LEAD_MS: SimTime = 300;
/// A fresh seed from the current one (SplitMix64 step): deterministic, so tests can predict it.
pub fn next_seed(seed: u64) -> u64 {
    use crate::engine::kernel::rng::{mix64, GOLDEN_GAMMA};
    mix64(seed.wrapping_add(GOLDEN_GAMMA)) % 1_000_000
}

impl Model {
    /// The end of the run on screen for the scrubber: lane A's end, or lane B's when a comparison runs
    /// longer.
    pub fn run_end(&self) -> SimTime {
        self.compare.as_ref().map_or(self.end_ms, |lane| self.end_ms.max(lane.end_ms))
    }

    /// Runs towards the end of the healing phase, at most `max_events` at once (a chunk of a seek's slice),
    /// and says so if the run stopped at its budget.
    pub(super) fn fast_forward(&mut self, max_events: u64) {
        self.engine.run_until_bounded(SimTime::MAX, max_events);
        if let Some(halt) = self.engine.halted() {
            self.notice = Some(halt.sentence(self.engine.now()));
        }
    }

    /// "To end »": a run that ends within one slice ends at once; a longer one goes on a slice per
    /// animation frame (see `seek`).
    pub(super) fn start_to_end(&mut self) {
        self.playing = false;
        self.play_until = None;
        self.playing_a_step = false;
        self.seek(Goal::End, Then::SayTheEnd);
    }

    pub(super) fn select_preset(&mut self, i: usize) {
        let Some((_, s)) = self.presets.get(i) else { return };
        match self.load(s.clone()) {
            Ok(()) => {
                self.preset = i;
                self.selection = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Play or pause; Play at the end of a run starts it again.
    pub(super) fn toggle_play(&mut self) {
        if self.engine.is_finished() && !self.playing {
            self.restart();
        }
        self.playing = !self.playing;
        self.play_until = None;
        self.playing_a_step = false;
        if self.playing {
            // Resuming leaves the anomaly it paused on.
            self.focus = None;
        }
    }

    /// One engine event back: the run is recomputed from t = 0 to the event before the last one run.
    pub(super) fn step_back(&mut self) {
        let events = self.engine.events_processed();
        if events == 0 {
            return;
        }
        self.playing = false;
        let (selection, focus) = (self.selection, self.focus.take());
        self.restart();
        (self.selection, self.focus) = (selection, focus);
        self.seek(Goal::Events { count: events - 1, by: SimTime::MAX }, Then::SayBackOneEvent);
    }

    pub(super) fn back_one_event_caption(&self) -> String {
        match self.engine.trace().events.back() {
            Some(ev) => format!(
                "Back one event, to {}: {}",
                crate::engine::observe::seconds(ev.at_ms),
                crate::ui::describe::describe(&self.engine, ev)
            ),
            None => "Back at the start.".to_string(),
        }
    }

    /// Goes to mark `i` of the scrubber; an anomaly's mark then shows the anomaly.
    pub(super) fn go_to_mark(&mut self, i: usize) {
        let Some(mark) = self.marks.get(i).cloned() else { return };
        self.playing = false;
        let then = mark.anomaly.map_or(Then::Nothing, |index| Then::ShowAnomaly { index, tour: false });
        self.go_to(mark.at_ms.min(self.run_end()), then);
    }

    /// Runs the next engine event and says what it was on the stage's caption.
    pub(super) fn step_one_event(&mut self) {
        self.playing = false;
        self.drop_seek();
        let before = self.engine.trace().total;
        self.engine.step();
        self.caption = self.engine.trace().events.back().filter(|ev| ev.seq >= before).map(|ev| {
            format!(
                "{}: {}",
                crate::engine::observe::seconds(ev.at_ms),
                crate::ui::describe::describe(&self.engine, ev)
            )
        });
        if self.engine.is_finished() {
            self.caption = Some(self.end_caption());
        }
    }

    /// How the run ended, once it has: its losses and duplicates are final.
    pub(super) fn end_caption(&self) -> String {
        if let Some(halt) = self.engine.halted() {
            return halt.sentence(self.engine.now());
        }
        let c = self.engine.counters();
        format!(
            "The run is over at {}: {} lost, {} duplicate {} — final.",
            crate::engine::observe::seconds(self.engine.now()),
            c.lost_messages,
            c.duplicate_effects,
            if c.duplicate_effects == 1 { "effect" } else { "effects" }
        )
    }

    /// An animation frame: a slice of the look-ahead or of a seek, if one is under way; while playing, the
    /// run advances by the wall time × the speed, at most `EVENTS_PER_FRAME` events, and stops at its end
    /// or at a lesson step's moment.
    pub(super) fn tick(&mut self, wall_ms: f64) {
        // A frame runs one slice: a seek ("To end »", a far jump) waits for the look-ahead's, unless lane
        // A's copy only looks again for a lesson (its end is known; lane B's catch-up then waits for the
        // seek). Play's events go first, and the look-ahead has `LOOKAHEAD_WHILE_PLAYING_MS` after them: a
        // frame that plays also draws, and a click waits for the frame under way.
        if self.seek.is_some() {
            if self.looking_again() || !self.advance_lookahead(self.deadline) {
                self.continue_seek();
            }
            return;
        }
        if !self.playing {
            self.advance_lookahead(self.deadline);
            return;
        }
        self.play_frame(wall_ms);
        // Lane B's catch-up, after this, keeps what is left of the frame's own time.
        self.advance_lookahead(self.deadline.in_ms(LOOKAHEAD_WHILE_PLAYING_MS));
    }

    fn play_frame(&mut self, wall_ms: f64) {
        // A frame that arrives after a long pause (a hidden tab) must not jump the run.
        let wall_ms = if wall_ms.is_finite() { wall_ms.clamp(0.0, 100.0) } else { 0.0 };
        let mut target = self.engine.now() + (wall_ms * self.speed).round() as SimTime;
        if let Some(until) = self.play_until {
            target = target.min(until);
        }
        self.skip_idle_time(target);
        if self.pause_on_anomaly && !self.playing_a_step {
            if let Some(i) = self.run_to_an_anomaly(target) {
                self.pause_at_anomaly(i);
                return;
            }
        } else {
            self.engine.run_until_bounded(target, EVENTS_PER_FRAME);
        }
        if self.engine.is_finished() {
            self.caption = Some(self.end_caption());
        }
        if self.engine.is_finished() || self.play_until.is_some_and(|u| self.engine.now() >= u) {
            self.playing = false;
            self.play_until = None;
        }
    }

    /// Runs towards `target` an event at a time (at most `EVENTS_PER_FRAME`), stopping right after the
    /// event that makes an anomaly; returns its index. Reaching `target` moves the clock there.
    fn run_to_an_anomaly(&mut self, target: SimTime) -> Option<usize> {
        let before = self.engine.anomaly_count();
        for _ in 0..EVENTS_PER_FRAME {
            let ran = self.engine.run_until_bounded(target, 1);
            if self.engine.anomaly_count() > before {
                return Some(before as usize);
            }
            if ran == 0 {
                break;
            }
        }
        None
    }

    /// The moment that matters: play stops on anomaly `i`, its causal chain lit on the picture and its
    /// explanation on the stage; Space goes on.
    fn pause_at_anomaly(&mut self, i: usize) {
        self.playing = false;
        let finished = self.engine.is_finished();
        if let Some(focus) = self.focus_of(i) {
            self.caption = Some(if finished {
                self.end_caption()
            } else {
                format!(
                    "Paused at {}: {} of #{}. Space goes on.",
                    crate::engine::observe::seconds(focus.at_ms),
                    focus.kind,
                    focus.message
                )
            });
            self.focus = Some(focus);
        } else if finished {
            self.caption = Some(self.end_caption());
        }
    }

    /// Play does not show empty virtual time: when nothing is due for `IDLE_SKIP_MS` (the healing phase
    /// waiting for a timeout far ahead), the clock jumps to just before the next event, and the caption
    /// says so. A lesson step's moment is never skipped.
    fn skip_idle_time(&mut self, target: SimTime) {
        let now = self.engine.now();
        let Some((next, what)) = self.engine.next_due_event() else { return };
        if next <= target || next <= now + IDLE_SKIP_MS {
            return;
        }
        let to = (next - SKIP_LEAD_MS).min(self.play_until.unwrap_or(SimTime::MAX));
        if to > now {
            self.engine.run_until(to);
            self.caption = Some(format!(
                "Skipped {} in which nothing happened, to {} ({what} is next).",
                crate::engine::observe::seconds(to - now),
                crate::engine::observe::seconds(to)
            ));
        }
    }

    pub(super) fn set_speed(&mut self, speed: f64) {
        if speed.is_finite() && speed > 0.0 {
            self.speed = speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]);
        }
    }

    /// The seed field's text: a whole number restarts the run with it; anything else is explained.
    pub(super) fn set_seed(&mut self, text: &str) {
        match text.trim().parse::<u64>() {
            Ok(seed) => self.reseed(seed),
            Err(_) => {
                self.error = Some(format!("'{}' is not a seed: use a whole number from 0 to {}", text.trim(), u64::MAX))
            }
        }
    }

    pub(super) fn new_seed(&mut self) {
        self.reseed(next_seed(self.scenario.seed));
    }

    /// The scenario with another seed (another run: a lesson's guess about this one is asked again).
    fn reseed(&mut self, seed: u64) {
        if let Err(e) = self.load(Scenario { seed, ..self.scenario.clone() }) {
            self.error = Some(e);
        }
    }

    /// Shows the run at `t` (at most the run's end).
    pub(super) fn scrub(&mut self, t: SimTime) {
        self.go_to(t.min(self.run_end()), Then::Nothing);
    }
}
