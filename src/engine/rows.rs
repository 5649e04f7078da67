//! The packed rows a run keeps per message, per delivery and per message × subscriber, with their size checks.
use super::*;

// The rows a run keeps per message (and per delivery, obligation, queue entry): their size is the memory a
// long run touches for the first time, which in wasm costs more than the work done with it.
const _: () = assert!(std::mem::size_of::<Message>() == 32);
const _: () = assert!(std::mem::size_of::<Entry>() == 28);
const _: () = assert!(std::mem::size_of::<Obligation>() == 16);
const _: () = assert!(std::mem::size_of::<Delivery>() == 64);
const _: () = assert!(std::mem::size_of::<Applied>() == 16);
// `Applied` keeps a time in 48 bits.
const _: () = assert!(crate::scenario::validate::MAX_UNTIL_MS + DRAIN_LIMIT_MS < 1 << 48);
// `StoreEntry` keeps a time in 32 bits (plus one).
const _: () = assert!(crate::scenario::validate::MAX_UNTIL_MS + DRAIN_LIMIT_MS < u32::MAX as u64);
const _: () = assert!(std::mem::size_of::<StoreEntry>() == 16);

/// A produced message. Ids start at 1 (index 0 is a placeholder), as the UI and explanations show them.
/// A run keeps one per message (32 bytes, checked above, after `Ev`): what the producer's settings say (the payload
/// size, whether it writes a topic) is not copied here, the first append's place needs no `Option`
/// (`appends` says if it exists), and four yes-or-no facts share a byte.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    /// The first append's offset in its partition, or its queue entry's id (see `Engine::first_append`).
    pub(super) first_append_offset: u64,
    /// When it was produced: before `until_ms`, which validation keeps under 2³² ms (`MAX_UNTIL_MS`).
    pub(super) produced_at_ms: u32,
    /// The trace position of its latest send (`Produced`, `ProducerRetry`, `RelayRepublish`) or, once that
    /// send reached the broker, of what the broker did with it: the cause its next append or retry names.
    pub(super) send_seq: Seq32,
    pub key: u32,
    /// Version of the entity this message describes (1 for a new user, 2 after its first update, …).
    pub version: u32,
    pub appends: u32,
    pub producer: ProducerId,
    /// The first append's partition, for a producer that writes a topic (at most `MAX_PARTITIONS`).
    pub(super) first_append_partition: u8,
    pub(super) flags: Flags,
}

impl Message {
    pub(super) const POISON: u8 = 1;
    pub(super) const ACKED: u8 = 2;
    pub(super) const PUBLISHED: u8 = 4;
    pub(super) const RELAY_REPUBLISHED: u8 = 8;
    pub(super) const INVENTED: u8 = 16;
    pub(super) const DELAYED: u8 = 32;

    pub(super) fn set(&mut self, flag: u8) {
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
    /// One of its sends was held up in the network (an injected delay).
    pub fn delayed(&self) -> bool {
        self.flags.has(Self::DELAYED)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DeliverySource {
    Record { topic: TopicId, partition: u32, offset: u64 },
    Entry { queue: QueueId, entry: EntryId, receipt: DeliveryId },
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
    /// It never reached its consumer (an injected drop in the network).
    LostOnTheWay,
}

/// One delivery of a message to a consumer: the unit of the journey view and of causal explanations.
/// A run keeps one per delivery (64 bytes, checked above, after `Ev`), so its source is kept flat (`source()` puts it
/// together), its subscriber is its consumer's, and three yes-or-no facts share a byte with the source's kind.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    pub message: MessageId,
    pub attempt: u32,
    /// The previous delivery of the same message to the same subscriber (`DeliveryId::NONE`: none).
    pub previous: DeliveryId,
    /// The source's partition, or its queue entry.
    pub(super) source_place: u32,
    pub consumer: ConsumerId,
    /// The source's topic, or its queue.
    pub(super) source_entity: u16,
    pub outcome: Outcome,
    pub(super) flags: Flags,
    pub at_ms: SimTime,
    pub effect_at_ms: MaybeTime,
    pub ended_at_ms: MaybeTime,
    /// Until its receive, the trace position of what it follows from (the record's append, the entry's
    /// previous receive), or `NO_TRACE_SEQ`; from its receive on, its `Delivered` event's position.
    pub trace_seq: u64,
    /// The source's offset, or its receipt handle.
    pub(super) source_position: u64,
}

impl Delivery {
    /// `trace_seq` of a delivery whose cause is not kept (a queue entry's first receive).
    pub(super) const NO_TRACE_SEQ: u64 = u64::MAX;
    pub(super) const FROM_RECORD: u8 = 1;
    pub(super) const AFTER_REPLAY: u8 = 2;
    pub(super) const VISIBILITY_EXPIRED: u8 = 4;
    pub(super) const MEMBER_REMOVED: u8 = 8;
    pub(super) const COLLATERAL: u8 = 16;
    /// It reached its consumer late, held up in the network (an injected delay).
    pub(super) const NETWORK_DELAYED: u8 = 128;
    /// With `COLLATERAL`: where the other message's crash was (the `CrashPoint`), in two bits.
    const TRIGGER_SHIFT: u8 = 5;

    /// The trace position this delivery's events link to, if it is kept.
    pub fn trace_cause(&self) -> Option<u64> {
        (self.trace_seq != Self::NO_TRACE_SEQ).then_some(self.trace_seq)
    }
    pub(super) fn new(
        message: MessageId,
        consumer: ConsumerId,
        attempt: u32,
        at_ms: SimTime,
        source: DeliverySource,
    ) -> Delivery {
        let (flags, source_entity, source_place, source_position) = match source {
            DeliverySource::Record { topic, partition, offset } => (Self::FROM_RECORD, topic.0, partition, offset),
            DeliverySource::Entry { queue, entry, receipt } => (0, queue.0, entry.0, receipt.0 as u64),
        };
        Delivery {
            message,
            attempt,
            previous: DeliveryId::NONE,
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
                topic: TopicId(self.source_entity),
                partition: self.source_place,
                offset: self.source_position,
            }
        } else {
            DeliverySource::Entry {
                queue: QueueId(self.source_entity),
                entry: EntryId(self.source_place),
                receipt: DeliveryId(self.source_position as u32),
            }
        }
    }

    pub(super) fn set(&mut self, flag: u8) {
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
    /// It was held up in the network on its way to its consumer (`at_ms` is when it arrived).
    pub fn delayed_on_the_way(&self) -> bool {
        self.flags.has(Self::NETWORK_DELAYED)
    }
    /// Its consumer was removed from the group (max.poll.interval.ms) while processing it.
    pub fn member_removed_while_running(&self) -> bool {
        self.flags.has(Self::MEMBER_REMOVED)
    }
    /// It ended in a crash that another message in the same consumer's hands set off (concurrency > 1):
    /// where that other message crashed.
    pub fn crashed_as_collateral(&self) -> Option<CrashPoint> {
        if !self.flags.has(Self::COLLATERAL) {
            return None;
        }
        Some(match (self.flags.bits() >> Self::TRIGGER_SHIFT) & 3 {
            0 => CrashPoint::BeforeEffect,
            1 => CrashPoint::AfterEffect,
            _ => CrashPoint::AfterRecord,
        })
    }
    pub(super) fn mark_collateral(&mut self, trigger: CrashPoint) {
        let point = match trigger {
            CrashPoint::BeforeEffect => 0,
            CrashPoint::AfterEffect => 1,
            CrashPoint::AfterRecord => 2,
        };
        self.flags.set(Self::COLLATERAL | (point << Self::TRIGGER_SHIFT));
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
    CommittedBeforeProcessing { delivery: DeliveryId },
    /// The queue's worker acked it on receipt (ack before processing) and crashed or failed before the effect.
    AckedBeforeProcessing { delivery: DeliveryId },
    /// A delivery found the id claimed by `delivery` and skipped the message; the claimant then crashed or
    /// failed before applying the effect (a crashed claimant's claim blocks every retry).
    SkippedByClaim { delivery: DeliveryId },
    /// A delivery found the id recorded by `delivery`, whose effect never took (a stage's transaction was
    /// aborted after the id was recorded outside it), and skipped the message.
    SkippedByRecord { delivery: DeliveryId },
    /// Retention deleted the record before this group read it.
    DeletedByRetention { partition: u32, offset: u64 },
    /// A poison record blocks its partition (head-of-line) and this record is behind it (or is it).
    BlockedByPoison { partition: u32, offset: u64 },
    /// The group's offset was reset past the record (auto.offset.reset=latest, or a reset to latest, to an
    /// offset or to a time past it).
    SkippedByReset,
    /// The consume→transform→produce stage (subscriber `stage`) that writes this group's topic never
    /// produced the message: it lost or dead-lettered it upstream.
    UpstreamStage { stage: SubId },
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
/// bytes `fate` leaves: how many records a stage wrote for it, and whether it has been received yet. (A
/// sink's idempotency keys are kept in the subscriber's store rows, which expire with `store_ttl_ms`.)
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Obligation {
    pub fate: Fate,
    /// A stage's visible (plain or committed) records of this message in its output topic (saturating).
    #[serde(skip)]
    pub(super) stage_outputs: u16,
    /// A delivery of it has reached one of the subscriber's consumers: its wait has been counted.
    #[serde(skip)]
    pub(super) received: bool,
    pub effects: u32,
    pub first_effect_delivery: DeliveryId,
    /// The latest delivery (`DeliveryId::NONE`: none yet); earlier ones are reached through `Delivery::previous`.
    pub last_delivery: DeliveryId,
}

/// A subscriber's row for one message beside its obligation, made only when needed: the idempotency
/// store's entry, and for a FIFO queue's subscriber the start of the message's de-duplication window.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct StoreEntry {
    /// 0 = absent; otherwise the time it expires (u64::MAX = never).
    pub(super) expires_at: u64,
    pub(super) by_delivery: DeliveryId,
    /// FIFO queue: 0 = never enqueued; otherwise 1 + when its de-duplication window began (run times fit
    /// 32 bits, checked below `Ev`).
    pub(super) fifo_window_from: u32,
}

/// The newest version of one key a subscriber applied: which message, when, and from which producer (to
/// name the message in an explanation long after its own row was folded). A run keeps one per key and
/// subscriber, read on every effect, so it stays 16 bytes: times fit 48 bits (a run ends within
/// `MAX_UNTIL_MS` plus the drain limit) and producers 16.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Applied {
    pub(super) version: u32,
    pub(super) message: MessageId,
    pub(super) at_and_producer: u64,
}

impl Applied {
    pub(super) fn new(version: u32, message: MessageId, at: SimTime, producer: ProducerId) -> Applied {
        Applied { version, message, at_and_producer: (at << 16) | producer.0 as u64 }
    }
    pub(super) fn at(&self) -> SimTime {
        self.at_and_producer >> 16
    }
    pub(super) fn producer(&self) -> ProducerId {
        ProducerId(self.at_and_producer as u16)
    }
}

pub(super) fn placeholder_message() -> Message {
    Message {
        producer: ProducerId(0),
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

pub(super) fn placeholder_delivery() -> Delivery {
    let mut d = Delivery::new(
        MessageId(0),
        ConsumerId(0),
        0,
        0,
        DeliverySource::Entry { queue: QueueId(0), entry: EntryId(0), receipt: DeliveryId::NONE },
    );
    d.outcome = Outcome::Done;
    d
}
