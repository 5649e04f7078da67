//! Compare: lane B on lane A's clock, pinned from the current run or made from a preset.
use super::slices::{Deadline, SLICE_MAX_EVENTS};
use super::*;
use crate::ui::lanes::lane_titles;

/// Lane B of a comparison: another scenario on the same clock (same seed and fault schedule unless the
/// user changed them), drawn below the main run with its figures side by side.
pub struct CompareLane {
    pub scenario: Scenario,
    pub engine: Engine,
    pub end_ms: SimTime,
    /// The copy still learning lane B's end, a slice per frame (see `lookahead`).
    pub(super) lookahead: Option<Lookahead>,
    /// The preset lane B was made from (with lane A's seed and faults), if any.
    pub preset: Option<usize>,
    /// Each lane's title: what differs between them (kept in step with lane A's edits by `load`).
    pub titles: (String, String),
}

impl CompareLane {
    pub(super) fn new(
        scenario: Scenario,
        preset: Option<usize>,
        a: &Scenario,
        deadline: Deadline,
    ) -> Result<CompareLane, String> {
        validate(&scenario).map_err(|e| format!("This scenario cannot be compared: {e}"))?;
        let lookahead = Lookahead::start(&scenario, deadline);
        let end_ms = lookahead.as_ref().filter(|l| l.is_done()).map_or(scenario.until_ms, Lookahead::end_ms);
        let mut engine = Engine::new(scenario.clone()).map_err(|e| format!("This scenario cannot be compared: {e}"))?;
        engine.set_budget(SHARED_LANE_BUDGET);
        let titles = lane_titles(a, &scenario);
        let lookahead = lookahead.filter(|l| !l.is_done());
        Ok(CompareLane { end_ms, lookahead, scenario, engine, preset, titles })
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

impl Model {
    pub(super) fn start_compare(&mut self, scenario: Scenario, preset: Option<usize>) {
        if let Err(e) = validate(&scenario) {
            self.error = Some(format!("This scenario cannot be compared: {e}"));
            return;
        }
        // Lane B's predecessor goes first: two lanes' tables at once, plus a third, would not fit.
        self.compare = None;
        match CompareLane::new(scenario, preset, &self.scenario, self.deadline) {
            Ok(lane) => {
                self.compare = Some(lane);
                // Lane A now shares the tab: past its half, it stops at its next check and says so.
                self.engine.set_budget(SHARED_LANE_BUDGET);
                self.notice = Some(
                    "Comparing: lane B runs on the same clock. Change lane A (click its elements) and watch both."
                        .into(),
                );
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Brings lane B to lane A's moment: forward by running, backward by recomputing from t = 0 (the same
    /// way scrubbing stays exact); when A has run to its end, B does too. A slice at a time, in what is left
    /// of the action's time: a lane far behind (forked late in a big run) catches up a slice per frame.
    pub(super) fn keep_lanes_in_step(&mut self) {
        let (now, done) = (self.engine.now(), self.engine.is_finished());
        let Some(lane) = self.compare.as_mut() else { return };
        if lane.engine.now() > now && !done {
            lane.engine = Engine::placeholder();
            match Engine::new(lane.scenario.clone()) {
                Ok(engine) => lane.engine = engine,
                Err(_) => return,
            }
            lane.engine.set_budget(SHARED_LANE_BUDGET);
        }
        let engine = &mut lane.engine;
        if done {
            if !engine.is_finished() {
                self.deadline.run(SLICE_MAX_EVENTS, |n| engine.run_until_bounded(SimTime::MAX, n) < n);
            }
        } else if engine.now() < now {
            self.deadline.run(SLICE_MAX_EVENTS, |n| engine.run_until_bounded(now, n) < n);
        }
    }

    /// Whether lane B is still catching up with lane A (the page then asks for animation frames).
    pub fn lane_behind(&self) -> bool {
        let Some(lane) = self.compare.as_ref() else { return false };
        match self.engine.is_finished() {
            true => !lane.engine.is_finished(),
            false => lane.engine.now() < self.engine.now() && !lane.engine.is_finished(),
        }
    }
    /// While lane B is more than a second behind lane A (forked late in a big run), or runs on to its
    /// end after A's: that its figures and picture are from an earlier moment until it arrives (the compare
    /// table ticks no side meanwhile). The sentence stays the same while B catches up: it sits in a live
    /// region, and a lag of a frame or two while playing is not worth one.
    pub fn lane_catching_up(&self) -> Option<String> {
        let lane = self.compare.as_ref().filter(|_| self.lane_behind())?;
        let lag_ms = self.engine.now().saturating_sub(lane.engine.now());
        let until = "until it gets there, its figures are from an earlier moment.";
        match self.engine.is_finished() {
            true => Some(format!("B is running on to its end, as A did: {until}")),
            false if lag_ms > 1_000 => Some(format!(
                "B is catching up with A at {}: {until}",
                crate::engine::observe::seconds(self.engine.now())
            )),
            false => None,
        }
    }

    /// Lane A changed: the titles say what differs now.
    pub(super) fn retitle_lanes(&mut self) {
        if let Some(lane) = self.compare.as_mut() {
            lane.titles = lane_titles(&self.scenario, &lane.scenario);
        }
    }

    pub(super) fn end_compare(&mut self) {
        self.compare = None;
        self.engine.set_budget(LANE_BUDGET);
    }

    /// Fork at this moment: the run so far becomes lane B; lane A changes from here (a fault injected now)
    /// or from the start (a setting), both on one clock.
    pub(super) fn fork_here(&mut self) {
        self.start_compare(self.scenario.clone(), None);
        if self.compare.is_some() {
            let at = crate::engine::observe::seconds(self.engine.now());
            self.notice = Some(format!(
                "Forked at {at}: lane B keeps this run. Change lane A from here (inject a fault now) or from the start (edit a setting), and watch both."
            ));
        }
    }

    pub(super) fn compare_with_preset(&mut self, i: usize) {
        if let Some((_, s)) = self.presets.get(i) {
            self.start_compare(aligned_with(s, &self.scenario), Some(i));
        }
    }
}
