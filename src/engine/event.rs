//! What the scheduler holds: the kinds of event (`Ev`), a handler's steps (`Step`) and the FIFO timer lanes.
use super::*;

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

/// Who sent a publish: the producer, or an outbox's relay republishing a row after its crash. To the broker
/// the relay is another producer id, so the idempotent producer's checks, the ack and its timeout are
/// the producer's sends' alone. (As wide as the `u32` it replaced: with a byte-sized enum, `Ev` no
/// longer fits its 16 bytes.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Sender {
    Producer,
    Relay,
}

/// What the scheduler holds. Kept to 16 bytes (checked below) so an event travels in two registers: a
/// bigger one was built field by field on the stack and read back with wide loads, a store-forwarding
/// stall on every schedule and pop.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ev {
    Produce {
        producer: ProducerId,
    },
    /// A send reaches the broker.
    Publish {
        producer: ProducerId,
        message: MessageId,
        attempt: u32,
        sender: Sender,
    },
    AckTimeout {
        producer: ProducerId,
        message: MessageId,
        attempt: u32,
        sender: Sender,
    },
    Poll {
        consumer: ConsumerId,
        epoch: u32,
        slot: u16,
    },
    Step {
        consumer: ConsumerId,
        epoch: u32,
        slot: u16,
        step: Step,
    },
    Visibility {
        queue: QueueId,
        entry: EntryId,
        receipt: DeliveryId,
    },
    SessionTimeout {
        consumer: ConsumerId,
        epoch: u32,
    },
    PollTimeout {
        consumer: ConsumerId,
        epoch: u32,
        poll_seq: u32,
    },
    Restart {
        consumer: ConsumerId,
        epoch: u32,
    },
    GroupJoin {
        group: GroupId,
    },
    Scripted {
        index: u32,
    },
}

const _: () = assert!(std::mem::size_of::<Ev>() == 16);

/// The scheduler's FIFO lanes: timers with a constant delay per entity, due in the order they are set.
#[derive(Clone, Copy)]
pub(super) enum Lane {
    Visibility(QueueId),
    AckTimeout(ProducerId),
    PollTimeout(GroupId),
    SessionTimeout(GroupId),
}

impl Lane {
    pub(super) fn index(self) -> usize {
        match self {
            Lane::Visibility(q) => 4 * q.index(),
            Lane::AckTimeout(p) => 4 * p.index() + 1,
            Lane::PollTimeout(g) => 4 * g.index() + 2,
            Lane::SessionTimeout(g) => 4 * g.index() + 3,
        }
    }
}
