//! Work a slice at a time: "To end »", a far jump, a look-ahead and lane B's catch-up each run in chunks
//! until their work is done, their events are spent or, in the page, the action's time is up. A click
//! then waits for one slice at most, on any machine and any scenario. The run is the same whatever the
//! slices: only where they end depends on the clock.

/// The page's clock, in ms. Natively (the tests) there is none, and a slice is bounded by its events.
pub type Clock = fn() -> f64;

/// The time one action or animation frame may spend running the engine: with the drawing that follows,
/// the page answers a click within about 50 ms.
pub(super) const SLICE_MS: f64 = 30.0;
/// Events a slice runs at most (natively, all of them): most scenarios end within them, so a small run is
/// known as it opens and reaches any moment at once.
pub(super) const SLICE_MAX_EVENTS: u64 = 100_000;
/// Events between two looks at the clock: a few milliseconds on the largest scenario.
pub(super) const CHUNK_EVENTS: u64 = 2_000;

/// When the engine work of the action under way must stop (`SLICE_MS` after it began), if the page has a
/// clock.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Deadline {
    clock: Option<Clock>,
    at_ms: f64,
}

impl Deadline {
    /// `SLICE_MS` from now on `clock`; without one, never.
    pub(super) fn from_now(clock: Option<Clock>) -> Deadline {
        Deadline { clock, at_ms: clock.map_or(0.0, |now| now() + SLICE_MS) }
    }

    /// `ms` from now on the same clock: work that shares a frame with other work (the look-ahead after
    /// play's events) gets that much of it, however much the frame's earlier work took.
    pub(super) fn in_ms(self, ms: f64) -> Deadline {
        Deadline { at_ms: self.clock.map_or(0.0, |now| now() + ms), ..self }
    }

    fn passed(self) -> bool {
        self.clock.is_some_and(|now| now() >= self.at_ms)
    }

    /// Runs `chunk(n)`, which runs at most `n` events and says whether the work is done (it ran fewer, or
    /// arrived), until the work is done, `max_events` have run, or the deadline has passed. At least one
    /// chunk runs, so work shared by one frame (lane A's and lane B's) always moves on. Whether it is done.
    pub(super) fn run(self, max_events: u64, mut chunk: impl FnMut(u64) -> bool) -> bool {
        let mut left = max_events;
        while left > 0 {
            let n = left.min(CHUNK_EVENTS);
            if chunk(n) {
                return true;
            }
            left -= n;
            if self.passed() {
                break;
            }
        }
        false
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static FAKE_NOW_MS: Cell<f64> = const { Cell::new(0.0) };
    }

    /// A clock that moves on 1 ms each time it is read: a slice looks at it once per chunk, so a slice
    /// runs `SLICE_MS` chunks.
    pub(in crate::ui::state) fn one_ms_a_look() -> f64 {
        FAKE_NOW_MS.with(|t| {
            t.set(t.get() + 1.0);
            t.get()
        })
    }

    #[test]
    fn a_slice_stops_when_its_work_is_done_its_events_are_spent_or_its_time_is_up() {
        let events_run = |deadline: Deadline, max: u64, work: u64| {
            let mut ran = 0;
            let done = deadline.run(max, |n| {
                let now = n.min(work - ran);
                ran += now;
                now < n || ran == work
            });
            (ran, done)
        };
        let never = Deadline::from_now(None);
        assert_eq!(events_run(never, SLICE_MAX_EVENTS, 5_001), (5_001, true), "done within the slice");
        assert_eq!(events_run(never, SLICE_MAX_EVENTS, 10_000_000), (SLICE_MAX_EVENTS, false), "its events spent");
        let soon = Deadline::from_now(Some(one_ms_a_look));
        let in_time = SLICE_MS as u64 * CHUNK_EVENTS;
        assert_eq!(events_run(soon, SLICE_MAX_EVENTS, 10_000_000), (in_time, false), "its time up");
        let passed = Deadline::from_now(Some(one_ms_a_look));
        for _ in 0..SLICE_MS as usize {
            one_ms_a_look();
        }
        assert_eq!(events_run(passed, SLICE_MAX_EVENTS, 10_000_000), (CHUNK_EVENTS, false), "one chunk at least");
        // Work given a share of its own, after the deadline passed or before: that many looks at the clock.
        assert_eq!(events_run(passed.in_ms(10.0), SLICE_MAX_EVENTS, 10_000_000), (10 * CHUNK_EVENTS, false));
        let fresh = Deadline::from_now(Some(one_ms_a_look));
        assert_eq!(events_run(fresh.in_ms(10.0), SLICE_MAX_EVENTS, 10_000_000), (10 * CHUNK_EVENTS, false));
        assert_eq!(events_run(never.in_ms(10.0), SLICE_MAX_EVENTS, 10_000_000), (SLICE_MAX_EVENTS, false));
    }
}
