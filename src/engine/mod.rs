//! The delivery engine: a deterministic discrete-event simulation of producers, topics, queues,
//! consumers, idempotency stores and side-effect sinks, with injected faults.
//!
//! ```text
//!  producer ──send──▶ topic (partitions: append-only logs) ──fetch──▶ group member ──▶ handler ──▶ sink
//!     │  ▲  lost ack ⇒ retry ⇒ duplicate append          ▲ commit offsets   receive → check → effect
//!     │  └──────────────── ack ─────────────────────────┘ rebalance        → record → commit / ack
//!     └──send──▶ queue (visible | in flight) ──receive──▶ worker ──▶ handler ──▶ sink
//!                   ▲ visibility timeout ⇒ redelivery; too many receives ⇒ dead-letter queue
//! ```
//!
//! Purity: no wall clock, no web types, no OS entropy, no `HashMap` iteration. Time is virtual
//! (`SimTime`, ms) and jumps from event to event; events at the same time run in the order scheduled.
//! Every random draw comes from `SimRng` streams forked from the scenario's seed (one per producer for
//! the workload and one for its faults, one per consumer, one per queue), so changing a consumer's
//! setting never changes which messages are produced. A run has a fault phase (`until_ms`) and a
//! healing phase (no faults, no production) that lasts until nothing is scheduled, so "lost" and
//! "duplicated" are final.
pub mod broker;
mod explain;
pub mod kernel;
pub mod observe;

use crate::scenario::model::*;
use crate::scenario::validate::{validate, ScenarioError};
use broker::{partition_for_key, AppendCause, Entry, EntryState, Partition, QueueStore, Record, TxnMark};
use kernel::rng::SimRng;
use kernel::scheduler::Scheduler;
use kernel::table::{IdSet, Table};
use kernel::{Flags, MaybeTime, Seq32, SimTime};
use observe::*;
use serde::Serialize;
use std::collections::VecDeque;

/// Time one idempotency-store or database round trip takes inside a handler.
const STORE_MS: u64 = 1;
/// A topic consumer waits this long before retrying a record whose handler failed.
const CONSUMER_RETRY_BACKOFF_MS: u64 = 500;
/// The healing phase stops after this much virtual time even if something still loops.
pub const DRAIN_LIMIT_MS: u64 = 600_000;
/// The sink index of a subscriber without an external effect (a pure transform stage).
pub const NO_SINK: u16 = u16::MAX;
/// Bytes a notification (ids only) takes on the wire.
const NOTIFICATION_BYTES: u64 = 64;
/// Anomalies kept with their explanation (all are counted).
const MAX_ANOMALIES: usize = 2_000;
const LEDGER_LEN: usize = 200;
pub const DEFAULT_TRACE_CAPACITY: usize = 50_000;
/// How many of the latest messages keep their rows even when nothing needs them any more (see
/// `Engine::fold_history`): a run holds at most about twice this many, plus the ones still in use.
pub const DEFAULT_HISTORY_MESSAGES: u32 = 16_384;
/// At most this many rows are reserved up front per per-message table (see `reserve_for_run`).
const RESERVE_ROWS_MAX: usize = 1 << 22;
/// Events one call of `run_events` runs at most: short enough that a first run switches to V8's optimised
/// code within a fraction of a millisecond of it being ready, long enough that the call costs nothing.
const EVENTS_PER_CALL: u64 = 1_024;

/// A step of a consumer's handler, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Receive,
    Check,
    Effect,
    Record,
    Finish,
}

/// What the scheduler holds. Kept to 16 bytes (checked below) so an event travels in two registers: a
/// bigger one was built field by field on the stack and read back with wide loads, a store-forwarding
/// stall on every schedule and pop.
#[derive(Clone, Copy, Debug)]
enum Ev {
    Produce {
        producer: u16,
    },
    /// A send reaches the broker.
    Publish {
        producer: u16,
        message: u32,
        attempt: u32,
        session: u32,
    },
    AckTimeout {
        producer: u16,
        message: u32,
        attempt: u32,
        session: u32,
    },
    Poll {
        consumer: u16,
        epoch: u32,
        slot: u16,
    },
    Step {
        consumer: u16,
        epoch: u32,
        slot: u16,
        step: Step,
    },
    Visibility {
        queue: u16,
        entry: u32,
        receipt: u32,
    },
    SessionTimeout {
        consumer: u16,
        epoch: u32,
    },
    PollTimeout {
        consumer: u16,
        epoch: u32,
        poll_seq: u32,
    },
    Restart {
        consumer: u16,
        epoch: u32,
    },
    GroupJoin {
        group: u16,
    },
    Scripted {
        index: u32,
    },
}

const _: () = assert!(std::mem::size_of::<Ev>() == 16);
// The rows a run keeps per message (and per delivery, obligation, queue entry): their size is the memory a
// long run touches for the first time, which in wasm costs more than the work done with it.
const _: () = assert!(std::mem::size_of::<Message>() == 32);
const _: () = assert!(std::mem::size_of::<Entry>() == 24);
const _: () = assert!(std::mem::size_of::<Obligation>() == 16);
const _: () = assert!(std::mem::size_of::<Delivery>() == 64);
const _: () = assert!(std::mem::size_of::<Applied>() == 16);
// `Applied` keeps a time in 48 bits.
const _: () = assert!(crate::scenario::validate::MAX_UNTIL_MS + DRAIN_LIMIT_MS < 1 << 48);
// `StoreEntry` keeps a time in 32 bits (plus one).
const _: () = assert!(crate::scenario::validate::MAX_UNTIL_MS + DRAIN_LIMIT_MS < u32::MAX as u64);
const _: () = assert!(std::mem::size_of::<StoreEntry>() == 16);

/// The scheduler's FIFO lanes: timers with a constant delay per entity, due in the order they are set.
#[derive(Clone, Copy)]
enum Lane {
    Visibility(u16),
    AckTimeout(u16),
    PollTimeout(u16),
    SessionTimeout(u16),
}

impl Lane {
    fn index(self) -> usize {
        match self {
            Lane::Visibility(q) => 4 * q as usize,
            Lane::AckTimeout(p) => 4 * p as usize + 1,
            Lane::PollTimeout(g) => 4 * g as usize + 2,
            Lane::SessionTimeout(g) => 4 * g as usize + 3,
        }
    }
}

/// A produced message. Ids start at 1 (index 0 is a placeholder), as the UI and explanations show them.
/// A run keeps one per message (32 bytes, checked above, after `Ev`): what the producer's settings say (the payload
/// size, whether it writes a topic) is not copied here, the first append's place needs no `Option`
/// (`appends` says if it exists), and four yes-or-no facts share a byte.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    /// The first append's offset in its partition, or its queue entry's id (see `Engine::first_append`).
    first_append_offset: u64,
    /// When it was produced: before `until_ms`, which validation keeps under 2³² ms (`MAX_UNTIL_MS`).
    produced_at_ms: u32,
    /// The trace position of its latest send (`Produced`, `ProducerRetry`, `RelayRepublish`) or, once that
    /// send reached the broker, of what the broker did with it: the cause its next append or retry names.
    send_seq: Seq32,
    pub key: u32,
    /// Version of the entity this message describes (1 for a new user, 2 after its first update, …).
    pub version: u32,
    pub appends: u32,
    pub producer: u16,
    /// The first append's partition, for a producer that writes a topic (at most `MAX_PARTITIONS`).
    first_append_partition: u8,
    flags: Flags,
}

impl Message {
    const POISON: u8 = 1;
    const ACKED: u8 = 2;
    const PUBLISHED: u8 = 4;
    const RELAY_REPUBLISHED: u8 = 8;
    const INVENTED: u8 = 16;

    fn set(&mut self, flag: u8) {
        self.flags.set(flag);
    }
    pub fn produced_at(&self) -> SimTime {
        SimTime::from(self.produced_at_ms)
    }
    /// Its handler fails on every delivery.
    pub fn poison(&self) -> bool {
        self.flags.has(Self::POISON)
    }
    /// An ack reached the producer in time: it will not resend.
    pub fn acked(&self) -> bool {
        self.flags.has(Self::ACKED)
    }
    /// At least one append reached a topic or queue.
    pub fn published(&self) -> bool {
        self.flags.has(Self::PUBLISHED)
    }
    /// The outbox relay crashed after publishing it and publishes it again.
    pub fn relay_republished(&self) -> bool {
        self.flags.has(Self::RELAY_REPUBLISHED)
    }
    /// Published by a publish-first dual write whose database write then never happened.
    pub fn invented(&self) -> bool {
        self.flags.has(Self::INVENTED)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DeliverySource {
    Record { topic: u16, partition: u32, offset: u64 },
    Entry { queue: u16, entry: u32, receipt: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    Running,
    Done,
    /// Skipped by the idempotency guard (the effect was not applied).
    Suppressed,
    Crashed {
        before: Step,
    },
    Failed {
        poison: bool,
    },
    CommitRejected,
    AckRejected,
}

/// One delivery of a message to a consumer: the unit of the journey view and of causal explanations.
/// A run keeps one per delivery (64 bytes, checked above, after `Ev`), so its source is kept flat (`source()` puts it
/// together), its subscriber is its consumer's, and three yes-or-no facts share a byte with the source's kind.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    pub message: u32,
    pub attempt: u32,
    /// The previous delivery of the same message to the same subscriber (0 = none).
    pub previous: u32,
    /// The source's partition, or its queue entry.
    source_place: u32,
    pub consumer: u16,
    /// The source's topic, or its queue.
    source_entity: u16,
    pub outcome: Outcome,
    flags: Flags,
    pub at_ms: SimTime,
    pub effect_at_ms: MaybeTime,
    pub ended_at_ms: MaybeTime,
    /// Until its receive, the trace position of what it follows from (the record's append, the entry's
    /// previous receive), or `NO_TRACE_SEQ`; from its receive on, its `Delivered` event's position.
    pub trace_seq: u64,
    /// The source's offset, or its receipt handle.
    source_position: u64,
}

impl Delivery {
    /// `trace_seq` of a delivery whose cause is not kept (a queue entry's first receive).
    const NO_TRACE_SEQ: u64 = u64::MAX;
    const FROM_RECORD: u8 = 1;
    const AFTER_REPLAY: u8 = 2;
    const VISIBILITY_EXPIRED: u8 = 4;
    const MEMBER_REMOVED: u8 = 8;

    /// The trace position this delivery's events link to, if it is kept.
    pub fn trace_cause(&self) -> Option<u64> {
        (self.trace_seq != Self::NO_TRACE_SEQ).then_some(self.trace_seq)
    }
    fn new(message: u32, consumer: u16, attempt: u32, at_ms: SimTime, source: DeliverySource) -> Delivery {
        let (flags, source_entity, source_place, source_position) = match source {
            DeliverySource::Record { topic, partition, offset } => (Self::FROM_RECORD, topic, partition, offset),
            DeliverySource::Entry { queue, entry, receipt } => (0, queue, entry, receipt as u64),
        };
        Delivery {
            message,
            attempt,
            previous: 0,
            source_place,
            consumer,
            source_entity,
            outcome: Outcome::Running,
            flags: Flags::of(flags),
            at_ms,
            effect_at_ms: MaybeTime::NOT_YET,
            ended_at_ms: MaybeTime::NOT_YET,
            trace_seq: 0,
            source_position,
        }
    }

    /// The record or queue entry this delivery carried.
    pub fn source(&self) -> DeliverySource {
        if self.flags.has(Self::FROM_RECORD) {
            DeliverySource::Record {
                topic: self.source_entity,
                partition: self.source_place,
                offset: self.source_position,
            }
        } else {
            DeliverySource::Entry {
                queue: self.source_entity,
                entry: self.source_place,
                receipt: self.source_position as u32,
            }
        }
    }

    fn set(&mut self, flag: u8) {
        self.flags.set(flag);
    }
    /// The group was reset (a replay) between the previous delivery and this one.
    pub fn after_replay(&self) -> bool {
        self.flags.has(Self::AFTER_REPLAY)
    }
    /// Its visibility timeout expired while it was still being processed.
    pub fn visibility_expired_while_running(&self) -> bool {
        self.flags.has(Self::VISIBILITY_EXPIRED)
    }
    /// Its consumer was removed from the group (max.poll.interval.ms) while processing it.
    pub fn member_removed_while_running(&self) -> bool {
        self.flags.has(Self::MEMBER_REMOVED)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LossReason {
    #[default]
    Unknown,
    /// The service crashed between its database write and its publish (dual write).
    NeverPublished,
    /// Every send's ack was lost and the producer gave up before any append.
    ProducerGaveUp,
    /// A fire-and-forget send (`acks = 0`) never reached the broker, and nobody noticed.
    SendLost,
    /// Every consumer of the subscriber was stopped (a scripted stop) and none started again.
    NoConsumerRunning,
    /// The offset was committed before processing and the consumer crashed before the effect.
    CommittedBeforeProcessing { delivery: u32 },
    /// A delivery found the id claimed by `delivery` and skipped the message; the claimant then crashed or
    /// failed before applying the effect (a crashed claimant's claim blocks every retry).
    SkippedByClaim { delivery: u32 },
    /// A delivery found the id recorded by `delivery`, whose effect never took (a stage's transaction was
    /// aborted after the id was recorded outside it), and skipped the message.
    SkippedByRecord { delivery: u32 },
    /// Retention deleted the record before this group read it.
    DeletedByRetention { partition: u32, offset: u64 },
    /// A poison record blocks its partition (head-of-line) and this record is behind it (or is it).
    BlockedByPoison { partition: u32, offset: u64 },
    /// The group's offset was reset past the record (auto.offset.reset=latest, or a reset to latest, to an
    /// offset or to a time past it).
    SkippedByReset,
    /// The consume→transform→produce stage (subscriber `stage`) that writes this group's topic never
    /// produced the message: it lost or dead-lettered it upstream.
    UpstreamStage { stage: u16 },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    #[default]
    NotOwed,
    Pending,
    Effected,
    DeadLettered,
    Lost,
}

/// What a subscriber owes one message. A run keeps one per message and subscriber (16 bytes); why a
/// message may be lost (`Engine::loss_reason`) is rare and kept beside these rows, not in each of them,
/// and how many deliveries it had is the last one's attempt (`Engine::deliveries_of`). A rarer fact fills
/// bytes `fate` leaves: how many records a stage wrote for it. (A sink's idempotency keys are kept in
/// the subscriber's store rows, which expire with `store_ttl_ms`.)
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Obligation {
    pub fate: Fate,
    /// A stage's visible (plain or committed) records of this message in its output topic (saturating).
    #[serde(skip)]
    stage_outputs: u16,
    pub effects: u32,
    pub first_effect_delivery: u32,
    /// The latest delivery (0 = none yet); earlier ones are reached through `Delivery::previous`.
    pub last_delivery: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SubSource {
    Group(u16),
    Queue(u16),
}

/// A subscriber's row for one message beside its obligation, made only when needed: the idempotency
/// store's entry, and for a FIFO queue's subscriber the start of the message's de-duplication window.
#[derive(Clone, Copy, Debug, Default)]
struct StoreEntry {
    /// 0 = absent; otherwise the time it expires (u64::MAX = never).
    expires_at: u64,
    by_delivery: u32,
    /// FIFO queue: 0 = never enqueued; otherwise 1 + when its de-duplication window began (run times fit
    /// 32 bits, checked below `Ev`).
    fifo_window_from: u32,
}

/// The newest version of one key a subscriber applied: which message, when, and from which producer (to
/// name the message in an explanation long after its own row was folded). A run keeps one per key and
/// subscriber, read on every effect, so it stays 16 bytes: times fit 48 bits (a run ends within
/// `MAX_UNTIL_MS` plus the drain limit) and producers 16.
#[derive(Clone, Copy, Debug, Default)]
struct Applied {
    version: u32,
    message: u32,
    at_and_producer: u64,
}

impl Applied {
    fn new(version: u32, message: u32, at: SimTime, producer: u16) -> Applied {
        Applied { version, message, at_and_producer: (at << 16) | producer as u64 }
    }
    fn at(&self) -> SimTime {
        self.at_and_producer >> 16
    }
    fn producer(&self) -> u16 {
        self.at_and_producer as u16
    }
}

/// A subscriber: a consumer group on a topic, or a queue with its workers; owns one handler and store.
#[derive(Clone, Debug)]
struct Sub {
    name: String,
    source: SubSource,
    handler: Handler,
    sink: u16,
    store: Table<StoreEntry>,
    obligations: Table<Obligation>,
    /// Why a pending obligation may end up lost, by message id: noted when it happens, read when the run ends.
    loss_reasons: Table<LossReason>,
    /// Per key: the newest version applied.
    last_applied: Vec<Applied>,
    /// A stage's output topic, and whether it writes it in transactions.
    output: Option<u16>,
    transactional: bool,
}

impl Sub {
    fn loss_reason(&self, m: u32) -> LossReason {
        self.loss_reasons.get(m).copied().unwrap_or_default()
    }

    fn pending(&self, m: u32) -> bool {
        self.obligations.get(m).is_some_and(|ob| ob.fate == Fate::Pending)
    }

    /// Notes why pending message `m` may be lost, unless a reason was noted before (the first cause stands).
    fn note_loss(&mut self, m: u32, reason: LossReason) {
        if self.pending(m) {
            if let Some(noted) = self.loss_reasons.grow_to(m, LossReason::Unknown) {
                if *noted == LossReason::Unknown {
                    *noted = reason;
                }
            }
        }
    }

    /// Notes why pending message `m` may be lost, in place of any reason noted before (a later skip is
    /// where it is lost, whatever happened earlier).
    fn renote_loss(&mut self, m: u32, reason: LossReason) {
        if self.pending(m) {
            if let Some(noted) = self.loss_reasons.grow_to(m, LossReason::Unknown) {
                *noted = reason;
            }
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LedgerEntry {
    pub at_ms: SimTime,
    pub message: u32,
    pub key: u32,
    pub version: u32,
    pub consumer: u16,
    pub duplicate: bool,
}

#[derive(Clone, Debug)]
pub struct SinkState {
    pub spec: Sink,
    pub applied: u64,
    pub duplicates: u64,
    pub deduplicated_by_key: u64,
    pub ledger: VecDeque<LedgerEntry>,
}

#[derive(Clone, Copy, Debug)]
pub struct Active {
    pub delivery: u32,
    pub message: u32,
    pub step: Step,
    crash_at: Option<CrashPoint>,
    processing_ms: u64,
    version: u32,
    claim_taken: bool,
    effect_applied: bool,
    /// The record this delivery wrote inside a still-open transaction: (topic, partition, offset).
    open_txn: Option<(u16, u32, u64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Role {
    Member { group: u16 },
    Worker { queue: u16 },
}

#[derive(Clone, Debug)]
pub struct ConsumerState {
    pub name: String,
    pub role: Role,
    pub sub: u16,
    pub alive: bool,
    epoch: u32,
    pub slots: Vec<Option<Active>>,
    crash_armed: Option<CrashPoint>,
    /// The trace position of its latest `Crashed`: what its session expiry and its restart follow from.
    crashed_seq: Option<u64>,
    slow_until: SimTime,
    slow_factor: u32,
    rng: SimRng,
    // Group members only.
    /// Records fetched and not yet processed: copies in the consumer's memory (retention cannot take them).
    pub batch: VecDeque<(u64, Record)>,
    pub batch_partition: u32,
    poll_seq: u32,
    parked: bool,
    /// A clean stop was asked for: it finishes what it holds and takes nothing new (see `StopConsumer`).
    stopping: bool,
    /// Stopped cleanly: down, and not restarted until a `StartConsumer`.
    pub stopped: bool,
    /// The trace position of the scripted stop, what its `Stopped` follows from.
    stop_seq: Option<u64>,
    next_partition: u32,
    pub in_group: bool,
    removed_slow: bool,
}

impl ConsumerState {
    /// The crash point armed by a scripted fault for this consumer's next message, if any.
    pub fn crash_armed(&self) -> Option<CrashPoint> {
        self.crash_armed
    }
    /// Until when a scripted `slow_consumer` fault slows this consumer (0 or past: not slowed).
    pub fn slow_until(&self) -> SimTime {
        self.slow_until
    }
    pub fn busy(&self) -> bool {
        !self.batch.is_empty() || self.slots.iter().any(|s| s.is_some())
    }
}

#[derive(Clone, Debug)]
pub struct GroupState {
    /// The trace position of the latest `RebalanceStarted`: what its completion follows from.
    rebalance_seq: Option<u64>,
    pub spec: Group,
    pub topic: u16,
    pub sub: u16,
    pub members: Vec<u16>,
    pub joined: bool,
    pub generation: u32,
    pub rebalancing: bool,
    pub assignment: Vec<Option<u16>>,
    pub committed: Vec<Option<u64>>,
    pub position: Vec<u64>,
    head_failures: Vec<u32>,
    pub blocked: Vec<bool>,
    last_auto_commit: Vec<SimTime>,
    pub last_reset_at: Option<SimTime>,
}

#[derive(Clone, Debug)]
pub struct TopicState {
    pub spec: Topic,
    pub partitions: Vec<Partition>,
    pub groups: Vec<u16>,
}

#[derive(Clone, Debug)]
pub struct QueueState {
    pub spec: Queue,
    pub store: QueueStore,
    pub sub: u16,
    pub workers: Vec<u16>,
    rng: SimRng,
}

#[derive(Clone, Debug)]
pub struct ProducerState {
    pub spec: Producer,
    pub produced: u32,
    drop_acks_until: SimTime,
    work_rng: SimRng,
    fault_rng: SimRng,
    /// Per key: the current version in the producing service's own database (what the read API returns).
    db_version: Vec<u32>,
    target: Target,
    /// An idempotent producer writing a topic: per partition, the messages sent and not yet appended, in
    /// the order they were produced. The broker appends only the first (Kafka's sequence numbers); the
    /// others are refused as out of sequence and sent again, so a lost send cannot reorder a partition.
    in_sequence: Vec<VecDeque<u32>>,
}

#[derive(Clone, Debug)]
pub struct ExchangeState {
    pub spec: Exchange,
    /// Indices of the bound queues, in the order the scenario lists them.
    pub queues: Vec<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Topic(u16),
    Queue(u16),
    Exchange(u16),
}

/// What the user can do to a running simulation ("inject a fault now"); recorded as scripted faults.
pub type Command = FaultAction;

/// The JSON the CLI prints and the UI's scoreboard reads.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub seed: u64,
    pub end_time_ms: SimTime,
    pub drained: bool,
    pub produced: u64,
    pub appended: u64,
    pub delivered: u64,
    pub processed: u64,
    pub effects_applied: u64,
    pub duplicate_effects: u64,
    pub harmless_repeats: u64,
    pub lost_messages: u64,
    pub dead_lettered: u64,
    pub out_of_order: u64,
    pub stale_reads: u64,
    pub duplicate_appends: u64,
    pub invented_events: u64,
    pub read_api_calls: u64,
    pub bytes_on_wire: u64,
    pub obligations: u64,
    pub effected: u64,
    pub in_flight_at_end: u64,
    pub latency_ms: LatencySummary,
    pub trace_hash: String,
    pub events_processed: u64,
    /// Every anomaly of the run; `anomalies` lists the first `MAX_ANOMALIES` (2000) of them.
    pub anomalies_total: u64,
    pub anomalies: Vec<AnomalyOut>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LatencySummary {
    pub mean: f64,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
    pub max: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct AnomalyOut {
    pub kind: AnomalyKind,
    pub message_id: u32,
    pub at_ms: SimTime,
    pub explanation: String,
}

pub struct Engine {
    scenario: Scenario,
    now: SimTime,
    scheduler: Scheduler<Ev>,
    pub trace: Trace,
    pub counters: Counters,
    pub samples: Vec<Sample>,
    sample_every_ms: SimTime,
    next_sample_at: SimTime,
    pub latency: LatencyHistogram,
    pub anomalies: Vec<Anomaly>,
    pub anomaly_count: u64,
    pub messages: Table<Message>,
    pub deliveries: Table<Delivery>,
    subs: Vec<Sub>,
    pub sinks: Vec<SinkState>,
    pub producers: Vec<ProducerState>,
    pub topics: Vec<TopicState>,
    pub queues: Vec<QueueState>,
    pub exchanges: Vec<ExchangeState>,
    pub groups: Vec<GroupState>,
    pub consumers: Vec<ConsumerState>,
    read_api_down_until: SimTime,
    events_processed: u64,
    /// Time of the last event that did something (stale timers after it do not extend the run).
    last_event_at: SimTime,
    /// See `fold_history`.
    history_messages: u32,
    next_fold_at: u32,
    finished: bool,
    drained: bool,
}

fn sink_index(s: &Scenario, name: &str) -> u16 {
    s.sinks.iter().position(|k| k.name == name).map_or(NO_SINK, |i| i as u16)
}

impl Engine {
    /// Validates once; after this every operation is total (no input can make it panic).
    pub fn new(scenario: Scenario) -> Result<Engine, ScenarioError> {
        validate(&scenario)?;
        let mut root = SimRng::new(scenario.seed);
        let mut subs = vec![];
        let mut consumers = vec![];
        let mut topics: Vec<TopicState> = scenario
            .topics
            .iter()
            .map(|t| TopicState {
                spec: t.clone(),
                partitions: vec![Partition::default(); t.partitions as usize],
                groups: vec![],
            })
            .collect();
        let mut queues = vec![];
        // Forks are drawn in a fixed order: producers first, so consumer settings never reshuffle the workload.
        let producer_rngs: Vec<(SimRng, SimRng)> = scenario
            .producers
            .iter()
            .enumerate()
            .map(|(i, _)| (root.fork(1 + 2 * i as u64), root.fork(2 + 2 * i as u64)))
            .collect();
        let mut groups = vec![];
        for (gi, g) in scenario.groups.iter().enumerate() {
            let topic = scenario.topics.iter().position(|t| t.name == g.topic).unwrap_or(0);
            let sub = subs.len() as u16;
            subs.push(Sub {
                name: g.name.clone(),
                source: SubSource::Group(gi as u16),
                handler: g.handler.clone(),
                sink: sink_index(&scenario, &g.handler.sink),
                store: Table::default(),
                obligations: Table::default(),
                loss_reasons: Table::default(),
                last_applied: vec![],
                output: g
                    .produce_to
                    .as_ref()
                    .and_then(|out| scenario.topics.iter().position(|t| &t.name == out))
                    .map(|t| t as u16),
                transactional: g.transactional,
            });
            let mut members = vec![];
            for name in &g.consumers {
                members.push(consumers.len() as u16);
                consumers.push(ConsumerState::new(
                    name,
                    Role::Member { group: gi as u16 },
                    sub,
                    1,
                    root.fork(1000 + consumers.len() as u64),
                ));
            }
            topics[topic].groups.push(gi as u16);
            let n = scenario.topics[topic].partitions as usize;
            groups.push(GroupState {
                rebalance_seq: None,
                spec: g.clone(),
                topic: topic as u16,
                sub,
                members,
                joined: false,
                generation: 0,
                rebalancing: false,
                assignment: vec![None; n],
                committed: vec![None; n],
                position: vec![0; n],
                head_failures: vec![0; n],
                blocked: vec![false; n],
                last_auto_commit: vec![0; n],
                last_reset_at: None,
            });
        }
        for (qi, q) in scenario.queues.iter().enumerate() {
            let sub = subs.len() as u16;
            subs.push(Sub {
                name: q.name.clone(),
                source: SubSource::Queue(qi as u16),
                handler: q.handler.clone(),
                sink: sink_index(&scenario, &q.handler.sink),
                store: Table::default(),
                obligations: Table::default(),
                loss_reasons: Table::default(),
                last_applied: vec![],
                output: None,
                transactional: false,
            });
            let mut workers = vec![];
            for name in &q.consumers {
                workers.push(consumers.len() as u16);
                consumers.push(ConsumerState::new(
                    name,
                    Role::Worker { queue: qi as u16 },
                    sub,
                    q.concurrency,
                    root.fork(1000 + consumers.len() as u64),
                ));
            }
            queues.push(QueueState {
                spec: q.clone(),
                store: QueueStore::default(),
                sub,
                workers,
                rng: root.fork(5000 + qi as u64),
            });
        }
        let queue_index = |name: &str| scenario.queues.iter().position(|q| q.name == name).unwrap_or(0) as u16;
        let exchanges: Vec<ExchangeState> = scenario
            .exchanges
            .iter()
            .map(|x| ExchangeState { spec: x.clone(), queues: x.queues.iter().map(|q| queue_index(q)).collect() })
            .collect();
        let producers = scenario
            .producers
            .iter()
            .zip(producer_rngs)
            .map(|(p, (work_rng, fault_rng))| {
                let target = if let Some(t) = scenario.topics.iter().position(|t| t.name == p.target) {
                    Target::Topic(t as u16)
                } else if let Some(x) = scenario.exchanges.iter().position(|x| x.name == p.target) {
                    Target::Exchange(x as u16)
                } else {
                    Target::Queue(queue_index(&p.target))
                };
                ProducerState {
                    spec: p.clone(),
                    produced: 0,
                    drop_acks_until: 0,
                    work_rng,
                    fault_rng,
                    db_version: vec![0; p.keys as usize + 1],
                    in_sequence: match target {
                        Target::Topic(t) if p.idempotent => {
                            (0..scenario.topics[t as usize].partitions).map(|_| VecDeque::new()).collect()
                        }
                        _ => vec![],
                    },
                    target,
                }
            })
            .collect();
        let sinks = scenario
            .sinks
            .iter()
            .map(|s| SinkState {
                spec: s.clone(),
                applied: 0,
                duplicates: 0,
                deduplicated_by_key: 0,
                ledger: VecDeque::new(),
            })
            .collect();
        let sample_every_ms = (scenario.until_ms / 120).max(10);
        let mut engine = Engine {
            now: 0,
            scheduler: Scheduler::default(),
            trace: Trace::new(DEFAULT_TRACE_CAPACITY),
            counters: Counters::default(),
            samples: vec![],
            sample_every_ms,
            next_sample_at: 0,
            latency: LatencyHistogram::default(),
            anomalies: vec![],
            anomaly_count: 0,
            messages: Table::with_first(placeholder_message()),
            deliveries: Table::with_first(placeholder_delivery()),
            subs,
            sinks,
            producers,
            topics,
            queues,
            exchanges,
            groups,
            consumers,
            read_api_down_until: 0,
            events_processed: 0,
            last_event_at: 0,
            history_messages: DEFAULT_HISTORY_MESSAGES,
            next_fold_at: DEFAULT_HISTORY_MESSAGES.saturating_mul(2),
            finished: false,
            drained: false,
            scenario,
        };
        for (i, p) in engine.scenario.producers.iter().enumerate() {
            engine.scheduler.schedule(p.start_ms, Ev::Produce { producer: i as u16 });
        }
        for (i, g) in engine.scenario.groups.iter().enumerate() {
            engine.scheduler.schedule(g.join_at_ms, Ev::GroupJoin { group: i as u16 });
        }
        for (i, f) in engine.scenario.faults.scripted.iter().enumerate() {
            engine.scheduler.schedule(f.at_ms, Ev::Scripted { index: i as u32 });
        }
        engine.reserve_for_run();
        for ci in 0..engine.consumers.len() {
            if let Role::Worker { .. } = engine.consumers[ci].role {
                for slot in 0..engine.consumers[ci].slots.len() {
                    engine.scheduler.schedule(0, Ev::Poll { consumer: ci as u16, epoch: 1, slot: slot as u16 });
                }
            }
        }
        Ok(engine)
    }

    /// Sizes the per-message tables for the messages the scenario will produce. Grown a push at a time
    /// they doubled, and in wasm (no `mremap`) every doubling copied them and touched fresh pages again:
    /// ~10 % of a long run. Best effort: a failed reservation just leaves growth to the pushes.
    fn reserve_for_run(&mut self) {
        let produced: usize = self.scenario.producers.iter().map(|p| p.count as usize).sum();
        let mut rows = produced.min(RESERVE_ROWS_MAX);
        // A log of unlimited retention keeps every message it holds (`fold_history`); otherwise old rows
        // are folded and the tables stay near twice the history kept (beyond what is still in use).
        let logs_forget =
            self.scenario.topics.iter().all(|t| t.retention_records.is_some() || t.retention_ms.is_some());
        if logs_forget {
            let window = self.history_messages as usize * 2;
            rows = rows.min(window + window / 4);
        }
        let _ = self.messages.try_reserve_exact(rows);
        // Every subscriber may receive every message, some more than once (crashes, redelivery).
        let deliveries = rows.saturating_mul(self.subs.len()).saturating_add(rows / 8).min(RESERVE_ROWS_MAX);
        let _ = self.deliveries.try_reserve_exact(deliveries);
        for sub in &mut self.subs {
            // Indexed by message id, and ids start at 1: one row more, or the last message doubled the table.
            let _ = sub.obligations.try_reserve_exact(rows + 1);
        }
        for queue in &mut self.queues {
            let _ = queue.store.entries.try_reserve_exact(rows);
        }
        for topic in &mut self.topics {
            let per_partition = rows / topic.partitions.len().max(1);
            for partition in &mut topic.partitions {
                let _ = partition.records.try_reserve_exact(per_partition + per_partition / 8);
            }
        }
    }

    /// Keep the last `capacity` trace events (0: none, for fast runs; hash and counters stay exact).
    pub fn set_trace_capacity(&mut self, capacity: usize) {
        self.trace.capacity = capacity;
        while self.trace.events.len() > capacity {
            self.trace.events.pop_front();
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    pub fn now(&self) -> SimTime {
        self.now
    }
    /// When the run ended: the time of its last event that did something (once finished).
    pub fn end_time(&self) -> Option<SimTime> {
        self.finished.then_some(self.last_event_at)
    }
    pub fn is_finished(&self) -> bool {
        self.finished
    }
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }
    pub fn next_due(&self) -> Option<SimTime> {
        if self.finished {
            None
        } else {
            self.scheduler.next_due()
        }
    }
    pub fn delivery(&self, id: u32) -> Option<&Delivery> {
        if id == 0 {
            None
        } else {
            self.deliveries.get(id)
        }
    }
    pub fn subscriber_names(&self) -> Vec<&str> {
        self.subs.iter().map(|s| s.name.as_str()).collect()
    }
    pub fn obligation(&self, sub: u16, message: u32) -> Option<&Obligation> {
        self.subs.get(sub as usize)?.obligations.get(message)
    }
    /// How many times `sub` has received `message` so far (its latest delivery's attempt number).
    pub fn deliveries_of(&self, sub: u16, message: u32) -> u32 {
        let last = self.obligation(sub, message).map_or(0, |ob| ob.last_delivery);
        self.delivery(last).map_or(0, |d| d.attempt)
    }
    /// Why `sub` lost (or, while the run goes on, may lose) `message`: `Unknown` when nothing was noted.
    pub fn loss_reason(&self, sub: u16, message: u32) -> LossReason {
        self.subs.get(sub as usize).map_or(LossReason::Unknown, |s| s.loss_reason(message))
    }
    /// The sink a subscriber's handler writes to.
    pub fn sink_of(&self, sub: u16) -> u16 {
        self.subs.get(sub as usize).map_or(0, |s| s.sink)
    }
    pub fn subscriber_count(&self) -> usize {
        self.subs.len()
    }

    fn horizon(&self) -> SimTime {
        self.scenario.until_ms.saturating_add(DRAIN_LIMIT_MS)
    }

    /// Runs exactly one engine event that does something (stale timers are skipped). False when finished.
    pub fn step(&mut self) -> bool {
        self.run_events(SimTime::MAX, 1) == 1
    }

    /// Runs up to `max_events` events that do something, each due at or before `limit` (stale timers on
    /// the way are dropped), and returns how many ran: fewer when the run finished (drained, or the
    /// horizon passed) or nothing more is due by `limit`.
    ///
    /// The whole loop is one out-of-line function that callers re-enter every `EVENTS_PER_CALL` events:
    /// V8 cannot swap optimised code into a wasm function that is already running, so a loop that ran a
    /// whole run in one call (or a call per event from such a loop) kept unoptimised code for the whole
    /// of a first run.
    #[inline(never)]
    fn run_events(&mut self, limit: SimTime, max_events: u64) -> u64 {
        let mut ran = 0;
        while ran < max_events && !self.finished {
            let (at, ev) = match self.scheduler.pop_due(limit.min(self.horizon())) {
                Ok(next) => next,
                Err(None) => {
                    self.drained = true;
                    self.finish();
                    break;
                }
                Err(Some(due)) => {
                    if due > self.horizon() {
                        self.finish();
                    }
                    break;
                }
            };
            self.sample_until(at);
            self.now = at;
            if self.handle(ev) {
                self.events_processed += 1;
                self.last_event_at = at;
                ran += 1;
            }
        }
        ran
    }

    /// Runs every event due at or before `until`; returns how many ran. Time then reads `until`.
    pub fn run_until(&mut self, until: SimTime) -> u64 {
        self.run_until_bounded(until, u64::MAX)
    }

    /// Like `run_until`, but stops after `max_events` (time then stays at the last event run), so one
    /// animation frame never stalls the page.
    pub fn run_until_bounded(&mut self, until: SimTime, max_events: u64) -> u64 {
        let mut ran = 0;
        while ran < max_events {
            let want = (max_events - ran).min(EVENTS_PER_CALL);
            let n = self.run_events(until, want);
            ran += n;
            if n < want {
                break;
            }
        }
        if ran < max_events && !self.finished {
            self.sample_until(until);
            self.now = self.now.max(until.min(self.horizon()));
        }
        ran
    }

    /// Runs through the fault phase and the healing phase to the end.
    ///
    /// Out of line, so the loop lives in a small function of its own: inlined into its caller (the
    /// benchmark's `run`, with `Engine::new` and the report), it made an 18 KB wasm function that V8's
    /// optimising compiler spent ~35 ms on in the background, during the run that function could not
    /// benefit from (a running wasm function keeps its code), while the hot handlers queued behind it.
    #[inline(never)]
    pub fn run_to_end(&mut self) {
        while !self.finished {
            self.run_events(SimTime::MAX, EVENTS_PER_CALL);
        }
    }

    /// Injects a fault now; returns the scripted fault to record in the scenario (so it can be replayed).
    pub fn apply(&mut self, command: Command) -> ScriptedFault {
        let index = self.scenario.faults.scripted.len() as u32;
        let fault = ScriptedFault { at_ms: self.now, action: command };
        self.scenario.faults.scripted.push(fault.clone());
        self.scheduler.schedule(self.now, Ev::Scripted { index });
        fault
    }

    fn faulty(&self) -> bool {
        self.now < self.scenario.until_ms
    }

    /// Runs on every event: the test stays inline, the sampling (every `sample_every_ms`) does not.
    #[inline(always)]
    fn sample_until(&mut self, t: SimTime) {
        if self.next_sample_at <= t {
            self.take_samples_until(t);
        }
    }

    #[cold]
    #[inline(never)]
    fn take_samples_until(&mut self, t: SimTime) {
        while self.next_sample_at <= t {
            let at_ms = self.next_sample_at;
            let group_lag = (0..self.groups.len()).map(|g| self.group_lag(g as u16)).collect();
            let queue_depth = self.queues.iter().map(|q| q.store.depth()).collect();
            self.samples.push(Sample { at_ms, group_lag, queue_depth });
            self.next_sample_at += self.sample_every_ms;
            if self.samples.len() > 4_000 {
                // Long runs: halve the resolution instead of growing without bound.
                let kept: Vec<Sample> = self.samples.iter().step_by(2).cloned().collect();
                self.samples = kept;
                self.sample_every_ms *= 2;
            }
        }
    }

    fn trace(&mut self, what: What, message: Option<u32>, attempt: u32, cause: Option<u64>) -> u64 {
        self.trace.push(self.now, what, message, attempt, cause)
    }

    /// Dispatches to one function per kind of event, each kept out of line (`#[inline(never)]`), as are the
    /// rare paths (crashes, rebalances, explanations). Inlined, this was one 20,000-instruction function:
    /// V8 optimises a wasm function only once it is hot, in the background, and a function that size ran
    /// unoptimised for the first ~100 ms of a run. Small functions get optimised sooner, natively too.
    fn handle(&mut self, ev: Ev) -> bool {
        match ev {
            Ev::Produce { producer } => self.on_produce(producer),
            Ev::Publish { producer, message, attempt, session } => {
                // Sent one network latency ago (a constant of the scenario), so the event needs no time.
                let sent_at = self.now.saturating_sub(self.scenario.network_latency_ms);
                self.on_publish(producer, message, attempt, session, sent_at)
            }
            Ev::AckTimeout { producer, message, attempt, session } => {
                self.on_ack_timeout(producer, message, attempt, session)
            }
            Ev::Poll { consumer, epoch, slot } => {
                if !self.current(consumer, epoch) {
                    return false;
                }
                match self.consumers[consumer as usize].role {
                    Role::Member { group } => self.member_poll(consumer, group),
                    Role::Worker { queue } => self.worker_receive(consumer, slot, queue),
                }
            }
            Ev::Step { consumer, epoch, slot, step } => {
                if !self.current(consumer, epoch) {
                    return false;
                }
                self.on_step(consumer, slot, step)
            }
            Ev::Visibility { queue, entry, receipt } => self.on_visibility(queue, entry, receipt),
            Ev::SessionTimeout { consumer, epoch } => self.on_session_timeout(consumer, epoch),
            Ev::PollTimeout { consumer, epoch, poll_seq } => self.on_poll_timeout(consumer, epoch, poll_seq),
            Ev::Restart { consumer, epoch } => self.on_restart(consumer, epoch),
            Ev::GroupJoin { group } => {
                let g = &mut self.groups[group as usize];
                g.joined = true;
                for &m in &g.members.clone() {
                    let c = &mut self.consumers[m as usize];
                    c.in_group = c.alive;
                }
                self.trigger_rebalance(group, None);
                true
            }
            Ev::Scripted { index } => self.on_scripted(index),
        }
    }

    fn current(&self, consumer: u16, epoch: u32) -> bool {
        let c = &self.consumers[consumer as usize];
        c.alive && c.epoch == epoch
    }

    // ───────────────────────────── producers ─────────────────────────────

    #[inline(never)]
    fn on_produce(&mut self, p: u16) -> bool {
        let pi = p as usize;
        if self.now >= self.scenario.until_ms || self.producers[pi].produced >= self.producers[pi].spec.count {
            return false;
        }
        let faulty = self.faulty();
        let (poison_chance, producer_crash_chance) = (self.scenario.faults.poison, self.scenario.faults.producer_crash);
        let prod = &mut self.producers[pi];
        prod.produced += 1;
        let key = match prod.spec.key_choice {
            KeyChoice::Random => prod.work_rng.range_inclusive(1, prod.spec.keys as u64) as u32,
            KeyChoice::Sequential => (prod.produced - 1) % prod.spec.keys + 1,
        };
        // The version this change makes; the database keeps it unless a publish-first write crashes below.
        let version = prod.db_version[key as usize] + 1;
        prod.db_version[key as usize] = version;
        let poison = faulty && prod.fault_rng.chance(poison_chance);
        let mode = prod.spec.publish_mode;
        let crash_between = faulty && mode != PublishMode::Outbox && prod.fault_rng.chance(producer_crash_chance);
        let invented = crash_between && mode == PublishMode::DualWritePublishFirst;
        if invented {
            prod.db_version[key as usize] = version - 1;
        }
        let next_gap = match prod.spec.rate {
            Rate::Fixed { interval_ms } => interval_ms,
            Rate::Poisson { mean_interval_ms } => prod.work_rng.exponential_ms(mean_interval_ms),
        };
        let more = prod.produced < prod.spec.count;
        let target = prod.target;
        let id = self.messages.len() as u32;
        let seq = self.trace(What::Produced { producer: p, key, version }, Some(id), 0, None);
        self.messages.push(Message {
            producer: p,
            key,
            version,
            produced_at_ms: u32::try_from(self.now).unwrap_or(u32::MAX),
            send_seq: Seq32::of(seq),
            appends: 0,
            first_append_offset: 0,
            first_append_partition: 0,
            flags: Flags::of(
                (if poison { Message::POISON } else { 0 }) | (if invented { Message::INVENTED } else { 0 }),
            ),
        });
        self.counters.produced += 1;
        // Who owes this message an effect.
        for si in 0..self.subs.len() {
            let owed = match (self.subs[si].source, target) {
                (SubSource::Queue(q), Target::Queue(t)) => q == t,
                (SubSource::Queue(q), Target::Exchange(x)) => {
                    self.exchanges[x as usize].queues.contains(&q)
                        && self.now >= self.queues[q as usize].spec.subscribe_at_ms
                }
                (SubSource::Group(g), Target::Topic(t)) => {
                    let g = &self.groups[g as usize];
                    g.topic == t && (g.spec.offset_reset == OffsetReset::Earliest || g.joined)
                }
                _ => false,
            };
            let ob = self.subs[si].obligations.grow_to(id, Obligation::default());
            if let Some(ob) = ob.filter(|_| owed) {
                ob.fate = Fate::Pending;
                self.counters.obligations += 1;
            }
        }
        if !self.producers[pi].in_sequence.is_empty() && (invented || !crash_between) {
            let n = self.producers[pi].in_sequence.len() as u32;
            self.producers[pi].in_sequence[partition_for_key(key, n) as usize].push_back(id);
        }
        if invented {
            // Published first: the event is on its way; the crash stops the database write after it.
            self.send(p, id, 1, 0, self.now);
            self.counters.invented_events += 1;
            self.trace(What::NeverWritten { producer: p }, Some(id), 0, Some(seq));
        } else if crash_between {
            self.trace(What::NeverPublished { producer: p }, Some(id), 0, Some(seq));
            self.hint_all(id, LossReason::NeverPublished);
        } else {
            self.send(p, id, 1, 0, self.now);
        }
        if more {
            self.scheduler.schedule(self.now + next_gap, Ev::Produce { producer: p });
        }
        if id >= self.next_fold_at {
            self.fold_history();
        }
        true
    }

    /// Whether message `m` was produced and its rows have since been folded (see `fold_history`).
    pub fn is_folded(&self, m: u32) -> bool {
        m > 0 && (m as usize) < self.messages.len() && self.messages.get(m).is_none()
    }

    /// Rows of the per-message tables (messages, deliveries, obligations, queue entries): (kept now, ever
    /// made). Folding (`fold_history`) makes the first follow what is live rather than the run's length.
    pub fn table_rows(&self) -> (u64, u64) {
        let mut kept = (self.messages.rows_kept() + self.deliveries.rows_kept()) as u64;
        let mut ever = (self.messages.len() + self.deliveries.len()) as u64;
        for sub in &self.subs {
            kept += sub.obligations.rows_kept() as u64;
            ever += sub.obligations.len() as u64;
        }
        for queue in &self.queues {
            kept += queue.store.entries.rows_kept() as u64;
            ever += queue.store.entries.len() as u64;
        }
        (kept, ever)
    }

    /// Keeps the latest `messages` messages' rows even when nothing needs them any more (the default is
    /// `DEFAULT_HISTORY_MESSAGES`); tests fold after every few messages to show folding changes no run.
    pub fn set_history_messages(&mut self, messages: u32) {
        self.history_messages = messages;
        self.next_fold_at = self.next_fold_at.min((self.messages.len() as u32).saturating_add(messages.max(1)));
    }

    /// Drops the rows of old messages nothing can reach any more, so a long run's memory follows what is
    /// still live instead of how long it ran. A message's rows (the message, and per subscriber its
    /// obligation, its store row — idempotency entry, FIFO de-duplication window — and its loss reason;
    /// its deliveries and queue entries) go together, and only when all of these hold:
    /// - it is older than the latest `history_messages` ones;
    /// - no topic still retains a record of it and no consumer holds one in a fetched batch (a replay or
    ///   a late group would read it again: a log with unlimited retention folds nothing, by design);
    /// - the trace still kept mentions no message as old (the UI's journeys read those rows);
    /// - no event still scheduled names it (a producer's send or retry), no queue holds a copy visible or
    ///   in flight, no consumer is handling it, no subscriber still owes it (a loss is explained when
    ///   the run ends), and no anomaly kept for the UI points at it; such rows are kept aside until
    ///   they are free.
    ///
    /// Dropped rows are the ones no later event reads: every counter stays exact and every run is the
    /// same with or without folding (tests fold after every few messages and compare the whole report).
    #[cold]
    #[inline(never)]
    fn fold_history(&mut self) {
        let newest = self.messages.len() as u32;
        self.next_fold_at = newest.saturating_add(self.history_messages.max(1));
        let mut base = newest.saturating_sub(self.history_messages);
        for topic in &mut self.topics {
            for part in &mut topic.partitions {
                base = base.min(part.min_message());
            }
        }
        for consumer in &self.consumers {
            for (_, record) in &consumer.batch {
                base = base.min(record.message);
            }
        }
        for ev in &self.trace.events {
            base = base.min(ev.message.unwrap_or(u32::MAX));
        }
        if base <= self.messages.base() {
            return;
        }
        // The messages below the base still in use (and id 0, the placeholder, always: see `keep`). The
        // set spans the ids noted, so it stays small unless an old message is still owed.
        let mut in_use = vec![];
        let mut note = |m: u32| {
            if m != 0 && m < base {
                in_use.push(m);
            }
        };
        self.scheduler.for_each_pending(|ev| {
            if let Ev::Publish { message, .. } | Ev::AckTimeout { message, .. } = *ev {
                note(message);
            }
        });
        for queue in &self.queues {
            for (_, entry) in queue.store.entries.iter() {
                if matches!(entry.state, EntryState::Visible | EntryState::InFlight) {
                    note(entry.message);
                }
            }
        }
        for consumer in &self.consumers {
            for active in consumer.slots.iter().flatten() {
                note(active.message);
            }
        }
        for sub in &self.subs {
            // Only the rows about to fold: an owed message at or above the base stays anyway.
            for (m, ob) in sub.obligations.iter().take_while(|&(m, _)| m < base) {
                if ob.fate == Fate::Pending {
                    note(m);
                }
            }
        }
        // An anomaly, or a loss reason, may point at a delivery of another message (the one whose crash or
        // claim skipped a range of records): that message stays too.
        let mut pointed_at = vec![];
        for anomaly in &self.anomalies {
            note(anomaly.message_id);
            pointed_at.extend_from_slice(&anomaly.deliveries);
        }
        for sub in &self.subs {
            for (_, reason) in sub.loss_reasons.iter() {
                if let LossReason::CommittedBeforeProcessing { delivery }
                | LossReason::SkippedByClaim { delivery }
                | LossReason::SkippedByRecord { delivery } = *reason
                {
                    pointed_at.push(delivery);
                }
            }
        }
        for d in pointed_at {
            note(self.deliveries.get(d).map_or(0, |d| d.message));
        }
        let in_use = IdSet::of(&in_use);
        let keep = |m: u32| m == 0 || m >= base || in_use.contains(m);
        self.messages.fold_below(base, |m, _| keep(m));
        for sub in &mut self.subs {
            sub.obligations.fold_below(base, |m, _| keep(m));
            sub.store.fold_below(base, |m, _| keep(m));
            sub.loss_reasons.fold_below(base, |m, _| keep(m));
        }
        // Deliveries and entries are numbered in their own order: fold up to the first one of a message kept.
        let delivery_base = self.deliveries.first_recent_id(|d| d.message >= base);
        self.deliveries.fold_below(delivery_base, |_, row| keep(row.message));
        for queue in &mut self.queues {
            let entries = &mut queue.store.entries;
            entries.fold_below(entries.first_recent_id(|e| e.message >= base), |_, row| keep(row.message));
        }
    }

    fn hint_all(&mut self, message: u32, reason: LossReason) {
        for sub in &mut self.subs {
            sub.note_loss(message, reason);
        }
    }

    /// Where message `m`'s first append landed: (partition, offset) in a topic, (entry, entry) in a queue.
    pub fn first_append(&self, m: u32) -> Option<(u32, u64)> {
        let msg = self.messages.get(m).filter(|msg| m > 0 && msg.appends > 0)?;
        let offset = msg.first_append_offset;
        match self.producers[msg.producer as usize].target {
            Target::Topic(_) => Some((msg.first_append_partition as u32, offset)),
            Target::Queue(_) | Target::Exchange(_) => Some((offset as u32, offset)),
        }
    }

    /// What message `m` weighs on the wire: its producer's payload (a notification carries ids only).
    fn message_bytes(&self, m: u32) -> u64 {
        match self.producers[self.messages[m].producer as usize].spec.payload {
            Payload::Notification => NOTIFICATION_BYTES,
            Payload::StateCarried { bytes } => bytes as u64,
        }
    }

    fn send(&mut self, p: u16, message: u32, attempt: u32, session: u32, at: SimTime) {
        self.counters.bytes_on_wire += self.message_bytes(message);
        let due = at + self.scenario.network_latency_ms;
        self.scheduler.schedule(due, Ev::Publish { producer: p, message, attempt, session });
    }

    /// Whether `m` is the next message an idempotent producer's partition expects (always true for any
    /// other producer).
    fn next_in_sequence(&self, p: u16, m: u32) -> bool {
        let prod = &self.producers[p as usize];
        if prod.in_sequence.is_empty() {
            return true;
        }
        let partition = partition_for_key(self.messages[m].key, prod.in_sequence.len() as u32);
        prod.in_sequence[partition as usize].front().is_none_or(|&first| first == m)
    }

    /// `m` left its partition's sequence: appended, or given up.
    fn sequence_done(&mut self, p: u16, m: u32) {
        let key = self.messages[m].key;
        let prod = &mut self.producers[p as usize];
        if prod.in_sequence.is_empty() {
            return;
        }
        let partition = partition_for_key(key, prod.in_sequence.len() as u32) as usize;
        let queue = &mut prod.in_sequence[partition];
        if let Some(at) = queue.iter().position(|&x| x == m) {
            queue.remove(at);
        }
    }

    /// The broker refuses a send that overtook an earlier one of the same idempotent producer and
    /// partition; the producer learns at once and sends it again after its backoff (not counted against
    /// `retries`: Kafka's are unbounded by default, and this one waits for the missing message).
    #[cold]
    #[inline(never)]
    fn out_of_sequence(&mut self, p: u16, m: u32, attempt: u32, sent_by: Option<u64>) -> bool {
        let seq = self.trace(What::OutOfSequence { producer: p }, Some(m), attempt, sent_by);
        self.messages[m].send_seq = Seq32::of(seq);
        self.counters.producer_retries += 1;
        let backoff = self.producers[p as usize].spec.retry_backoff_ms;
        let at = self.now + self.scenario.network_latency_ms + backoff;
        self.send(p, m, attempt, 0, at);
        true
    }

    /// The request never reaches the broker (noted when it would have arrived). A producer waiting for
    /// acks times out and retries; one that does not (`acks = 0`) never learns, and the message is lost
    /// unless something else sends it.
    #[cold]
    #[inline(never)]
    fn send_lost(&mut self, p: u16, m: u32, attempt: u32, session: u32, at: SimTime) {
        let seq = self.trace(What::SendLost { producer: p }, Some(m), attempt, self.messages[m].send_seq.get());
        self.messages[m].send_seq = Seq32::of(seq);
        let spec = &self.producers[p as usize].spec;
        if spec.acks == Acks::Zero {
            if !self.messages[m].published() {
                self.hint_all(m, LossReason::SendLost);
            }
        } else if session == 0 {
            // Not the ack-timeout lane: a retry sent after its backoff would break the lane's time order.
            let due = (at + spec.request_timeout_ms).max(self.now);
            self.scheduler.schedule(due, Ev::AckTimeout { producer: p, message: m, attempt, session });
        }
    }

    #[inline(never)]
    fn on_publish(&mut self, p: u16, m: u32, attempt: u32, session: u32, sent_at: SimTime) -> bool {
        let pi = p as usize;
        let lost_send = self.scenario.faults.lost_send;
        if lost_send > 0.0 && self.faulty() && self.producers[pi].fault_rng.chance(lost_send) {
            self.send_lost(p, m, attempt, session, sent_at);
            return true;
        }
        let idempotent = self.producers[pi].spec.idempotent;
        let cause = if session > 0 {
            AppendCause::RelayRepublish
        } else if attempt > 1 {
            AppendCause::ProducerRetry { attempt }
        } else {
            AppendCause::Original
        };
        let already = self.messages[m].appends > 0;
        let sent_by = self.messages[m].send_seq.get();
        // What the broker did with this send: the cause of its lost ack, its retry or its relay's republish.
        let outcome = match self.producers[pi].target {
            Target::Topic(t) => {
                // The idempotent producer's (producer id, sequence) check; a republishing relay is a new producer id.
                if idempotent && already && session == 0 {
                    // (Already in the log, e.g. through a relay's republish: it no longer holds the sequence.)
                    self.sequence_done(p, m);
                    self.trace(What::AppendDeduplicated { producer: p }, Some(m), attempt, sent_by)
                } else if session == 0 && !self.next_in_sequence(p, m) {
                    return self.out_of_sequence(p, m, attempt, sent_by);
                } else {
                    let appended = self.append_to_topic(t, m, cause, sent_by);
                    if session == 0 {
                        self.sequence_done(p, m);
                    }
                    appended
                }
            }
            Target::Queue(q) => {
                let (entry, seq) = self.enqueue_unless_duplicate(p, q, m, attempt, cause, sent_by);
                if let Some(entry) = entry {
                    self.note_append(m, (entry, entry as u64), cause);
                }
                seq
            }
            Target::Exchange(x) => {
                // The exchange accepts the publish once (one append, one ack) and copies it into each queue;
                // each FIFO queue applies its own de-duplication window to its copy.
                let now = self.now;
                let queues = &self.queues;
                let bound: Vec<u16> = self.exchanges[x as usize]
                    .queues
                    .iter()
                    .copied()
                    .filter(|&q| now >= queues[q as usize].spec.subscribe_at_ms)
                    .collect();
                let routed =
                    self.trace(What::Routed { exchange: x, queues: bound.len() as u32 }, Some(m), attempt, sent_by);
                let mut first = None;
                for q in bound {
                    let (entry, _) = self.enqueue_unless_duplicate(p, q, m, attempt, cause, Some(routed));
                    first = first.or(entry);
                }
                if let Some(entry) = first {
                    self.note_append(m, (entry, entry as u64), cause);
                }
                routed
            }
        };
        self.messages[m].send_seq = Seq32::of(outcome);
        // The ack back to the producer; a fire-and-forget producer (acks = 0) waits for none.
        if self.producers[pi].spec.acks == Acks::Zero {
            self.messages[m].set(Message::ACKED);
        } else {
            self.answer_send(p, m, attempt, session, sent_at, outcome);
        }
        // The outbox relay may crash after publishing, before marking the row sent: it publishes again.
        self.maybe_relay_republish(p, m, attempt, session, outcome);
        true
    }

    /// The broker's ack on its way back to a producer that waits for it: lost (`faults.lost_ack`, a
    /// scripted window) or late, the producer's request timeout fires and it retries.
    fn answer_send(&mut self, p: u16, m: u32, attempt: u32, session: u32, sent_at: SimTime, outcome: u64) {
        let faulty = self.faulty();
        let lost_ack = self.scenario.faults.lost_ack;
        let prod = &mut self.producers[p as usize];
        // Scripted windows apply in either phase (they are explicit); random faults only in the fault phase.
        let drop = self.now < prod.drop_acks_until || (faulty && prod.fault_rng.chance(lost_ack));
        let latency = self.scenario.network_latency_ms;
        let timeout = prod.spec.request_timeout_ms;
        if drop {
            self.trace(What::AckLost { producer: p }, Some(m), attempt, Some(outcome));
        } else if self.now + latency < sent_at + timeout {
            self.messages[m].set(Message::ACKED);
        }
        // The producer's request timeout only matters when the ack did not arrive in time.
        if !self.messages[m].acked() && session == 0 {
            self.scheduler.schedule_in_lane(
                Lane::AckTimeout(p).index(),
                (sent_at + timeout).max(self.now),
                Ev::AckTimeout { producer: p, message: m, attempt, session },
            );
        }
    }

    fn maybe_relay_republish(&mut self, p: u16, m: u32, attempt: u32, session: u32, outcome: u64) {
        let pi = p as usize;
        if session == 0
            && attempt == 1
            && self.producers[pi].spec.publish_mode == PublishMode::Outbox
            && self.faulty()
            && !self.messages[m].relay_republished()
        {
            let relay_crash = self.scenario.faults.relay_crash;
            if self.producers[pi].fault_rng.chance(relay_crash) {
                self.messages[m].set(Message::RELAY_REPUBLISHED);
                let seq = self.trace(What::RelayRepublish { producer: p }, Some(m), attempt, Some(outcome));
                self.messages[m].send_seq = Seq32::of(seq);
                let at = self.now + self.scenario.faults.restart_after_ms;
                self.send(p, m, 1, 1, at);
            }
        }
    }

    fn note_append(&mut self, m: u32, place: (u32, u64), cause: AppendCause) {
        let msg = &mut self.messages[m];
        msg.set(Message::PUBLISHED);
        msg.appends += 1;
        self.counters.appended += 1;
        if msg.appends == 1 {
            // A queue entry's id is its offset; a topic's partition fits a byte (MAX_PARTITIONS).
            msg.first_append_offset = place.1;
            msg.first_append_partition = u8::try_from(place.0).unwrap_or(u8::MAX);
        } else {
            self.counters.duplicate_appends += 1;
            self.push_anomaly(AnomalyKind::DuplicateAppend, m, &[], |e| explain::duplicate_append(e, m, place, cause));
        }
    }

    /// Appends `m` to its partition of topic `t`; returns the `Appended` event's trace position.
    fn append_to_topic(&mut self, t: u16, m: u32, cause: AppendCause, sent_by: Option<u64>) -> u64 {
        let key = self.messages[m].key;
        let ti = t as usize;
        let partition = partition_for_key(key, self.topics[ti].spec.partitions);
        let offset = self.topics[ti].partitions[partition as usize].end_offset();
        let seq = self.trace(
            What::Appended { topic: t, partition, offset, retry: cause != AppendCause::Original },
            Some(m),
            0,
            sent_by,
        );
        self.topics[ti].partitions[partition as usize].push(Record {
            message: m,
            appended_at: self.now,
            cause,
            trace_seq: seq,
            txn: TxnMark::Plain,
        });
        self.note_append(m, (partition, offset), cause);
        self.owe_to_readers(t, m);
        self.behind_a_blocked_head(t, partition, m);
        self.enforce_retention(t, partition);
        self.wake_partition_owners(t, partition);
        seq
    }

    /// Long polling: the owner of this partition in each group wakes up (new or newly readable records).
    fn wake_partition_owners(&mut self, t: u16, partition: u32) {
        let ti = t as usize;
        // By index, not over a clone: this runs for every append.
        for k in 0..self.topics[ti].groups.len() {
            let gi = self.topics[ti].groups[k];
            if let Some(owner) = self.groups[gi as usize].assignment[partition as usize] {
                let c = &mut self.consumers[owner as usize];
                if c.parked && c.alive {
                    c.parked = false;
                    let epoch = c.epoch;
                    self.scheduler.schedule(
                        self.now + self.scenario.network_latency_ms,
                        Ev::Poll { consumer: owner, epoch, slot: 0 },
                    );
                }
            }
        }
    }

    /// Message `m` was just appended to topic `t`: every group that reads it from here on owes it (an
    /// earliest group, or a latest one that has joined), unless it already did.
    fn owe_to_readers(&mut self, t: u16, m: u32) {
        for &gi in &self.topics[t as usize].groups {
            let g = &self.groups[gi as usize];
            if g.spec.offset_reset == OffsetReset::Earliest || g.joined {
                let ob = &mut self.subs[g.sub as usize].obligations[m];
                if ob.fate == Fate::NotOwed {
                    ob.fate = Fate::Pending;
                    self.counters.obligations += 1;
                }
            }
        }
    }

    /// A record appended behind a poison record that blocks a group for good is never processed there:
    /// the same reason as the records already behind it (a resend can arrive after the block).
    #[inline(never)]
    fn behind_a_blocked_head(&mut self, t: u16, partition: u32, m: u32) {
        for i in 0..self.topics[t as usize].groups.len() {
            let g = &self.groups[self.topics[t as usize].groups[i] as usize];
            if g.blocked[partition as usize] {
                let reason = LossReason::BlockedByPoison { partition, offset: g.position[partition as usize] };
                self.subs[g.sub as usize].note_loss(m, reason);
            }
        }
    }

    fn enforce_retention(&mut self, t: u16, partition: u32) {
        let ti = t as usize;
        let (max_records, max_age) = (self.topics[ti].spec.retention_records, self.topics[ti].spec.retention_ms);
        if max_records.is_none() && max_age.is_none() {
            return;
        }
        let removed = self.topics[ti].partitions[partition as usize].apply_retention(self.now, max_records, max_age);
        let Some(&(upto, last)) = removed.last() else { return };
        self.trace(What::RetentionDeleted { topic: t, partition, upto_offset: upto }, Some(last.message), 0, None);
        for gi in self.topics[ti].groups.clone() {
            let g = &self.groups[gi as usize];
            // Anything not yet committed may still have been unread (or fetched and not yet processed);
            // a hint only matters if the record is never effected.
            let read_from = g.committed[partition as usize].unwrap_or(0);
            let sub = g.sub as usize;
            for (offset, record) in &removed {
                if *offset >= read_from {
                    let reason = LossReason::DeletedByRetention { partition, offset: *offset };
                    self.subs[sub].note_loss(record.message, reason);
                }
            }
        }
    }

    /// Stores a copy in queue `q` unless it is a FIFO queue that saw this message within its de-duplication
    /// window. Returns the new entry, and the trace position of what happened (`Enqueued` or
    /// `AppendDeduplicated`).
    fn enqueue_unless_duplicate(
        &mut self,
        p: u16,
        q: u16,
        m: u32,
        attempt: u32,
        cause: AppendCause,
        sent_by: Option<u64>,
    ) -> (Option<u32>, u64) {
        if self.queues[q as usize].spec.kind == QueueKind::Fifo && self.fifo_saw_recently(q, m) {
            (None, self.trace(What::AppendDeduplicated { producer: p }, Some(m), attempt, sent_by))
        } else {
            let (entry, seq) = self.enqueue(q, m, cause, sent_by);
            (Some(entry), seq)
        }
    }

    /// A FIFO queue's de-duplication: message `m` was enqueued within the window (SQS's 5 minutes).
    #[cold]
    #[inline(never)]
    fn fifo_saw_recently(&self, q: u16, m: u32) -> bool {
        let queue = &self.queues[q as usize];
        let row = self.subs[queue.sub as usize].store.get(m).map_or(0, |row| row.fifo_window_from);
        let seen = row.checked_sub(1).map(SimTime::from);
        seen.is_some_and(|t| self.now.saturating_sub(t) < queue.spec.dedup_window_ms)
    }

    /// Stores a copy of `m` in queue `q` and wakes a waiting worker; the caller notes the append. Returns
    /// the entry and the `Enqueued` event's trace position.
    fn enqueue(&mut self, q: u16, m: u32, cause: AppendCause, sent_by: Option<u64>) -> (u32, u64) {
        let qi = q as usize;
        let entry = self.queues[qi].store.entries.len() as u32;
        let fifo = self.queues[qi].spec.kind == QueueKind::Fifo;
        let what = What::Enqueued { queue: q, entry, retry: cause != AppendCause::Original };
        let seq = self.trace(what, Some(m), 0, sent_by);
        let store = &mut self.queues[qi].store;
        let enqueued = Seq32::of(seq);
        store.entries.push(Entry {
            message: m,
            state: EntryState::Visible,
            receive_count: 0,
            cause,
            last_delivery: 0,
            enqueued,
        });
        store.visible.push_back(entry);
        if fifo {
            // Not seen within the window (or it would not be enqueued): a new window starts, as in SQS.
            let sub = self.queues[qi].sub as usize;
            if let Some(row) = self.subs[sub].store.grow_to(m, StoreEntry::default()) {
                row.fifo_window_from = self.now as u32 + 1;
            }
        }
        self.wake_worker(q);
        (entry, seq)
    }

    #[inline(never)]
    fn on_ack_timeout(&mut self, p: u16, m: u32, attempt: u32, session: u32) -> bool {
        if self.messages[m].acked() {
            return false;
        }
        let (retries, retry_backoff_ms) =
            (self.producers[p as usize].spec.retries, self.producers[p as usize].spec.retry_backoff_ms);
        if attempt <= retries {
            self.counters.producer_retries += 1;
            let unacked = self.messages[m].send_seq.get();
            let seq = self.trace(What::ProducerRetry { producer: p }, Some(m), attempt + 1, unacked);
            self.messages[m].send_seq = Seq32::of(seq);
            self.send(p, m, attempt + 1, session, self.now + retry_backoff_ms);
        } else {
            self.trace(What::SendGaveUp { producer: p }, Some(m), attempt, self.messages[m].send_seq.get());
            // Kafka resets the producer's sequence after a failed batch: the next messages go on.
            self.sequence_done(p, m);
            if !self.messages[m].published() {
                self.hint_all(m, LossReason::ProducerGaveUp);
            }
        }
        true
    }

    // ───────────────────────────── topic consumers ─────────────────────────────

    /// `cause`: the trace position of what changed the membership (a crash detected, a restart, a reset).
    #[inline(never)]
    fn trigger_rebalance(&mut self, g: u16, cause: Option<u64>) {
        let group = &mut self.groups[g as usize];
        if !group.joined {
            return;
        }
        group.generation += 1;
        group.rebalancing = true;
        self.counters.rebalances += 1;
        let seq = self.trace(What::RebalanceStarted { group: g }, None, 0, cause);
        self.groups[g as usize].rebalance_seq = Some(seq);
        self.try_complete_rebalance(g);
    }

    /// Eager (stop-the-world) rebalance: it completes once every live member has finished its batch.
    #[inline(never)]
    fn try_complete_rebalance(&mut self, g: u16) {
        let gi = g as usize;
        if !self.groups[gi].rebalancing {
            return;
        }
        let members = self.groups[gi].members.clone();
        if members.iter().any(|&m| {
            let c = &self.consumers[m as usize];
            c.alive && c.in_group && c.busy()
        }) {
            return;
        }
        let auto = matches!(self.groups[gi].spec.commit, CommitPolicy::Auto { .. });
        let t = self.groups[gi].topic as usize;
        let partitions = self.topics[t].partitions.len();
        // On revocation, auto-commit commits what the live owners have processed.
        if auto {
            for p in 0..partitions {
                if let Some(owner) = self.groups[gi].assignment[p] {
                    let c = &self.consumers[owner as usize];
                    if c.alive && c.in_group {
                        let offset = self.groups[gi].position[p];
                        self.commit(owner, g, p as u32, offset, None);
                    }
                }
            }
        }
        let live: Vec<u16> = members
            .iter()
            .copied()
            .filter(|&m| {
                let c = &self.consumers[m as usize];
                c.alive && c.in_group
            })
            .collect();
        let owners = broker::range_assign(partitions, live.len());
        for (p, member) in owners.into_iter().enumerate() {
            let owner = member.map(|i| live[i]);
            let previous_position = self.groups[gi].assignment[p].map(|_| self.groups[gi].position[p]);
            self.groups[gi].assignment[p] = owner;
            let part = &self.topics[t].partitions[p];
            let (start, end) = (part.start_offset, part.end_offset());
            let pos = match self.groups[gi].committed[p] {
                Some(c) if c >= start && c <= end => c,
                other => {
                    let reset = match self.groups[gi].spec.offset_reset {
                        OffsetReset::Earliest => start,
                        OffsetReset::Latest => end,
                    };
                    if let Some(from) = other {
                        let what =
                            What::OffsetReset { group: g, partition: p as u32, from, to: reset, scripted: false };
                        self.trace(what, None, 0, self.groups[gi].rebalance_seq);
                    }
                    // Latest skips whatever exists, owed or not (only owed, pending records are hinted).
                    self.hint_range(g, p as u32, start, reset, LossReason::SkippedByReset);
                    reset
                }
            };
            // Records the old owner had not finished, below an offset already committed (commit before
            // processing, then a failure or a crash), are skipped by everyone from now on.
            if let (Some(old), Some(_)) = (previous_position, self.groups[gi].committed[p]) {
                if pos > old {
                    self.hint_range(g, p as u32, old, pos, LossReason::CommittedBeforeProcessing { delivery: 0 });
                }
            }
            self.groups[gi].position[p] = pos;
        }
        for &m in &live {
            self.consumers[m as usize].parked = false;
        }
        let group = &mut self.groups[gi];
        group.rebalancing = false;
        let generation = group.generation;
        self.trace(What::RebalanceDone { group: g, generation }, None, 0, self.groups[g as usize].rebalance_seq);
        for m in live {
            let epoch = self.consumers[m as usize].epoch;
            self.scheduler
                .schedule(self.now + self.scenario.network_latency_ms, Ev::Poll { consumer: m, epoch, slot: 0 });
        }
    }

    fn hint_range(&mut self, g: u16, partition: u32, from: u64, to: u64, reason: LossReason) {
        let gi = g as usize;
        let t = self.groups[gi].topic as usize;
        let sub = self.groups[gi].sub as usize;
        for offset in from..to {
            if let Some(r) = self.topics[t].partitions[partition as usize].get(offset) {
                self.subs[sub].note_loss(r.message, reason);
            }
        }
    }

    /// Commits `offset` for `partition`; `cause` is the trace position of what led to it (a processed
    /// delivery, a skipped poison record), `None` for a timer's or a batch's commit.
    fn commit(&mut self, c: u16, g: u16, partition: u32, offset: u64, cause: Option<u64>) {
        let gi = g as usize;
        let owner_ok = self.groups[gi].assignment[partition as usize] == Some(c) && self.consumers[c as usize].in_group;
        if owner_ok {
            let committed = &mut self.groups[gi].committed[partition as usize];
            if *committed != Some(offset) {
                *committed = Some(offset);
                self.trace(What::Committed { consumer: c, partition, offset }, None, 0, cause);
            }
        } else {
            self.trace(What::CommitRejected { consumer: c, partition, offset }, None, 0, cause);
        }
    }

    #[inline(never)]
    fn member_poll(&mut self, c: u16, g: u16) -> bool {
        let gi = g as usize;
        let ci = c as usize;
        if !self.groups[gi].joined || self.consumers[ci].slots[0].is_some() {
            return false;
        }
        if self.consumers[ci].removed_slow {
            // A member removed for being slow rejoins at its next poll.
            let cons = &mut self.consumers[ci];
            cons.removed_slow = false;
            cons.in_group = true;
            cons.batch.clear();
            self.trigger_rebalance(g, None);
            return true;
        }
        if !self.consumers[ci].in_group {
            return false;
        }
        if self.consumers[ci].stopping {
            return self.leave_group(c, g);
        }
        if self.groups[gi].rebalancing {
            self.consumers[ci].batch.clear();
            self.try_complete_rebalance(g);
            return true;
        }
        // Auto-commit runs inside poll: it commits what the previous polls returned (all processed by now).
        if let CommitPolicy::Auto { interval_ms } = self.groups[gi].spec.commit {
            for p in 0..self.groups[gi].assignment.len() {
                if self.groups[gi].assignment[p] == Some(c)
                    && self.now.saturating_sub(self.groups[gi].last_auto_commit[p]) >= interval_ms
                {
                    self.groups[gi].last_auto_commit[p] = self.now;
                    let offset = self.groups[gi].position[p];
                    self.commit(c, g, p as u32, offset, None);
                }
            }
        }
        let t = self.groups[gi].topic;
        let partitions = self.groups[gi].assignment.len() as u32;
        let start_at = self.consumers[ci].next_partition;
        for k in 0..partitions {
            let p = (start_at + k) % partitions;
            let pu = p as usize;
            if self.groups[gi].assignment[pu] != Some(c) || self.groups[gi].blocked[pu] {
                continue;
            }
            let part = &self.topics[t as usize].partitions[pu];
            let (start, end) = (part.start_offset, part.end_offset());
            let mut pos = self.groups[gi].position[pu];
            if pos < start {
                let to = match self.groups[gi].spec.offset_reset {
                    OffsetReset::Earliest => start,
                    OffsetReset::Latest => end,
                };
                let what = What::OffsetReset { group: g, partition: p, from: pos, to, scripted: false };
                self.trace(what, None, 0, None);
                // auto.offset.reset = latest jumps over records that still exist.
                self.hint_range(g, p, start, to, LossReason::SkippedByReset);
                pos = to;
                self.groups[gi].position[pu] = pos;
            }
            let read_committed = self.groups[gi].spec.isolation == Isolation::ReadCommitted;
            // read_committed reads only up to the last stable offset: the first record of an open transaction.
            let end = if read_committed {
                let part = &self.topics[t as usize].partitions[pu];
                (pos..end).find(|&o| part.get(o).is_some_and(|r| r.txn == TxnMark::Open)).unwrap_or(end)
            } else {
                end
            };
            if pos >= end {
                continue;
            }
            let n = (end - pos).min(self.groups[gi].spec.batch_size as u64);
            let cons = &mut self.consumers[ci];
            let part = &self.topics[t as usize].partitions[pu];
            // Refilled in place: a fresh buffer per poll was an allocation per 50 records.
            cons.batch.clear();
            cons.batch.extend(
                (pos..pos + n)
                    .filter_map(|o| part.get(o).map(|r| (o, *r)))
                    .filter(|(_, r)| !(read_committed && r.txn == TxnMark::Aborted)),
            );
            cons.batch_partition = p;
            cons.next_partition = (p + 1) % partitions;
            cons.poll_seq += 1;
            let (epoch, poll_seq) = (cons.epoch, cons.poll_seq);
            self.groups[gi].position[pu] = pos + n;
            if self.groups[gi].spec.commit == CommitPolicy::BeforeProcessing {
                self.commit(c, g, p, pos + n, None);
            }
            self.warm_batch(c);
            let max_poll = self.groups[gi].spec.max_poll_interval_ms;
            self.scheduler.schedule_in_lane(
                Lane::PollTimeout(g).index(),
                self.now + max_poll,
                Ev::PollTimeout { consumer: c, epoch, poll_seq },
            );
            self.start_next_record(c, self.now + self.scenario.network_latency_ms);
            return true;
        }
        self.consumers[ci].parked = true;
        false
    }

    /// Reads, for every record of a fresh batch, the per-message and per-key rows its handler will touch.
    /// A group that lags reads messages produced long ago, whose rows have left the cache: touched one
    /// by one, each record's handler waited for two or three misses in a row; touched here together, the
    /// misses overlap. Changes nothing (the result is only kept from being optimised away).
    fn warm_batch(&self, c: u16) {
        let cons = &self.consumers[c as usize];
        let sub = &self.subs[cons.sub as usize];
        let mut touched = 0u64;
        // Two passes: the per-key rows are found through the message, so the first pass fetches messages.
        for (_, record) in &cons.batch {
            let m = record.message;
            touched ^= sub.obligations.get(m).map_or(0, |ob| ob.last_delivery as u64);
            touched ^= self.messages.get(m).map_or(0, |message| message.key as u64);
        }
        for (_, record) in &cons.batch {
            if let Some(message) = self.messages.get(record.message) {
                let key = message.key as usize;
                touched ^= sub.last_applied.get(key).map_or(0, |applied| applied.version as u64);
                touched ^= self.producers[message.producer as usize].db_version.get(key).map_or(0, |&v| v as u64);
            }
        }
        std::hint::black_box(touched);
    }

    /// Takes the next offset of the member's batch and schedules its delivery at `at`.
    fn start_next_record(&mut self, c: u16, at: SimTime) {
        let ci = c as usize;
        let Role::Member { group } = self.consumers[ci].role else { return };
        let gi = group as usize;
        let t = self.groups[gi].topic;
        let p = self.consumers[ci].batch_partition;
        if let Some((offset, record)) = self.consumers[ci].batch.pop_front() {
            let source = DeliverySource::Record { topic: t, partition: p, offset };
            self.begin_delivery(c, 0, record.message, source, at, record.trace_seq);
            return;
        }
        let epoch = self.consumers[ci].epoch;
        self.scheduler.schedule(at, Ev::Poll { consumer: c, epoch, slot: 0 });
    }

    // ───────────────────────────── queue consumers ─────────────────────────────

    fn wake_worker(&mut self, q: u16) {
        let qi = q as usize;
        while let Some((c, slot)) = self.queues[qi].store.waiting.pop_front() {
            let cons = &self.consumers[c as usize];
            if cons.alive && cons.slots[slot as usize].is_none() {
                let epoch = cons.epoch;
                self.scheduler
                    .schedule(self.now + self.scenario.network_latency_ms, Ev::Poll { consumer: c, epoch, slot });
                return;
            }
        }
    }

    #[inline(never)]
    fn worker_receive(&mut self, c: u16, slot: u16, q: u16) -> bool {
        let ci = c as usize;
        let qi = q as usize;
        if self.consumers[ci].slots[slot as usize].is_some() {
            return false;
        }
        if self.consumers[ci].stopping {
            return self.worker_stop_if_idle(c);
        }
        let fifo = self.queues[qi].spec.kind == QueueKind::Fifo;
        let max_receives = self.queues[qi].spec.max_receives;
        loop {
            let pick = if fifo {
                self.fifo_pick(q)
            } else if self.queues[qi].store.visible.is_empty() {
                None
            } else {
                Some(0)
            };
            let store = &mut self.queues[qi].store;
            let Some(index) = pick else {
                if !store.waiting.contains(&(c, slot)) {
                    store.waiting.push_back((c, slot));
                }
                return false;
            };
            let e = store.visible.remove(index).expect("index from position");
            let entry = &mut store.entries[e];
            entry.receive_count = entry.receive_count.saturating_add(1);
            let (m, count, previous) = (entry.message, u32::from(entry.receive_count), entry.last_delivery);
            // A first receive follows from the enqueue (or the duplicate copy); a receive again from the
            // entry's previous receive (its timeout or failure).
            let cause = match previous {
                0 => entry.enqueued.get(),
                _ => self.deliveries.get(previous).and_then(Delivery::trace_cause),
            };
            if count > max_receives {
                let store = &mut self.queues[qi].store;
                store.entries[e].state = EntryState::DeadLettered;
                store.dead_letter.push(e);
                let sub = self.queues[qi].sub;
                self.dead_letter(sub, m, count - 1, cause);
                continue;
            }
            // The receipt handle is the id of the delivery this receive begins: unique, and already kept
            // in the entry as its last delivery.
            let receipt = self.deliveries.len() as u32;
            let key = self.messages[m].key;
            let store = &mut self.queues[qi].store;
            store.entries[e].state = EntryState::InFlight;
            store.in_flight += 1;
            if fifo {
                store.hold_group(key);
            }
            let vt = self.queues[qi].spec.visibility_timeout_ms;
            self.scheduler.schedule_in_lane(
                Lane::Visibility(q).index(),
                self.now + vt,
                Ev::Visibility { queue: q, entry: e, receipt },
            );
            // A standard queue may deliver a message more than once.
            let duplicate = !fifo
                && self.faulty()
                && (std::mem::take(&mut self.queues[qi].store.duplicate_next) || {
                    let p = self.scenario.faults.duplicate_delivery;
                    self.queues[qi].rng.chance(p)
                });
            if duplicate {
                self.duplicate_delivery(q, e, m, cause);
            }
            let source = DeliverySource::Entry { queue: q, entry: e, receipt };
            let at = self.now + self.scenario.network_latency_ms;
            let d = self.begin_delivery(c, slot, m, source, at, cause.unwrap_or(Delivery::NO_TRACE_SEQ));
            debug_assert_eq!(d, receipt);
            self.queues[qi].store.entries[e].last_delivery = d;
            return true;
        }
    }

    /// FIFO: the first visible entry whose message group has nothing in flight (the group is blocked
    /// until then), as an index into `visible`.
    #[cold]
    #[inline(never)]
    fn fifo_pick(&self, q: u16) -> Option<usize> {
        let store = &self.queues[q as usize].store;
        let key = |e: u32| self.messages[store.entries[e].message].key;
        store.visible.iter().position(|&e| store.group_busy.get(&key(e)).copied().unwrap_or(0) == 0)
    }

    /// A standard queue delivers a second copy of entry `e` (at-least-once): visible at once.
    #[cold]
    #[inline(never)]
    /// `cause`: what the receive that copies it follows from (the entry's enqueue or previous receive).
    fn duplicate_delivery(&mut self, q: u16, e: u32, m: u32, cause: Option<u64>) {
        let copy = self.queues[q as usize].store.entries.len() as u32;
        let seq = self.trace(What::DuplicateDelivery { queue: q, entry: copy }, Some(m), 0, cause);
        let store = &mut self.queues[q as usize].store;
        let original = store.entries[e];
        store.entries.push(Entry {
            state: EntryState::Visible,
            receive_count: 0,
            cause: AppendCause::QueueCopy,
            last_delivery: 0,
            enqueued: Seq32::of(seq),
            ..original
        });
        store.visible.push_front(copy);
        self.wake_worker(q);
    }

    #[inline(never)]
    /// `cause`: the trace position of the last failed delivery's end (or of the skip that parks a record).
    fn dead_letter(&mut self, sub: u16, m: u32, receives: u32, cause: Option<u64>) {
        self.trace(What::DeadLettered { sub }, Some(m), receives, cause);
        let ob = &mut self.subs[sub as usize].obligations[m];
        if ob.fate == Fate::Pending {
            ob.fate = Fate::DeadLettered;
            self.counters.dead_lettered += 1;
            self.push_anomaly(AnomalyKind::DeadLettered, m, &[], |e| explain::dead_lettered(e, sub, m, receives));
        }
    }

    #[inline(never)]
    fn on_visibility(&mut self, q: u16, e: u32, receipt: u32) -> bool {
        let qi = q as usize;
        let store = &mut self.queues[qi].store;
        // A folded entry was deleted or dead-lettered long ago: its timer is as stale as any other.
        let Some(entry) = store.entries.get_mut(e).filter(|entry| entry.held_by(receipt)) else { return false };
        entry.state = EntryState::Visible;
        let (m, last) = (entry.message, Some(entry.last_delivery).filter(|&d| d != 0));
        store.in_flight -= 1;
        if !store.group_busy.is_empty() {
            store.release_group(self.messages[m].key);
        }
        store.visible.push_front(e);
        let cause = last.and_then(|d| self.deliveries[d].trace_cause());
        if let Some(d) = last {
            let del = &mut self.deliveries[d];
            if del.outcome == Outcome::Running {
                del.set(Delivery::VISIBILITY_EXPIRED);
            }
        }
        self.trace(What::VisibilityExpired { queue: q, entry: e }, Some(m), 0, cause);
        self.wake_worker(q);
        true
    }

    // ───────────────────────────── handler ─────────────────────────────

    fn begin_delivery(
        &mut self,
        c: u16,
        slot: u16,
        m: u32,
        source: DeliverySource,
        at: SimTime,
        cause_seq: u64,
    ) -> u32 {
        let ci = c as usize;
        let sub = self.consumers[ci].sub;
        if self.subs[sub as usize].obligations[m].fate == Fate::NotOwed {
            // A record from before the group joined, read anyway (a replay from earliest): owed from now on.
            self.subs[sub as usize].obligations[m].fate = Fate::Pending;
            self.counters.obligations += 1;
        }
        let ob = self.subs[sub as usize].obligations[m];
        let after_replay = match (self.consumers[ci].role, ob.last_delivery) {
            (Role::Member { group }, prev) if prev != 0 => {
                self.groups[group as usize].last_reset_at.is_some_and(|t| t >= self.deliveries[prev].at_ms)
            }
            _ => false,
        };
        let d = self.deliveries.len() as u32;
        let attempt = self.delivery(ob.last_delivery).map_or(0, |last| last.attempt) + 1;
        let mut delivery = Delivery::new(m, c, attempt, at, source);
        delivery.previous = ob.last_delivery;
        delivery.trace_seq = cause_seq;
        if after_replay {
            delivery.set(Delivery::AFTER_REPLAY);
        }
        self.deliveries.push(delivery);
        self.subs[sub as usize].obligations[m].last_delivery = d;
        self.consumers[ci].slots[slot as usize] = Some(Active {
            delivery: d,
            message: m,
            step: Step::Receive,
            crash_at: None,
            processing_ms: 0,
            version: self.messages[m].version,
            claim_taken: false,
            effect_applied: false,
            open_txn: None,
        });
        let epoch = self.consumers[ci].epoch;
        self.scheduler.schedule(at, Ev::Step { consumer: c, epoch, slot, step: Step::Receive });
        d
    }

    fn schedule_step(&mut self, c: u16, slot: u16, step: Step, at: SimTime) {
        let cons = &mut self.consumers[c as usize];
        if let Some(a) = cons.slots[slot as usize].as_mut() {
            a.step = step;
        }
        let epoch = cons.epoch;
        self.scheduler.schedule(at, Ev::Step { consumer: c, epoch, slot, step });
    }

    /// Records of partition `p` that group `g` has not committed yet (the log's end minus the committed
    /// offset, or minus the log's start before the group's first commit).
    pub fn partition_lag(&self, g: u16, p: usize) -> u64 {
        let Some(group) = self.groups.get(g as usize) else { return 0 };
        let Some(part) = self.topics[group.topic as usize].partitions.get(p) else { return 0 };
        let committed = group.committed.get(p).copied().flatten();
        part.end_offset().saturating_sub(committed.unwrap_or(part.start_offset))
    }

    /// A group's lag summed over its topic's partitions.
    pub fn group_lag(&self, g: u16) -> u64 {
        let Some(group) = self.groups.get(g as usize) else { return 0 };
        (0..self.topics[group.topic as usize].partitions.len()).map(|p| self.partition_lag(g, p)).sum()
    }

    /// The subscriber's handler has a separate idempotency check step (the UI's pseudo-code asks this,
    /// so it always shows the steps the engine runs).
    pub fn has_check(&self, sub: u16) -> bool {
        let s = &self.subs[sub as usize];
        match s.handler.strategy {
            Strategy::CheckThenAct | Strategy::ClaimFirst => true,
            Strategy::TransactionalInbox => !self.sink_is_database(s.sink),
            Strategy::None | Strategy::IdempotencyKey => false,
        }
    }

    /// The subscriber's handler has a separate idempotency record step after the effect.
    pub fn has_record(&self, sub: u16) -> bool {
        let s = &self.subs[sub as usize];
        match s.handler.strategy {
            Strategy::CheckThenAct => true,
            Strategy::TransactionalInbox => !self.sink_is_database(s.sink),
            _ => false,
        }
    }

    fn sink_is_database(&self, sink: u16) -> bool {
        self.sinks.get(sink as usize).is_some_and(|k| matches!(k.spec.kind, SinkKind::DbUpsert | SinkKind::DbCounter))
    }

    // ───────────────────────────── stages and transactions ─────────────────────────────

    /// The stage handling the delivery in `slot` writes its output record (same message id and key).
    fn stage_produce(&mut self, c: u16, slot: u16, t: u16) {
        let ci = c as usize;
        let Some(active) = self.consumers[ci].slots[slot as usize] else { return };
        let (m, d) = (active.message, active.delivery);
        let sub = self.consumers[ci].sub as usize;
        let transactional = self.subs[sub].transactional;
        let partition = partition_for_key(self.messages[m].key, self.topics[t as usize].spec.partitions);
        let part = &self.topics[t as usize].partitions[partition as usize];
        let offset = part.end_offset();
        let attempt = self.deliveries[d].attempt;
        let cause = self.deliveries[d].trace_cause();
        let what = What::StageProduced { consumer: c, topic: t, partition, offset, transactional };
        let seq = self.trace(what, Some(m), attempt, cause);
        self.counters.bytes_on_wire += self.message_bytes(m);
        self.topics[t as usize].partitions[partition as usize].push(Record {
            message: m,
            appended_at: self.now,
            cause: AppendCause::Stage { delivery: d },
            trace_seq: seq,
            txn: if transactional { TxnMark::Open } else { TxnMark::Plain },
        });
        // The readers of the output topic owe the message once a stage has produced it (a stage that
        // never produces it, such as a group joining late, leaves nothing owed downstream).
        self.owe_to_readers(t, m);
        if transactional {
            if let Some(a) = self.consumers[ci].slots[slot as usize].as_mut() {
                a.open_txn = Some((t, partition, offset));
            }
        } else {
            self.stage_output_visible(sub as u16, m, d, (partition, offset));
        }
        self.enforce_retention(t, partition);
        self.wake_partition_owners(t, partition);
    }

    /// Commits the delivery's open transaction if its consumer still owns the input partition (Kafka
    /// fences a zombie through the group's generation), and aborts it otherwise.
    fn end_transaction(&mut self, c: u16, d: u32, (t, partition, offset): (u16, u32, u64)) {
        let owner = match (self.consumers[c as usize].role, self.deliveries[d].source()) {
            (Role::Member { group }, DeliverySource::Record { partition: input, .. }) => {
                self.groups[group as usize].assignment[input as usize] == Some(c) && self.consumers[c as usize].in_group
            }
            _ => false,
        };
        if !owner {
            self.abort_transaction(c, (t, partition, offset));
            return;
        }
        let m = self.deliveries[d].message;
        // Linked to the output record's `StageProduced`, the write the commit makes visible.
        let mut written = None;
        if let Some(r) = self.topics[t as usize].partitions[partition as usize].get_mut(offset) {
            r.txn = TxnMark::Committed;
            written = Some(r.trace_seq);
        }
        self.trace(What::TxnCommitted { consumer: c, topic: t, partition, offset }, Some(m), 0, written);
        let sub = self.consumers[c as usize].sub;
        self.stage_output_visible(sub, m, d, (partition, offset));
        self.wake_partition_owners(t, partition);
    }

    fn abort_transaction(&mut self, c: u16, (t, partition, offset): (u16, u32, u64)) {
        let Some(r) = self.topics[t as usize].partitions[partition as usize].get_mut(offset) else { return };
        r.txn = TxnMark::Aborted;
        let (m, written) = (r.message, r.trace_seq);
        self.trace(What::TxnAborted { consumer: c, topic: t, partition, offset }, Some(m), 0, Some(written));
        self.wake_partition_owners(t, partition);
    }

    /// A stage's output record became visible (written plainly, or its transaction committed). The first
    /// is the stage's effect; any later one is a duplicate record in the output topic.
    fn stage_output_visible(&mut self, sub: u16, m: u32, d: u32, place: (u32, u64)) {
        let si = sub as usize;
        let ob = &mut self.subs[si].obligations[m];
        ob.stage_outputs = ob.stage_outputs.saturating_add(1);
        if ob.stage_outputs > 1 {
            self.counters.duplicate_appends += 1;
            self.push_anomaly(AnomalyKind::DuplicateAppend, m, &[d], |e| {
                explain::duplicate_stage_output(e, sub, m, d, place)
            });
        } else if self.subs[si].sink == NO_SINK {
            self.counters.effects_applied += 1;
            self.subs[si].obligations[m].effects += 1;
            self.first_effect(sub, m, d);
            self.deliveries[d].effect_at_ms = MaybeTime::at(self.now);
        }
    }

    /// Delivery `d` applied the first effect `sub` owed message `m`: the obligation is met (a message
    /// dead-lettered earlier and effected after all is no longer counted as parked).
    fn first_effect(&mut self, sub: u16, m: u32, d: u32) {
        let ob = &mut self.subs[sub as usize].obligations[m];
        ob.first_effect_delivery = d;
        if ob.fate == Fate::Pending || ob.fate == Fate::DeadLettered {
            if ob.fate == Fate::DeadLettered {
                self.counters.dead_lettered -= 1;
            }
            ob.fate = Fate::Effected;
            self.counters.effected += 1;
        }
        let produced_at = self.messages[m].produced_at();
        self.latency.record(self.now - produced_at);
        if self.messages[m].invented() {
            self.invented_effect(sub, m, d);
        }
    }

    /// A subscriber acted on an event its producer never wrote (a publish-first dual write that crashed).
    #[cold]
    #[inline(never)]
    fn invented_effect(&mut self, sub: u16, m: u32, d: u32) {
        self.push_anomaly(AnomalyKind::InventedEvent, m, &[d], |e| explain::invented_event(e, sub, m, d));
    }

    fn store_has(&self, sub: u16, m: u32) -> bool {
        self.subs[sub as usize].store.get(m).is_some_and(|e| e.expires_at > self.now)
    }

    fn store_set(&mut self, sub: u16, m: u32, delivery: u32) {
        let s = &mut self.subs[sub as usize];
        let expires_at = s.handler.store_ttl_ms.map_or(u64::MAX, |ttl| self.now.saturating_add(ttl));
        if let Some(row) = s.store.grow_to(m, StoreEntry::default()) {
            (row.expires_at, row.by_delivery) = (expires_at, delivery);
        }
    }

    #[inline(never)]
    fn on_step(&mut self, c: u16, slot: u16, step: Step) -> bool {
        let ci = c as usize;
        let Some(active) = self.consumers[ci].slots[slot as usize] else { return false };
        let sub = self.consumers[ci].sub;
        let m = active.message;
        let d = active.delivery;
        let attempt = self.deliveries[d].attempt;
        match step {
            Step::Receive => {
                self.counters.deliveries += 1;
                if attempt > 1 {
                    self.counters.redeliveries += 1;
                }
                self.counters.bytes_on_wire += self.message_bytes(m);
                let cause = self.deliveries[d].trace_cause();
                let seq = self.trace(What::Delivered { consumer: c, delivery: d }, Some(m), attempt, cause);
                self.deliveries[d].trace_seq = seq;
                let faulty = self.faulty();
                let faults = &self.scenario.faults;
                let cons = &mut self.consumers[ci];
                let crash_at = if let Some(point) = cons.crash_armed.take() {
                    Some(point)
                } else if faulty && cons.rng.chance(faults.consumer_crash) {
                    let i = cons.rng.range_inclusive(0, (faults.crash_points.len() as u64).saturating_sub(1)) as usize;
                    faults.crash_points.get(i).copied()
                } else {
                    None
                };
                let base = match self.subs[sub as usize].handler.processing {
                    Processing::Fixed { ms } => ms,
                    Processing::Uniform { min_ms, max_ms } => cons.rng.range_inclusive(min_ms, max_ms),
                    Processing::Exponential { mean_ms } => cons.rng.exponential_ms(mean_ms),
                };
                let slow = if self.now < cons.slow_until {
                    cons.slow_factor as u64
                } else if faulty && cons.rng.chance(faults.slow) {
                    faults.slow_factor as u64
                } else {
                    1
                };
                let read_fails =
                    self.now < self.read_api_down_until || (faulty && cons.rng.chance(faults.read_api_failure));
                if let Some(a) = cons.slots[slot as usize].as_mut() {
                    a.crash_at = crash_at;
                    a.processing_ms = base.saturating_mul(slow);
                }
                let producer = self.messages[m].producer as usize;
                if self.producers[producer].spec.payload == Payload::Notification {
                    // Thin event: read the entity back from the source's API.
                    self.counters.read_api_calls += 1;
                    if read_fails {
                        self.trace(What::ReadApiFailed { consumer: c }, Some(m), attempt, Some(seq));
                        return self.handler_failed(c, slot, false);
                    }
                    let key = self.messages[m].key;
                    let version = self.producers[producer].db_version[key as usize];
                    let stale = version > self.messages[m].version;
                    self.trace(What::ReadBack { consumer: c, version, stale }, Some(m), attempt, Some(seq));
                    if let Some(a) = self.consumers[ci].slots[slot as usize].as_mut() {
                        a.version = version;
                    }
                    if stale {
                        self.counters.stale_reads += 1;
                        self.push_anomaly(AnomalyKind::StaleRead, m, &[d], |e| explain::stale_read(e, m, d, version));
                    }
                }
                let processing = self.consumers[ci].slots[slot as usize].map_or(0, |a| a.processing_ms);
                if self.has_check(sub) {
                    self.schedule_step(c, slot, Step::Check, self.now + STORE_MS);
                } else {
                    self.schedule_step(c, slot, Step::Effect, self.now + processing);
                }
            }
            Step::Check => {
                let seen = self.store_has(sub, m);
                if self.subs[sub as usize].handler.strategy == Strategy::ClaimFirst {
                    self.trace(
                        What::Claimed { consumer: c, won: !seen },
                        Some(m),
                        attempt,
                        self.deliveries[d].trace_cause(),
                    );
                    if !seen {
                        self.store_set(sub, m, d);
                        if let Some(a) = self.consumers[ci].slots[slot as usize].as_mut() {
                            a.claim_taken = true;
                        }
                    } else {
                        let s = &mut self.subs[sub as usize];
                        let claimant = s.store[m].by_delivery;
                        // Skipping is only right if the claimant applies the effect; if it crashes or
                        // fails instead, this skip (and its commit or ack) is where the message is lost.
                        s.renote_loss(m, LossReason::SkippedByClaim { delivery: claimant });
                    }
                } else {
                    self.trace(What::Checked { consumer: c, seen }, Some(m), attempt, self.deliveries[d].trace_cause());
                    let s = &mut self.subs[sub as usize];
                    let recorded_by = s.store.get(m).map_or(0, |e| e.by_delivery);
                    if seen {
                        // The id was recorded but the effect never counted (its transaction was aborted
                        // after the record): this skip is where the message is lost.
                        s.renote_loss(m, LossReason::SkippedByRecord { delivery: recorded_by });
                    }
                }
                if seen {
                    self.deliveries[d].outcome = Outcome::Suppressed;
                    self.schedule_step(c, slot, Step::Finish, self.now + STORE_MS);
                } else {
                    let processing = active.processing_ms;
                    self.schedule_step(c, slot, Step::Effect, self.now + processing);
                }
            }
            Step::Effect => {
                if active.crash_at == Some(CrashPoint::BeforeEffect) {
                    return self.crash(c, Some(CrashPoint::BeforeEffect), self.deliveries[d].trace_cause());
                }
                if self.messages[m].poison() {
                    return self.handler_failed(c, slot, true);
                }
                if let Some(out) = self.subs[sub as usize].output {
                    self.stage_produce(c, slot, out);
                }
                let s = &self.subs[sub as usize];
                let sink = s.sink;
                let strategy = s.handler.strategy;
                let by_key = strategy == Strategy::IdempotencyKey
                    && self.sinks.get(sink as usize).is_some_and(|k| k.spec.accepts_idempotency_key);
                let inbox = strategy == Strategy::TransactionalInbox && self.sink_is_database(sink);
                let deduplicated = if by_key || inbox {
                    // By key: the sink remembers the key (subscriber + id) for `store_ttl_ms`, like Stripe's
                    // 24 hours. Inbox: one transaction checks the inbox, applies and inserts the inbox row;
                    // a duplicate conflicts. Either way, the subscriber's store rows keep the ids.
                    let hit = self.store_has(sub, m);
                    if !hit {
                        self.store_set(sub, m, d);
                    }
                    hit
                } else {
                    false
                };
                if sink == NO_SINK {
                    // A pure transform stage: its output record is its effect.
                } else if deduplicated {
                    self.sinks[sink as usize].deduplicated_by_key += u64::from(by_key);
                    self.deliveries[d].outcome = Outcome::Suppressed;
                    self.trace(
                        What::EffectDeduplicated { consumer: c, sink },
                        Some(m),
                        attempt,
                        self.deliveries[d].trace_cause(),
                    );
                } else {
                    self.apply_effect(c, sub, m, d, active.version);
                    if let Some(a) = self.consumers[ci].slots[slot as usize].as_mut() {
                        a.effect_applied = true;
                    }
                }
                let next = if self.has_record(sub) { Step::Record } else { Step::Finish };
                self.schedule_step(c, slot, next, self.now + STORE_MS);
            }
            Step::Record => {
                if active.crash_at == Some(CrashPoint::AfterEffect) {
                    return self.crash(c, Some(CrashPoint::AfterEffect), self.deliveries[d].trace_cause());
                }
                self.store_set(sub, m, d);
                self.trace(What::Recorded { consumer: c }, Some(m), attempt, self.deliveries[d].trace_cause());
                self.schedule_step(c, slot, Step::Finish, self.now + STORE_MS);
            }
            Step::Finish => {
                let no_record_step = !self.has_record(sub);
                if active.crash_at == Some(CrashPoint::AfterRecord)
                    || (active.crash_at == Some(CrashPoint::AfterEffect) && no_record_step)
                {
                    return self.crash(c, active.crash_at, self.deliveries[d].trace_cause());
                }
                self.counters.processed += 1;
                self.deliveries[d].ended_at_ms = MaybeTime::at(self.now);
                if self.deliveries[d].outcome == Outcome::Running {
                    self.deliveries[d].outcome = Outcome::Done;
                }
                self.consumers[ci].slots[slot as usize] = None;
                if let Some(place) = active.open_txn {
                    self.end_transaction(c, d, place);
                }
                match self.consumers[ci].role {
                    Role::Member { group } => self.finish_record(c, group, d),
                    Role::Worker { queue } => self.finish_entry(c, slot, queue, d),
                }
            }
        }
        true
    }

    fn apply_effect(&mut self, c: u16, sub: u16, m: u32, d: u32, version: u32) {
        let si = sub as usize;
        let sink = self.subs[si].sink;
        let kind = self.sinks[sink as usize].spec.kind;
        let (key, producer) = (self.messages[m].key, self.messages[m].producer);
        let ob = &mut self.subs[si].obligations[m];
        ob.effects += 1;
        let first = ob.effects == 1;
        let previous_effect = ob.first_effect_delivery;
        if first {
            self.first_effect(sub, m, d);
        }
        self.counters.effects_applied += 1;
        self.deliveries[d].effect_at_ms = MaybeTime::at(self.now);
        let harmful = !first && kind != SinkKind::DbUpsert;
        let state = &mut self.sinks[sink as usize];
        state.applied += 1;
        if harmful {
            state.duplicates += 1;
        }
        if state.ledger.len() == LEDGER_LEN {
            state.ledger.pop_front();
        }
        state.ledger.push_back(LedgerEntry {
            at_ms: self.now,
            message: m,
            key,
            version,
            consumer: c,
            duplicate: !first,
        });
        let cause = self.deliveries[d].trace_cause();
        let attempt = self.deliveries[d].attempt;
        self.trace(What::Effect { consumer: c, sink, duplicate: !first }, Some(m), attempt, cause);
        if !first {
            if harmful {
                self.counters.duplicate_effects += 1;
                self.push_anomaly(AnomalyKind::DuplicateEffect, m, &[previous_effect, d], |e| {
                    explain::duplicate_effect(e, sub, m, previous_effect, d)
                });
            } else {
                self.counters.harmless_repeats += 1;
            }
        }
        // Per-key order: an older version applied after a newer one.
        let s = &mut self.subs[si];
        if s.last_applied.len() <= key as usize {
            s.last_applied.resize(key as usize + 1, Applied::default());
        }
        let newest = s.last_applied[key as usize];
        let (newest, newest_msg, newest_at, newest_producer) =
            (newest.version, newest.message, newest.at(), newest.producer());
        if version < newest {
            self.counters.out_of_order += 1;
            self.push_anomaly(AnomalyKind::OutOfOrder, m, &[d], |e| {
                let newest_label = e.label(newest_producer, newest_msg, key);
                explain::out_of_order(e, sub, m, d, version, newest, &newest_label, newest_at)
            });
        } else if first || version > newest {
            self.subs[si].last_applied[key as usize] = Applied::new(version, m, self.now, producer);
        }
    }

    fn finish_record(&mut self, c: u16, g: u16, d: u32) {
        let gi = g as usize;
        let DeliverySource::Record { partition, offset, .. } = self.deliveries[d].source() else { return };
        self.groups[gi].head_failures[partition as usize] = 0;
        if self.groups[gi].spec.commit == CommitPolicy::AfterProcessing {
            let ok = self.groups[gi].assignment[partition as usize] == Some(c) && self.consumers[c as usize].in_group;
            self.commit(c, g, partition, offset + 1, self.deliveries[d].trace_cause());
            if !ok {
                self.deliveries[d].outcome = Outcome::CommitRejected;
            }
        }
        // Like Kafka's poll loop, a member works through the whole batch it holds, even while a rebalance
        // waits for it or after it was removed; only a failed commit (CommitFailedException) breaks the loop.
        if self.deliveries[d].outcome == Outcome::CommitRejected {
            self.consumers[c as usize].batch.clear();
        }
        self.start_next_record(c, self.now);
    }

    fn finish_entry(&mut self, c: u16, slot: u16, q: u16, d: u32) {
        let qi = q as usize;
        let DeliverySource::Entry { entry, receipt, .. } = self.deliveries[d].source() else { return };
        let m = self.deliveries[d].message;
        let store = &mut self.queues[qi].store;
        let e = &mut store.entries[entry];
        if e.held_by(receipt) {
            e.state = EntryState::Deleted;
            store.in_flight -= 1;
            if !store.group_busy.is_empty() {
                store.release_group(self.messages[m].key);
            }
            self.trace(What::Acked { consumer: c }, Some(m), 0, self.deliveries[d].trace_cause());
            self.cancel_visibility_timer(q, entry, receipt);
            if self.queues[qi].spec.kind == QueueKind::Fifo {
                self.wake_worker(q);
            }
        } else {
            // The receipt is stale: the visibility timeout expired and the message is visible or redelivered.
            self.deliveries[d].outcome = Outcome::AckRejected;
            self.trace(What::AckRejected { consumer: c }, Some(m), 0, self.deliveries[d].trace_cause());
        }
        let epoch = self.consumers[c as usize].epoch;
        self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot });
    }

    /// The visibility timer of this receipt can only find it stale now (acked or nacked): drop it if it is
    /// still its lane's newest, so a long visibility timeout does not keep a timer per delivery.
    fn cancel_visibility_timer(&mut self, q: u16, entry: u32, receipt: u32) {
        self.scheduler.cancel_newest_in_lane(Lane::Visibility(q).index(), |ev| {
            matches!(*ev, Ev::Visibility { queue, entry: e, receipt: r } if queue == q && e == entry && r == receipt)
        });
    }

    #[inline(never)]
    fn handler_failed(&mut self, c: u16, slot: u16, poison: bool) -> bool {
        let ci = c as usize;
        let Some(active) = self.consumers[ci].slots[slot as usize].take() else { return false };
        let d = active.delivery;
        let m = active.message;
        let sub = self.consumers[ci].sub;
        if let Some(place) = active.open_txn {
            self.abort_transaction(c, place);
        }
        self.deliveries[d].outcome = Outcome::Failed { poison };
        self.deliveries[d].ended_at_ms = MaybeTime::at(self.now);
        let (attempt, cause) = (self.deliveries[d].attempt, self.deliveries[d].trace_cause());
        let failed = self.trace(What::HandlerFailed { consumer: c, poison }, Some(m), attempt, cause);
        if active.claim_taken {
            // A handled failure releases the claim (the `finally` of a careful claim-first handler).
            if let Some(e) = self.subs[sub as usize].store.get_mut(m) {
                e.expires_at = 0;
            }
        }
        let epoch = self.consumers[ci].epoch;
        match self.consumers[ci].role {
            Role::Member { group } => {
                let gi = group as usize;
                let DeliverySource::Record { partition, offset, .. } = self.deliveries[d].source() else {
                    return true;
                };
                let pu = partition as usize;
                // The rest of the batch is dropped; what was committed before processing is skipped from now on.
                let dropped: Vec<u64> = self.consumers[ci].batch.drain(..).map(|(o, _)| o).collect();
                if let (Some(&first), Some(committed)) = (dropped.first(), self.groups[gi].committed[pu]) {
                    self.hint_range(
                        group,
                        partition,
                        first,
                        committed.min(first + dropped.len() as u64),
                        LossReason::CommittedBeforeProcessing { delivery: d },
                    );
                }
                if self.groups[gi].committed[pu].is_some_and(|committed| committed > offset) {
                    // Committed before processing: if nobody retries it, this failure is where it was lost.
                    self.hint_range(
                        group,
                        partition,
                        offset,
                        offset + 1,
                        LossReason::CommittedBeforeProcessing { delivery: d },
                    );
                }
                if self.groups[gi].assignment[pu] == Some(c) {
                    // It has not processed this record: that is where a revocation commit must stop.
                    self.groups[gi].position[pu] = offset;
                }
                let owner = self.groups[gi].assignment[pu] == Some(c)
                    && self.consumers[ci].in_group
                    && !self.groups[gi].rebalancing;
                if !owner {
                    // The partition moved on (rebalance or removal): its new owner retries the record.
                    if self.groups[gi].rebalancing {
                        self.try_complete_rebalance(group);
                    }
                    self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot: 0 });
                    return true;
                }
                self.groups[gi].head_failures[pu] += 1;
                let failures = self.groups[gi].head_failures[pu];
                let skip = poison && self.groups[gi].spec.poison_skip_after.is_some_and(|n| failures >= n);
                if skip {
                    // Park the record in a dead-letter topic and move on.
                    self.groups[gi].head_failures[pu] = 0;
                    self.groups[gi].position[pu] = offset + 1;
                    let what = What::SkippedPoison { consumer: c, partition, offset };
                    let skipped = self.trace(what, Some(m), failures, Some(failed));
                    self.dead_letter(sub, m, failures, Some(skipped));
                    if self.groups[gi].spec.commit != CommitPolicy::BeforeProcessing {
                        self.commit(c, group, partition, offset + 1, Some(skipped));
                    }
                    self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot: 0 });
                } else {
                    self.groups[gi].position[pu] = offset;
                    if poison && !self.faulty() && self.groups[gi].spec.poison_skip_after.is_none() {
                        // Head-of-line blocking for good: nothing behind the poison record is ever processed.
                        self.groups[gi].blocked[pu] = true;
                        let end = self.topics[self.groups[gi].topic as usize].partitions[pu].end_offset();
                        self.hint_range(
                            group,
                            partition,
                            offset,
                            end,
                            LossReason::BlockedByPoison { partition, offset },
                        );
                    }
                    self.scheduler
                        .schedule(self.now + CONSUMER_RETRY_BACKOFF_MS, Ev::Poll { consumer: c, epoch, slot: 0 });
                }
            }
            Role::Worker { queue } => {
                let qi = queue as usize;
                let DeliverySource::Entry { entry, receipt, .. } = self.deliveries[d].source() else {
                    return true;
                };
                let fifo = self.queues[qi].spec.kind == QueueKind::Fifo;
                let store = &mut self.queues[qi].store;
                let e = &mut store.entries[entry];
                if e.held_by(receipt) {
                    // Nack: visible again at once (ChangeMessageVisibility 0 / basic.nack requeue).
                    e.state = EntryState::Visible;
                    store.in_flight -= 1;
                    if !store.group_busy.is_empty() {
                        store.release_group(self.messages[m].key);
                    }
                    if fifo {
                        store.visible.push_front(entry);
                    } else {
                        store.visible.push_back(entry);
                    }
                    self.cancel_visibility_timer(queue, entry, receipt);
                    self.wake_worker(queue);
                }
                self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot });
            }
        }
        true
    }

    #[inline(never)]
    /// `cause`: the delivery it crashed while handling (its `Delivered`), or the scripted fault.
    fn crash(&mut self, c: u16, step: Option<CrashPoint>, cause: Option<u64>) -> bool {
        let ci = c as usize;
        if !self.consumers[ci].alive {
            return false;
        }
        self.counters.crashes += 1;
        let seq = self.trace(What::Crashed { consumer: c, step }, None, 0, cause);
        self.consumers[ci].crashed_seq = Some(seq);
        let sub = self.consumers[ci].sub;
        let role = self.consumers[ci].role;
        let slots: Vec<Active> = self.consumers[ci].slots.iter_mut().filter_map(|s| s.take()).collect();
        for a in &slots {
            if let Some(place) = a.open_txn {
                // The coordinator aborts it when the restarted instance fences the old one (or on
                // transaction.timeout.ms); the wait is not modelled.
                self.abort_transaction(c, place);
            }
            let del = &mut self.deliveries[a.delivery];
            del.outcome = Outcome::Crashed { before: a.step };
            del.ended_at_ms = MaybeTime::at(self.now);
            if a.claim_taken && !a.effect_applied {
                // The claim outlives the process: every later delivery will find it and skip the message.
                let sub = self.consumers[ci].sub as usize;
                self.subs[sub].renote_loss(a.message, LossReason::SkippedByClaim { delivery: a.delivery });
            }
        }
        if let Role::Member { group } = role {
            let gi = group as usize;
            // Its fetch positions died with the process: what it holds restarts from the committed offsets.
            for p in 0..self.groups[gi].assignment.len() {
                if self.groups[gi].assignment[p] == Some(c) {
                    let part = &self.topics[self.groups[gi].topic as usize].partitions[p];
                    self.groups[gi].position[p] = self.groups[gi].committed[p].unwrap_or(part.start_offset);
                }
            }
            // Everything committed but not yet processed on this member's partitions is lost.
            let first_unprocessed = slots.first().map(|a| match self.deliveries[a.delivery].source() {
                DeliverySource::Record { offset, .. } => offset,
                DeliverySource::Entry { .. } => 0,
            });
            let p = self.consumers[ci].batch_partition;
            if let (Some(from), Some(committed)) = (
                first_unprocessed.or(self.consumers[ci].batch.front().map(|(o, _)| *o)),
                self.groups[gi].committed[p as usize],
            ) {
                let d = slots.first().map_or(0, |a| a.delivery);
                self.hint_range(group, p, from, committed, LossReason::CommittedBeforeProcessing { delivery: d });
            }
        }
        let _ = sub;
        let cons = &mut self.consumers[ci];
        cons.alive = false;
        cons.epoch += 1;
        cons.batch.clear();
        cons.parked = false;
        cons.crash_armed = None;
        let epoch = cons.epoch;
        if let Role::Member { group } = role {
            let timeout = self.groups[group as usize].spec.session_timeout_ms;
            self.scheduler.schedule_in_lane(
                Lane::SessionTimeout(group).index(),
                self.now + timeout,
                Ev::SessionTimeout { consumer: c, epoch },
            );
            if self.groups[group as usize].rebalancing {
                self.try_complete_rebalance(group);
            }
        }
        self.scheduler.schedule(self.now + self.scenario.faults.restart_after_ms, Ev::Restart { consumer: c, epoch });
        true
    }

    #[inline(never)]
    fn on_session_timeout(&mut self, c: u16, epoch: u32) -> bool {
        let cons = &mut self.consumers[c as usize];
        if cons.epoch != epoch || cons.alive || !cons.in_group {
            return false;
        }
        cons.in_group = false;
        let expired = self.trace(What::SessionExpired { consumer: c }, None, 0, self.consumers[c as usize].crashed_seq);
        if let Role::Member { group } = self.consumers[c as usize].role {
            self.trigger_rebalance(group, Some(expired));
        }
        true
    }

    #[inline(never)]
    fn on_poll_timeout(&mut self, c: u16, epoch: u32, poll_seq: u32) -> bool {
        let cons = &mut self.consumers[c as usize];
        if !cons.alive || cons.epoch != epoch || cons.poll_seq != poll_seq || !cons.busy() || !cons.in_group {
            return false;
        }
        cons.in_group = false;
        cons.removed_slow = true;
        // Linked to the delivery it was still busy with when max.poll.interval.ms ran out.
        let mut slow = None;
        if let Some(a) = cons.slots[0] {
            self.deliveries[a.delivery].set(Delivery::MEMBER_REMOVED);
            slow = self.deliveries[a.delivery].trace_cause();
        }
        let removed = self.trace(What::RemovedSlowMember { consumer: c }, None, 0, slow);
        if let Role::Member { group } = self.consumers[c as usize].role {
            // Its partitions are lost to it (Kafka's onPartitionsLost): no commit on revocation, and every
            // commit it still makes is rejected.
            for owner in self.groups[group as usize].assignment.iter_mut() {
                if *owner == Some(c) {
                    *owner = None;
                }
            }
            self.trigger_rebalance(group, Some(removed));
        }
        true
    }

    #[inline(never)]
    fn on_restart(&mut self, c: u16, epoch: u32) -> bool {
        let cons = &mut self.consumers[c as usize];
        if cons.epoch != epoch || cons.alive {
            return false;
        }
        if cons.stopping {
            // It crashed while shutting down: nothing restarts a process that was being stopped.
            cons.stopping = false;
            cons.stopped = true;
            let cause = cons.crashed_seq;
            self.trace(What::Stopped { consumer: c }, None, 0, cause);
            return true;
        }
        let cause = cons.crashed_seq;
        self.come_up(c, What::Restarted { consumer: c }, cause);
        true
    }

    /// A consumer back up, restarted after a crash or started again after a stop (`what` says which): a
    /// member joins its group, which rebalances; a worker's slots poll at once.
    fn come_up(&mut self, c: u16, what: What, cause: Option<u64>) {
        let cons = &mut self.consumers[c as usize];
        cons.alive = true;
        cons.epoch += 1;
        let epoch = cons.epoch;
        let up = self.trace(what, None, 0, cause);
        match self.consumers[c as usize].role {
            Role::Member { group } => {
                let joined = self.groups[group as usize].joined;
                let cons = &mut self.consumers[c as usize];
                (cons.in_group, cons.removed_slow) = (joined, false);
                self.trigger_rebalance(group, Some(up));
            }
            Role::Worker { .. } => {
                for slot in 0..self.consumers[c as usize].slots.len() {
                    self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot: slot as u16 });
                }
            }
        }
    }

    /// A clean shutdown (scale in). A member finishes the batch it holds, as a poll loop does before it
    /// checks its stop flag, then `close()`: auto-commit commits what it processed, and LeaveGroup makes
    /// the group rebalance at once. A queue worker finishes the messages in its hands.
    #[cold]
    #[inline(never)]
    fn stop_consumer(&mut self, c: u16, cause: u64) {
        let ci = c as usize;
        let cons = &mut self.consumers[ci];
        if cons.stopped || cons.stopping {
            return;
        }
        cons.stopping = true;
        cons.stop_seq = Some(cause);
        if !cons.alive {
            // Crashed, its restart pending: it stays down when that comes (see `on_restart`).
            return;
        }
        let (epoch, idle) = (cons.epoch, cons.slots.iter().all(Option::is_none));
        match cons.role {
            // Idle (between polls, or waiting for records): its next poll is now, and it leaves.
            Role::Member { .. } if idle && cons.batch.is_empty() => {
                self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot: 0 });
            }
            Role::Member { .. } => {}
            Role::Worker { queue } => {
                self.queues[queue as usize].store.waiting.retain(|&(w, _)| w != c);
                self.worker_stop_if_idle(c);
            }
        }
    }

    /// A stopping member's last poll: commit (auto-commit does on `close()`), hand its partitions back,
    /// leave, and let the group rebalance now rather than after a session timeout.
    fn leave_group(&mut self, c: u16, g: u16) -> bool {
        let (ci, gi) = (c as usize, g as usize);
        for p in 0..self.groups[gi].assignment.len() {
            if self.groups[gi].assignment[p] != Some(c) {
                continue;
            }
            if let CommitPolicy::Auto { .. } = self.groups[gi].spec.commit {
                let offset = self.groups[gi].position[p];
                self.commit(c, g, p as u32, offset, self.consumers[ci].stop_seq);
            }
            let start = self.topics[self.groups[gi].topic as usize].partitions[p].start_offset;
            self.groups[gi].position[p] = self.groups[gi].committed[p].unwrap_or(start);
            self.groups[gi].assignment[p] = None;
        }
        let stopped = self.trace(What::Stopped { consumer: c }, None, 0, self.consumers[ci].stop_seq);
        let cons = &mut self.consumers[ci];
        (cons.alive, cons.in_group, cons.stopping, cons.stopped, cons.parked) = (false, false, false, true, false);
        cons.epoch += 1;
        cons.batch.clear();
        self.trigger_rebalance(g, Some(stopped));
        true
    }

    /// A stopping worker stops once no message is left in its hands.
    fn worker_stop_if_idle(&mut self, c: u16) -> bool {
        let cons = &mut self.consumers[c as usize];
        if !cons.stopping || cons.slots.iter().any(Option::is_some) {
            return false;
        }
        (cons.alive, cons.stopping, cons.stopped) = (false, false, true);
        cons.epoch += 1;
        let cause = cons.stop_seq;
        self.trace(What::Stopped { consumer: c }, None, 0, cause);
        true
    }

    /// Starts a stopped consumer (scale out); a member joins its group, which rebalances. A consumer still
    /// stopping keeps going instead; one that is running, or crashed (it restarts by itself), is left alone.
    #[cold]
    #[inline(never)]
    fn start_consumer(&mut self, c: u16, cause: u64) {
        let cons = &mut self.consumers[c as usize];
        if cons.stopping {
            cons.stopping = false;
            return;
        }
        if !cons.stopped {
            return;
        }
        cons.stopped = false;
        self.come_up(c, What::Started { consumer: c }, Some(cause));
    }

    #[inline(never)]
    fn on_scripted(&mut self, index: u32) -> bool {
        let Some(fault) = self.scenario.faults.scripted.get(index as usize).cloned() else { return false };
        let injected = self.trace(What::FaultInjected { index }, None, 0, None);
        let consumer = |s: &Self, name: &str| s.consumers.iter().position(|c| c.name == name).map(|i| i as u16);
        match fault.action {
            FaultAction::CrashConsumer { consumer: name, at_step } => {
                if let Some(c) = consumer(self, &name) {
                    match at_step {
                        None => {
                            self.crash(c, None, Some(injected));
                        }
                        Some(point) => self.consumers[c as usize].crash_armed = Some(point),
                    }
                }
            }
            FaultAction::DropAcks { producer, duration_ms } => {
                if let Some(p) = self.producers.iter_mut().find(|p| p.spec.name == producer) {
                    p.drop_acks_until = self.now + duration_ms;
                }
            }
            FaultAction::SlowConsumer { consumer: name, factor, duration_ms } => {
                if let Some(c) = consumer(self, &name) {
                    let cons = &mut self.consumers[c as usize];
                    cons.slow_until = self.now + duration_ms;
                    cons.slow_factor = factor;
                }
            }
            FaultAction::ReadApiDown { duration_ms } => self.read_api_down_until = self.now + duration_ms,
            FaultAction::StopConsumer { consumer: name } => {
                if let Some(c) = consumer(self, &name) {
                    self.stop_consumer(c, injected);
                }
            }
            FaultAction::StartConsumer { consumer: name } => {
                if let Some(c) = consumer(self, &name) {
                    self.start_consumer(c, injected);
                }
            }
            FaultAction::DuplicateNextDelivery { queue } => {
                if let Some(q) = self.queues.iter_mut().find(|q| q.spec.name == queue) {
                    q.store.duplicate_next = true;
                }
            }
            FaultAction::ResetGroup { group, to } => {
                if let Some(g) = self.groups.iter().position(|x| x.spec.name == group) {
                    let reset = self.trace(What::GroupReset { group: g as u16 }, None, 0, Some(injected));
                    let t = self.groups[g].topic as usize;
                    for p in 0..self.topics[t].partitions.len() {
                        let part = &self.topics[t].partitions[p];
                        let offset = match to {
                            ResetTarget::Earliest => part.start_offset,
                            ResetTarget::Latest => part.end_offset(),
                            ResetTarget::Offset { offset } => offset.clamp(part.start_offset, part.end_offset()),
                            ResetTarget::Time { ms } => part.offset_for_time(ms),
                        };
                        // A reset forward skips whatever the group had not read or committed yet.
                        let read_from =
                            self.groups[g].committed[p].unwrap_or(part.start_offset).min(self.groups[g].position[p]);
                        if offset > read_from {
                            self.hint_range(g as u16, p as u32, read_from, offset, LossReason::SkippedByReset);
                        }
                        // Each partition's move, so a clamped target (an offset past the end) shows.
                        let (group, partition) = (g as u16, p as u32);
                        let what = What::OffsetReset { group, partition, from: read_from, to: offset, scripted: true };
                        self.trace(what, None, 0, Some(reset));
                        self.groups[g].committed[p] = Some(offset);
                        // Members must not commit their old positions over the reset.
                        self.groups[g].position[p] = offset;
                    }
                    self.groups[g].last_reset_at = Some(self.now);
                    self.trigger_rebalance(g as u16, Some(reset));
                }
            }
        }
        true
    }

    /// Counts an anomaly, and keeps it with its explanation while fewer than `MAX_ANOMALIES` are kept:
    /// the explanation is written (at this moment, from this state) only then, not for every anomaly of a
    /// long run.
    fn push_anomaly(&mut self, kind: AnomalyKind, m: u32, deliveries: &[u32], explain: impl FnOnce(&Engine) -> String) {
        self.anomaly_count += 1;
        if self.anomalies.len() < MAX_ANOMALIES {
            let explanation = explain(self);
            // Anomalies found when the run ends (losses) are dated at its last real event.
            let at_ms = if self.finished { self.last_event_at } else { self.now };
            self.anomalies.push(Anomaly { kind, message_id: m, at_ms, explanation, deliveries: deliveries.to_vec() });
        }
    }

    /// After the healing phase: every obligation still pending is lost (with its reason) — or, if the run
    /// was cut short, still in flight.
    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        if self.drained {
            // Stale timers (a poll timeout 5 minutes out) pop after the last real event and do nothing: the
            // run ends at its last real event (or at until_ms), and so do its clock and sampled series.
            let end = self.last_event_at.max(self.scenario.until_ms);
            self.now = self.now.min(end);
            self.samples.retain(|s| s.at_ms <= end);
        }
        for si in 0..self.subs.len() {
            // Folded rows are never pending (a pending message is kept), so the kept rows are every candidate.
            let pending: Vec<u32> = self.subs[si]
                .obligations
                .iter()
                .filter(|&(m, ob)| m > 0 && ob.fate == Fate::Pending)
                .map(|(m, _)| m)
                .collect();
            for m in pending {
                let ob = self.subs[si].obligations[m];
                if !self.drained {
                    self.counters.in_flight_at_end += 1;
                    continue;
                }
                let mut hint = self.subs[si].loss_reason(m);
                if hint == LossReason::Unknown {
                    if let Some(stage) = self.upstream_stage_that_dropped(si as u16, m) {
                        hint = LossReason::UpstreamStage { stage };
                    }
                }
                if hint == LossReason::Unknown
                    && self.consumers.iter().filter(|c| c.sub as usize == si).all(|c| c.stopped)
                {
                    hint = LossReason::NoConsumerRunning;
                }
                if hint == LossReason::Unknown {
                    // At-most-once: a group that commits before processing can skip a record in ways too
                    // many to hint one by one (a dropped batch, a reset after a failure); that is the reason.
                    if let SubSource::Group(g) = self.subs[si].source {
                        if self.groups[g as usize].spec.commit == CommitPolicy::BeforeProcessing {
                            hint = LossReason::CommittedBeforeProcessing { delivery: ob.last_delivery };
                        }
                    }
                }
                self.subs[si].obligations[m].fate = Fate::Lost;
                if hint != LossReason::Unknown {
                    if let Some(noted) = self.subs[si].loss_reasons.grow_to(m, LossReason::Unknown) {
                        *noted = hint;
                    }
                }
                self.counters.lost_messages += 1;
                let kind = if matches!(hint, LossReason::DeletedByRetention { .. }) {
                    AnomalyKind::LostToRetention
                } else {
                    AnomalyKind::LostMessage
                };
                let chain: &[u32] = match &hint {
                    LossReason::CommittedBeforeProcessing { delivery } | LossReason::SkippedByClaim { delivery }
                        if *delivery != 0 =>
                    {
                        std::slice::from_ref(delivery)
                    }
                    _ => &[],
                };
                self.push_anomaly(kind, m, chain, |e| explain::lost(e, si as u16, m, hint));
            }
        }
    }

    /// For a group reading a stage's output topic: the stage that owed message `m` and never produced it.
    fn upstream_stage_that_dropped(&self, sub: u16, m: u32) -> Option<u16> {
        let SubSource::Group(g) = self.subs[sub as usize].source else { return None };
        let topic = self.groups[g as usize].topic;
        self.subs
            .iter()
            .position(|s| s.output == Some(topic) && s.obligations.get(m).map_or(0, |ob| ob.stage_outputs) == 0)
            .map(|s| s as u16)
    }

    pub fn report(&self) -> Report {
        let c = &self.counters;
        Report {
            seed: self.scenario.seed,
            end_time_ms: if self.finished { self.last_event_at } else { self.now },
            drained: self.drained,
            produced: c.produced,
            appended: c.appended,
            delivered: c.deliveries,
            processed: c.processed,
            effects_applied: c.effects_applied,
            duplicate_effects: c.duplicate_effects,
            harmless_repeats: c.harmless_repeats,
            lost_messages: c.lost_messages,
            dead_lettered: c.dead_lettered,
            out_of_order: c.out_of_order,
            stale_reads: c.stale_reads,
            duplicate_appends: c.duplicate_appends,
            invented_events: c.invented_events,
            read_api_calls: c.read_api_calls,
            bytes_on_wire: c.bytes_on_wire,
            obligations: c.obligations,
            effected: c.effected,
            in_flight_at_end: c.in_flight_at_end,
            latency_ms: LatencySummary {
                mean: self.latency.mean_ms(),
                p50: self.latency.quantile_ms(0.5),
                p95: self.latency.quantile_ms(0.95),
                p99: self.latency.quantile_ms(0.99),
                max: self.latency.max_ms,
            },
            trace_hash: self.trace.hash.hex(),
            events_processed: self.events_processed,
            anomalies_total: self.anomaly_count,
            anomalies: self
                .anomalies
                .iter()
                .map(|a| AnomalyOut {
                    kind: a.kind,
                    message_id: a.message_id,
                    at_ms: a.at_ms,
                    explanation: a.explanation.clone(),
                })
                .collect(),
        }
    }

    /// Label used in explanations and the UI: `UserRegistered #17 (user 4)`.
    pub fn message_label(&self, m: u32) -> String {
        match self.messages.get(m) {
            Some(msg) if m > 0 => self.label(msg.producer, m, msg.key),
            _ => format!("message #{m}"),
        }
    }

    /// The label of message `m`, from what it is (its row may have been folded).
    pub fn label(&self, producer: u16, m: u32, key: u32) -> String {
        match self.producers.get(producer as usize) {
            Some(p) => format!("{} #{} ({} {})", p.spec.message, m, p.spec.key_name, key),
            None => format!("message #{m}"),
        }
    }
}

impl ConsumerState {
    fn new(name: &str, role: Role, sub: u16, slots: u32, rng: SimRng) -> Self {
        ConsumerState {
            name: name.to_string(),
            role,
            sub,
            alive: true,
            epoch: 1,
            slots: vec![None; slots as usize],
            crash_armed: None,
            crashed_seq: None,
            slow_until: 0,
            slow_factor: 1,
            rng,
            batch: VecDeque::new(),
            batch_partition: 0,
            poll_seq: 0,
            parked: false,
            stopping: false,
            stopped: false,
            stop_seq: None,
            next_partition: 0,
            in_group: false,
            removed_slow: false,
        }
    }
}

fn placeholder_message() -> Message {
    Message {
        producer: 0,
        key: 0,
        version: 0,
        produced_at_ms: 0,
        send_seq: Seq32::UNKNOWN,
        appends: 0,
        first_append_offset: 0,
        first_append_partition: 0,
        flags: Flags::of(Message::ACKED),
    }
}

fn placeholder_delivery() -> Delivery {
    let mut d = Delivery::new(0, 0, 0, 0, DeliverySource::Entry { queue: 0, entry: 0, receipt: 0 });
    d.outcome = Outcome::Done;
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_effect_traces_back_through_the_retry_to_the_lost_ack() {
        // The producer-retries preset: an ack is lost, the producer resends, the topic holds the order
        // twice and the email goes out twice. Following `cause` from the second email must walk that story.
        let json =
            crate::scenario::presets::PRESETS.iter().find(|(n, _)| *n == "08-producer-retries").expect("preset").1;
        let mut e = Engine::new(crate::scenario::validate::parse_scenario(json).expect("valid")).expect("valid");
        e.set_trace_capacity(usize::MAX);
        e.run_to_end();
        let events = &e.trace.events;
        let second_email = events
            .iter()
            .find(|ev| matches!(ev.what, What::Effect { duplicate: true, .. }))
            .expect("the preset sends an email twice");
        let mut chain = vec![];
        let mut at = Some(second_email.seq);
        while let Some(seq) = at {
            let ev = &events[seq as usize];
            assert_eq!(ev.message, second_email.message, "{:?} is about another message", ev.what);
            chain.push(std::mem::discriminant(&ev.what));
            at = ev.cause;
        }
        let kinds: Vec<_> = [
            What::Effect { consumer: 0, sink: 0, duplicate: true },
            What::Delivered { consumer: 0, delivery: 0 },
            What::Appended { topic: 0, partition: 0, offset: 0, retry: true },
            What::ProducerRetry { producer: 0 },
            What::Appended { topic: 0, partition: 0, offset: 0, retry: false },
            What::Produced { producer: 0, key: 0, version: 0 },
        ]
        .iter()
        .map(std::mem::discriminant)
        .collect();
        assert_eq!(chain, kinds, "effect ← delivery ← retried append ← retry ← first append ← produced");
        // The lost ack hangs off the first append, beside the retry.
        let first_append = events
            .iter()
            .find(|ev| ev.message == second_email.message && matches!(ev.what, What::Appended { retry: false, .. }));
        let lost =
            events.iter().find(|ev| ev.message == second_email.message && matches!(ev.what, What::AckLost { .. }));
        assert_eq!(lost.and_then(|ev| ev.cause), first_append.map(|ev| ev.seq));
    }

    #[test]
    fn every_way_of_running_runs_the_same_events() {
        // `run_events` runs a batch per call; stepping, frame-sized bounds across batch edges, run_until
        // and run_to_end must still run the same events, stop exactly at their bounds and keep time.
        let scenario = crate::benchmarks::notification_flow(600);
        let whole = {
            let mut e = Engine::new(scenario.clone()).expect("valid");
            e.run_to_end();
            serde_json::to_value(e.report()).expect("a report serialises")
        };
        let same = |e: &Engine| serde_json::to_value(e.report()).expect("a report serialises") == whole;
        let mut stepped = Engine::new(scenario.clone()).expect("valid");
        let mut steps = 0;
        while stepped.step() {
            steps += 1;
        }
        assert_eq!(steps, stepped.events_processed);
        assert!(same(&stepped));

        let mut bounded = Engine::new(scenario.clone()).expect("valid");
        let frame = EVENTS_PER_CALL + EVENTS_PER_CALL / 2 + 7;
        loop {
            let before = bounded.events_processed;
            let ran = bounded.run_until_bounded(SimTime::MAX, frame);
            assert_eq!(bounded.events_processed - before, ran);
            assert!(ran <= frame, "ran {ran} events for a bound of {frame}");
            if ran < frame {
                break;
            }
        }
        assert!(same(&bounded));

        let mut timed = Engine::new(scenario).expect("valid");
        for until in (0..=20_000).step_by(700) {
            timed.run_until(until);
            assert_eq!(timed.now(), until, "time reads the bound it was run to");
            assert!(timed.last_event_at <= until);
        }
        timed.run_to_end();
        assert!(same(&timed));
    }

    #[test]
    fn an_acked_delivery_leaves_no_visibility_timer_behind() {
        // The M/M/1 benchmark's queue: an hour-long visibility timeout, one worker, every delivery acked
        // long before its timer. Stale timers used to wait in the lane for the whole hour.
        let mut engine = Engine::new(crate::benchmarks::mm1(5_000)).expect("valid");
        engine.set_trace_capacity(0);
        let mut most = 0;
        while engine.step() {
            most = most.max(engine.scheduler.len());
        }
        assert_eq!(engine.report().processed, 5_000);
        assert!(most <= 4, "at most {most} events were scheduled at once");
    }

    #[test]
    fn packed_rows_give_back_what_went_in() {
        // Message::first_append and Delivery::source are put together from packed fields: check them
        // against the trace and the broker, for a topic (partition, offset) and a queue (entry, receipt).
        for scenario in [crate::benchmarks::notification_flow(2_000), crate::benchmarks::mm1(2_000)] {
            let mut engine = Engine::new(scenario).expect("valid");
            engine.set_trace_capacity(1_000_000);
            engine.run_to_end();
            let mut firsts = 0;
            for ev in &engine.trace.events {
                let first = match ev.what {
                    What::Appended { partition, offset, retry: false, .. } => (partition, offset),
                    What::Enqueued { entry, retry: false, .. } => (entry, entry as u64),
                    _ => continue,
                };
                let m = ev.message.expect("an append names its message");
                assert_eq!(engine.first_append(m), Some(first), "message {m}");
                firsts += 1;
            }
            assert_eq!(firsts, 2_000);
            for (id, d) in engine.deliveries.iter().skip(1) {
                match d.source() {
                    DeliverySource::Record { topic, partition, offset } => {
                        let part = &engine.topics[topic as usize].partitions[partition as usize];
                        assert_eq!(part.get(offset).map(|r| r.message), Some(d.message));
                    }
                    DeliverySource::Entry { queue, entry, receipt } => {
                        let e = &engine.queues[queue as usize].store.entries[entry];
                        assert_eq!((e.message, receipt), (d.message, id));
                    }
                }
            }
        }
    }

    #[test]
    fn a_long_queue_run_keeps_rows_for_what_is_live_not_for_every_message() {
        let mut engine = Engine::new(crate::benchmarks::mm1(200_000)).expect("valid");
        engine.set_trace_capacity(0);
        engine.run_to_end();
        let (kept, ever) = engine.table_rows();
        // Four tables (messages, deliveries, obligations, entries), each under about twice the history.
        let bound = 4 * 3 * DEFAULT_HISTORY_MESSAGES as u64;
        assert!(ever > 800_000 && kept < bound, "kept {kept} of {ever} rows (bound {bound})");
        assert_eq!(engine.report().produced, 200_000);
        // The UI tells a folded message from one not produced yet.
        assert!(engine.is_folded(1) && engine.messages.get(1).is_none());
        assert!(!engine.is_folded(200_000) && engine.messages.get(200_000).is_some());
        assert!(!engine.is_folded(0) && !engine.is_folded(200_001));
    }

    #[test]
    fn a_fifo_queue_forgets_the_ids_of_messages_no_send_can_name_any_more() {
        let mut scenario = crate::benchmarks::mm1(5_000);
        scenario.queues[0].kind = QueueKind::Fifo;
        scenario.queues[0].dedup_window_ms = 60_000;
        // Lost acks make the producer resend: the window must still catch every resend.
        scenario.faults.lost_ack = 0.2;
        scenario.producers[0].retries = 3;
        let run = |history: u32| {
            let mut engine = Engine::new(scenario.clone()).expect("valid");
            engine.set_trace_capacity(0);
            engine.set_history_messages(history);
            engine.run_to_end();
            engine
        };
        let (folding, keeping) = (run(100), run(u32::MAX));
        let seen = folding.subs[0].store.rows_kept();
        assert!(seen < 300, "{seen} ids remembered");
        let report = folding.report();
        assert!(report.appended == 5_000 && folding.counters.producer_retries > 500);
        assert_eq!(serde_json::to_string(&report).ok(), serde_json::to_string(&keeping.report()).ok());
    }

    #[test]
    fn a_log_keeps_the_rows_of_every_message_it_still_retains() {
        // Unlimited retention: a replay may read any record again, so nothing may fold.
        let mut engine = Engine::new(crate::benchmarks::notification_flow(3_000)).expect("valid");
        engine.set_trace_capacity(0);
        engine.set_history_messages(10);
        engine.run_to_end();
        let (kept, ever) = engine.table_rows();
        assert_eq!(kept, ever);
        // Limited retention, read by groups that keep up: the log forgets, and so may the engine.
        let mut scenario = crate::benchmarks::notification_flow(5_000);
        scenario.producers[0].rate = Rate::Poisson { mean_interval_ms: 10.0 };
        scenario.topics[0].retention_records = Some(100);
        let mut engine = Engine::new(scenario).expect("valid");
        engine.set_trace_capacity(0);
        engine.set_history_messages(10);
        engine.run_to_end();
        let (kept, ever) = engine.table_rows();
        assert_eq!(engine.report().lost_messages, 0);
        assert!(kept * 4 < ever, "kept {kept} of {ever} rows");
    }

    #[test]
    fn the_per_message_tables_never_outgrow_their_reservation() {
        // A doubling at the last message copies the table; in wasm that is fresh memory touched again.
        for scenario in [crate::benchmarks::mm1(3_000), crate::benchmarks::notification_flow(3_000)] {
            let mut engine = Engine::new(scenario).expect("valid");
            let reserved = |e: &Engine| {
                (e.messages.capacity(), e.subs.iter().map(|s| s.obligations.capacity()).collect::<Vec<_>>())
            };
            let before = reserved(&engine);
            engine.run_to_end();
            assert_eq!(engine.report().produced, 3_000);
            assert_eq!(reserved(&engine), before);
        }
    }
}
