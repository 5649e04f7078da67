//! Narration: what the `aria-live` region says, a sentence per notable event, no faster than a screen
//! reader can say them: while playing, one line per `NARRATION_GAP_MS` of wall time at most, what happened
//! in between summed up by kind.
use super::*;

pub(super) const NARRATION_LINES: usize = 6;
/// While playing, the least wall time between two lines: about what a screen reader takes to say one.
pub(super) const NARRATION_GAP_MS: f64 = 4_000.0;
/// More new lines than this at once (a scrub, "To end »") are summed up instead of read out.
const READ_OUT_AT_ONCE: usize = 2;

/// What happened since the last line said: how many of each kind, and the sentences of the first
/// `READ_OUT_AT_ONCE` (the only ones ever read out; more are summed up), so a long run to the end
/// neither formats nor keeps a sentence per event.
#[derive(Default)]
pub(super) struct Held {
    kinds: Vec<(&'static str, u64)>,
    lines: Vec<String>,
}

impl Held {
    fn count(&self) -> u64 {
        self.kinds.iter().map(|&(_, n)| n).sum()
    }

    /// One line for several happenings: up to when, and how many of each kind.
    fn summary(&self, until_ms: SimTime) -> String {
        let counts: Vec<String> = self.kinds.iter().map(|&(k, n)| crate::ui::labels::plural(n, k)).collect();
        format!("Up to {}: {}", crate::engine::observe::seconds(until_ms), counts.join(", "))
    }
}

/// The happenings worth saying aloud (the rest would flood a screen reader), by their kind: a noun whose
/// plural takes an s.
pub(super) fn notable(what: &What) -> Option<&'static str> {
    Some(match what {
        What::Crashed { .. } => "crashed consumer",
        What::Restarted { .. } => "restart",
        What::Effect { duplicate: true, .. } => "duplicate effect",
        What::DeadLettered { .. } => "dead letter",
        What::RebalanceDone { .. } => "rebalance",
        What::AckLost { .. } => "lost ack",
        What::VisibilityExpired { .. } => "visibility timeout",
        What::FaultInjected { .. } => "injected fault",
        _ => return None,
    })
}

/// A notable happening's sentence: when, which message, what.
fn sentence(engine: &Engine, event: &crate::engine::observe::TraceEvent) -> String {
    let t = crate::engine::observe::seconds(event.at_ms);
    let text = crate::ui::describe::describe(engine, event);
    match event.message {
        Some(m) => format!("{t}: {} — {text}", engine.message_label(m)),
        None => format!("{t}: {text}"),
    }
}

impl Model {
    /// Adds a line to the narration (the last few are kept for the `aria-live` region).
    pub(super) fn say(&mut self, line: String) {
        if self.narration.len() == NARRATION_LINES {
            self.narration.pop_front();
        }
        self.narration.push_back(line);
        self.narration_said += 1;
    }

    /// Turns new trace events into short sentences for screen-reader users. `tick_ms`: the wall time of
    /// an animation frame that played them; any other action says what it did at once.
    pub(super) fn narrate(&mut self, tick_ms: Option<f64>) {
        let from = self.narrated_upto;
        // From the back: only the events since the last frame, not the whole trace buffer.
        let trace = &self.engine.trace().events;
        let since = trace.iter().rev().take_while(|e| e.seq >= from).count();
        for event in trace.range(trace.len() - since..) {
            let Some(kind) = notable(&event.what) else { continue };
            let held = &mut self.narration_held;
            match held.kinds.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => held.kinds.push((kind, 1)),
            }
            if held.lines.len() < READ_OUT_AT_ONCE {
                held.lines.push(sentence(&self.engine, event));
            }
        }
        self.narrated_upto = self.engine.trace().total;
        let playing = self.playing || self.seek.is_some();
        match tick_ms {
            Some(wall_ms) if playing => {
                self.narration_quiet_ms += if wall_ms.is_finite() { wall_ms.max(0.0) } else { 0.0 };
                if self.narration_quiet_ms >= NARRATION_GAP_MS {
                    self.say_held();
                }
            }
            _ => self.say_held(),
        }
    }

    /// Says what is held: a line or two as they are, more as one summary.
    fn say_held(&mut self) {
        let held = std::mem::take(&mut self.narration_held);
        match held.count() {
            0 => return,
            n if n as usize <= READ_OUT_AT_ONCE => held.lines.into_iter().for_each(|line| self.say(line)),
            _ => self.say(held.summary(self.engine.now())),
        }
        self.narration_quiet_ms = 0.0;
    }
}
