//! A discrete-event queue ordered by (due time, sequence): same-time events run in the order scheduled.
//!
//! Cancellation is by generation: callers stamp events with the epoch of the entity they concern and
//! ignore stale ones when they fire, which keeps the heap a plain binary heap.
//!
//! Timers with a constant delay (a queue's visibility timeout, a producer's request timeout) are due in
//! the order they are set, and most are cancelled long before they fire: an hour-long visibility timeout
//! per delivery kept thousands of dead entries in the heap, and every pop sifted through them. Such
//! timers go to a FIFO *lane* instead (a timer set earlier than its lane's last one goes to the heap), and
//! `pop` takes the smallest (due, sequence) of the heap's top and the lanes' fronts: exactly the order
//! one heap would give, so traces do not change. Events due *now* (the next handler step, a poll after a
//! commit) are a lane of their own: nothing can be due earlier, so they never touch the heap.
use super::SimTime;
use std::collections::VecDeque;

#[derive(Clone, Copy)]
struct Entry<E> {
    due: SimTime,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    /// Sequences are unique, so keys are too: any correct heap pops the same order.
    fn key(&self) -> (SimTime, u64) {
        (self.due, self.seq)
    }
}

/// A binary min-heap on (due, seq). Hand-written rather than `std`'s `BinaryHeap`, whose `pop` swaps the
/// last entry into the root and reads it straight back (a store-forwarding stall on every event); here the
/// last entry stays in registers while the hole sifts down.
struct Heap<E> {
    data: Vec<Entry<E>>,
}

impl<E: Copy> Heap<E> {
    fn push(&mut self, entry: Entry<E>) {
        let mut pos = self.data.len();
        self.data.push(entry);
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if self.data[parent].key() <= entry.key() {
                break;
            }
            self.data[pos] = self.data[parent];
            pos = parent;
        }
        self.data[pos] = entry;
    }

    fn peek(&self) -> Option<&Entry<E>> {
        self.data.first()
    }

    fn pop(&mut self) -> Option<Entry<E>> {
        let last = self.data.pop()?;
        let Some(&top) = self.data.first() else { return Some(last) };
        let len = self.data.len();
        let mut pos = 0;
        loop {
            let mut child = 2 * pos + 1;
            if child >= len {
                break;
            }
            if child + 1 < len && self.data[child + 1].key() < self.data[child].key() {
                child += 1;
            }
            if last.key() <= self.data[child].key() {
                break;
            }
            self.data[pos] = self.data[child];
            pos = child;
        }
        self.data[pos] = last;
        Some(top)
    }

    fn len(&self) -> usize {
        self.data.len()
    }
}

pub struct Scheduler<E> {
    heap: Heap<E>,
    /// Each sorted by (due, seq): entries are appended only when not earlier than the last one.
    lanes: Vec<VecDeque<Entry<E>>>,
    /// Events due at `now`, in the order scheduled.
    immediate: VecDeque<Entry<E>>,
    /// The due time of the last event popped: nothing can be scheduled earlier.
    now: SimTime,
    next_seq: u64,
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Scheduler { heap: Heap { data: vec![] }, lanes: vec![], immediate: VecDeque::new(), now: 0, next_seq: 0 }
    }
}

/// Where the next event is: the heap, the immediate lane, or the front of a lane.
#[derive(Clone, Copy)]
enum Source {
    Heap,
    Immediate,
    Lane(usize),
}

impl<E: Copy> Scheduler<E> {
    pub fn schedule(&mut self, due: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if due == self.now {
            self.immediate.push_back(Entry { due, seq, event });
        } else {
            self.heap.push(Entry { due, seq, event });
        }
    }

    /// Schedules a timer whose due times in `lane` are (nearly always) non-decreasing.
    pub fn schedule_in_lane(&mut self, lane: usize, due: SimTime, event: E) {
        if self.lanes.len() <= lane {
            self.lanes.resize_with(lane + 1, VecDeque::new);
        }
        if self.lanes[lane].back().is_some_and(|last| last.due > due) {
            return self.schedule(due, event);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.lanes[lane].push_back(Entry { due, seq, event });
    }

    /// Drops the newest timer of `lane` if `stale` says it can no longer do anything (a delivery acked
    /// before its visibility timeout). Popped, such a timer does nothing; left in the lane it costs memory
    /// for the whole timeout (an hour-long visibility timeout would keep a timer per delivery of that hour).
    /// Only the newest is looked at: O(1), and a timer set by someone else since stays where it is.
    pub fn cancel_newest_in_lane(&mut self, lane: usize, stale: impl FnOnce(&E) -> bool) -> bool {
        let Some(queue) = self.lanes.get_mut(lane) else { return false };
        if queue.back().is_some_and(|last| stale(&last.event)) {
            queue.pop_back();
            return true;
        }
        false
    }

    /// The earliest (due, seq) of the heap's top, the immediate lane's front and the lanes' fronts.
    fn next(&self) -> Option<(SimTime, u64, Source)> {
        let mut best = self.heap.peek().map(|e| (e.due, e.seq, Source::Heap));
        let mut consider = |front: Option<&Entry<E>>, source| {
            if let Some(e) = front {
                if best.is_none_or(|(due, seq, _)| e.key() < (due, seq)) {
                    best = Some((e.due, e.seq, source));
                }
            }
        };
        consider(self.immediate.front(), Source::Immediate);
        for (i, lane) in self.lanes.iter().enumerate() {
            consider(lane.front(), Source::Lane(i));
        }
        best
    }

    pub fn next_due(&self) -> Option<SimTime> {
        self.next().map(|(due, _, _)| due)
    }

    /// The next event and when it is due, without taking it.
    pub fn peek(&self) -> Option<(SimTime, &E)> {
        let (due, _, source) = self.next()?;
        let entry = match source {
            Source::Heap => self.heap.peek(),
            Source::Immediate => self.immediate.front(),
            Source::Lane(i) => self.lanes[i].front(),
        }?;
        Some((due, &entry.event))
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_due(SimTime::MAX).ok()
    }

    /// The next event if it is due at or before `limit`; otherwise its due time (`Err(None)`: nothing
    /// is scheduled). One scan of the lanes per event, where `next_due` then `pop` took two.
    pub fn pop_due(&mut self, limit: SimTime) -> Result<(SimTime, E), Option<SimTime>> {
        let (due, _, source) = self.next().ok_or(None)?;
        if due > limit {
            return Err(Some(due));
        }
        let entry = match source {
            Source::Heap => self.heap.pop(),
            Source::Immediate => self.immediate.pop_front(),
            Source::Lane(i) => self.lanes[i].pop_front(),
        };
        let entry = entry.ok_or(None)?;
        // `max`: an event scheduled in the past (no caller does) must not let `immediate` go unsorted.
        self.now = self.now.max(entry.due);
        Ok((entry.due, entry.event))
    }

    /// Every pending event, in no particular order (to find what they still refer to).
    pub fn for_each_pending(&self, mut f: impl FnMut(&E)) {
        let lanes = self.lanes.iter().flatten();
        for entry in self.heap.data.iter().chain(self.immediate.iter()).chain(lanes) {
            f(&entry.event);
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.immediate.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the pending events hold, capacity included.
    pub fn bytes(&self) -> u64 {
        let lanes: usize = self.lanes.iter().map(VecDeque::capacity).sum();
        let entries = self.heap.data.capacity() + self.immediate.capacity() + lanes;
        (entries * std::mem::size_of::<Entry<E>>()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_with_fifo_ties() {
        let mut s = Scheduler::default();
        s.schedule(5, "b");
        s.schedule(1, "a");
        s.schedule(5, "c");
        s.schedule(3, "x");
        let order: Vec<_> = std::iter::from_fn(|| s.pop()).collect();
        assert_eq!(order, vec![(1, "a"), (3, "x"), (5, "b"), (5, "c")]);
    }

    #[test]
    fn cancelling_a_lanes_newest_timer_removes_only_it_and_only_when_stale() {
        let mut s = Scheduler::default();
        s.schedule_in_lane(0, 10, "a");
        s.schedule_in_lane(0, 20, "b");
        s.schedule(15, "x");
        assert!(!s.cancel_newest_in_lane(0, |e| *e == "a"), "only the newest is looked at");
        assert!(!s.cancel_newest_in_lane(7, |_| true), "a lane never used has nothing to cancel");
        assert!(s.cancel_newest_in_lane(0, |e| *e == "b"));
        assert_eq!(s.len(), 2);
        let order: Vec<_> = std::iter::from_fn(|| s.pop()).collect();
        assert_eq!(order, vec![(10, "a"), (15, "x")]);
    }

    #[test]
    fn lanes_and_the_immediate_lane_give_exactly_the_order_of_one_heap() {
        // A random schedule, pushed and popped interleaved, through the scheduler and through std's heap
        // on (due, schedule order): the reference order.
        use std::cmp::Reverse;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut scheduler = Scheduler::default();
        let mut reference = std::collections::BinaryHeap::new();
        let (mut a, mut b) = (vec![], vec![]);
        let mut now = 0;
        for i in 0..40_000u32 {
            let r = next();
            if r % 3 == 0 {
                if let (Some(p), Some(Reverse(q))) = (scheduler.pop(), reference.pop()) {
                    now = p.0;
                    a.push(p);
                    b.push(q);
                }
                continue;
            }
            // Lane 0: a constant delay (monotonic); lane 1: jittery (sometimes earlier than its last);
            // the heap with and without zero delays (the immediate lane).
            let (lane, due) = match r % 7 {
                0 | 1 => (Some(0), now + 1_000),
                2 => (Some(1), now + (r >> 8) % 50),
                3 => (None, now),
                _ => (None, now + (r >> 8) % 700),
            };
            match lane {
                Some(l) => scheduler.schedule_in_lane(l, due, i),
                None => scheduler.schedule(due, i),
            }
            reference.push(Reverse((due, i)));
        }
        a.extend(std::iter::from_fn(|| scheduler.pop()));
        b.extend(std::iter::from_fn(|| reference.pop().map(|Reverse(q)| q)));
        assert!(a.len() > 20_000);
        assert!(a.windows(2).filter(|w| w[0].0 == w[1].0).count() > 2_000, "many same-time ties");
        assert_eq!(a, b);
    }
}
