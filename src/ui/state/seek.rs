//! Seeking: a moment of the run too far to reach at once is reached a slice per animation frame. "To end »",
//! scrubbing, stepping back, a mark, an anomaly, a link's moment and an injected fault's replay all go
//! through here. A moment within the first slice is reached at once; a farther one shows its progress,
//! keeps the page answering, and stops where it is on Cancel, Pause or Space.
use super::slices::SLICE_MAX_EVENTS;
use super::*;

/// Where a seek goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal {
    /// The end of the run (its healing phase drained, or its budget reached).
    End,
    /// Every event due at or before this moment, and the clock there.
    Time(SimTime),
    /// This many events in all, none due after `by` (stepping back, a link made while stepping).
    Events { count: u64, by: SimTime },
}

/// What is done on arriving.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Then {
    Nothing,
    /// The end's caption.
    SayTheEnd,
    /// The caption names the event stepped back to.
    SayBackOneEvent,
    /// Anomaly `index` shown: its chain lit, its explanation on the stage (`tour`: as the anomaly tour's
    /// step, with its message's journey open).
    ShowAnomaly {
        index: usize,
        tour: bool,
    },
    /// On to a link's moment, once its events have run.
    GoOnTo(SimTime),
}

/// A seek under way.
pub struct Seek {
    pub goal: Goal,
    then: Then,
    /// The notice it put up, taken down on arrival if still there.
    announced: Option<String>,
}

impl Model {
    /// Goes towards `goal` (at once if it is within a slice) and then does `then`. A seek replaces the
    /// one under way.
    pub(super) fn seek(&mut self, goal: Goal, then: Then) {
        self.drop_seek();
        self.seek = Some(Seek { goal, then, announced: None });
        if self.continue_seek() {
            return;
        }
        let where_to = match goal {
            Goal::End => "the end".to_string(),
            Goal::Events { count, by: SimTime::MAX } => format!("event {count}"),
            Goal::Time(t) | Goal::Events { by: t, .. } => crate::engine::observe::seconds(t),
        };
        let notice = format!("Running to {where_to}… Cancel (or Space) stops it where it is.");
        if let Some(seek) = self.seek.as_mut() {
            seek.announced = Some(notice.clone());
        }
        self.notice = Some(notice);
    }

    /// One slice towards the goal, then what was to be done on arriving; whether it arrived.
    pub(super) fn continue_seek(&mut self) -> bool {
        let Some(goal) = self.seeking() else { return true };
        let deadline = self.deadline;
        let arrived = deadline.run(SLICE_MAX_EVENTS, |n| match goal {
            Goal::End => {
                self.fast_forward(n);
                self.engine.is_finished()
            }
            Goal::Time(t) => self.engine.run_until_bounded(t, n) < n,
            Goal::Events { count, by } => {
                let want = n.min(count.saturating_sub(self.engine.events_processed()));
                self.engine.run_until_bounded(by, want) < want || self.engine.events_processed() >= count
            }
        });
        if !arrived && !self.engine.is_finished() {
            return false;
        }
        let then = self.seek.as_ref().map_or(Then::Nothing, |s| s.then);
        self.drop_seek();
        self.arrive(then);
        true
    }

    /// Ends the seek under way, if any, without a word: its notice goes with it.
    pub(super) fn drop_seek(&mut self) {
        if let Some(seek) = self.seek.take() {
            if seek.announced.is_some() && self.notice == seek.announced {
                self.notice = None;
            }
        }
    }

    fn arrive(&mut self, then: Then) {
        match then {
            Then::Nothing => {}
            Then::SayTheEnd => self.caption = Some(self.end_caption()),
            Then::SayBackOneEvent => self.caption = Some(self.back_one_event_caption()),
            Then::ShowAnomaly { index, tour } => self.show_anomaly(index, tour),
            Then::GoOnTo(t) if self.engine.now() < t => self.seek(Goal::Time(t), Then::Nothing),
            Then::GoOnTo(_) => {}
        }
    }

    /// Pause, Cancel or Space: play stops, and a seek under way stops where it is and says so.
    pub(super) fn pause(&mut self) {
        self.playing = false;
        if let Some(seek) = self.seek.take() {
            let at = crate::engine::observe::seconds(self.engine.now());
            self.notice = Some(match seek.goal {
                Goal::End => format!("Stopped at {at}: To end » goes on from here."),
                _ => format!("Stopped at {at}, on the way."),
            });
        }
    }

    /// Where the seek under way goes, if one is.
    pub fn seeking(&self) -> Option<Goal> {
        self.seek.as_ref().map(|s| s.goal)
    }

    /// How far the seek under way has come, from 0 to 1, never 1 before it arrives. To the end: virtual
    /// time against the end the look-ahead found (or the end of the fault phase, for a run longer than it
    /// could see).
    pub fn seek_progress(&self) -> f64 {
        let (done, goal) = match self.seeking() {
            None | Some(Goal::End) if self.engine.is_finished() => return 1.0,
            None | Some(Goal::End) => (self.engine.now(), self.end_ms.max(self.scenario.until_ms)),
            Some(Goal::Time(t)) => (self.engine.now(), t),
            Some(Goal::Events { count, .. }) => (self.engine.events_processed(), count),
        };
        (done as f64 / goal.max(1) as f64).min(0.99)
    }

    /// The run at `t`: forward by running on, backward by recomputing from t = 0 (exact, as nothing is
    /// recorded); then `then`.
    pub(super) fn go_to(&mut self, t: SimTime, then: Then) {
        if t < self.engine.now() {
            self.replay_to(t, None, then);
        } else {
            self.seek(Goal::Time(t), then);
        }
    }

    /// Recomputes the run from t = 0 up to `t` (how scrubbing back, injecting and editing stay exact),
    /// then `then`; `changed`: the scenario now on screen instead (loaded, so what it will do is learnt
    /// again). Playing goes on from `t`.
    pub(super) fn replay_to(&mut self, t: SimTime, changed: Option<Scenario>, then: Then) {
        let (playing, selection, focus) = (self.playing, self.selection, self.focus.take());
        match changed.map(|scenario| self.load(scenario)) {
            Some(Err(e)) => self.error = Some(e),
            Some(Ok(())) => {}
            None => self.restart(),
        }
        (self.playing, self.selection, self.focus) = (playing, selection, focus);
        self.seek(Goal::Time(t), then);
    }
}
