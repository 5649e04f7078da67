//! Consume→transform→produce stages: the output record, and Kafka transactions around it.
use super::*;

impl Engine {
    /// The stage handling the delivery in `slot` writes its output record (same message id and key).
    pub(super) fn stage_produce(&mut self, c: ConsumerId, slot: u16, t: TopicId) {
        let Some(active) = self.consumers[c].slots[slot as usize] else { return };
        let (m, d) = (active.message, active.delivery);
        let sub = self.consumers[c].sub.index();
        let transactional = self.subs[sub].transactional;
        let partition = partition_for_key(self.messages[m].key, self.topics[t].spec.partitions);
        let part = &self.topics[t].partitions[partition as usize];
        let offset = part.end_offset();
        let attempt = self.deliveries[d].attempt;
        let cause = self.deliveries[d].trace_cause();
        let what = What::StageProduced { consumer: c, topic: t, partition, offset, transactional };
        let seq = self.emit(what, Some(m), attempt, cause);
        self.counters.bytes_on_wire += self.message_bytes(m);
        self.topics[t].partitions[partition as usize].push(Record {
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
            if let Some(a) = self.consumers[c].slots[slot as usize].as_mut() {
                a.open_txn = Some((t, partition, offset));
            }
        } else {
            self.stage_output_visible(SubId::at(sub), m, d, (partition, offset));
        }
        self.enforce_retention(t, partition);
        self.wake_partition_owners(t, partition);
    }

    /// Commits the delivery's open transaction if its consumer still owns the input partition (Kafka
    /// fences a zombie through the group's generation), and aborts it otherwise.
    pub(super) fn end_transaction(
        &mut self,
        c: ConsumerId,
        d: DeliveryId,
        (t, partition, offset): (TopicId, u32, u64),
    ) {
        let owner = match (self.consumers[c].role, self.deliveries[d].source()) {
            (Role::Member { group }, DeliverySource::Record { partition: input, .. }) => {
                self.groups[group].assignment[input as usize] == Some(c) && self.consumers[c].in_group
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
        if let Some(r) = self.topics[t].partitions[partition as usize].get_mut(offset) {
            r.txn = TxnMark::Committed;
            written = Some(r.trace_seq);
        }
        self.emit(What::TxnCommitted { consumer: c, topic: t, partition, offset }, Some(m), 0, written);
        let sub = self.consumers[c].sub;
        self.stage_output_visible(sub, m, d, (partition, offset));
        self.wake_partition_owners(t, partition);
    }

    pub(super) fn abort_transaction(&mut self, c: ConsumerId, (t, partition, offset): (TopicId, u32, u64)) {
        let Some(r) = self.topics[t].partitions[partition as usize].get_mut(offset) else { return };
        r.txn = TxnMark::Aborted;
        let (m, written) = (r.message, r.trace_seq);
        self.emit(What::TxnAborted { consumer: c, topic: t, partition, offset }, Some(m), 0, Some(written));
        self.wake_partition_owners(t, partition);
    }

    /// A stage's output record became visible (written plainly, or its transaction committed). The first
    /// is the stage's effect; any later one is a duplicate record in the output topic.
    pub(super) fn stage_output_visible(&mut self, sub: SubId, m: MessageId, d: DeliveryId, place: (u32, u64)) {
        let si = sub.index();
        let ob = &mut self.subs[si].obligations[m];
        ob.stage_outputs = ob.stage_outputs.saturating_add(1);
        if ob.stage_outputs > 1 {
            self.counters.duplicate_appends += 1;
            self.push_anomaly(AnomalyKind::DuplicateAppend, m, &[d], |e| {
                explain::duplicate_stage_output(e, sub, m, d, place)
            });
        } else if self.subs[si].sink == SinkId::NONE {
            self.counters.effects_applied += 1;
            self.subs[si].obligations[m].effects += 1;
            self.first_effect(sub, m, d);
            self.deliveries[d].effect_at_ms = MaybeTime::at(self.now);
        }
    }
}
