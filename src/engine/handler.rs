//! Stage 5, the handler: a delivery's steps — receive, check, effect, record, finish — and its failures.
use super::*;

/// Time one idempotency-store or database round trip takes inside a handler.
pub(super) const STORE_MS: u64 = 1;

/// A topic consumer waits this long before retrying a record whose handler failed.
pub(super) const CONSUMER_RETRY_BACKOFF_MS: u64 = 500;

#[derive(Clone, Copy, Debug)]
pub struct Active {
    pub delivery: u32,
    pub message: u32,
    pub step: Step,
    pub(super) crash_at: Option<CrashPoint>,
    pub(super) processing_ms: u64,
    pub(super) version: u32,
    pub(super) claim_taken: bool,
    pub(super) effect_applied: bool,
    /// The record this delivery wrote inside a still-open transaction: (topic, partition, offset).
    pub(super) open_txn: Option<(u16, u32, u64)>,
}

impl Engine {
    pub(super) fn begin_delivery(
        &mut self,
        c: u16,
        slot: u16,
        m: u32,
        source: DeliverySource,
        at: SimTime,
        cause_seq: u64,
    ) -> u32 {
        let ci = c as usize;
        let sub = self.consumers[ci].sub;
        if self.subs[sub as usize].obligations[m].fate == Fate::NotOwed {
            // A record from before the group joined, read anyway (a replay from earliest): owed from now on.
            self.subs[sub as usize].obligations[m].fate = Fate::Pending;
            self.counters.obligations += 1;
        }
        let ob = self.subs[sub as usize].obligations[m];
        let after_replay = match (self.consumers[ci].role, ob.last_delivery) {
            (Role::Member { group }, prev) if prev != 0 => {
                self.groups[group as usize].last_reset_at.is_some_and(|t| t >= self.deliveries[prev].at_ms)
            }
            _ => false,
        };
        let d = self.deliveries.len() as u32;
        let attempt = self.delivery(ob.last_delivery).map_or(0, |last| last.attempt) + 1;
        let mut delivery = Delivery::new(m, c, attempt, at, source);
        delivery.previous = ob.last_delivery;
        delivery.trace_seq = cause_seq;
        if after_replay {
            delivery.set(Delivery::AFTER_REPLAY);
        }
        self.deliveries.push(delivery);
        self.subs[sub as usize].obligations[m].last_delivery = d;
        self.consumers[ci].slots[slot as usize] = Some(Active {
            delivery: d,
            message: m,
            step: Step::Receive,
            crash_at: None,
            processing_ms: 0,
            version: self.messages[m].version,
            claim_taken: false,
            effect_applied: false,
            open_txn: None,
        });
        let epoch = self.consumers[ci].epoch;
        self.scheduler.schedule(at, Ev::Step { consumer: c, epoch, slot, step: Step::Receive });
        d
    }

    pub(super) fn schedule_step(&mut self, c: u16, slot: u16, step: Step, at: SimTime) {
        let cons = &mut self.consumers[c as usize];
        if let Some(a) = cons.slots[slot as usize].as_mut() {
            a.step = step;
        }
        let epoch = cons.epoch;
        self.scheduler.schedule(at, Ev::Step { consumer: c, epoch, slot, step });
    }

    /// The subscriber's handler has a separate idempotency check step (the UI's pseudo-code asks this,
    /// so it always shows the steps the engine runs).
    pub fn has_check(&self, sub: u16) -> bool {
        let s = &self.subs[sub as usize];
        match s.handler.strategy {
            Strategy::CheckThenAct | Strategy::ClaimFirst => true,
            Strategy::TransactionalInbox => !self.sink_is_database(s.sink),
            Strategy::None | Strategy::IdempotencyKey => false,
        }
    }

    /// The subscriber's handler has a separate idempotency record step after the effect.
    pub fn has_record(&self, sub: u16) -> bool {
        let s = &self.subs[sub as usize];
        match s.handler.strategy {
            Strategy::CheckThenAct => true,
            Strategy::TransactionalInbox => !self.sink_is_database(s.sink),
            _ => false,
        }
    }

    pub(super) fn sink_is_database(&self, sink: u16) -> bool {
        self.sinks.get(sink as usize).is_some_and(|k| matches!(k.spec.kind, SinkKind::DbUpsert | SinkKind::DbCounter))
    }

    #[inline(never)]
    pub(super) fn on_step(&mut self, c: u16, slot: u16, step: Step) -> bool {
        let ci = c as usize;
        let Some(active) = self.consumers[ci].slots[slot as usize] else { return false };
        let sub = self.consumers[ci].sub;
        let m = active.message;
        let d = active.delivery;
        let attempt = self.deliveries[d].attempt;
        match step {
            Step::Receive => {
                self.counters.deliveries += 1;
                if attempt > 1 {
                    self.counters.redeliveries += 1;
                }
                self.counters.bytes_on_wire += self.message_bytes(m);
                let cause = self.deliveries[d].trace_cause();
                let seq = self.trace(What::Delivered { consumer: c, delivery: d }, Some(m), attempt, cause);
                self.deliveries[d].trace_seq = seq;
                let faulty = self.faulty();
                let faults = &self.scenario.faults;
                let cons = &mut self.consumers[ci];
                let crash_at = if let Some(point) = cons.crash_armed.take() {
                    Some(point)
                } else if faulty && cons.rng.chance(faults.consumer_crash) {
                    let i = cons.rng.range_inclusive(0, (faults.crash_points.len() as u64).saturating_sub(1)) as usize;
                    faults.crash_points.get(i).copied()
                } else {
                    None
                };
                let base = match self.subs[sub as usize].handler.processing {
                    Processing::Fixed { ms } => ms,
                    Processing::Uniform { min_ms, max_ms } => cons.rng.range_inclusive(min_ms, max_ms),
                    Processing::Exponential { mean_ms } => cons.rng.exponential_ms(mean_ms),
                };
                let slow = if self.now < cons.slow_until {
                    cons.slow_factor as u64
                } else if faulty && cons.rng.chance(faults.slow) {
                    faults.slow_factor as u64
                } else {
                    1
                };
                let read_fails =
                    self.now < self.read_api_down_until || (faulty && cons.rng.chance(faults.read_api_failure));
                if let Some(a) = cons.slots[slot as usize].as_mut() {
                    a.crash_at = crash_at;
                    a.processing_ms = base.saturating_mul(slow);
                }
                let producer = self.messages[m].producer as usize;
                if self.producers[producer].spec.payload == Payload::Notification {
                    // Thin event: read the entity back from the source's API.
                    self.counters.read_api_calls += 1;
                    if read_fails {
                        self.trace(What::ReadApiFailed { consumer: c }, Some(m), attempt, Some(seq));
                        return self.handler_failed(c, slot, false);
                    }
                    let key = self.messages[m].key;
                    let version = self.producers[producer].db_version[key as usize];
                    let stale = version > self.messages[m].version;
                    self.trace(What::ReadBack { consumer: c, version, stale }, Some(m), attempt, Some(seq));
                    if let Some(a) = self.consumers[ci].slots[slot as usize].as_mut() {
                        a.version = version;
                    }
                    if stale {
                        self.counters.stale_reads += 1;
                        self.push_anomaly(AnomalyKind::StaleRead, m, &[d], |e| explain::stale_read(e, m, d, version));
                    }
                }
                let processing = self.consumers[ci].slots[slot as usize].map_or(0, |a| a.processing_ms);
                if self.has_check(sub) {
                    self.schedule_step(c, slot, Step::Check, self.now + STORE_MS);
                } else {
                    self.schedule_step(c, slot, Step::Effect, self.now + processing);
                }
            }
            Step::Check => {
                let seen = self.store_has(sub, m);
                if self.subs[sub as usize].handler.strategy == Strategy::ClaimFirst {
                    self.trace(
                        What::Claimed { consumer: c, won: !seen },
                        Some(m),
                        attempt,
                        self.deliveries[d].trace_cause(),
                    );
                    if !seen {
                        self.store_set(sub, m, d);
                        if let Some(a) = self.consumers[ci].slots[slot as usize].as_mut() {
                            a.claim_taken = true;
                        }
                    } else {
                        let s = &mut self.subs[sub as usize];
                        let claimant = s.store[m].by_delivery;
                        // Skipping is only right if the claimant applies the effect; if it crashes or
                        // fails instead, this skip (and its commit or ack) is where the message is lost.
                        s.renote_loss(m, LossReason::SkippedByClaim { delivery: claimant });
                    }
                } else {
                    self.trace(What::Checked { consumer: c, seen }, Some(m), attempt, self.deliveries[d].trace_cause());
                    let s = &mut self.subs[sub as usize];
                    let recorded_by = s.store.get(m).map_or(0, |e| e.by_delivery);
                    if seen {
                        // The id was recorded but the effect never counted (its transaction was aborted
                        // after the record): this skip is where the message is lost.
                        s.renote_loss(m, LossReason::SkippedByRecord { delivery: recorded_by });
                    }
                }
                if seen {
                    self.deliveries[d].outcome = Outcome::Suppressed;
                    self.schedule_step(c, slot, Step::Finish, self.now + STORE_MS);
                } else {
                    let processing = active.processing_ms;
                    self.schedule_step(c, slot, Step::Effect, self.now + processing);
                }
            }
            Step::Effect => {
                if active.crash_at == Some(CrashPoint::BeforeEffect) {
                    return self.crash(c, Some(CrashPoint::BeforeEffect), self.deliveries[d].trace_cause());
                }
                if self.messages[m].poison() {
                    return self.handler_failed(c, slot, true);
                }
                if let Some(out) = self.subs[sub as usize].output {
                    self.stage_produce(c, slot, out);
                }
                let s = &self.subs[sub as usize];
                let sink = s.sink;
                let strategy = s.handler.strategy;
                let by_key = strategy == Strategy::IdempotencyKey
                    && self.sinks.get(sink as usize).is_some_and(|k| k.spec.accepts_idempotency_key);
                let inbox = strategy == Strategy::TransactionalInbox && self.sink_is_database(sink);
                let deduplicated = if by_key || inbox {
                    // By key: the sink remembers the key (subscriber + id) for `store_ttl_ms`, like Stripe's
                    // 24 hours. Inbox: one transaction checks the inbox, applies and inserts the inbox row;
                    // a duplicate conflicts. Either way, the subscriber's store rows keep the ids.
                    let hit = self.store_has(sub, m);
                    if !hit {
                        self.store_set(sub, m, d);
                    }
                    hit
                } else {
                    false
                };
                if sink == NO_SINK {
                    // A pure transform stage: its output record is its effect.
                } else if deduplicated {
                    self.sinks[sink as usize].deduplicated_by_key += u64::from(by_key);
                    self.deliveries[d].outcome = Outcome::Suppressed;
                    self.trace(
                        What::EffectDeduplicated { consumer: c, sink },
                        Some(m),
                        attempt,
                        self.deliveries[d].trace_cause(),
                    );
                } else {
                    self.apply_effect(c, sub, m, d, active.version);
                    if let Some(a) = self.consumers[ci].slots[slot as usize].as_mut() {
                        a.effect_applied = true;
                    }
                }
                let next = if self.has_record(sub) { Step::Record } else { Step::Finish };
                self.schedule_step(c, slot, next, self.now + STORE_MS);
            }
            Step::Record => {
                if active.crash_at == Some(CrashPoint::AfterEffect) {
                    return self.crash(c, Some(CrashPoint::AfterEffect), self.deliveries[d].trace_cause());
                }
                self.store_set(sub, m, d);
                self.trace(What::Recorded { consumer: c }, Some(m), attempt, self.deliveries[d].trace_cause());
                self.schedule_step(c, slot, Step::Finish, self.now + STORE_MS);
            }
            Step::Finish => {
                let no_record_step = !self.has_record(sub);
                if active.crash_at == Some(CrashPoint::AfterRecord)
                    || (active.crash_at == Some(CrashPoint::AfterEffect) && no_record_step)
                {
                    return self.crash(c, active.crash_at, self.deliveries[d].trace_cause());
                }
                self.counters.processed += 1;
                self.deliveries[d].ended_at_ms = MaybeTime::at(self.now);
                if self.deliveries[d].outcome == Outcome::Running {
                    self.deliveries[d].outcome = Outcome::Done;
                }
                self.consumers[ci].slots[slot as usize] = None;
                if let Some(place) = active.open_txn {
                    self.end_transaction(c, d, place);
                }
                match self.consumers[ci].role {
                    Role::Member { group } => self.finish_record(c, group, d),
                    Role::Worker { queue } => self.finish_entry(c, slot, queue, d),
                }
            }
        }
        true
    }

    #[inline(never)]
    pub(super) fn handler_failed(&mut self, c: u16, slot: u16, poison: bool) -> bool {
        let ci = c as usize;
        let Some(active) = self.consumers[ci].slots[slot as usize].take() else { return false };
        let d = active.delivery;
        let m = active.message;
        let sub = self.consumers[ci].sub;
        if let Some(place) = active.open_txn {
            self.abort_transaction(c, place);
        }
        self.deliveries[d].outcome = Outcome::Failed { poison };
        self.deliveries[d].ended_at_ms = MaybeTime::at(self.now);
        let (attempt, cause) = (self.deliveries[d].attempt, self.deliveries[d].trace_cause());
        let failed = self.trace(What::HandlerFailed { consumer: c, poison }, Some(m), attempt, cause);
        if active.claim_taken {
            // A handled failure releases the claim (the `finally` of a careful claim-first handler).
            if let Some(e) = self.subs[sub as usize].store.get_mut(m) {
                e.expires_at = 0;
            }
        }
        let epoch = self.consumers[ci].epoch;
        match self.consumers[ci].role {
            Role::Member { group } => {
                let gi = group as usize;
                let DeliverySource::Record { partition, offset, .. } = self.deliveries[d].source() else {
                    return true;
                };
                let pu = partition as usize;
                // The rest of the batch is dropped; what was committed before processing is skipped from now on.
                let dropped: Vec<u64> = self.consumers[ci].batch.drain(..).map(|(o, _)| o).collect();
                if let (Some(&first), Some(committed)) = (dropped.first(), self.groups[gi].committed[pu]) {
                    self.hint_range(
                        group,
                        partition,
                        first,
                        committed.min(first + dropped.len() as u64),
                        LossReason::CommittedBeforeProcessing { delivery: d },
                    );
                }
                if self.groups[gi].committed[pu].is_some_and(|committed| committed > offset) {
                    // Committed before processing: if nobody retries it, this failure is where it was lost.
                    self.hint_range(
                        group,
                        partition,
                        offset,
                        offset + 1,
                        LossReason::CommittedBeforeProcessing { delivery: d },
                    );
                }
                if self.groups[gi].assignment[pu] == Some(c) {
                    // It has not processed this record: that is where a revocation commit must stop.
                    self.groups[gi].position[pu] = offset;
                }
                let owner = self.groups[gi].assignment[pu] == Some(c)
                    && self.consumers[ci].in_group
                    && !self.groups[gi].rebalancing;
                if !owner {
                    // The partition moved on (rebalance or removal): its new owner retries the record.
                    if self.groups[gi].rebalancing {
                        self.try_complete_rebalance(group);
                    }
                    self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot: 0 });
                    return true;
                }
                self.groups[gi].head_failures[pu] += 1;
                let failures = self.groups[gi].head_failures[pu];
                let skip = poison && self.groups[gi].spec.poison_skip_after.is_some_and(|n| failures >= n);
                if skip {
                    // Park the record in a dead-letter topic and move on.
                    self.groups[gi].head_failures[pu] = 0;
                    self.groups[gi].position[pu] = offset + 1;
                    let what = What::SkippedPoison { consumer: c, partition, offset };
                    let skipped = self.trace(what, Some(m), failures, Some(failed));
                    self.dead_letter(sub, m, failures, Some(skipped));
                    if self.groups[gi].spec.commit != CommitPolicy::BeforeProcessing {
                        self.commit(c, group, partition, offset + 1, Some(skipped));
                    }
                    self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot: 0 });
                } else {
                    self.groups[gi].position[pu] = offset;
                    if poison && !self.faulty() && self.groups[gi].spec.poison_skip_after.is_none() {
                        // Head-of-line blocking for good: nothing behind the poison record is ever processed.
                        self.groups[gi].blocked[pu] = true;
                        let end = self.topics[self.groups[gi].topic as usize].partitions[pu].end_offset();
                        self.hint_range(
                            group,
                            partition,
                            offset,
                            end,
                            LossReason::BlockedByPoison { partition, offset },
                        );
                    }
                    self.scheduler
                        .schedule(self.now + CONSUMER_RETRY_BACKOFF_MS, Ev::Poll { consumer: c, epoch, slot: 0 });
                }
            }
            Role::Worker { queue } => {
                let qi = queue as usize;
                let DeliverySource::Entry { entry, receipt, .. } = self.deliveries[d].source() else {
                    return true;
                };
                let fifo = self.queues[qi].spec.kind == QueueKind::Fifo;
                let store = &mut self.queues[qi].store;
                let e = &mut store.entries[entry];
                if e.held_by(receipt) {
                    // Nack: visible again at once (ChangeMessageVisibility 0 / basic.nack requeue).
                    e.state = EntryState::Visible;
                    store.in_flight -= 1;
                    if !store.group_busy.is_empty() {
                        store.release_group(self.messages[m].key);
                    }
                    if fifo {
                        store.visible.push_front(entry);
                    } else {
                        store.visible.push_back(entry);
                    }
                    self.cancel_visibility_timer(queue, entry, receipt);
                    self.wake_worker(queue);
                }
                self.scheduler.schedule(self.now, Ev::Poll { consumer: c, epoch, slot });
            }
        }
        true
    }
}
