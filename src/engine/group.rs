//! Stage 4a, the consumer group member: poll a batch, hand records to the handler one by one, commit.
use super::*;

/// A topic consumer waits this long before retrying a record whose handler failed.
pub(super) const CONSUMER_RETRY_BACKOFF_MS: u64 = 500;

#[derive(Clone, Debug)]
pub struct GroupState {
    /// The trace position of the latest `RebalanceStarted`: what its completion follows from.
    pub(super) rebalance_seq: Option<u64>,
    pub spec: Group,
    pub topic: TopicId,
    pub sub: SubId,
    pub members: Vec<ConsumerId>,
    pub joined: bool,
    pub generation: u32,
    pub rebalancing: bool,
    pub assignment: Vec<Option<ConsumerId>>,
    pub committed: Vec<Option<u64>>,
    pub position: Vec<u64>,
    pub(super) head_failures: Vec<u32>,
    pub blocked: Vec<bool>,
    pub(super) last_auto_commit: Vec<SimTime>,
    pub last_reset_at: Option<SimTime>,
    /// A reset asked for and not yet applied: it waits for the members to finish the batch they hold
    /// (see `reset_group`), with the trace position of its `GroupReset`.
    pub(super) pending_reset: Option<(ResetTarget, u64)>,
}

impl Engine {
    pub(super) fn note_loss_in_range(&mut self, g: GroupId, partition: u32, from: u64, to: u64, reason: LossReason) {
        let t = self.groups[g].topic.index();
        let sub = self.groups[g].sub.index();
        for offset in from..to {
            if let Some(r) = self.topics[t].partitions[partition as usize].get(offset) {
                self.subs[sub].note_loss(r.message, reason);
            }
        }
    }

    /// Commits `offset` for `partition`; `cause` is the trace position of what led to it (a processed
    /// delivery, a skipped poison record), `None` for a timer's or a batch's commit.
    pub(super) fn commit(&mut self, c: ConsumerId, g: GroupId, partition: u32, offset: u64, cause: Option<u64>) {
        let owner_ok = self.groups[g].assignment[partition as usize] == Some(c) && self.consumers[c].in_group;
        if owner_ok {
            let committed = &mut self.groups[g].committed[partition as usize];
            if *committed != Some(offset) {
                *committed = Some(offset);
                self.emit(What::Committed { consumer: c, partition, offset }, None, 0, cause);
            }
        } else {
            self.emit(What::CommitRejected { consumer: c, partition, offset }, None, 0, cause);
        }
    }

    /// A member's poll: it rejoins after being removed, leaves if stopping, waits out a rebalance, runs
    /// auto-commit, then fetches a batch from the next of its partitions that has records (round robin),
    /// or parks until an append wakes it (long polling).
    #[inline(never)]
    pub(super) fn member_poll(&mut self, c: ConsumerId, g: GroupId) -> bool {
        if !self.groups[g].joined || self.consumers[c].slots[0].is_some() {
            return false;
        }
        if self.consumers[c].removed_slow {
            // A member removed for being slow rejoins at its next poll.
            let cons = &mut self.consumers[c];
            cons.removed_slow = false;
            cons.in_group = true;
            cons.batch.clear();
            self.trigger_rebalance(g, None);
            return true;
        }
        if !self.consumers[c].in_group {
            return false;
        }
        if self.consumers[c].stopping {
            return self.leave_group(c, g);
        }
        if self.groups[g].rebalancing {
            self.consumers[c].batch.clear();
            self.try_complete_rebalance(g);
            return true;
        }
        self.auto_commit_if_due(c, g);
        let partitions = self.groups[g].assignment.len() as u32;
        let start_at = self.consumers[c].next_partition;
        for k in 0..partitions {
            let p = (start_at + k) % partitions;
            if self.groups[g].assignment[p as usize] == Some(c)
                && !self.groups[g].blocked[p as usize]
                && self.fetch(c, g, p)
            {
                return true;
            }
        }
        self.consumers[c].parked = true;
        false
    }

    /// Auto-commit runs inside poll: every `interval_ms` it commits what the previous polls returned (all
    /// processed by now).
    fn auto_commit_if_due(&mut self, c: ConsumerId, g: GroupId) {
        let CommitPolicy::Auto { interval_ms } = self.groups[g].spec.commit else { return };
        for p in 0..self.groups[g].assignment.len() {
            if self.groups[g].assignment[p] == Some(c)
                && self.now.saturating_sub(self.groups[g].last_auto_commit[p]) >= interval_ms
            {
                self.groups[g].last_auto_commit[p] = self.now;
                let offset = self.groups[g].position[p];
                self.commit(c, g, p as u32, offset, None);
            }
        }
    }

    /// Fetches up to `batch_size` records of partition `p` into the member's batch and starts the first;
    /// false when there is nothing to read. A commit before processing commits the batch now, and the
    /// poll timeout (`max_poll_interval_ms`) starts.
    fn fetch(&mut self, c: ConsumerId, g: GroupId, p: u32) -> bool {
        let pu = p as usize;
        let t = self.groups[g].topic.index();
        let pos = self.position_within_log(g, p);
        let read_committed = self.groups[g].spec.isolation == Isolation::ReadCommitted;
        let part = &self.topics[t].partitions[pu];
        let end = if read_committed {
            // read_committed reads only up to the last stable offset: the first record of an open transaction.
            (pos..part.end_offset())
                .find(|&o| part.get(o).is_some_and(|r| r.txn == TxnMark::Open))
                .unwrap_or(part.end_offset())
        } else {
            part.end_offset()
        };
        if pos >= end {
            return false;
        }
        let n = (end - pos).min(self.groups[g].spec.batch_size as u64);
        let partitions = self.groups[g].assignment.len() as u32;
        let cons = &mut self.consumers[c];
        // Refilled in place, so a poll allocates nothing.
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
        self.groups[g].position[pu] = pos + n;
        if self.groups[g].spec.commit == CommitPolicy::BeforeProcessing {
            self.commit(c, g, p, pos + n, None);
        }
        self.warm_batch(c);
        let max_poll = self.groups[g].spec.max_poll_interval_ms;
        self.scheduler.schedule_in_lane(
            Lane::PollTimeout(g).index(),
            self.now + max_poll,
            Ev::PollTimeout { consumer: c, epoch, poll_seq },
        );
        let next = self.deliveries.next_id();
        self.start_next_record(c, self.now + self.scenario.network_latency_ms);
        let started = self.deliveries.next_id() != next;
        self.consumers[c].fetch_delivery = if started { next } else { DeliveryId::NONE };
        true
    }

    /// The member's position in partition `p`, moved by `auto_offset_reset` when retention deleted the
    /// records under it (`latest` jumps over records that still exist).
    fn position_within_log(&mut self, g: GroupId, p: u32) -> u64 {
        let part = &self.topics[self.groups[g].topic.index()].partitions[p as usize];
        let (start, end) = (part.start_offset, part.end_offset());
        let pos = self.groups[g].position[p as usize];
        if pos >= start {
            return pos;
        }
        let to = match self.groups[g].spec.offset_reset {
            OffsetReset::Earliest => start,
            OffsetReset::Latest => end,
        };
        let what = What::OffsetReset { group: g, partition: p, from: pos, to, scripted: false };
        self.emit(what, None, 0, None);
        self.note_loss_in_range(g, p, start, to, LossReason::SkippedByReset);
        self.groups[g].position[p as usize] = to;
        to
    }

    /// Reads, for every record of a fresh batch, the per-message and per-key rows its handler will touch.
    /// A group that lags reads messages produced long ago, whose rows have left the cache: touched one
    /// by one, each record's handler waited for two or three misses in a row; touched here together, the
    /// misses overlap. Changes nothing (the result is only kept from being optimised away).
    pub(super) fn warm_batch(&self, c: ConsumerId) {
        let cons = &self.consumers[c];
        let sub = &self.subs[cons.sub];
        let mut touched = 0u64;
        // Two passes: the per-key rows are found through the message, so the first pass fetches messages.
        for (_, record) in &cons.batch {
            let m = record.message;
            touched ^= sub.obligations.get(m).map_or(0, |ob| ob.last_delivery.0 as u64);
            touched ^= self.messages.get(m).map_or(0, |message| message.key as u64);
        }
        for (_, record) in &cons.batch {
            if let Some(message) = self.messages.get(record.message) {
                let key = message.key as usize;
                touched ^= sub.last_applied.get(key).map_or(0, |applied| applied.version as u64);
                touched ^= self.producers[message.producer].db_version.get(key).map_or(0, |&v| v as u64);
            }
        }
        std::hint::black_box(touched);
    }

    /// Takes the next offset of the member's batch and schedules its delivery at `at`.
    pub(super) fn start_next_record(&mut self, c: ConsumerId, at: SimTime) {
        let Role::Member { group } = self.consumers[c].role else { return };
        let t = self.groups[group].topic;
        let p = self.consumers[c].batch_partition;
        if let Some((offset, record)) = self.consumers[c].batch.pop_front() {
            let source = DeliverySource::Record { topic: t, partition: p, offset };
            self.begin_delivery(c, 0, record.message, source, at, record.trace_seq);
            return;
        }
        let epoch = self.consumers[c].epoch;
        self.scheduler.schedule(at, Ev::Poll { consumer: c, epoch, slot: 0 });
    }

    /// Records of partition `p` that group `g` has not committed yet (the log's end minus the committed
    /// offset, or minus the log's start before the group's first commit).
    pub fn partition_lag(&self, g: GroupId, p: usize) -> u64 {
        let Some(group) = self.groups.get(g.index()) else { return 0 };
        let Some(part) = self.topics[group.topic].partitions.get(p) else { return 0 };
        let committed = group.committed.get(p).copied().flatten();
        part.end_offset().saturating_sub(committed.unwrap_or(part.start_offset))
    }

    /// A group's lag summed over its topic's partitions.
    pub fn group_lag(&self, g: GroupId) -> u64 {
        let Some(group) = self.groups.get(g.index()) else { return 0 };
        (0..self.topics[group.topic].partitions.len()).map(|p| self.partition_lag(g, p)).sum()
    }

    pub(super) fn finish_record(&mut self, c: ConsumerId, g: GroupId, d: DeliveryId) {
        let DeliverySource::Record { partition, offset, .. } = self.deliveries[d].source() else { return };
        self.groups[g].head_failures[partition as usize] = 0;
        if self.groups[g].spec.commit == CommitPolicy::AfterProcessing {
            let ok = self.groups[g].assignment[partition as usize] == Some(c) && self.consumers[c].in_group;
            self.commit(c, g, partition, offset + 1, self.deliveries[d].trace_cause());
            if !ok {
                self.deliveries[d].outcome = Outcome::CommitRejected;
            }
        }
        // Like Kafka's poll loop, a member works through the whole batch it holds, even while a rebalance
        // waits for it or after it was removed; only a failed commit (CommitFailedException) breaks the loop.
        if self.deliveries[d].outcome == Outcome::CommitRejected {
            self.consumers[c].batch.clear();
        }
        self.start_next_record(c, self.now);
    }
    /// The member's handler failed on the record of delivery `d` (trace position `failed`): the rest of its
    /// batch is dropped, and the record is retried after a backoff, skipped into a dead-letter topic after
    /// `poison_skip_after` failures, or, a poison record with no skip after the fault phase, blocks its
    /// partition for good.
    pub(super) fn member_failed(&mut self, c: ConsumerId, g: GroupId, d: DeliveryId, poison: bool, failed: u64) {
        let DeliverySource::Record { partition, offset, .. } = self.deliveries[d].source() else { return };
        let pu = partition as usize;
        self.drop_batch_after_failure(c, g, d, partition, offset);
        let epoch = self.consumers[c].epoch;
        let owner =
            self.groups[g].assignment[pu] == Some(c) && self.consumers[c].in_group && !self.groups[g].rebalancing;
        if !owner {
            // The partition moved on (rebalance or removal): its new owner retries the record.
            if self.groups[g].rebalancing {
                self.try_complete_rebalance(g);
            }
            self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot: 0 });
            return;
        }
        self.groups[g].head_failures[pu] += 1;
        let failures = self.groups[g].head_failures[pu];
        let skip = poison && self.groups[g].spec.poison_skip_after.is_some_and(|n| failures >= n);
        if skip {
            self.skip_poison(c, g, d, (partition, offset), failures, failed);
            return;
        }
        self.groups[g].position[pu] = offset;
        if poison && !self.in_fault_phase() && self.groups[g].spec.poison_skip_after.is_none() {
            // Head-of-line blocking for good: nothing behind the poison record is ever processed.
            self.groups[g].blocked[pu] = true;
            let end = self.topics[self.groups[g].topic.index()].partitions[pu].end_offset();
            self.note_loss_in_range(g, partition, offset, end, LossReason::BlockedByPoison { partition, offset });
        }
        self.scheduler.schedule(self.now + CONSUMER_RETRY_BACKOFF_MS, Ev::Poll { consumer: c, epoch, slot: 0 });
    }

    /// After a failure the rest of the batch is dropped; what was committed before processing (the failed
    /// record included) is skipped from now on unless someone retries it, and this failure is why.
    fn drop_batch_after_failure(&mut self, c: ConsumerId, g: GroupId, d: DeliveryId, partition: u32, offset: u64) {
        let pu = partition as usize;
        let dropped: Vec<u64> = self.consumers[c].batch.drain(..).map(|(o, _)| o).collect();
        let reason = LossReason::CommittedBeforeProcessing { delivery: d };
        if let (Some(&first), Some(committed)) = (dropped.first(), self.groups[g].committed[pu]) {
            self.note_loss_in_range(g, partition, first, committed.min(first + dropped.len() as u64), reason);
        }
        if self.groups[g].committed[pu].is_some_and(|committed| committed > offset) {
            self.note_loss_in_range(g, partition, offset, offset + 1, reason);
        }
        if self.groups[g].assignment[pu] == Some(c) {
            // It has not processed this record: that is where a revocation commit must stop.
            self.groups[g].position[pu] = offset;
        }
    }

    /// Parks a poison record in a dead-letter topic and moves past it.
    fn skip_poison(
        &mut self,
        c: ConsumerId,
        g: GroupId,
        d: DeliveryId,
        (partition, offset): (u32, u64),
        failures: u32,
        failed: u64,
    ) {
        let pu = partition as usize;
        let (m, sub) = (self.deliveries[d].message, self.groups[g].sub);
        self.groups[g].head_failures[pu] = 0;
        self.groups[g].position[pu] = offset + 1;
        let what = What::SkippedPoison { consumer: c, partition, offset };
        let skipped = self.emit(what, Some(m), failures, Some(failed));
        self.dead_letter(sub, m, failures, Some(skipped));
        if self.groups[g].spec.commit != CommitPolicy::BeforeProcessing {
            self.commit(c, g, partition, offset + 1, Some(skipped));
        }
        let epoch = self.consumers[c].epoch;
        self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot: 0 });
    }
}
