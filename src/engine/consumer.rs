//! Consumers as processes: crash, restart, clean stop (scale in) and start (scale out).
use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Role {
    Member { group: GroupId },
    Worker { queue: QueueId },
}

#[derive(Clone, Debug)]
pub struct ConsumerState {
    pub name: String,
    pub role: Role,
    pub sub: SubId,
    pub alive: bool,
    pub(super) epoch: u32,
    pub slots: Vec<Option<Active>>,
    pub(super) crash_armed: Option<CrashPoint>,
    /// The trace position of its latest `Crashed`: what its session expiry and its restart follow from.
    pub(super) crashed_seq: Option<u64>,
    pub(super) slow_until: SimTime,
    pub(super) slow_factor: u32,
    pub(super) rng: SimRng,
    // Group members only.
    /// Records fetched and not yet processed: copies in the consumer's memory (retention cannot take them).
    pub batch: VecDeque<(u64, Record)>,
    pub batch_partition: u32,
    /// The delivery carrying its latest fetch's first record: a delay on it holds up the fetch response,
    /// one on a later record of the batch stalls processing (see `on_hit_delivery`).
    pub(super) fetch_delivery: DeliveryId,
    pub(super) poll_seq: u32,
    pub(super) parked: bool,
    /// A clean stop was asked for: it finishes what it holds and takes nothing new (see `StopConsumer`).
    pub(super) stopping: bool,
    /// Stopped cleanly: down, and not restarted until a `StartConsumer`.
    pub stopped: bool,
    /// The trace position of the scripted stop, what its `Stopped` follows from.
    pub(super) stop_seq: Option<u64>,
    pub(super) next_partition: u32,
    pub in_group: bool,
    pub(super) removed_slow: bool,
}

impl ConsumerState {
    /// The crash point armed by a scripted fault for this consumer's next message, if any.
    pub fn crash_armed(&self) -> Option<CrashPoint> {
        self.crash_armed
    }
    /// Until when a scripted `slow_consumer` fault slows this consumer (0 or past: not slowed).
    pub fn slow_until(&self) -> SimTime {
        self.slow_until
    }
    pub fn busy(&self) -> bool {
        !self.batch.is_empty() || self.slots.iter().any(|s| s.is_some())
    }
}

impl ConsumerState {
    pub(super) fn new(name: &str, role: Role, sub: SubId, slots: u32, rng: SimRng) -> Self {
        ConsumerState {
            name: name.to_string(),
            role,
            sub,
            alive: true,
            epoch: 1,
            slots: vec![None; slots as usize],
            crash_armed: None,
            crashed_seq: None,
            slow_until: 0,
            slow_factor: 1,
            rng,
            batch: VecDeque::new(),
            batch_partition: 0,
            fetch_delivery: DeliveryId::NONE,
            poll_seq: 0,
            parked: false,
            stopping: false,
            stopped: false,
            stop_seq: None,
            next_partition: 0,
            in_group: false,
            removed_slow: false,
        }
    }
}

impl Engine {
    pub(super) fn current(&self, consumer: ConsumerId, epoch: u32) -> bool {
        let c = &self.consumers[consumer];
        c.alive && c.epoch == epoch
    }

    /// The consumer's process crashes: every message in its hands ends there (whatever step it was at), a
    /// member's fetch positions die with it, and it restarts after `faults.restart_after_ms` (a member's
    /// group notices after the session timeout). `cause`: the delivery it crashed while handling (its
    /// `Delivered`), or the scripted fault.
    #[inline(never)]
    pub(super) fn crash(&mut self, c: ConsumerId, step: Option<CrashPoint>, cause: Option<u64>) -> bool {
        if !self.consumers[c].alive {
            return false;
        }
        self.counters.crashes += 1;
        let seq = self.emit(What::Crashed { consumer: c, step }, None, 0, cause);
        self.consumers[c].crashed_seq = Some(seq);
        let role = self.consumers[c].role;
        let slots: Vec<Active> = self.consumers[c].slots.iter_mut().filter_map(|s| s.take()).collect();
        for a in &slots {
            self.end_in_crash(c, a);
            // A crash set off by one message (its armed step) ends every other one in the process too.
            if let Some(point) = step.filter(|_| cause.is_some() && self.deliveries[a.delivery].trace_cause() != cause)
            {
                self.deliveries[a.delivery].mark_collateral(point);
            }
        }
        if let Role::Member { group } = role {
            self.member_crashed(c, group, slots.first());
        }
        let cons = &mut self.consumers[c];
        cons.alive = false;
        cons.epoch += 1;
        cons.batch.clear();
        cons.parked = false;
        cons.crash_armed = None;
        let epoch = cons.epoch;
        if let Role::Worker { queue } = role {
            // Once it is down, so that what comes back wakes another worker, not one of its own slots.
            self.return_on_crash(queue, &slots);
        }
        if let Role::Member { group } = role {
            let timeout = self.groups[group].spec.session_timeout_ms;
            self.scheduler.schedule_in_lane(
                Lane::SessionTimeout(group).index(),
                self.now + timeout,
                Ev::SessionTimeout { consumer: c, epoch },
            );
            if self.groups[group].rebalancing {
                self.try_complete_rebalance(group);
            }
        }
        self.scheduler.schedule(self.now + self.scenario.faults.restart_after_ms, Ev::Restart { consumer: c, epoch });
        true
    }

    /// A delivery in the crashed consumer's hands ends in the crash.
    fn end_in_crash(&mut self, c: ConsumerId, a: &Active) {
        if let Some(place) = a.open_txn {
            // The coordinator aborts it when the restarted instance fences the old one (or on
            // transaction.timeout.ms); the wait is not modelled.
            self.abort_transaction(c, place);
        }
        let del = &mut self.deliveries[a.delivery];
        del.outcome = Outcome::Crashed { before: a.step };
        del.ended_at_ms = MaybeTime::at(self.now);
        if a.claim_taken && !a.effect_applied {
            // The claim outlives the process: every later delivery will find it and skip the message.
            let sub = self.consumers[c].sub.index();
            self.subs[sub].renote_loss(a.message, LossReason::SkippedByClaim { delivery: a.delivery });
        }
    }

    /// A crashed member's fetch positions died with the process: what it holds restarts from the committed
    /// offsets, and whatever was committed but not yet processed (commit before processing) is lost.
    /// `first`: the delivery it was handling, if any.
    fn member_crashed(&mut self, c: ConsumerId, g: GroupId, first: Option<&Active>) {
        for p in 0..self.groups[g].assignment.len() {
            if self.groups[g].assignment[p] == Some(c) {
                let part = &self.topics[self.groups[g].topic.index()].partitions[p];
                self.groups[g].position[p] = self.groups[g].committed[p].unwrap_or(part.start_offset);
            }
        }
        let first_unprocessed = first.map(|a| match self.deliveries[a.delivery].source() {
            DeliverySource::Record { offset, .. } => offset,
            DeliverySource::Entry { .. } => 0,
        });
        let p = self.consumers[c].batch_partition;
        if let (Some(from), Some(committed)) = (
            first_unprocessed.or(self.consumers[c].batch.front().map(|(o, _)| *o)),
            self.groups[g].committed[p as usize],
        ) {
            let d = first.map_or(DeliveryId::NONE, |a| a.delivery);
            self.note_loss_in_range(g, p, from, committed, LossReason::CommittedBeforeProcessing { delivery: d });
        }
    }

    #[inline(never)]
    pub(super) fn on_restart(&mut self, c: ConsumerId, epoch: u32) -> bool {
        let cons = &mut self.consumers[c];
        if cons.epoch != epoch || cons.alive {
            return false;
        }
        if cons.stopping {
            // It crashed while shutting down: nothing restarts a process that was being stopped.
            cons.stopping = false;
            cons.stopped = true;
            let cause = cons.crashed_seq;
            self.emit(What::Stopped { consumer: c }, None, 0, cause);
            return true;
        }
        let cause = cons.crashed_seq;
        self.come_up(c, What::Restarted { consumer: c }, cause);
        true
    }

    /// A consumer back up, restarted after a crash or started again after a stop (`what` says which): a
    /// member joins its group, which rebalances; a worker's slots poll at once.
    pub(super) fn come_up(&mut self, c: ConsumerId, what: What, cause: Option<u64>) {
        let cons = &mut self.consumers[c];
        cons.alive = true;
        cons.epoch += 1;
        let epoch = cons.epoch;
        let up = self.emit(what, None, 0, cause);
        match self.consumers[c].role {
            Role::Member { group } => {
                let joined = self.groups[group].joined;
                let cons = &mut self.consumers[c];
                (cons.in_group, cons.removed_slow) = (joined, false);
                self.trigger_rebalance(group, Some(up));
            }
            Role::Worker { .. } => {
                for slot in 0..self.consumers[c].slots.len() {
                    self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot: slot as u16 });
                }
            }
        }
    }

    /// A clean shutdown (scale in). A member finishes the batch it holds, as a poll loop does before it
    /// checks its stop flag, then `close()`: auto-commit commits what it processed, and LeaveGroup makes
    /// the group rebalance at once. A queue worker finishes the messages in its hands.
    #[cold]
    #[inline(never)]
    pub(super) fn stop_consumer(&mut self, c: ConsumerId, cause: u64) {
        let cons = &mut self.consumers[c];
        if cons.stopped || cons.stopping {
            return;
        }
        cons.stopping = true;
        cons.stop_seq = Some(cause);
        if !cons.alive {
            // Crashed, its restart pending: it stays down when that comes (see `on_restart`).
            return;
        }
        let (epoch, idle) = (cons.epoch, cons.slots.iter().all(Option::is_none));
        match cons.role {
            // Idle (between polls, or waiting for records): its next poll is now, and it leaves.
            Role::Member { .. } if idle && cons.batch.is_empty() => {
                self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot: 0 });
            }
            Role::Member { .. } => {}
            Role::Worker { queue } => {
                self.queues[queue].store.waiting.retain(|&(w, _)| w != c);
                self.worker_stop_if_idle(c);
            }
        }
    }

    /// A stopping worker stops once no message is left in its hands.
    pub(super) fn worker_stop_if_idle(&mut self, c: ConsumerId) -> bool {
        let cons = &mut self.consumers[c];
        if !cons.stopping || cons.slots.iter().any(Option::is_some) {
            return false;
        }
        (cons.alive, cons.stopping, cons.stopped) = (false, false, true);
        cons.epoch += 1;
        let cause = cons.stop_seq;
        self.emit(What::Stopped { consumer: c }, None, 0, cause);
        true
    }

    /// Starts a stopped consumer (scale out); a member joins its group, which rebalances. A consumer still
    /// stopping keeps going instead; one that is running, or crashed (it restarts by itself), is left alone.
    #[cold]
    #[inline(never)]
    pub(super) fn start_consumer(&mut self, c: ConsumerId, cause: u64) {
        let cons = &mut self.consumers[c];
        if cons.stopping {
            cons.stopping = false;
            return;
        }
        if !cons.stopped {
            return;
        }
        cons.stopped = false;
        self.come_up(c, What::Started { consumer: c }, Some(cause));
    }
}
