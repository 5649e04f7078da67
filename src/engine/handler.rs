//! Stage 5, the handler: a delivery's steps — receive, check, effect, record, finish — and its failures.
use super::*;

/// A delivery in one of a consumer's slots: where its handler is, and what it has done so far.
#[derive(Clone, Copy, Debug)]
pub struct Active {
    pub delivery: DeliveryId,
    pub message: MessageId,
    pub step: Step,
    pub(super) crash_at: Option<CrashPoint>,
    pub(super) processing_ms: u64,
    pub(super) version: u32,
    pub(super) claim_taken: bool,
    pub(super) effect_applied: bool,
    /// The record this delivery wrote inside a still-open transaction: (topic, partition, offset).
    pub(super) open_txn: Option<(TopicId, u32, u64)>,
}

impl Engine {
    pub(super) fn begin_delivery(
        &mut self,
        c: ConsumerId,
        slot: u16,
        m: MessageId,
        source: DeliverySource,
        at: SimTime,
        cause_seq: u64,
    ) -> DeliveryId {
        let sub = self.consumers[c].sub;
        if self.subs[sub].obligations[m].fate == Fate::NotOwed {
            // A record from before the group joined, read anyway (a replay from earliest): owed from now on.
            self.subs[sub].obligations[m].fate = Fate::Pending;
            self.counters.obligations += 1;
        }
        let ob = self.subs[sub].obligations[m];
        let after_replay = match (self.consumers[c].role, ob.last_delivery) {
            (Role::Member { group }, prev) if prev != DeliveryId::NONE => {
                self.groups[group].last_reset_at.is_some_and(|t| t >= self.deliveries[prev].at_ms)
            }
            _ => false,
        };
        let d = self.deliveries.next_id();
        let attempt = self.delivery(ob.last_delivery).map_or(0, |last| last.attempt) + 1;
        let mut delivery = Delivery::new(m, c, attempt, at, source);
        delivery.previous = ob.last_delivery;
        delivery.trace_seq = cause_seq;
        if after_replay {
            delivery.set(Delivery::AFTER_REPLAY);
        }
        self.deliveries.push(delivery);
        self.subs[sub].obligations[m].last_delivery = d;
        self.consumers[c].slots[slot as usize] = Some(Active {
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
        let epoch = self.consumers[c].epoch;
        self.scheduler.schedule(at, Ev::Step { consumer: c, epoch, slot, step: Step::Receive });
        d
    }

    /// When what a delivery carries became available to read: its record's append, its entry's enqueue.
    fn available_since(&self, source: DeliverySource) -> SimTime {
        match source {
            DeliverySource::Record { topic, partition, offset } => {
                self.topics[topic].partitions[partition as usize].get(offset).map_or(self.now, |r| r.appended_at)
            }
            DeliverySource::Entry { queue, entry, .. } => {
                self.queues[queue].store.entries.get(entry).map_or(self.now, |e| SimTime::from(e.enqueued_at_ms))
            }
        }
    }

    pub(super) fn schedule_step(&mut self, c: ConsumerId, slot: u16, step: Step, at: SimTime) {
        let cons = &mut self.consumers[c];
        if let Some(a) = cons.slots[slot as usize].as_mut() {
            a.step = step;
        }
        let epoch = cons.epoch;
        self.scheduler.schedule(at, Ev::Step { consumer: c, epoch, slot, step });
    }

    /// The subscriber's handler has a separate idempotency check step (the UI's pseudo-code asks this,
    /// so it always shows the steps the engine runs).
    pub fn has_check(&self, sub: SubId) -> bool {
        let s = &self.subs[sub];
        match s.handler.strategy {
            Strategy::CheckThenAct | Strategy::ClaimFirst => true,
            Strategy::TransactionalInbox => !self.sink_is_database(s.sink),
            Strategy::None | Strategy::IdempotencyKey => false,
        }
    }

    /// The subscriber's handler has a separate idempotency record step after the effect.
    pub fn has_record(&self, sub: SubId) -> bool {
        let s = &self.subs[sub];
        match s.handler.strategy {
            Strategy::CheckThenAct => true,
            Strategy::TransactionalInbox => !self.sink_is_database(s.sink),
            _ => false,
        }
    }

    pub(super) fn sink_is_database(&self, sink: SinkId) -> bool {
        self.sinks.get(sink.index()).is_some_and(|k| matches!(k.spec.kind, SinkKind::DbUpsert | SinkKind::DbCounter))
    }

    /// One step of the delivery in `slot`: the handler's table of contents.
    #[inline(never)]
    pub(super) fn on_step(&mut self, c: ConsumerId, slot: u16, step: Step) -> bool {
        let Some(active) = self.consumers[c].slots[slot as usize] else { return false };
        match step {
            Step::Receive => self.on_receive(c, slot, active),
            Step::Check => self.on_check(c, slot, active),
            Step::Effect => self.on_effect(c, slot, active),
            Step::Record => self.on_record(c, slot, active),
            Step::Finish => self.on_finish(c, slot, active),
        }
    }

    /// Receive: the delivery counts, the fault rolls decide how it will go, and a thin event reads its
    /// entity back from the producer's API before the handler goes on.
    fn on_receive(&mut self, c: ConsumerId, slot: u16, active: Active) -> bool {
        let (m, d) = (active.message, active.delivery);
        if !self.delivery_hits.is_empty() {
            if let Some(hit) = self.take_delivery_hit(m, c) {
                return self.on_hit_delivery(c, slot, active, hit);
            }
        }
        let sub = self.consumers[c].sub;
        let attempt = self.deliveries[d].attempt;
        if !self.subs[sub].obligations[m].received {
            // The first delivery of it to arrive here, whichever was handed out first: its wait ends.
            self.subs[sub].obligations[m].received = true;
            let waited = self.now.saturating_sub(self.available_since(self.deliveries[d].source()));
            self.subs[sub].waiting.record(waited);
        }
        self.counters.deliveries += 1;
        if attempt > 1 {
            self.counters.redeliveries += 1;
        }
        self.counters.bytes_on_wire += self.message_bytes(m);
        let cause = self.deliveries[d].trace_cause();
        let seq = self.emit(What::Delivered { consumer: c, delivery: d }, Some(m), attempt, cause);
        self.deliveries[d].trace_seq = seq;
        if let Role::Worker { queue } = self.consumers[c].role {
            if self.queues[queue].spec.ack == QueueAck::BeforeProcessing {
                self.ack_on_receipt(c, queue, d);
            }
        }
        let read_fails = self.roll_handler_faults(c, slot, sub);
        let producer = self.messages[m].producer.index();
        if self.producers[producer].spec.payload == Payload::Notification && !self.read_back(c, slot, read_fails) {
            return self.handler_failed(c, slot, false);
        }
        let processing = self.consumers[c].slots[slot as usize].map_or(0, |a| a.processing_ms);
        if self.has_check(sub) {
            self.schedule_step(c, slot, Step::Check, self.now + self.subs[sub].handler.store_ms);
        } else {
            self.schedule_step(c, slot, Step::Effect, self.now + processing);
        }
        true
    }

    /// Draws, in this order from the consumer's stream, the delivery's crash point, its processing time, a
    /// slowdown and a read-API failure; keeps the crash point and the (slowed) processing time on the
    /// delivery and returns whether a read-back would fail.
    fn roll_handler_faults(&mut self, c: ConsumerId, slot: u16, sub: SubId) -> bool {
        let crash_at = self.roll_consumer_crash(c);
        let base = self.draw_processing_ms(c, sub);
        let slow = self.roll_slow(c);
        let read_fails = self.roll_read_api_failure(c);
        if let Some(a) = self.consumers[c].slots[slot as usize].as_mut() {
            a.crash_at = crash_at;
            a.processing_ms = base.saturating_mul(slow);
        }
        read_fails
    }

    fn draw_processing_ms(&mut self, c: ConsumerId, sub: SubId) -> u64 {
        let rng = &mut self.consumers[c].rng;
        match self.subs[sub].handler.processing {
            Processing::Fixed { ms } => ms,
            Processing::Uniform { min_ms, max_ms } => rng.range_inclusive(min_ms, max_ms),
            Processing::Exponential { mean_ms } => rng.exponential_ms(mean_ms),
        }
    }

    /// A thin event (a notification) reads its entity back from the producer's API, and may find a newer
    /// version than the event announced (a stale read). False when the API call failed.
    fn read_back(&mut self, c: ConsumerId, slot: u16, read_fails: bool) -> bool {
        let Some(active) = self.consumers[c].slots[slot as usize] else { return false };
        let (m, d) = (active.message, active.delivery);
        let (attempt, delivered) = (self.deliveries[d].attempt, Some(self.deliveries[d].trace_seq));
        self.counters.read_api_calls += 1;
        if read_fails {
            self.emit(What::ReadApiFailed { consumer: c }, Some(m), attempt, delivered);
            return false;
        }
        let (producer, key) = (self.messages[m].producer.index(), self.messages[m].key);
        let version = self.producers[producer].db_version[key as usize];
        let stale = version > self.messages[m].version;
        self.emit(What::ReadBack { consumer: c, version, stale }, Some(m), attempt, delivered);
        if let Some(a) = self.consumers[c].slots[slot as usize].as_mut() {
            a.version = version;
        }
        if stale {
            self.counters.stale_reads += 1;
            self.push_anomaly(AnomalyKind::StaleRead, m, &[d], |e| explain::stale_read(e, m, d, version));
        }
        true
    }

    /// Check: claim-first takes the id in the store, or finds it taken; check-then-act (and a transactional
    /// inbox outside the sink's database) looks it up. A message seen before is skipped.
    fn on_check(&mut self, c: ConsumerId, slot: u16, active: Active) -> bool {
        let (m, d) = (active.message, active.delivery);
        let sub = self.consumers[c].sub;
        let (attempt, cause) = (self.deliveries[d].attempt, self.deliveries[d].trace_cause());
        let seen = self.store_has(sub, m);
        if self.subs[sub].handler.strategy == Strategy::ClaimFirst {
            self.emit(What::Claimed { consumer: c, won: !seen }, Some(m), attempt, cause);
            if !seen {
                self.store_set(sub, m, d);
                if let Some(a) = self.consumers[c].slots[slot as usize].as_mut() {
                    a.claim_taken = true;
                }
            } else {
                let s = &mut self.subs[sub];
                let claimant = s.store[m].by_delivery;
                // Skipping is only right if the claimant applies the effect; if it crashes or
                // fails instead, this skip (and its commit or ack) is where the message is lost.
                s.renote_loss(m, LossReason::SkippedByClaim { delivery: claimant });
            }
        } else {
            self.emit(What::Checked { consumer: c, seen }, Some(m), attempt, cause);
            let s = &mut self.subs[sub];
            let recorded_by = s.store.get(m).map_or(DeliveryId::NONE, |e| e.by_delivery);
            if seen {
                // The id was recorded but the effect never counted (its transaction was aborted
                // after the record): this skip is where the message is lost.
                s.renote_loss(m, LossReason::SkippedByRecord { delivery: recorded_by });
            }
        }
        if seen {
            self.deliveries[d].outcome = Outcome::Suppressed;
            self.schedule_step(c, slot, Step::Finish, self.now);
        } else {
            self.schedule_step(c, slot, Step::Effect, self.now + active.processing_ms);
        }
        true
    }

    /// Effect: a poison message fails here; a stage writes its output record; the sink applies the effect
    /// unless its own de-duplication (an idempotency key, an inbox in the same database) recognises it.
    fn on_effect(&mut self, c: ConsumerId, slot: u16, active: Active) -> bool {
        let (m, d) = (active.message, active.delivery);
        let sub = self.consumers[c].sub;
        if active.crash_at == Some(CrashPoint::BeforeEffect) {
            return self.crash(c, Some(CrashPoint::BeforeEffect), self.deliveries[d].trace_cause());
        }
        if self.messages[m].poison() {
            return self.handler_failed(c, slot, true);
        }
        if let Some(out) = self.subs[sub].output {
            self.stage_produce(c, slot, out);
        }
        let sink = self.subs[sub].sink;
        let (by_key, deduplicated) = self.sink_deduplicates(sub, m, d);
        if sink == SinkId::NONE {
            // A pure transform stage: its output record is its effect.
        } else if deduplicated {
            self.sinks[sink].deduplicated_by_key += u64::from(by_key);
            self.deliveries[d].outcome = Outcome::Suppressed;
            let (attempt, cause) = (self.deliveries[d].attempt, self.deliveries[d].trace_cause());
            self.emit(What::EffectDeduplicated { consumer: c, sink }, Some(m), attempt, cause);
        } else {
            self.apply_effect(c, sub, m, d, active.version);
            if let Some(a) = self.consumers[c].slots[slot as usize].as_mut() {
                a.effect_applied = true;
            }
        }
        // The effect's time is in its processing; a record's write takes one round trip to the store.
        if self.has_record(sub) {
            self.schedule_step(c, slot, Step::Record, self.now + self.subs[sub].handler.store_ms);
        } else {
            self.schedule_step(c, slot, Step::Finish, self.now);
        }
        true
    }

    /// The sink's own de-duplication, for the strategies that have one: returns (by an idempotency key,
    /// recognised as a repeat). By key, the sink remembers the key (subscriber + id) for `store_ttl_ms`,
    /// like Stripe's 24 hours. A transactional inbox checks the inbox, applies and inserts the inbox row in
    /// one transaction, so a repeat conflicts. Either way the subscriber's store rows keep the ids.
    fn sink_deduplicates(&mut self, sub: SubId, m: MessageId, d: DeliveryId) -> (bool, bool) {
        let s = &self.subs[sub];
        let (sink, strategy) = (s.sink, s.handler.strategy);
        let by_key = strategy == Strategy::IdempotencyKey
            && self.sinks.get(sink.index()).is_some_and(|k| k.spec.accepts_idempotency_key);
        let inbox = strategy == Strategy::TransactionalInbox && self.sink_is_database(sink);
        if !(by_key || inbox) {
            return (by_key, false);
        }
        let hit = self.store_has(sub, m);
        if !hit {
            self.store_set(sub, m, d);
        }
        (by_key, hit)
    }

    /// Record: check-then-act writes the id after the effect (the window between the two is where a crash
    /// makes a duplicate).
    fn on_record(&mut self, c: ConsumerId, slot: u16, active: Active) -> bool {
        let (m, d) = (active.message, active.delivery);
        let sub = self.consumers[c].sub;
        if active.crash_at == Some(CrashPoint::AfterEffect) {
            return self.crash(c, Some(CrashPoint::AfterEffect), self.deliveries[d].trace_cause());
        }
        self.store_set(sub, m, d);
        let (attempt, cause) = (self.deliveries[d].attempt, self.deliveries[d].trace_cause());
        self.emit(What::Recorded { consumer: c }, Some(m), attempt, cause);
        self.schedule_step(c, slot, Step::Finish, self.now);
        true
    }

    /// Finish: the delivery is done; a stage's transaction commits, and the member commits its offset
    /// (`group.rs`) or the worker acks the entry (`queue.rs`).
    fn on_finish(&mut self, c: ConsumerId, slot: u16, active: Active) -> bool {
        let d = active.delivery;
        let sub = self.consumers[c].sub;
        let no_record_step = !self.has_record(sub);
        if active.crash_at == Some(CrashPoint::AfterRecord)
            || (active.crash_at == Some(CrashPoint::AfterEffect) && no_record_step)
        {
            return self.crash(c, active.crash_at, self.deliveries[d].trace_cause());
        }
        self.counters.processed += 1;
        self.deliveries[d].ended_at_ms = MaybeTime::at(self.now);
        let served = self.now.saturating_sub(self.deliveries[d].at_ms);
        self.subs[sub].service.record(served);
        if self.deliveries[d].outcome == Outcome::Running {
            self.deliveries[d].outcome = Outcome::Done;
        }
        self.consumers[c].slots[slot as usize] = None;
        if let Some(place) = active.open_txn {
            self.end_transaction(c, d, place);
        }
        match self.consumers[c].role {
            Role::Member { group } => self.finish_record(c, group, d),
            Role::Worker { queue } => self.finish_entry(c, slot, queue, d),
        }
        true
    }

    /// The handler failed (a poison message, a failed read-back): the delivery ends, its transaction aborts,
    /// a claim is released, and the member (`group.rs`) or the worker (`queue.rs`) deals with the message.
    #[inline(never)]
    pub(super) fn handler_failed(&mut self, c: ConsumerId, slot: u16, poison: bool) -> bool {
        let Some(active) = self.consumers[c].slots[slot as usize].take() else { return false };
        let (d, m) = (active.delivery, active.message);
        let sub = self.consumers[c].sub;
        if let Some(place) = active.open_txn {
            self.abort_transaction(c, place);
        }
        self.deliveries[d].outcome = Outcome::Failed { poison };
        self.deliveries[d].ended_at_ms = MaybeTime::at(self.now);
        let (attempt, cause) = (self.deliveries[d].attempt, self.deliveries[d].trace_cause());
        let failed = self.emit(What::HandlerFailed { consumer: c, poison }, Some(m), attempt, cause);
        if active.claim_taken {
            // A handled failure releases the claim (the `finally` of a careful claim-first handler).
            if let Some(e) = self.subs[sub].store.get_mut(m) {
                e.expires_at = 0;
            }
        }
        match self.consumers[c].role {
            Role::Member { group } => self.member_failed(c, group, d, poison, failed),
            Role::Worker { queue } => self.worker_failed(c, slot, queue, d),
        }
        true
    }
}
