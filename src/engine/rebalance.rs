//! Group membership: rebalances (eager, range assignor), session and poll timeouts, leaving the group.
use super::*;

impl Engine {
    /// `cause`: the trace position of what changed the membership (a crash detected, a restart, a reset).
    #[inline(never)]
    pub(super) fn trigger_rebalance(&mut self, g: GroupId, cause: Option<u64>) {
        let group = &mut self.groups[g];
        if !group.joined {
            return;
        }
        group.generation += 1;
        group.rebalancing = true;
        self.counters.rebalances += 1;
        let seq = self.emit(What::RebalanceStarted { group: g }, None, 0, cause);
        self.groups[g].rebalance_seq = Some(seq);
        self.try_complete_rebalance(g);
    }

    /// Eager (stop-the-world) rebalance: it completes once every live member has finished its batch. Then
    /// auto-commit commits what the owners processed, the range assignor hands the partitions to the live
    /// members, and each resumes from its partition's committed offset.
    #[inline(never)]
    pub(super) fn try_complete_rebalance(&mut self, g: GroupId) {
        if !self.groups[g].rebalancing {
            return;
        }
        let members = self.groups[g].members.clone();
        let in_group = |s: &Self, m: ConsumerId| s.consumers[m].alive && s.consumers[m].in_group;
        if members.iter().any(|&m| in_group(self, m) && self.consumers[m].busy()) {
            return;
        }
        if matches!(self.groups[g].spec.commit, CommitPolicy::Auto { .. }) {
            self.commit_on_revocation(g);
        }
        // A reset waiting for the members' batches applies now, after their last commits.
        self.apply_reset(g);
        let live: Vec<ConsumerId> = members.iter().copied().filter(|&m| in_group(self, m)).collect();
        let partitions = self.groups[g].assignment.len();
        let owners = broker::range_assign(partitions, live.len());
        for (p, member) in owners.into_iter().enumerate() {
            self.assign_partition(g, p, member.map(|i| live[i]));
        }
        for &m in &live {
            self.consumers[m].parked = false;
        }
        let group = &mut self.groups[g];
        group.rebalancing = false;
        let generation = group.generation;
        self.emit(What::RebalanceDone { group: g, generation }, None, 0, self.groups[g].rebalance_seq);
        for m in live {
            let epoch = self.consumers[m].epoch;
            self.scheduler
                .schedule(self.now + self.scenario.network_latency_ms, Ev::Poll { consumer: m, epoch, slot: 0 });
        }
    }

    /// On revocation, auto-commit commits what the live owners have processed.
    fn commit_on_revocation(&mut self, g: GroupId) {
        for p in 0..self.groups[g].assignment.len() {
            if let Some(owner) = self.groups[g].assignment[p] {
                let c = &self.consumers[owner];
                if c.alive && c.in_group {
                    let offset = self.groups[g].position[p];
                    self.commit(owner, g, p as u32, offset, None);
                }
            }
        }
    }

    /// Partition `p` goes to `owner`, which resumes from the committed offset, or from `auto_offset_reset`
    /// when none is committed or it is out of the log.
    fn assign_partition(&mut self, g: GroupId, p: usize, owner: Option<ConsumerId>) {
        let previous_position = self.groups[g].assignment[p].map(|_| self.groups[g].position[p]);
        self.groups[g].assignment[p] = owner;
        let part = &self.topics[self.groups[g].topic.index()].partitions[p];
        let (start, end) = (part.start_offset, part.end_offset());
        let pos = match self.groups[g].committed[p] {
            Some(c) if c >= start && c <= end => c,
            other => {
                let reset = match self.groups[g].spec.offset_reset {
                    OffsetReset::Earliest => start,
                    OffsetReset::Latest => end,
                };
                if let Some(from) = other {
                    let what = What::OffsetReset { group: g, partition: p as u32, from, to: reset, scripted: false };
                    self.emit(what, None, 0, self.groups[g].rebalance_seq);
                }
                // Latest skips whatever exists, owed or not (a loss is noted only for owed, pending records).
                self.note_loss_in_range(g, p as u32, start, reset, LossReason::SkippedByReset);
                reset
            }
        };
        // Records the old owner had not finished, below an offset already committed (commit before
        // processing, then a failure or a crash), are skipped by everyone from now on.
        if let (Some(old), Some(_)) = (previous_position, self.groups[g].committed[p]) {
            if pos > old {
                self.note_loss_in_range(
                    g,
                    p as u32,
                    old,
                    pos,
                    LossReason::CommittedBeforeProcessing { delivery: DeliveryId::NONE },
                );
            }
        }
        self.groups[g].position[p] = pos;
    }

    #[inline(never)]
    pub(super) fn on_session_timeout(&mut self, c: ConsumerId, epoch: u32) -> bool {
        let cons = &mut self.consumers[c];
        if cons.epoch != epoch || cons.alive || !cons.in_group {
            return false;
        }
        cons.in_group = false;
        let expired = self.emit(What::SessionExpired { consumer: c }, None, 0, self.consumers[c].crashed_seq);
        if let Role::Member { group } = self.consumers[c].role {
            self.trigger_rebalance(group, Some(expired));
        }
        true
    }

    #[inline(never)]
    pub(super) fn on_poll_timeout(&mut self, c: ConsumerId, epoch: u32, poll_seq: u32) -> bool {
        let cons = &mut self.consumers[c];
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
        let removed = self.emit(What::RemovedSlowMember { consumer: c }, None, 0, slow);
        if let Role::Member { group } = self.consumers[c].role {
            // Its partitions are lost to it (Kafka's onPartitionsLost): no commit on revocation, and every
            // commit it still makes is rejected.
            for owner in self.groups[group].assignment.iter_mut() {
                if *owner == Some(c) {
                    *owner = None;
                }
            }
            self.trigger_rebalance(group, Some(removed));
        }
        true
    }

    /// A stopping member's last poll: commit (auto-commit does on `close()`), hand its partitions back,
    /// leave, and let the group rebalance now rather than after a session timeout.
    pub(super) fn leave_group(&mut self, c: ConsumerId, g: GroupId) -> bool {
        for p in 0..self.groups[g].assignment.len() {
            if self.groups[g].assignment[p] != Some(c) {
                continue;
            }
            if let CommitPolicy::Auto { .. } = self.groups[g].spec.commit {
                let offset = self.groups[g].position[p];
                self.commit(c, g, p as u32, offset, self.consumers[c].stop_seq);
            }
            let start = self.topics[self.groups[g].topic.index()].partitions[p].start_offset;
            self.groups[g].position[p] = self.groups[g].committed[p].unwrap_or(start);
            self.groups[g].assignment[p] = None;
        }
        let stopped = self.emit(What::Stopped { consumer: c }, None, 0, self.consumers[c].stop_seq);
        let cons = &mut self.consumers[c];
        (cons.alive, cons.in_group, cons.stopping, cons.stopped, cons.parked) = (false, false, false, true, false);
        cons.epoch += 1;
        cons.batch.clear();
        self.trigger_rebalance(g, Some(stopped));
        true
    }
    /// The group's first members join at `join_at_ms`, and the group rebalances for the first time.
    #[inline(never)]
    pub(super) fn on_group_join(&mut self, g: GroupId) -> bool {
        let group = &mut self.groups[g];
        group.joined = true;
        for &m in &group.members.clone() {
            let c = &mut self.consumers[m];
            c.in_group = c.alive;
        }
        self.trigger_rebalance(g, None);
        true
    }

    /// An operator's offset reset (`kafka-consumer-groups --reset-offsets`): each partition's committed
    /// offset and position move to the target, and the group rebalances.
    #[cold]
    #[inline(never)]
    /// A scripted offset reset (`kafka-consumer-groups --reset-offsets`). Kafka refuses to reset an
    /// active group, so an operator stops its consumers first: here the reset starts a rebalance, the
    /// members finish the batch they hold (their commits land before the reset, never after it), and
    /// when the rebalance completes the offsets move and the members resume from them.
    pub(super) fn reset_group(&mut self, g: GroupId, to: ResetTarget, injected: u64) {
        let reset = self.emit(What::GroupReset { group: g }, None, 0, Some(injected));
        self.groups[g].pending_reset = Some((to, reset));
        if self.groups[g].joined {
            self.trigger_rebalance(g, Some(reset));
        } else {
            self.apply_reset(g);
        }
    }

    /// Moves group `g`'s committed offsets as its pending reset says, partition by partition.
    fn apply_reset(&mut self, g: GroupId) {
        let Some((to, reset)) = self.groups[g].pending_reset.take() else { return };
        let t = self.groups[g].topic.index();
        for p in 0..self.topics[t].partitions.len() {
            let part = &self.topics[t].partitions[p];
            let offset = match to {
                ResetTarget::Earliest => part.start_offset,
                ResetTarget::Latest => part.end_offset(),
                ResetTarget::Offset { offset } => offset.clamp(part.start_offset, part.end_offset()),
                ResetTarget::Time { ms } => part.offset_for_time(ms),
            };
            // A reset forward skips whatever the group had not read or committed yet.
            let read_from = self.groups[g].committed[p].unwrap_or(part.start_offset).min(self.groups[g].position[p]);
            if offset > read_from {
                self.note_loss_in_range(g, p as u32, read_from, offset, LossReason::SkippedByReset);
            }
            // Each partition's move, so a clamped target (an offset past the end) shows.
            let partition = p as u32;
            let what = What::OffsetReset { group: g, partition, from: read_from, to: offset, scripted: true };
            self.emit(what, None, 0, Some(reset));
            self.groups[g].committed[p] = Some(offset);
            self.groups[g].position[p] = offset;
        }
        self.groups[g].last_reset_at = Some(self.now);
    }
}
