//! What a run shows: the trace (with causal links), exact counters, sampled series, anomalies.
use super::ids::*;
use super::kernel::SimTime;
use crate::scenario::model::CrashPoint;
use serde::Serialize;
use std::collections::VecDeque;

/// `1.203 s`: virtual time as a trainer reads it out.
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// One engine event as the trace records it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEvent {
    /// Position in the run (0, 1, 2, …); `cause` refers to an earlier `seq`.
    pub seq: u64,
    pub at_ms: SimTime,
    pub what: What,
    /// The message concerned, if any (produced messages are numbered from 1).
    pub message: Option<MessageId>,
    /// Delivery attempt of that message to this subscriber (1 = first), or the producer's send attempt.
    pub attempt: u32,
    /// The earlier event that led to this one, along a message's chain: an append or enqueue names its
    /// send (`Produced`, `ProducerRetry`, `RelayRepublish`); a lost ack, a retry, a give-up or a relay's
    /// republish names the publish it answers; a record's delivery names its append; a queue entry's
    /// first receive names its enqueue (or the duplicate copy), a receive again the previous receive;
    /// every handler step, ack and commit after a delivery names that `Delivered`; a transaction's commit
    /// or abort names the record it wrote. A crash names the
    /// delivery it interrupted or the scripted fault; a session expiry or a restart names the crash; a
    /// rebalance names what changed the group (an expiry, a restart, a removal, a reset), and its end and
    /// its offset resets name its start. `None` for roots: a message produced, a fault, retention, a
    /// timer's commit, a group joining.
    pub cause: Option<u64>,
}

/// Entities are referred to by their index in the scenario's lists.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum What {
    Produced {
        producer: ProducerId,
        key: u32,
        version: u32,
    },
    NeverPublished {
        producer: ProducerId,
    },
    /// A consumer shut down cleanly (a scripted stop): a member after finishing its batch, committing and
    /// leaving its group; a queue worker once its messages in hand were done.
    Stopped {
        consumer: ConsumerId,
    },
    /// A stopped consumer started again (and joins its group).
    Started {
        consumer: ConsumerId,
    },
    /// The broker refused an idempotent producer's send: an earlier message of that producer to the same
    /// partition has not arrived (Kafka's OutOfOrderSequenceException). The producer sends it again.
    OutOfSequence {
        producer: ProducerId,
    },
    /// A send never reached the broker (`faults.lost_send`).
    /// A send held up in the network (an injected delay): it reaches the broker later.
    SendDelayed {
        producer: ProducerId,
    },
    SendLost {
        producer: ProducerId,
    },
    /// A publish-first dual write crashed after publishing: the database write never happened.
    NeverWritten {
        producer: ProducerId,
    },
    SendGaveUp {
        producer: ProducerId,
    },
    Appended {
        topic: TopicId,
        partition: u32,
        offset: u64,
        retry: bool,
    },
    Enqueued {
        queue: QueueId,
        entry: EntryId,
        retry: bool,
    },
    /// A consume→transform→produce stage wrote its output record (inside a transaction if `transactional`).
    StageProduced {
        consumer: ConsumerId,
        topic: TopicId,
        partition: u32,
        offset: u64,
        transactional: bool,
    },
    /// The stage's transaction committed: its output record and its input offset, atomically.
    TxnCommitted {
        consumer: ConsumerId,
        topic: TopicId,
        partition: u32,
        offset: u64,
    },
    /// The stage's transaction was aborted: its output record stays in the log, marked aborted.
    TxnAborted {
        consumer: ConsumerId,
        topic: TopicId,
        partition: u32,
        offset: u64,
    },
    /// A fan-out exchange accepted a publish and copies it into each of its `queues` queues.
    Routed {
        exchange: ExchangeId,
        queues: u32,
    },
    AppendDeduplicated {
        producer: ProducerId,
    },
    AckLost {
        producer: ProducerId,
    },
    ProducerRetry {
        producer: ProducerId,
    },
    RelayRepublish {
        producer: ProducerId,
    },
    Delivered {
        consumer: ConsumerId,
        delivery: DeliveryId,
    },
    /// A delivery never reached its consumer (an injected drop): the broker handed it out, the answer
    /// was lost on the way.
    DeliveryLost {
        consumer: ConsumerId,
        delivery: DeliveryId,
    },
    /// A quorum queue took back an entry its consumer nacked or held when its channel closed: it is
    /// visible again, near the head.
    Returned {
        queue: QueueId,
        entry: EntryId,
    },
    /// A delivery held up in the network (an injected delay): it reaches its consumer later.
    DeliveryDelayed {
        consumer: ConsumerId,
        delivery: DeliveryId,
    },
    ReadBack {
        consumer: ConsumerId,
        version: u32,
        stale: bool,
    },
    ReadApiFailed {
        consumer: ConsumerId,
    },
    Checked {
        consumer: ConsumerId,
        seen: bool,
    },
    Claimed {
        consumer: ConsumerId,
        won: bool,
    },
    Effect {
        consumer: ConsumerId,
        sink: SinkId,
        duplicate: bool,
    },
    EffectDeduplicated {
        consumer: ConsumerId,
        sink: SinkId,
    },
    Recorded {
        consumer: ConsumerId,
    },
    Committed {
        consumer: ConsumerId,
        partition: u32,
        offset: u64,
    },
    CommitRejected {
        consumer: ConsumerId,
        partition: u32,
        offset: u64,
    },
    Acked {
        consumer: ConsumerId,
    },
    AckRejected {
        consumer: ConsumerId,
    },
    HandlerFailed {
        consumer: ConsumerId,
        poison: bool,
    },
    Crashed {
        consumer: ConsumerId,
        step: Option<CrashPoint>,
    },
    Restarted {
        consumer: ConsumerId,
    },
    SessionExpired {
        consumer: ConsumerId,
    },
    RemovedSlowMember {
        consumer: ConsumerId,
    },
    RebalanceStarted {
        group: GroupId,
    },
    RebalanceDone {
        group: GroupId,
        generation: u32,
    },
    GroupReset {
        group: GroupId,
    },
    VisibilityExpired {
        queue: QueueId,
        entry: EntryId,
    },
    DuplicateDelivery {
        queue: QueueId,
        entry: EntryId,
    },
    DeadLettered {
        sub: SubId,
    },
    SkippedPoison {
        consumer: ConsumerId,
        partition: u32,
        offset: u64,
    },
    RetentionDeleted {
        topic: TopicId,
        partition: u32,
        upto_offset: u64,
    },
    /// A group's position on a partition moved: `auto_offset_reset` (its committed offset was deleted), or
    /// a scripted reset (`scripted`), whose target is clamped to the records the partition holds.
    OffsetReset {
        group: GroupId,
        partition: u32,
        from: u64,
        to: u64,
        scripted: bool,
    },
    FaultInjected {
        index: u32,
    },
}

impl What {
    /// A stable small number per variant, for the trace hash.
    #[inline(always)]
    fn code(&self) -> u64 {
        match self {
            What::Produced { .. } => 1,
            What::NeverPublished { .. } => 2,
            What::SendGaveUp { .. } => 3,
            What::Appended { .. } => 4,
            What::Enqueued { .. } => 5,
            What::AppendDeduplicated { .. } => 6,
            What::AckLost { .. } => 7,
            What::ProducerRetry { .. } => 8,
            What::RelayRepublish { .. } => 9,
            What::Delivered { .. } => 10,
            What::ReadBack { .. } => 11,
            What::ReadApiFailed { .. } => 12,
            What::Checked { .. } => 13,
            What::Claimed { .. } => 14,
            What::Effect { .. } => 15,
            What::EffectDeduplicated { .. } => 16,
            What::Recorded { .. } => 17,
            What::Committed { .. } => 18,
            What::CommitRejected { .. } => 19,
            What::Acked { .. } => 20,
            What::AckRejected { .. } => 21,
            What::HandlerFailed { .. } => 22,
            What::Crashed { .. } => 23,
            What::Restarted { .. } => 24,
            What::SessionExpired { .. } => 25,
            What::RemovedSlowMember { .. } => 26,
            What::RebalanceStarted { .. } => 27,
            What::RebalanceDone { .. } => 28,
            What::GroupReset { .. } => 29,
            What::VisibilityExpired { .. } => 30,
            What::DuplicateDelivery { .. } => 31,
            What::DeadLettered { .. } => 32,
            What::SkippedPoison { .. } => 33,
            What::RetentionDeleted { .. } => 34,
            What::OffsetReset { .. } => 35,
            What::FaultInjected { .. } => 36,
            What::Routed { .. } => 37,
            What::StageProduced { .. } => 38,
            What::TxnCommitted { .. } => 39,
            What::TxnAborted { .. } => 40,
            What::NeverWritten { .. } => 41,
            What::SendLost { .. } => 42,
            What::Stopped { .. } => 43,
            What::Started { .. } => 44,
            What::OutOfSequence { .. } => 45,
            What::SendDelayed { .. } => 46,
            What::DeliveryLost { .. } => 47,
            What::DeliveryDelayed { .. } => 48,
            What::Returned { .. } => 49,
        }
    }

    /// The numbers that identify this event, fed to the hash after the code. Inlined into the hash, so the
    /// array never goes through memory (in wasm it was written to the stack and read back, every event).
    #[inline(always)]
    fn fields(&self) -> [u64; 4] {
        let b = |x: bool| x as u64;
        match *self {
            What::Produced { producer, key, version } => [producer.0 as u64, key as u64, version as u64, 0],
            What::NeverPublished { producer }
            | What::NeverWritten { producer }
            | What::SendLost { producer }
            | What::SendDelayed { producer }
            | What::OutOfSequence { producer }
            | What::SendGaveUp { producer }
            | What::AppendDeduplicated { producer }
            | What::AckLost { producer }
            | What::ProducerRetry { producer }
            | What::RelayRepublish { producer } => [producer.0 as u64, 0, 0, 0],
            What::Appended { topic, partition, offset, retry } => [topic.0 as u64, partition as u64, offset, b(retry)],
            What::Enqueued { queue, entry, retry } => [queue.0 as u64, entry.0 as u64, b(retry), 0],
            What::Routed { exchange, queues } => [exchange.0 as u64, queues as u64, 0, 0],
            What::StageProduced { consumer, topic, partition, offset, transactional } => {
                [consumer.0 as u64 | (b(transactional) << 32), topic.0 as u64, partition as u64, offset]
            }
            What::TxnCommitted { consumer, topic, partition, offset }
            | What::TxnAborted { consumer, topic, partition, offset } => {
                [consumer.0 as u64, topic.0 as u64, partition as u64, offset]
            }
            What::Delivered { consumer, delivery }
            | What::DeliveryLost { consumer, delivery }
            | What::DeliveryDelayed { consumer, delivery } => [consumer.0 as u64, delivery.0 as u64, 0, 0],
            What::ReadBack { consumer, version, stale } => [consumer.0 as u64, version as u64, b(stale), 0],
            What::Checked { consumer, seen } => [consumer.0 as u64, b(seen), 0, 0],
            What::Claimed { consumer, won } => [consumer.0 as u64, b(won), 0, 0],
            What::Effect { consumer, sink, duplicate } => [consumer.0 as u64, sink.0 as u64, b(duplicate), 0],
            What::EffectDeduplicated { consumer, sink } => [consumer.0 as u64, sink.0 as u64, 0, 0],
            What::Committed { consumer, partition, offset }
            | What::CommitRejected { consumer, partition, offset }
            | What::SkippedPoison { consumer, partition, offset } => [consumer.0 as u64, partition as u64, offset, 0],
            What::HandlerFailed { consumer, poison } => [consumer.0 as u64, b(poison), 0, 0],
            What::Crashed { consumer, step } => [consumer.0 as u64, step.map_or(0, |s| s as u64 + 1), 0, 0],
            What::ReadApiFailed { consumer }
            | What::Recorded { consumer }
            | What::Acked { consumer }
            | What::AckRejected { consumer }
            | What::Restarted { consumer }
            | What::Stopped { consumer }
            | What::Started { consumer }
            | What::SessionExpired { consumer }
            | What::RemovedSlowMember { consumer } => [consumer.0 as u64, 0, 0, 0],
            What::RebalanceStarted { group } | What::GroupReset { group } => [group.0 as u64, 0, 0, 0],
            What::RebalanceDone { group, generation } => [group.0 as u64, generation as u64, 0, 0],
            What::VisibilityExpired { queue, entry }
            | What::DuplicateDelivery { queue, entry }
            | What::Returned { queue, entry } => [queue.0 as u64, entry.0 as u64, 0, 0],
            What::DeadLettered { sub } => [sub.0 as u64, 0, 0, 0],
            What::RetentionDeleted { topic, partition, upto_offset } => {
                [topic.0 as u64, partition as u64, upto_offset, 0]
            }
            What::OffsetReset { group, partition, from, to, scripted } => {
                [group.0 as u64 | (b(scripted) << 32), partition as u64, from, to]
            }
            What::FaultInjected { index } => [index as u64, 0, 0, 0],
        }
    }
}

/// A word-at-a-time FxHash-style fold over explicit `u64`s: portable and stable (unlike `std`'s
/// `DefaultHasher`), and cheap enough to run on every event. It detects divergence, not adversaries.
#[derive(Clone, Copy, Debug)]
pub struct TraceHash(u64);

impl Default for TraceHash {
    fn default() -> Self {
        TraceHash(0xcbf2_9ce4_8422_2325)
    }
}

impl TraceHash {
    pub fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    #[inline]
    pub fn add_event(&mut self, e: &TraceEvent) {
        self.add(e.at_ms);
        self.add(e.what.code());
        for f in e.what.fields() {
            self.add(f);
        }
        self.add(e.message.map_or(0, |m| m.0 as u64));
        self.add(e.attempt as u64);
        self.add(e.cause.map_or(u64::MAX, |c| c));
    }
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// The last `capacity` events (0 = keep none; the hash and counters still see every event).
#[derive(Clone, Debug)]
pub struct Trace {
    pub capacity: usize,
    pub events: VecDeque<TraceEvent>,
    pub hash: TraceHash,
    pub total: u64,
}

impl Trace {
    pub fn new(capacity: usize) -> Self {
        Trace { capacity, events: VecDeque::new(), hash: TraceHash::default(), total: 0 }
    }

    pub fn push(
        &mut self,
        at_ms: SimTime,
        what: What,
        message: Option<MessageId>,
        attempt: u32,
        cause: Option<u64>,
    ) -> u64 {
        let seq = self.total;
        let event = TraceEvent { seq, at_ms, what, message, attempt, cause };
        self.hash.add_event(&event);
        self.total += 1;
        if self.capacity > 0 {
            if self.events.len() == self.capacity {
                self.events.pop_front();
            }
            self.events.push_back(event);
        }
        seq
    }
}

/// Exact counters: always complete, whatever the trace keeps.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counters {
    /// Messages created by producers (each once, whatever happened to its sends).
    pub produced: u64,
    /// Records written to topics plus messages enqueued, duplicates from retries included.
    pub appended: u64,
    pub deliveries: u64,
    /// Handler runs that reached the end of the handler.
    pub processed: u64,
    pub effects_applied: u64,
    /// Harmful repeats (email, payment, counter).
    pub duplicate_effects: u64,
    /// Repeats of the same state to an upsert: shown, not harmful.
    pub harmless_repeats: u64,
    pub lost_messages: u64,
    pub dead_lettered: u64,
    /// Moves to a dead-letter queue or topic of messages whose effect was applied all the same.
    pub dead_lettered_after_effect: u64,
    pub out_of_order: u64,
    pub stale_reads: u64,
    pub read_api_calls: u64,
    pub duplicate_appends: u64,
    /// Messages published by a publish-first dual write that crashed before its database write.
    pub invented_events: u64,
    pub producer_retries: u64,
    pub crashes: u64,
    pub rebalances: u64,
    pub redeliveries: u64,
    pub bytes_on_wire: u64,
    /// Obligations (message × subscriber) that were still in flight when the run stopped.
    pub in_flight_at_end: u64,
    /// Message × subscriber pairs: what the run owed.
    pub obligations: u64,
    pub effected: u64,
}

/// One sample of the series the charts draw.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sample {
    pub at_ms: SimTime,
    /// Per group: records not yet committed (log end minus committed offset, summed over partitions).
    pub group_lag: Vec<u64>,
    /// Per queue: messages visible plus in flight.
    pub queue_depth: Vec<u64>,
}

/// End-to-end latency (produced → first effect) in a log-linear histogram: exact below 1,024 ms,
/// within 1/64 above, in constant memory.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram {
    buckets: Vec<u64>,
    pub count: u64,
    pub sum_ms: u128,
    pub max_ms: u64,
}

impl LatencyHistogram {
    const LINEAR: u64 = 1024;
    const SUB: u64 = 64;

    fn bucket(v: u64) -> usize {
        if v < Self::LINEAR {
            return v as usize;
        }
        let log = 63 - v.leading_zeros() as u64; // >= 10
        let shift = log - 6;
        let sub = (v >> shift) - Self::SUB; // 0..64
        (Self::LINEAR + (log - 10) * Self::SUB + sub) as usize
    }

    fn bucket_low(i: usize) -> u64 {
        let i = i as u64;
        if i < Self::LINEAR {
            return i;
        }
        let log = (i - Self::LINEAR) / Self::SUB + 10;
        let sub = (i - Self::LINEAR) % Self::SUB;
        (Self::SUB + sub) << (log - 6)
    }

    pub fn record(&mut self, v: u64) {
        let b = Self::bucket(v);
        if self.buckets.len() <= b {
            self.buckets.resize(b + 1, 0);
        }
        self.buckets[b] += 1;
        self.count += 1;
        self.sum_ms += v as u128;
        self.max_ms = self.max_ms.max(v);
    }

    pub fn summary(&self) -> super::LatencySummary {
        super::LatencySummary {
            mean: self.mean_ms(),
            p50: self.quantile_ms(0.5),
            p95: self.quantile_ms(0.95),
            p99: self.quantile_ms(0.99),
            max: self.max_ms,
        }
    }

    pub fn mean_ms(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_ms as f64 / self.count as f64
        }
    }

    /// The lower edge of the bucket holding the q-quantile (0 < q ≤ 1).
    pub fn quantile_ms(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = libm::ceil(q * self.count as f64).max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Self::bucket_low(i);
            }
        }
        self.max_ms
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    DuplicateEffect,
    LostMessage,
    OutOfOrder,
    StaleRead,
    DeadLettered,
    /// Moved to a dead-letter queue or topic although its effect had been applied (before the move, or
    /// by a run still going when it was moved).
    DeadLetteredAfterEffect,
    LostToRetention,
    DuplicateAppend,
    InventedEvent,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub message_id: MessageId,
    pub at_ms: SimTime,
    pub explanation: String,
    /// Delivery ids (see `Engine::delivery`) in the causal chain, oldest first, for the UI to highlight.
    pub deliveries: Vec<DeliveryId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_exact_below_1024_and_close_above() {
        let mut h = LatencyHistogram::default();
        for v in 0..1000 {
            h.record(v);
        }
        assert_eq!(h.quantile_ms(0.5), 499);
        assert_eq!(h.quantile_ms(1.0), 999);
        let mut h = LatencyHistogram::default();
        h.record(100_000);
        let q = h.quantile_ms(0.5);
        assert!(q <= 100_000 && q as f64 >= 100_000.0 * (1.0 - 1.0 / 64.0), "{q}");
        for v in [1024u64, 2047, 2048, 1 << 40] {
            assert!(LatencyHistogram::bucket_low(LatencyHistogram::bucket(v)) <= v);
        }
    }

    #[test]
    fn trace_ring_keeps_last_events_but_hashes_all() {
        let mut a = Trace::new(2);
        let mut b = Trace::new(0);
        for t in 0..5 {
            a.push(t, What::Restarted { consumer: ConsumerId(1) }, None, 0, None);
            b.push(t, What::Restarted { consumer: ConsumerId(1) }, None, 0, None);
        }
        assert_eq!(a.events.len(), 2);
        assert_eq!(a.events[0].seq, 3);
        assert_eq!(a.hash.hex(), b.hash.hex());
        b.push(9, What::Restarted { consumer: ConsumerId(2) }, None, 0, None);
        assert_ne!(a.hash.hex(), b.hash.hex());
    }
}
