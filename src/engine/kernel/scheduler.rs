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
//! one heap would give, so traces do not change.
use super::SimTime;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

struct Entry<E> {
    due: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.due == other.due && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest (due, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

pub struct Scheduler<E> {
    heap: BinaryHeap<Entry<E>>,
    /// Each sorted by (due, seq): entries are appended only when not earlier than the last one.
    lanes: Vec<VecDeque<Entry<E>>>,
    next_seq: u64,
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Scheduler { heap: BinaryHeap::new(), lanes: vec![], next_seq: 0 }
    }
}

/// Where the next event is: the heap, or the front of a lane.
#[derive(Clone, Copy)]
enum Source {
    Heap,
    Lane(usize),
}

impl<E> Scheduler<E> {
    pub fn schedule(&mut self, due: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { due, seq, event });
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

    /// The earliest (due, seq) of the heap's top and the lanes' fronts.
    fn next(&self) -> Option<(SimTime, u64, Source)> {
        let mut best = self.heap.peek().map(|e| (e.due, e.seq, Source::Heap));
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(e) = lane.front() {
                if best.is_none_or(|(due, seq, _)| (e.due, e.seq) < (due, seq)) {
                    best = Some((e.due, e.seq, Source::Lane(i)));
                }
            }
        }
        best
    }

    pub fn next_due(&self) -> Option<SimTime> {
        self.next().map(|(due, _, _)| due)
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
            Source::Lane(i) => self.lanes[i].pop_front(),
        };
        entry.map(|e| (e.due, e.event)).ok_or(None)
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    fn lanes_give_exactly_the_order_of_one_heap() {
        // The same random schedule, pushed and popped interleaved, through lanes and through the heap alone.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut laned, mut plain) = (Scheduler::default(), Scheduler::default());
        let (mut a, mut b) = (vec![], vec![]);
        let mut now = 0;
        for i in 0..20_000u32 {
            let r = next();
            if r % 3 == 0 {
                if let (Some(p), Some(q)) = (laned.pop(), plain.pop()) {
                    now = p.0;
                    a.push(p);
                    b.push(q);
                }
                continue;
            }
            // Lane 0: a constant delay (monotonic); lane 1: jittery (sometimes earlier than its last).
            let (lane, due) = match r % 5 {
                0 | 1 => (Some(0), now + 1_000),
                2 => (Some(1), now + (r >> 8) % 50),
                _ => (None, now + (r >> 8) % 700),
            };
            match lane {
                Some(l) => laned.schedule_in_lane(l, due, i),
                None => laned.schedule(due, i),
            }
            plain.schedule(due, i);
        }
        a.extend(std::iter::from_fn(|| laned.pop()));
        b.extend(std::iter::from_fn(|| plain.pop()));
        assert!(a.len() > 10_000);
        assert_eq!(a, b);
    }
}
