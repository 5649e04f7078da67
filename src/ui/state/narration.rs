//! Narration: what the `aria-live` region says, a sentence per notable event.
use super::*;

pub(super) const NARRATION_LINES: usize = 6;

/// The happenings worth saying aloud (the rest would flood a screen reader).
pub(super) fn narrate_event(engine: &Engine, event: &crate::engine::observe::TraceEvent) -> Option<String> {
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

impl Model {
    /// Adds a line to the narration (the last few are kept for the `aria-live` region).
    pub(super) fn say(&mut self, line: String) {
        if self.narration.len() == NARRATION_LINES {
            self.narration.pop_front();
        }
        self.narration.push_back(line);
        self.narration_said += 1;
    }

    /// Turns new trace events into short sentences for screen-reader users.
    pub(super) fn narrate(&mut self) {
        let from = self.narrated_upto;
        // From the back: only the events since the last frame, not the whole trace buffer.
        let mut lines: Vec<String> = self
            .engine
            .trace()
            .events
            .iter()
            .rev()
            .take_while(|e| e.seq >= from)
            .filter_map(|e| narrate_event(&self.engine, e))
            .collect();
        lines.reverse();
        self.narrated_upto = self.engine.trace().total;
        for line in lines {
            self.say(line);
        }
    }
}
