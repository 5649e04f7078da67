//! Stage 4b′, a RabbitMQ quorum queue's returns: a message its consumer nacked, or held when its channel
//! closed (a crash), goes back near the head of the queue at once (there is no visibility timeout), and
//! one returned more times than the queue's `delivery-limit` is dead-lettered instead.
use super::*;

impl Engine {
    /// Delivery `d`'s entry comes back from its consumer: near the head, or to the dead-letter queue past
    /// the delivery limit. RabbitMQ's quorum queue docs: "When a message has been returned more times than
    /// the limit the message will be dropped or dead-lettered"; with a limit set, a returned message goes
    /// "near the head of the queue".
    pub(super) fn return_entry(&mut self, q: QueueId, d: DeliveryId) {
        let DeliverySource::Entry { entry, receipt, .. } = self.deliveries[d].source() else { return };
        let (limit, sub) = (self.queues[q].spec.delivery_limit, self.queues[q].sub);
        let store = &mut self.queues[q].store;
        let Some(e) = store.entries.get_mut(entry).filter(|e| e.held_by(receipt)) else { return };
        // Every receive of a quorum queue's entry ends in an ack or a return, so its receives so far are
        // its returns, this one included.
        let (m, returns) = (e.message, u32::from(e.receive_count));
        let cause = self.deliveries[d].trace_cause();
        if returns > limit {
            store.entries[entry].state = EntryState::DeadLettered;
            store.in_flight -= 1;
            store.dead_letter.push(entry);
            self.dead_letter(sub, m, returns, cause);
            return;
        }
        store.make_visible(entry, self.messages[m].key, true);
        self.emit(What::Returned { queue: q, entry }, Some(m), 0, cause);
        self.wake_worker(q);
    }

    /// A crashed worker's channel closed: RabbitMQ returns every delivery it had not acked at once.
    pub(super) fn return_on_crash(&mut self, q: QueueId, crashed: &[Active]) {
        if self.queues[q].spec.kind != QueueKind::Quorum {
            return;
        }
        for a in crashed {
            self.return_entry(q, a.delivery);
        }
    }
}
