//! Looking ahead: a copy of the run, played to its end (bounded, without a trace), tells the page what the
//! run will do before it gets there: its end for the scrubber, its anomalies for the feed and the marks.
//! A small run is known as it opens; a big one is learnt a slice per animation frame, while the run itself
//! is already on screen and every control works.
use super::slices::{Deadline, SLICE_MAX_EVENTS};
use super::*;

/// How far ahead a copy runs (events).
pub(super) const END_PROBE_EVENTS: u64 = 2_000_000;
/// A copy at its end is kept (for a challenge's check) when its tables hold at most this much; a bigger
/// one would keep its memory from the run, which reuses it.
const KEEP_COPY_MAX_BYTES: u64 = 32 << 20;

/// A copy of a run on its way to the end, a slice at a time.
pub struct Lookahead {
    copy: Engine,
    /// A second copy, for a lesson's answer: what it will learn is known already (`look_ahead_again`).
    again: bool,
}

impl Lookahead {
    /// A copy of `scenario`, with its first slice run (until `deadline`); `None` if the scenario cannot run.
    pub(super) fn start(scenario: &Scenario, deadline: Deadline) -> Option<Lookahead> {
        let mut lookahead = Lookahead { copy: copy_of(scenario)?, again: false };
        lookahead.advance(deadline);
        Some(lookahead)
    }

    /// Runs the next slice, until `deadline`. The copy comes out the same whatever the slices.
    pub(super) fn advance(&mut self, deadline: Deadline) {
        let copy = &mut self.copy;
        deadline.run(SLICE_MAX_EVENTS, |n| {
            let left = END_PROBE_EVENTS.saturating_sub(copy.events_processed());
            copy.run_until_bounded(SimTime::MAX, n.min(left)) < n
        });
    }

    pub(super) fn is_done(&self) -> bool {
        // A run stopped by its budget is finished too.
        self.copy.is_finished() || self.copy.events_processed() >= END_PROBE_EVENTS
    }

    /// How far the copy has come, from 0 to 1 (by events or by virtual time, whichever is further), never
    /// 1 before it is done.
    pub fn progress(&self) -> f64 {
        let by_events = self.copy.events_processed() as f64 / END_PROBE_EVENTS as f64;
        let by_time = self.copy.now() as f64 / self.copy.scenario().until_ms.max(1) as f64;
        by_events.max(by_time).min(0.99)
    }

    /// When the copy's run ended (or the end of its fault phase, while it goes on).
    pub(super) fn end_ms(&self) -> SimTime {
        run_end(&self.copy, self.copy.scenario())
    }

    /// Still looking ahead, or small enough at its end to keep for a challenge's check (see
    /// `KEEP_COPY_MAX_BYTES`).
    fn worth_keeping(&self) -> bool {
        !self.is_done() || self.copy.memory_bytes() <= KEEP_COPY_MAX_BYTES
    }

    /// The copy, once done: the run as it will have ended (within `END_PROBE_EVENTS`), for a challenge's
    /// check.
    pub(super) fn ended(&self, scenario: &Scenario) -> Option<&Engine> {
        Some(&self.copy).filter(|c| self.is_done() && c.scenario() == scenario)
    }

    /// What the copy knows so far (all of it once `is_done`).
    pub(super) fn foresight(&self) -> Foresight {
        foresight(&self.copy)
    }
}

/// When a copy run to its end ended (never before the scenario's `until_ms`).
fn run_end(copy: &Engine, scenario: &Scenario) -> SimTime {
    copy.end_time().unwrap_or(scenario.until_ms).max(scenario.until_ms)
}

/// A moment of the run marked on the scrubber: a scripted fault, or an anomaly (its index in the run's
/// anomalies).
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub at_ms: SimTime,
    pub anomaly: Option<usize>,
    pub label: String,
}

/// At most this many marks on the scrubber (the first ones): beyond them a mark per pixel says nothing.
const MAX_MARKS: usize = 200;

/// What a copy of the run, played to its end (bounded), tells the page in advance.
#[derive(Debug)]
pub(super) struct Foresight {
    pub end_ms: SimTime,
    /// Every scripted fault and anomaly, in time order: the scrubber's marks.
    pub marks: Vec<Mark>,
    /// Every anomaly of the whole run (as many as the engine keeps): the anomaly tour.
    pub anomalies: Vec<Anomaly>,
}

impl Foresight {
    /// What is known of a run before any of it has been looked at: its scripted faults, and that it lasts
    /// at least its fault phase.
    pub(super) fn unknown(scenario: &Scenario) -> Foresight {
        Foresight { end_ms: scenario.until_ms, marks: fault_marks(scenario).collect(), anomalies: vec![] }
    }
}

fn fault_marks(scenario: &Scenario) -> impl Iterator<Item = Mark> + '_ {
    scenario.faults.scripted.iter().map(|f| Mark {
        at_ms: f.at_ms,
        anomaly: None,
        label: format!("{}: {}", crate::engine::observe::seconds(f.at_ms), crate::ui::labels::fault_label(&f.action)),
    })
}

pub(super) fn foresight(copy: &Engine) -> Foresight {
    let scenario = copy.scenario();
    let anomalies = copy.anomalies().iter().enumerate().map(|(i, a)| Mark {
        at_ms: a.at_ms,
        anomaly: Some(i),
        label: format!(
            "{}: {} of #{}",
            crate::engine::observe::seconds(a.at_ms),
            crate::ui::labels::anomaly_label(a.kind),
            a.message_id
        ),
    });
    // The faults in the order of their moments (a file may list them in any order), the anomalies in
    // the order they happened; a fault first at the same moment.
    let mut faults: Vec<Mark> = fault_marks(scenario).collect();
    crate::ordering::sort_short_by_key(&mut faults, |m| m.at_ms);
    let marks = crate::ordering::merge_by_key(faults, anomalies, |m| m.at_ms).take(MAX_MARKS).collect();
    Foresight { end_ms: run_end(copy, scenario), marks, anomalies: copy.anomalies().to_vec() }
}

/// A copy of a run of `scenario`, without a trace, at t = 0. Its tables grow as it goes: sized up front for
/// the whole run, it could not sit beside the run. It runs event for event as the run does, except
/// against the memory budget, which counts capacity: the run's tables, reserved, may reach it first (the
/// run then says so where it stops).
fn copy_of(scenario: &Scenario) -> Option<Engine> {
    let mut copy = Engine::new_unreserved(scenario.clone()).ok()?;
    copy.set_budget(LANE_BUDGET);
    copy.set_trace_capacity(0);
    Some(copy)
}

/// A copy of the run played to `until` (or to its end, within `END_PROBE_EVENTS`) in one go: what will have
/// happened, for a prediction's reveal and a challenge's check.
pub(super) fn probe(scenario: &Scenario, until: Option<SimTime>) -> Option<Engine> {
    let mut copy = copy_of(scenario)?;
    copy.run_until_bounded(until.unwrap_or(SimTime::MAX), END_PROBE_EVENTS);
    Some(copy)
}

impl Model {
    /// Starts learning what a run of `scenario` will do; what it does not know yet stands in until it does
    /// (see `advance_lookahead`). The previous copy goes first.
    pub(super) fn foresee_run(&mut self, scenario: &Scenario) {
        self.lookaheads += 1;
        self.lookahead = None;
        let lookahead = Lookahead::start(scenario, self.deadline);
        self.learn(match &lookahead {
            Some(l) if l.is_done() => l.foresight(),
            _ => Foresight::unknown(scenario),
        });
        self.adopt(lookahead);
    }

    /// Makes `lookahead` lane A's copy. One already at its end answers what the lesson waits for now (a
    /// guess or a check of this scenario, built again or looked at again), and is kept only if small.
    fn adopt(&mut self, lookahead: Option<Lookahead>) {
        if let Some(l) = lookahead.as_ref().filter(|l| l.is_done()) {
            let answers = self.end_answers(&l.copy);
            self.settle(answers);
        }
        self.lookahead = lookahead.filter(Lookahead::worth_keeping);
    }

    /// The run's end is wanted again (a guess, a check) after its copy was let go as too big to keep: a new
    /// copy looks ahead, a slice per frame like the first, and answers what waits when it gets there.
    /// What the first copy learnt stands meanwhile (the new one learns the same).
    pub(super) fn look_ahead_again(&mut self) {
        let Some(mut lookahead) = Lookahead::start(&self.scenario, self.deadline) else {
            // The run on screen was built from this scenario, so its copy can be too; should it not be,
            // nothing is left waiting.
            self.forget_answers();
            self.notice = None;
            return;
        };
        lookahead.again = true;
        self.adopt(Some(lookahead));
    }

    fn learn(&mut self, foresight: Foresight) {
        (self.end_ms, self.marks, self.run_anomalies) = (foresight.end_ms, foresight.marks, foresight.anomalies);
    }

    /// One slice of the copy still looking ahead, if any (lane A's first, then lane B's), until
    /// `deadline`; when it is done, what it learnt replaces what stood in (lane A's copy is kept). Whether
    /// a slice ran.
    pub(super) fn advance_lookahead(&mut self, deadline: Deadline) -> bool {
        if let Some(l) = self.lookahead.as_mut().filter(|l| !l.is_done()) {
            l.advance(deadline);
            if let Some(done) = self.lookahead.as_ref().filter(|l| l.is_done()) {
                let (foresight, answers) = (done.foresight(), self.end_answers(&done.copy));
                self.learn(foresight);
                self.settle(answers);
                self.lookahead = self.lookahead.take().filter(Lookahead::worth_keeping);
            }
            return true;
        }
        let Some(lane) = self.compare.as_mut() else { return false };
        let Some(l) = lane.lookahead.as_mut() else { return false };
        l.advance(deadline);
        if l.is_done() {
            lane.end_ms = l.end_ms();
            lane.lookahead = None;
        }
        true
    }

    /// How many scenarios have been opened or changed on this page: which one is on screen.
    pub fn scenarios_opened(&self) -> u32 {
        self.lookaheads
    }

    /// Whether lane A's copy only looks again for a lesson's answer (see `look_ahead_again`).
    pub fn looking_again(&self) -> bool {
        self.lookahead.as_ref().is_some_and(|l| l.again && !l.is_done())
    }

    /// Whether a copy is still looking ahead (the page then asks for animation frames).
    pub fn looking_ahead(&self) -> bool {
        self.lookahead_progress().is_some()
    }

    /// How far the copy still looking ahead has come (lane A's, else lane B's), from 0 to 1.
    pub fn lookahead_progress(&self) -> Option<f64> {
        let lane_b = self.compare.as_ref().and_then(|lane| lane.lookahead.as_ref());
        self.lookahead.as_ref().filter(|l| !l.is_done()).or(lane_b).map(Lookahead::progress)
    }
}
