//! The scenario: everything a run needs, as plain serde data (JSON on disk, in links and in the CLI).
//!
//! Every field has a default so a scenario file states only what matters to its story. Unknown fields are
//! rejected (`deny_unknown_fields`) so a typo is a located error, not a silently ignored setting.
//! Defaults follow Kafka 4.x, Amazon SQS and RabbitMQ documentation where one exists (see
//! docs/scenario-format.md); timing defaults are shortened where the real ones (a 45 s session timeout)
//! would make a classroom demo wait.
use serde::{Deserialize, Serialize};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Format version; only 1 exists.
    pub version: u32,
    pub name: String,
    /// One paragraph told to the room: what to watch for.
    pub story: String,
    /// Every random draw of the run comes from this seed.
    pub seed: u64,
    /// End of the fault phase: producers stop and faults stop here; the run then drains (healing phase).
    pub until_ms: u64,
    /// Network latency of every hop (producer→broker, broker→consumer, commits, acks), in ms.
    pub network_latency_ms: u64,
    pub producers: Vec<Producer>,
    pub topics: Vec<Topic>,
    pub queues: Vec<Queue>,
    /// Fan-out exchanges (an SNS topic with SQS subscriptions, a RabbitMQ fanout exchange): a producer may
    /// send to one, and every message is copied into each of its queues. Left out of the JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
    /// Consumer groups read topics; queue consumers are listed on their queue.
    pub groups: Vec<Group>,
    pub sinks: Vec<Sink>,
    pub faults: Faults,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            version: FORMAT_VERSION,
            name: "Untitled".into(),
            story: String::new(),
            seed: 1,
            until_ms: 10_000,
            network_latency_ms: 5,
            producers: vec![],
            topics: vec![],
            queues: vec![],
            exchanges: vec![],
            groups: vec![],
            sinks: vec![],
            faults: Faults::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A fact that already happened (`UserRegistered`): broadcast, replayable.
    Event,
    /// A request to do something (`SendWelcomeEmail`): delegated to one consumer.
    Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "style", try_from = "super::tagged::PayloadRepr")]
pub enum Payload {
    /// Ids only; the consumer reads the entity back from the source's read API.
    Notification,
    /// The whole entity travels in the message.
    StateCarried { bytes: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyChoice {
    /// Uniformly at random: the same key recurs (updates to the same user).
    Random,
    /// 1, 2, 3, … wrapping after `keys`: a new key per message (each user registers once).
    Sequential,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", try_from = "super::tagged::RateRepr")]
pub enum Rate {
    /// One message every `interval_ms`.
    Fixed { interval_ms: u64 },
    /// Poisson arrivals: exponential gaps with mean `mean_interval_ms`.
    Poisson { mean_interval_ms: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishMode {
    /// The service writes its database, then publishes: a crash in between loses the event.
    DualWrite,
    /// The service publishes, then writes its database: a crash in between invents an event (published,
    /// consumed and acted on, about a change its own database never stored).
    DualWritePublishFirst,
    /// Database row and outbox row in one transaction; a relay publishes and marks the row sent
    /// (a relay crash between publishing and marking publishes the row again).
    Outbox,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Producer {
    pub name: String,
    /// The message type's name, e.g. `UserRegistered` or `SendWelcomeEmail`.
    pub message: String,
    pub kind: MessageKind,
    /// What a key stands for in explanations ("user 4", "order 17").
    pub key_name: String,
    /// Name of the topic, queue or exchange it sends to.
    pub target: String,
    /// Keys are 1..=keys (users 1..K).
    pub keys: u32,
    /// How each message's key is chosen.
    pub key_choice: KeyChoice,
    pub rate: Rate,
    /// How many messages in total (production also stops at `until_ms`).
    pub count: u32,
    /// First send at this time.
    pub start_ms: u64,
    pub payload: Payload,
    /// Time the producer waits for the broker's ack before retrying (Kafka `request.timeout.ms`, shortened).
    pub request_timeout_ms: u64,
    /// Retries after a missing ack (Kafka's default is effectively unbounded; bounded here).
    pub retries: u32,
    /// Wait before each retry (Kafka `retry.backoff.ms` = 100).
    pub retry_backoff_ms: u64,
    /// Kafka `enable.idempotence`: the broker drops a retried append it already has (producer id + sequence).
    /// On a FIFO queue the de-duplication id plays this part.
    pub idempotent: bool,
    pub publish_mode: PublishMode,
    /// Whether the producer waits for the broker's acknowledgement (Kafka `acks`, default `all` since 3.0).
    pub acks: Acks,
}

/// What a producer waits for after a send. Kafka's `acks=1` (the leader alone) is not offered: with one
/// broker and no replicas it would behave exactly like `all` here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Acks {
    /// Waits for the ack; a send unanswered within `request_timeout_ms` is retried.
    #[serde(rename = "all")]
    All,
    /// Fire and forget (Kafka `acks=0`, RabbitMQ without publisher confirms): no ack, so no retry and no
    /// duplicate from one, and a send lost on the way is lost without anyone knowing.
    #[serde(rename = "0")]
    Zero,
}

impl Default for Producer {
    fn default() -> Self {
        Producer {
            name: "producer".into(),
            message: "UserRegistered".into(),
            kind: MessageKind::Event,
            key_name: "user".into(),
            target: String::new(),
            keys: 10,
            key_choice: KeyChoice::Random,
            rate: Rate::Fixed { interval_ms: 200 },
            count: 20,
            start_ms: 0,
            payload: Payload::StateCarried { bytes: 512 },
            request_timeout_ms: 300,
            retries: 5,
            retry_backoff_ms: 100,
            idempotent: false,
            publish_mode: PublishMode::Outbox,
            acks: Acks::All,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffsetReset {
    Earliest,
    Latest,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Topic {
    pub name: String,
    pub partitions: u32,
    /// Keep at most this many records per partition (None: unlimited).
    pub retention_records: Option<u64>,
    /// Delete records older than this (Kafka `retention.ms`; None: unlimited).
    pub retention_ms: Option<u64>,
}

impl Default for Topic {
    fn default() -> Self {
        Topic { name: "topic".into(), partitions: 3, retention_records: None, retention_ms: None }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "policy", try_from = "super::tagged::CommitPolicyRepr")]
pub enum CommitPolicy {
    /// Kafka `enable.auto.commit` (default true, every 5000 ms): at each poll, if the interval has passed,
    /// commit the position reached by the previous poll (those records are processed by then).
    Auto { interval_ms: u64 },
    /// Commit the batch's offsets as soon as it is fetched, then process: at-most-once.
    BeforeProcessing,
    /// Commit each record's offset after its handler finished: at-least-once.
    AfterProcessing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// No guard: every delivery applies the effect.
    None,
    /// `if exists(id) return; process(); set(id)`: the check and the record are separate steps.
    CheckThenAct,
    /// Atomic set-if-absent *before* processing (optionally with a TTL).
    ClaimFirst,
    /// Dedupe row written in the same database transaction as a database effect.
    TransactionalInbox,
    /// The message id is passed as an idempotency key to a sink that de-duplicates by key.
    IdempotencyKey,
}

impl Strategy {
    /// Every strategy, in the order the page offers them.
    pub const ALL: [Strategy; 5] = [
        Strategy::None,
        Strategy::CheckThenAct,
        Strategy::ClaimFirst,
        Strategy::TransactionalInbox,
        Strategy::IdempotencyKey,
    ];

    /// Its name in a scenario file (serde's snake_case), and in explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::None => "none",
            Strategy::CheckThenAct => "check_then_act",
            Strategy::ClaimFirst => "claim_first",
            Strategy::TransactionalInbox => "transactional_inbox",
            Strategy::IdempotencyKey => "idempotency_key",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", try_from = "super::tagged::ProcessingRepr")]
pub enum Processing {
    Fixed { ms: u64 },
    Uniform { min_ms: u64, max_ms: u64 },
    Exponential { mean_ms: f64 },
}

/// How a consumer handles one message: what it does, how long it takes, how it guards repeats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Handler {
    /// Name of the sink its side effect goes to.
    pub sink: String,
    pub processing: Processing,
    pub strategy: Strategy,
    /// Entries of the idempotency store expire after this (None: never). Redis `SET … EX`, a dedupe window.
    pub store_ttl_ms: Option<u64>,
    /// One round trip to the idempotency store: a check's read and a record's write each take this. A
    /// handler whose strategy keeps no store (none, an idempotency key the sink honours, an inbox in the
    /// sink's database) never waits for it.
    #[serde(skip_serializing_if = "Handler::store_ms_is_default")]
    pub store_ms: u64,
}

impl Handler {
    pub const DEFAULT_STORE_MS: u64 = 1;

    fn store_ms_is_default(ms: &u64) -> bool {
        *ms == Self::DEFAULT_STORE_MS
    }
}

impl Default for Handler {
    fn default() -> Self {
        Handler {
            sink: String::new(),
            processing: Processing::Fixed { ms: 50 },
            strategy: Strategy::None,
            store_ttl_ms: None,
            store_ms: Handler::DEFAULT_STORE_MS,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Group {
    pub name: String,
    pub topic: String,
    /// Consumer names; each is one member of the group.
    pub consumers: Vec<String>,
    pub commit: CommitPolicy,
    /// Kafka `max.poll.records` (default 500; small here so batches are visible).
    pub batch_size: u32,
    /// Kafka `session.timeout.ms` (default 45000; shortened): a crashed member is noticed after this.
    pub session_timeout_ms: u64,
    /// Kafka `max.poll.interval.ms` (default 300000): a member slower than this is removed from the group.
    pub max_poll_interval_ms: u64,
    /// Where a group without a valid committed offset starts (Kafka `auto.offset.reset`, default latest).
    pub offset_reset: OffsetReset,
    /// The group starts reading at this time (a team that joins later).
    pub join_at_ms: u64,
    /// After this many failed attempts a poison record is skipped (parked in a dead-letter topic); None
    /// blocks the partition (head-of-line) for good.
    pub poison_skip_after: Option<u32>,
    /// A consume→transform→produce stage: each record handled is produced, transformed, to this topic
    /// (same message id, same key). The handler's sink may then be empty (no external effect).
    pub produce_to: Option<String>,
    /// Kafka transactions for the stage: its output records and its input offsets commit atomically
    /// (`sendOffsetsToTransaction`); a crash aborts the open transaction. Requires `produce_to`.
    pub transactional: bool,
    /// Kafka `isolation.level` (default read_uncommitted): read_committed skips aborted records and does
    /// not read past an open transaction.
    pub isolation: Isolation,
    pub handler: Handler,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    ReadUncommitted,
    ReadCommitted,
}

impl Default for Group {
    fn default() -> Self {
        Group {
            name: "group".into(),
            topic: String::new(),
            consumers: vec!["c1".into()],
            commit: CommitPolicy::AfterProcessing,
            batch_size: 5,
            session_timeout_ms: 3_000,
            max_poll_interval_ms: 300_000,
            offset_reset: OffsetReset::Earliest,
            join_at_ms: 0,
            poison_skip_after: Some(3),
            produce_to: None,
            transactional: false,
            isolation: Isolation::ReadUncommitted,
            handler: Handler::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueKind {
    /// SQS standard: at-least-once, may deliver a message twice and out of order.
    Standard,
    /// SQS FIFO: ordered per key (message group), sends de-duplicated within a window.
    Fifo,
    /// RabbitMQ quorum queue: no visibility timeout (a message stays with its consumer until it is acked,
    /// nacked, or the consumer's channel closes), a returned message goes back near the head, and one
    /// returned more than `delivery_limit` times is dead-lettered.
    Quorum,
}

/// When a queue's worker acknowledges (deletes) a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueAck {
    /// After the handler finished (SQS DeleteMessage after processing, RabbitMQ manual ack): a crash
    /// before it makes the message come back (at-least-once).
    #[default]
    AfterProcessing,
    /// On receipt, before the handler runs (RabbitMQ `autoAck=true`, SQS delete right after receive): a
    /// crash or failure before the effect loses the message, and it never comes back (at-most-once).
    BeforeProcessing,
}

/// RabbitMQ 4.0's default `delivery-limit` for quorum queues.
pub const DEFAULT_DELIVERY_LIMIT: u32 = 20;

fn is_default_delivery_limit(limit: &u32) -> bool {
    *limit == DEFAULT_DELIVERY_LIMIT
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Queue {
    pub name: String,
    pub kind: QueueKind,
    /// SQS `VisibilityTimeout` (default 30 s; shortened): an unacked message reappears after this.
    pub visibility_timeout_ms: u64,
    /// SQS redrive `maxReceiveCount`: received more often than this ⇒ moved to the dead-letter queue.
    pub max_receives: u32,
    /// A quorum queue's `delivery-limit`: returned more often than this ⇒ dead-lettered. RabbitMQ's
    /// default since 4.0 is 20. Written out only when it differs from that.
    #[serde(skip_serializing_if = "is_default_delivery_limit")]
    pub delivery_limit: u32,
    /// FIFO de-duplication window (SQS: 5 minutes).
    pub dedup_window_ms: u64,
    /// Competing consumers.
    pub consumers: Vec<String>,
    /// Messages each consumer works on at once (RabbitMQ prefetch / SQS batch).
    pub concurrency: u32,
    /// For a queue bound to an exchange: its subscription starts at this time (a team that arrives later).
    /// Copies exist only from then on; a queue has no history to read.
    pub subscribe_at_ms: u64,
    /// When the workers ack: after processing (at-least-once) or on receipt (at-most-once).
    pub ack: QueueAck,
    pub handler: Handler,
}

impl Default for Queue {
    fn default() -> Self {
        Queue {
            name: "queue".into(),
            kind: QueueKind::Standard,
            visibility_timeout_ms: 2_000,
            max_receives: 4,
            delivery_limit: DEFAULT_DELIVERY_LIMIT,
            dedup_window_ms: 300_000,
            consumers: vec!["w1".into()],
            concurrency: 1,
            subscribe_at_ms: 0,
            ack: QueueAck::AfterProcessing,
            handler: Handler::default(),
        }
    }
}

/// A fan-out exchange: it stores nothing itself; each publish is copied into every bound queue, and each
/// queue's consumers then compete for their copy. This is how events travel over queues (one queue per
/// subscribing service), as opposed to a topic where each group reads the same log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Exchange {
    pub name: String,
    /// Names of the queues subscribed to it (SNS subscriptions / RabbitMQ bindings).
    pub queues: Vec<String>,
}

impl Default for Exchange {
    fn default() -> Self {
        Exchange { name: "exchange".into(), queues: vec![] }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// Sends an email: not idempotent unless it accepts an idempotency key.
    Email,
    /// Charges a card: not idempotent unless it accepts an idempotency key.
    Payment,
    /// Upserts the entity's state: a repeat is harmless, an older version after a newer one is out of order.
    DbUpsert,
    /// Increments a counter: not idempotent.
    DbCounter,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sink {
    pub name: String,
    pub kind: SinkKind,
    /// The service de-duplicates requests carrying the same idempotency key (Stripe-style).
    pub accepts_idempotency_key: bool,
}

impl Default for Sink {
    fn default() -> Self {
        Sink { name: "sink".into(), kind: SinkKind::Email, accepts_idempotency_key: false }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashPoint {
    /// After receiving, before the side effect.
    BeforeEffect,
    /// After the side effect, before the idempotency record.
    AfterEffect,
    /// After the idempotency record, before the commit / ack.
    AfterRecord,
}

/// Faults injected during the fault phase. Probabilities are per opportunity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Per producer send: the broker appends but the ack never reaches the producer.
    pub lost_ack: f64,
    /// Per producer send: the request never reaches the broker.
    pub lost_send: f64,
    /// Per handler run: the consumer crashes at a point drawn from `crash_points`.
    pub consumer_crash: f64,
    pub crash_points: Vec<CrashPoint>,
    /// A crashed consumer process comes back after this.
    pub restart_after_ms: u64,
    /// Per queue delivery on a standard queue: the message is delivered a second time.
    pub duplicate_delivery: f64,
    /// Per produced message: the handler always fails on it.
    pub poison: f64,
    /// Per handler run: processing takes `slow_factor` times longer.
    pub slow: f64,
    pub slow_factor: u32,
    /// Per read-back: the source's read API is unavailable.
    pub read_api_failure: f64,
    /// Per produced message with a dual write: the service crashes between its write and its publish.
    pub producer_crash: f64,
    /// Per outbox relay publish: the relay crashes after publishing, before marking the row sent.
    pub relay_crash: f64,
    /// Faults at exact moments (what the "inject now" buttons record).
    pub scripted: Vec<ScriptedFault>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            lost_ack: 0.0,
            lost_send: 0.0,
            consumer_crash: 0.0,
            crash_points: vec![CrashPoint::BeforeEffect, CrashPoint::AfterEffect, CrashPoint::AfterRecord],
            restart_after_ms: 1_000,
            duplicate_delivery: 0.0,
            poison: 0.0,
            slow: 0.0,
            slow_factor: 10,
            read_api_failure: 0.0,
            producer_crash: 0.0,
            relay_crash: 0.0,
            scripted: vec![],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedFault {
    pub at_ms: u64,
    pub action: FaultAction,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", try_from = "super::tagged::FaultActionRepr")]
pub enum FaultAction {
    /// Crash the consumer: at once, or (with `at_step`) when it next reaches that point of its handler.
    CrashConsumer { consumer: String, at_step: Option<CrashPoint> },
    /// Acks to this producer are lost for `duration_ms`.
    DropAcks { producer: String, duration_ms: u64 },
    /// The consumer's processing is `factor` times slower for `duration_ms`.
    SlowConsumer { consumer: String, factor: u32, duration_ms: u64 },
    /// The source's read API fails every read for `duration_ms`.
    ReadApiDown { duration_ms: u64 },
    /// The next delivery from this queue is delivered twice.
    DuplicateNextDelivery { queue: String },
    /// Reset a group's committed offsets (a replay).
    ResetGroup { group: String, to: ResetTarget },
    /// Shut the consumer down cleanly (scale in): it finishes what it holds, commits, and leaves its
    /// group at once (Kafka's `close()` sends LeaveGroup: no session timeout to wait for).
    StopConsumer { consumer: String },
    /// Start a stopped consumer (scale out): it joins its group, which rebalances.
    StartConsumer { consumer: String },
    /// The producer's next send never reaches the broker (`faults.lost_send`, once).
    LoseNextSend { producer: String },
    /// The producing service crashes between its database write and its publish for its next message
    /// (a dual write; `faults.producer_crash`, once). No effect with the outbox.
    CrashProducerBeforePublish { producer: String },
    /// The outbox relay crashes after publishing its next row and before marking it sent
    /// (`faults.relay_crash`, once). Only with the outbox.
    CrashRelayAfterPublish { producer: String },
    /// The next send of message `message` to reach the broker (the one in flight now) never does (as
    /// `lose_next_send`, for that one send). Messages are numbered from 1 as they are produced.
    DropSend { message: u32 },
    /// The next send of message `message` reaches the broker `duration_ms` late; its producer's request
    /// timeout runs meanwhile.
    DelaySend { message: u32, duration_ms: u64 },
    /// The next send of message `message` reaches the broker twice, as a proxy or a client library
    /// retrying beneath the producer would deliver it.
    DuplicateSend { message: u32 },
    /// The next delivery of message `message` to consumer `consumer` (the one in flight now) never
    /// reaches it: the broker handed it out, the response was lost on the way.
    DropDelivery { message: u32, consumer: String },
    /// The next delivery of message `message` to consumer `consumer` reaches it `duration_ms` late.
    DelayDelivery { message: u32, consumer: String, duration_ms: u64 },
}

impl FaultAction {
    /// The consumer, producer, queue or group this fault names, if any.
    pub fn name_mut(&mut self) -> Option<&mut String> {
        use FaultAction::*;
        match self {
            CrashConsumer { consumer, .. }
            | SlowConsumer { consumer, .. }
            | StopConsumer { consumer }
            | StartConsumer { consumer }
            | DropDelivery { consumer, .. }
            | DelayDelivery { consumer, .. } => Some(consumer),
            DropAcks { producer, .. }
            | LoseNextSend { producer }
            | CrashProducerBeforePublish { producer }
            | CrashRelayAfterPublish { producer } => Some(producer),
            DuplicateNextDelivery { queue } => Some(queue),
            ResetGroup { group, .. } => Some(group),
            ReadApiDown { .. } | DropSend { .. } | DelaySend { .. } | DuplicateSend { .. } => None,
        }
    }

    /// The producer a producer-side fault names.
    pub fn producer(&self) -> Option<&str> {
        match self {
            FaultAction::DropAcks { producer, .. }
            | FaultAction::LoseNextSend { producer }
            | FaultAction::CrashProducerBeforePublish { producer }
            | FaultAction::CrashRelayAfterPublish { producer } => Some(producer),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", try_from = "super::tagged::ResetTargetRepr")]
pub enum ResetTarget {
    Earliest,
    Latest,
    Offset {
        offset: u64,
    },
    /// The first record appended at or after this time.
    Time {
        ms: u64,
    },
}
