//! Typed ids. Every entity of a scenario is referred to by its index in the scenario's list (the trace
//! and the links say `"consumer": 2`), wrapped in a type of its own so that a consumer's index cannot be
//! passed where a group's is expected, and each id indexes its own table directly.
use super::kernel::table::RowId;
use super::subscriber::Sub;
use super::*;
use std::ops::{Index, IndexMut};

macro_rules! entity_id {
    ($(#[$doc:meta])* $id:ident indexes $row:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        #[repr(transparent)]
        pub struct $id(pub u16);

        impl $id {
            /// The position in its table.
            pub const fn index(self) -> usize {
                self.0 as usize
            }
            /// The id of a table's row at `index` (tables are at most `u16::MAX` long: the validator's caps).
            pub const fn at(index: usize) -> Self {
                $id(index as u16)
            }
            /// Every id of a table of `len` rows, in order.
            pub fn all(len: usize) -> impl DoubleEndedIterator<Item = Self> + Clone {
                (0..len).map(Self::at)
            }
        }

        /// The bare number, as the trace and the links write it.
        impl std::fmt::Display for $id {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl Index<$id> for [$row] {
            type Output = $row;
            #[inline]
            fn index(&self, id: $id) -> &$row {
                &self[id.index()]
            }
        }
        impl IndexMut<$id> for [$row] {
            #[inline]
            fn index_mut(&mut self, id: $id) -> &mut $row {
                &mut self[id.index()]
            }
        }
        impl Index<$id> for Vec<$row> {
            type Output = $row;
            #[inline]
            fn index(&self, id: $id) -> &$row {
                &self[id.index()]
            }
        }
        impl IndexMut<$id> for Vec<$row> {
            #[inline]
            fn index_mut(&mut self, id: $id) -> &mut $row {
                &mut self[id.index()]
            }
        }
    };
}

entity_id!(
    /// A producer (`scenario.producers`).
    ProducerId indexes ProducerState
);
entity_id!(
    /// A topic (`scenario.topics`).
    TopicId indexes TopicState
);
entity_id!(
    /// A queue (`scenario.queues`); its dead-letter queue has no id of its own.
    QueueId indexes QueueState
);
entity_id!(
    /// An exchange (`scenario.exchanges`).
    ExchangeId indexes ExchangeState
);
entity_id!(
    /// A consumer group (`scenario.groups`).
    GroupId indexes GroupState
);
entity_id!(
    /// A consumer process: a group's member or a queue's worker, numbered in the order `setup.rs` wires them.
    ConsumerId indexes ConsumerState
);
entity_id!(
    /// A side-effect sink (`scenario.sinks`).
    SinkId indexes SinkState
);
entity_id!(
    /// A subscriber: a group or a queue as the reader that owes each message its effect, numbered in the
    /// order `setup.rs` wires them.
    SubId indexes Sub
);

impl SinkId {
    /// The sink of a subscriber without an external effect (a pure transform stage).
    pub const NONE: SinkId = SinkId(u16::MAX);
}

macro_rules! row_id {
    ($(#[$doc:meta])* $id:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        #[repr(transparent)]
        pub struct $id(pub u32);

        impl RowId for $id {
            #[inline]
            fn from_raw(raw: u32) -> Self {
                $id(raw)
            }
            #[inline]
            fn raw(self) -> u32 {
                self.0
            }
        }

        /// The bare number, as the trace and the explanations write it.
        impl std::fmt::Display for $id {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

row_id!(
    /// A produced message, numbered from 1 in the order produced (0 is the messages table's placeholder).
    MessageId
);
row_id!(
    /// One delivery of a message to a consumer, numbered from 1 in the order received; a queue entry's
    /// receipt handle is the id of the delivery it was received for.
    DeliveryId
);
row_id!(
    /// A queue's entry (a message enqueued, or a copy a duplicate delivery made), numbered per queue.
    EntryId
);

impl MessageId {
    /// No message: the messages table's placeholder, which no message produced is numbered as.
    pub const NONE: MessageId = MessageId(0);
}

impl DeliveryId {
    /// No delivery (yet): the deliveries table's placeholder, which no message is ever delivered as.
    pub const NONE: DeliveryId = DeliveryId(0);
}
