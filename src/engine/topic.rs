//! Stage 3a, the topic: append to a partition's log, enforce retention, wake the partition's owners.
use super::*;

#[derive(Clone, Debug)]
pub struct TopicState {
    pub spec: Topic,
    pub partitions: Vec<Partition>,
    pub groups: Vec<GroupId>,
}

impl Engine {
    /// Appends `m` to its partition of topic `t`; returns the `Appended` event's trace position.
    pub(super) fn append_to_topic(
        &mut self,
        t: TopicId,
        m: MessageId,
        cause: AppendCause,
        sent_by: Option<u64>,
    ) -> u64 {
        let key = self.messages[m].key;
        let partition = partition_for_key(key, self.topics[t].spec.partitions);
        let offset = self.topics[t].partitions[partition as usize].end_offset();
        let seq = self.emit(
            What::Appended { topic: t, partition, offset, retry: cause != AppendCause::Original },
            Some(m),
            0,
            sent_by,
        );
        self.topics[t].partitions[partition as usize].push(Record {
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
    pub(super) fn wake_partition_owners(&mut self, t: TopicId, partition: u32) {
        // By index, not over a clone: this runs for every append.
        for k in 0..self.topics[t].groups.len() {
            let g = self.topics[t].groups[k];
            if let Some(owner) = self.groups[g].assignment[partition as usize] {
                let c = &mut self.consumers[owner];
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
    pub(super) fn owe_to_readers(&mut self, t: TopicId, m: MessageId) {
        for &gi in &self.topics[t].groups {
            let g = &self.groups[gi];
            if g.spec.offset_reset == OffsetReset::Earliest || g.joined {
                let ob = &mut self.subs[g.sub].obligations[m];
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
    pub(super) fn behind_a_blocked_head(&mut self, t: TopicId, partition: u32, m: MessageId) {
        for i in 0..self.topics[t].groups.len() {
            let g = &self.groups[self.topics[t].groups[i].index()];
            if g.blocked[partition as usize] {
                let reason = LossReason::BlockedByPoison { partition, offset: g.position[partition as usize] };
                self.subs[g.sub].note_loss(m, reason);
            }
        }
    }

    pub(super) fn enforce_retention(&mut self, t: TopicId, partition: u32) {
        let (max_records, max_age) = (self.topics[t].spec.retention_records, self.topics[t].spec.retention_ms);
        if max_records.is_none() && max_age.is_none() {
            return;
        }
        let removed = self.topics[t].partitions[partition as usize].apply_retention(self.now, max_records, max_age);
        let Some(&(upto, last)) = removed.last() else { return };
        self.emit(What::RetentionDeleted { topic: t, partition, upto_offset: upto }, Some(last.message), 0, None);
        for gi in self.topics[t].groups.clone() {
            let g = &self.groups[gi];
            // Anything not yet committed may still have been unread (or fetched and not yet processed);
            // the note only matters if the record is never effected.
            let read_from = g.committed[partition as usize].unwrap_or(0);
            let sub = g.sub.index();
            for (offset, record) in &removed {
                if *offset >= read_from {
                    let reason = LossReason::DeletedByRetention { partition, offset: *offset };
                    self.subs[sub].note_loss(record.message, reason);
                }
            }
        }
    }
}
