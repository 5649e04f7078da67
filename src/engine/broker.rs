//! Broker-side state: partitioned logs and queues. Plain data with small, obviously-correct methods;
//! the engine decides when they are called.
use super::ids::*;
use super::kernel::table::Table;
use super::kernel::{Seq32, SimTime};
use std::collections::VecDeque;

/// Why a record or queue entry exists: the original send, or a repeat of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendCause {
    Original,
    /// The producer resent after a lost ack (attempt number ≥ 2).
    ProducerRetry {
        attempt: u32,
    },
    /// The outbox relay crashed after publishing and published the row again.
    RelayRepublish,
    /// A standard queue delivered a copy (at-least-once delivery).
    QueueCopy,
    /// The network delivered the producer's send a second time (an injected duplicate).
    NetworkCopy,
    /// A send held up in the network arrived late (an injected delay), after the producer had timed out.
    LateArrival {
        attempt: u32,
    },
    /// A consume→transform→produce stage wrote it while handling `delivery`.
    Stage {
        delivery: DeliveryId,
    },
}

/// A record's place in a Kafka transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnMark {
    /// Written outside any transaction: visible at once.
    Plain,
    /// Written inside a transaction not yet committed or aborted.
    Open,
    Committed,
    /// Its transaction was aborted: read_committed consumers skip it, read_uncommitted ones still read it.
    Aborted,
}

#[derive(Clone, Copy, Debug)]
pub struct Record {
    pub message: MessageId,
    pub appended_at: SimTime,
    pub cause: AppendCause,
    /// Trace seq of the append, for causal links.
    pub trace_seq: u64,
    pub txn: TxnMark,
}

/// An append-only log. Offsets never change; retention moves `start_offset` forward.
#[derive(Clone, Debug)]
pub struct Partition {
    pub start_offset: u64,
    pub records: VecDeque<Record>,
    /// The smallest message id among `records` (`None`: no records), when `min_known`; retention deleting
    /// that record makes it unknown until `min_message` looks again. Retained records keep their messages'
    /// rows (a replay reads them again), so this bounds how far the engine may fold.
    min_message: Option<MessageId>,
    min_known: bool,
}

impl Default for Partition {
    fn default() -> Self {
        Partition { start_offset: 0, records: VecDeque::new(), min_message: None, min_known: true }
    }
}

impl Partition {
    pub fn push(&mut self, record: Record) {
        self.min_message = Some(self.min_message.map_or(record.message, |m| m.min(record.message)));
        self.records.push_back(record);
    }

    /// The smallest message id still retained (`None`: none).
    pub fn min_message(&mut self) -> Option<MessageId> {
        if !self.min_known {
            self.min_message = self.records.iter().map(|r| r.message).min();
            self.min_known = true;
        }
        self.min_message
    }

    pub fn end_offset(&self) -> u64 {
        self.start_offset + self.records.len() as u64
    }

    pub fn get(&self, offset: u64) -> Option<&Record> {
        offset.checked_sub(self.start_offset).and_then(|i| self.records.get(i as usize))
    }

    pub fn get_mut(&mut self, offset: u64) -> Option<&mut Record> {
        offset.checked_sub(self.start_offset).and_then(|i| self.records.get_mut(i as usize))
    }

    /// Deletes records past the retention limits; returns the removed records.
    pub fn apply_retention(
        &mut self,
        now: SimTime,
        max_records: Option<u64>,
        max_age_ms: Option<u64>,
    ) -> Vec<(u64, Record)> {
        let mut removed = vec![];
        while let Some(front) = self.records.front() {
            let too_many = max_records.is_some_and(|m| self.records.len() as u64 > m);
            let too_old = max_age_ms.is_some_and(|age| now.saturating_sub(front.appended_at) > age);
            if !(too_many || too_old) {
                break;
            }
            let record = self.records.pop_front().expect("front exists");
            if Some(record.message) == self.min_message {
                self.min_known = false;
            }
            removed.push((self.start_offset, record));
            self.start_offset += 1;
        }
        removed
    }

    /// The first offset whose record was appended at or after `ms` (the end if none).
    pub fn offset_for_time(&self, ms: SimTime) -> u64 {
        let i = self.records.partition_point(|r| r.appended_at < ms);
        self.start_offset + i as u64
    }
}

/// Kafka's range assignor: partition → index of its member, in contiguous ranges; the first
/// `partitions % members` members take one extra. None for every partition when there is no member.
pub fn range_assign(partitions: usize, members: usize) -> Vec<Option<usize>> {
    let Some(per) = partitions.checked_div(members) else { return vec![None; partitions] };
    let extra = partitions % members;
    let mut out = Vec::with_capacity(partitions);
    for member in 0..members {
        out.extend(std::iter::repeat_n(Some(member), per + usize::from(member < extra)));
    }
    out
}

/// Kafka's default partitioner hashes the key (murmur2); any fixed, portable hash keeps per-key order.
pub fn partition_for_key(key: u32, partitions: u32) -> u32 {
    let x = super::kernel::rng::mix64(key as u64 ^ super::kernel::rng::GOLDEN_GAMMA);
    (x % partitions as u64) as u32
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryState {
    Visible,
    /// Received and not yet acked; its receipt handle is the entry's `last_delivery` (whose consumer
    /// holds it).
    InFlight,
    Deleted,
    DeadLettered,
}

#[derive(Clone, Copy, Debug)]
/// One row per enqueued copy (28 bytes): a long run keeps one per message, so nothing here is derivable
/// (the key is the message's; the FIFO group looks it up there).
pub struct Entry {
    pub message: MessageId,
    /// The delivery that last received it (`DeliveryId::NONE`: none yet).
    pub last_delivery: DeliveryId,
    /// The trace position of its `Enqueued` (or `DuplicateDelivery`): what its first receive follows from.
    pub enqueued: Seq32,
    pub cause: AppendCause,
    /// At most `max_receives` + 1 (validation keeps that at 1000), so 2 bytes.
    pub receive_count: u16,
    pub state: EntryState,
    /// When it was enqueued (its copy made): the start of its wait. Runs end before 2³² ms.
    pub enqueued_at_ms: u32,
}

impl Entry {
    /// Whether the receive with this receipt handle still holds the entry (not acked, not expired since).
    pub fn held_by(&self, receipt: DeliveryId) -> bool {
        self.state == EntryState::InFlight && self.last_delivery == receipt
    }
}

/// A queue's entries by id; `visible` holds the ids ready to be received, in order.
#[derive(Clone, Debug, Default)]
pub struct QueueStore {
    pub entries: Table<EntryId, Entry>,
    pub visible: VecDeque<EntryId>,
    pub in_flight: u32,
    pub dead_letter: Vec<EntryId>,
    /// Slots (consumer, slot) waiting for a message (long polling).
    pub waiting: VecDeque<(ConsumerId, u16)>,
    /// FIFO: per key, whether a message of that group is in flight (blocks the group).
    pub group_busy: std::collections::BTreeMap<u32, u32>,
    pub duplicate_next: bool,
}

impl QueueStore {
    pub fn depth(&self) -> u64 {
        self.visible.len() as u64 + self.in_flight as u64
    }

    /// FIFO: one more message of group `key` is in flight (the group is blocked while any is).
    #[cold]
    pub fn hold_group(&mut self, key: u32) {
        *self.group_busy.entry(key).or_insert(0) += 1;
    }

    /// FIFO: one message of group `key` is no longer in flight.
    #[cold]
    /// In-flight entry `e` (its message's key `key`) is visible again: at the front (a timeout, a FIFO or
    /// quorum return) or at the back (a standard queue's nack).
    pub(super) fn make_visible(&mut self, e: EntryId, key: u32, front: bool) {
        self.entries[e].state = EntryState::Visible;
        self.in_flight -= 1;
        if !self.group_busy.is_empty() {
            self.release_group(key);
        }
        if front {
            self.visible.push_front(e);
        } else {
            self.visible.push_back(e);
        }
    }

    pub fn release_group(&mut self, key: u32) {
        if let Some(n) = self.group_busy.get_mut(&key) {
            *n = n.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(message: MessageId, at: SimTime) -> Record {
        Record { message, appended_at: at, cause: AppendCause::Original, trace_seq: 0, txn: TxnMark::Plain }
    }

    #[test]
    fn retention_by_count_and_time_moves_start_offset() {
        let mut p = Partition::default();
        for i in 0..5 {
            p.push(rec(MessageId(i), i as u64 * 100));
        }
        let removed = p.apply_retention(450, Some(3), None);
        assert_eq!(removed.iter().map(|r| r.0).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!((p.start_offset, p.end_offset()), (2, 5));
        assert_eq!(p.get(1).map(|r| r.message), None);
        assert_eq!(p.get(2).map(|r| r.message), Some(MessageId(2)));
        let removed = p.apply_retention(450, None, Some(200));
        assert_eq!(removed.len(), 1); // offset 2 (appended at 200) is 250 ms old
        assert_eq!(p.offset_for_time(350), 4);
        assert_eq!(p.offset_for_time(10_000), 5);
    }

    #[test]
    fn the_smallest_retained_message_follows_appends_and_retention() {
        let mut p = Partition::default();
        assert_eq!(p.min_message(), None);
        // A retry appends an older message after newer ones.
        for (i, m) in [5, 6, 3, 7, 8].into_iter().enumerate() {
            p.push(rec(MessageId(m), i as u64 * 100));
        }
        assert_eq!(p.min_message(), Some(MessageId(3)));
        p.apply_retention(1_000, Some(3), None); // drops 5 and 6
        assert_eq!(p.min_message(), Some(MessageId(3)));
        p.apply_retention(1_000, Some(2), None); // drops 3
        assert_eq!(p.min_message(), Some(MessageId(7)));
        p.apply_retention(1_000, Some(0), None);
        assert_eq!(p.min_message(), None);
    }

    #[test]
    fn range_assignor_gives_contiguous_ranges_first_members_extra() {
        assert_eq!(range_assign(5, 2), vec![Some(0), Some(0), Some(0), Some(1), Some(1)]);
        assert_eq!(range_assign(2, 3), vec![Some(0), Some(1)]);
        assert_eq!(range_assign(3, 0), vec![None, None, None]);
        assert_eq!(range_assign(6, 3), vec![Some(0), Some(0), Some(1), Some(1), Some(2), Some(2)]);
    }

    #[test]
    fn key_partitioning_is_stable_and_spreads() {
        assert_eq!(partition_for_key(17, 6), partition_for_key(17, 6));
        let mut seen = [0u32; 6];
        for k in 1..=600 {
            seen[partition_for_key(k, 6) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 60), "{seen:?}");
    }
}
