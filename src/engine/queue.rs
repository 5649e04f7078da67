//! Stage 3b, the queue: enqueue (with a FIFO queue's de-duplication window), receive with a visibility
//! timeout, redeliver, copy, ack.
use super::*;

#[derive(Clone, Debug)]
pub struct QueueState {
    pub spec: Queue,
    pub store: QueueStore,
    pub sub: SubId,
    pub workers: Vec<ConsumerId>,
    pub(super) rng: SimRng,
}

impl Engine {
    /// Stores a copy in queue `q` unless it is a FIFO queue that saw this message within its de-duplication
    /// window. Returns the new entry, and the trace position of what happened (`Enqueued` or
    /// `AppendDeduplicated`).
    pub(super) fn enqueue_unless_duplicate(
        &mut self,
        p: ProducerId,
        q: QueueId,
        m: MessageId,
        attempt: u32,
        cause: AppendCause,
        sent_by: Option<u64>,
    ) -> (Option<EntryId>, u64) {
        if self.queues[q].spec.kind == QueueKind::Fifo && self.fifo_saw_recently(q, m) {
            (None, self.emit(What::AppendDeduplicated { producer: p }, Some(m), attempt, sent_by))
        } else {
            let (entry, seq) = self.enqueue(q, m, cause, sent_by);
            (Some(entry), seq)
        }
    }

    /// A FIFO queue's de-duplication: message `m` was enqueued within the window (SQS's 5 minutes).
    #[cold]
    #[inline(never)]
    pub(super) fn fifo_saw_recently(&self, q: QueueId, m: MessageId) -> bool {
        let queue = &self.queues[q];
        let row = self.subs[queue.sub].store.get(m).map_or(0, |row| row.fifo_window_from);
        let seen = row.checked_sub(1).map(SimTime::from);
        seen.is_some_and(|t| self.now.saturating_sub(t) < queue.spec.dedup_window_ms)
    }

    /// Stores a copy of `m` in queue `q` and wakes a waiting worker; the caller notes the append. Returns
    /// the entry and the `Enqueued` event's trace position.
    pub(super) fn enqueue(
        &mut self,
        q: QueueId,
        m: MessageId,
        cause: AppendCause,
        sent_by: Option<u64>,
    ) -> (EntryId, u64) {
        let entry = self.queues[q].store.entries.next_id();
        let fifo = self.queues[q].spec.kind == QueueKind::Fifo;
        let what = What::Enqueued { queue: q, entry, retry: cause != AppendCause::Original };
        let seq = self.emit(what, Some(m), 0, sent_by);
        let store = &mut self.queues[q].store;
        let enqueued = Seq32::of(seq);
        store.entries.push(Entry {
            message: m,
            state: EntryState::Visible,
            receive_count: 0,
            cause,
            last_delivery: DeliveryId::NONE,
            enqueued,
            enqueued_at_ms: self.now as u32,
        });
        store.visible.push_back(entry);
        if fifo {
            // Not seen within the window (or it would not be enqueued): a new window starts, as in SQS.
            let sub = self.queues[q].sub.index();
            if let Some(row) = self.subs[sub].store.grow_to(m, StoreEntry::default()) {
                row.fifo_window_from = self.now as u32 + 1;
            }
        }
        self.wake_worker(q);
        (entry, seq)
    }

    pub(super) fn wake_worker(&mut self, q: QueueId) {
        while let Some((c, slot)) = self.queues[q].store.waiting.pop_front() {
            let cons = &self.consumers[c];
            if cons.alive && cons.slots[slot as usize].is_none() {
                let epoch = cons.epoch;
                self.scheduler
                    .schedule(self.now + self.scenario.network_latency_ms, Ev::Poll { consumer: c, epoch, slot });
                return;
            }
        }
    }

    /// A worker's slot receives the next visible entry (in a FIFO queue, the first of a message group with
    /// nothing in flight), or waits for one. An entry received more than `max_receives` times goes to the
    /// dead-letter queue instead (SQS's redrive policy).
    #[inline(never)]
    pub(super) fn worker_receive(&mut self, c: ConsumerId, slot: u16, q: QueueId) -> bool {
        if self.consumers[c].slots[slot as usize].is_some() {
            return false;
        }
        if self.consumers[c].stopping {
            return self.worker_stop_if_idle(c);
        }
        let fifo = self.queues[q].spec.kind == QueueKind::Fifo;
        let max_receives = self.queues[q].spec.max_receives;
        loop {
            let pick = if fifo {
                self.fifo_pick(q)
            } else if self.queues[q].store.visible.is_empty() {
                None
            } else {
                Some(0)
            };
            let store = &mut self.queues[q].store;
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
                DeliveryId::NONE => entry.enqueued.get(),
                _ => self.deliveries.get(previous).and_then(Delivery::trace_cause),
            };
            if count > max_receives && self.queues[q].spec.kind != QueueKind::Quorum {
                let store = &mut self.queues[q].store;
                store.entries[e].state = EntryState::DeadLettered;
                store.dead_letter.push(e);
                let sub = self.queues[q].sub;
                self.dead_letter(sub, m, count - 1, cause);
                continue;
            }
            self.receive_entry(c, slot, q, e, cause);
            return true;
        }
    }

    /// Entry `e` goes in flight for one visibility timeout and its delivery begins; a standard queue may
    /// deliver a second copy (at-least-once). `cause`: what this receive follows from.
    fn receive_entry(&mut self, c: ConsumerId, slot: u16, q: QueueId, e: EntryId, cause: Option<u64>) {
        let fifo = self.queues[q].spec.kind == QueueKind::Fifo;
        let m = self.queues[q].store.entries[e].message;
        // The receipt handle is the id of the delivery this receive begins: unique, and already kept
        // in the entry as its last delivery.
        let receipt = self.deliveries.next_id();
        let key = self.messages[m].key;
        let store = &mut self.queues[q].store;
        store.entries[e].state = EntryState::InFlight;
        store.in_flight += 1;
        if fifo {
            store.hold_group(key);
        }
        let kind = self.queues[q].spec.kind;
        if kind != QueueKind::Quorum {
            let vt = self.queues[q].spec.visibility_timeout_ms;
            self.scheduler.schedule_in_lane(
                Lane::Visibility(q).index(),
                self.now + vt,
                Ev::Visibility { queue: q, entry: e, receipt },
            );
        }
        if kind == QueueKind::Standard && self.roll_duplicate_delivery(q) {
            self.duplicate_delivery(q, e, m, cause);
        }
        let source = DeliverySource::Entry { queue: q, entry: e, receipt };
        let at = self.now + self.scenario.network_latency_ms;
        let d = self.begin_delivery(c, slot, m, source, at, cause.unwrap_or(Delivery::NO_TRACE_SEQ));
        debug_assert_eq!(d, receipt);
        self.queues[q].store.entries[e].last_delivery = d;
    }

    /// FIFO: the first visible entry whose message group has nothing in flight (the group is blocked
    /// until then), as an index into `visible`.
    #[cold]
    #[inline(never)]
    pub(super) fn fifo_pick(&self, q: QueueId) -> Option<usize> {
        let store = &self.queues[q].store;
        let key = |e: EntryId| self.messages[store.entries[e].message].key;
        store.visible.iter().position(|&e| store.group_busy.get(&key(e)).copied().unwrap_or(0) == 0)
    }

    /// A standard queue delivers a second copy of entry `e` (at-least-once): visible at once.
    #[cold]
    #[inline(never)]
    /// `cause`: what the receive that copies it follows from (the entry's enqueue or previous receive).
    pub(super) fn duplicate_delivery(&mut self, q: QueueId, e: EntryId, m: MessageId, cause: Option<u64>) {
        let copy = self.queues[q].store.entries.next_id();
        let seq = self.emit(What::DuplicateDelivery { queue: q, entry: copy }, Some(m), 0, cause);
        let store = &mut self.queues[q].store;
        let original = store.entries[e];
        store.entries.push(Entry {
            state: EntryState::Visible,
            receive_count: 0,
            cause: AppendCause::QueueCopy,
            last_delivery: DeliveryId::NONE,
            enqueued: Seq32::of(seq),
            enqueued_at_ms: self.now as u32,
            ..original
        });
        store.visible.push_front(copy);
        self.wake_worker(q);
    }

    #[inline(never)]
    pub(super) fn on_visibility(&mut self, q: QueueId, e: EntryId, receipt: DeliveryId) -> bool {
        let store = &mut self.queues[q].store;
        // A folded entry was deleted or dead-lettered long ago: its timer is as stale as any other.
        let Some(entry) = store.entries.get(e).filter(|entry| entry.held_by(receipt)) else { return false };
        let (m, last) = (entry.message, Some(entry.last_delivery).filter(|&d| d != DeliveryId::NONE));
        store.make_visible(e, self.messages[m].key, true);
        let cause = last.and_then(|d| self.deliveries[d].trace_cause());
        if let Some(d) = last {
            let del = &mut self.deliveries[d];
            if del.outcome == Outcome::Running {
                del.set(Delivery::VISIBILITY_EXPIRED);
            }
        }
        self.emit(What::VisibilityExpired { queue: q, entry: e }, Some(m), 0, cause);
        self.wake_worker(q);
        true
    }

    /// Ack before processing: the entry is deleted as soon as it is received, so nothing brings it back; a
    /// crash or a failure before the effect loses the message.
    pub(super) fn ack_on_receipt(&mut self, c: ConsumerId, q: QueueId, d: DeliveryId) {
        self.delete_entry(c, q, d);
        let (m, sub) = (self.deliveries[d].message, self.queues[q].sub);
        self.subs[sub].note_loss(m, LossReason::AckedBeforeProcessing { delivery: d });
    }

    /// Deletes the entry delivery `d` holds (an ack), if its receipt still holds it; false if stale.
    fn delete_entry(&mut self, c: ConsumerId, q: QueueId, d: DeliveryId) -> bool {
        let DeliverySource::Entry { entry, receipt, .. } = self.deliveries[d].source() else { return false };
        let m = self.deliveries[d].message;
        let store = &mut self.queues[q].store;
        let e = &mut store.entries[entry];
        if !e.held_by(receipt) {
            return false;
        }
        e.state = EntryState::Deleted;
        store.in_flight -= 1;
        if !store.group_busy.is_empty() {
            store.release_group(self.messages[m].key);
        }
        self.emit(What::Acked { consumer: c }, Some(m), 0, self.deliveries[d].trace_cause());
        self.cancel_visibility_timer(q, entry, receipt);
        if self.queues[q].spec.kind == QueueKind::Fifo {
            self.wake_worker(q);
        }
        true
    }

    pub(super) fn finish_entry(&mut self, c: ConsumerId, slot: u16, q: QueueId, d: DeliveryId) {
        let m = self.deliveries[d].message;
        // Acked on receipt already (ack before processing): nothing left to ack.
        let acked_before = self.queues[q].spec.ack == QueueAck::BeforeProcessing;
        if !acked_before && !self.delete_entry(c, q, d) {
            // The receipt is stale: the visibility timeout expired and the message is visible or redelivered.
            self.deliveries[d].outcome = Outcome::AckRejected;
            self.emit(What::AckRejected { consumer: c }, Some(m), 0, self.deliveries[d].trace_cause());
        }
        let epoch = self.consumers[c].epoch;
        self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot });
    }

    /// The visibility timer of this receipt can only find it stale now (acked or nacked): drop it if it is
    /// still its lane's newest, so a long visibility timeout does not keep a timer per delivery.
    pub(super) fn cancel_visibility_timer(&mut self, q: QueueId, entry: EntryId, receipt: DeliveryId) {
        self.scheduler.cancel_newest_in_lane(Lane::Visibility(q).index(), |ev| {
            matches!(*ev, Ev::Visibility { queue, entry: e, receipt: r } if queue == q && e == entry && r == receipt)
        });
    }
    /// The worker's handler failed on delivery `d`: a nack makes the entry visible again at once
    /// (ChangeMessageVisibility 0 in SQS, basic.nack with requeue in RabbitMQ), and the slot polls again.
    pub(super) fn worker_failed(&mut self, c: ConsumerId, slot: u16, q: QueueId, d: DeliveryId) {
        if self.queues[q].spec.kind == QueueKind::Quorum {
            self.return_entry(q, d);
        } else {
            self.nack_entry(q, d);
        }
        let epoch = self.consumers[c].epoch;
        self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot });
    }

    /// SQS's nack: the entry delivery `d` holds is visible again, behind the waiting ones (a FIFO queue's
    /// at the front, its group next in line).
    fn nack_entry(&mut self, q: QueueId, d: DeliveryId) {
        let DeliverySource::Entry { entry, receipt, .. } = self.deliveries[d].source() else { return };
        let key = self.messages[self.deliveries[d].message].key;
        let fifo = self.queues[q].spec.kind == QueueKind::Fifo;
        let store = &mut self.queues[q].store;
        if store.entries[entry].held_by(receipt) {
            store.make_visible(entry, key, fifo);
            self.cancel_visibility_timer(q, entry, receipt);
            self.wake_worker(q);
        }
    }
}
