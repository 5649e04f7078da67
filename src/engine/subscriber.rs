//! What a subscriber owes each message: obligations, loss notes, dead letters and the idempotency store.
use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SubSource {
    Group(GroupId),
    Queue(QueueId),
}

/// A subscriber: a consumer group on a topic, or a queue with its workers; owns one handler and store.
#[derive(Clone, Debug)]
pub(super) struct Sub {
    pub(super) name: String,
    pub(super) source: SubSource,
    pub(super) handler: Handler,
    pub(super) sink: SinkId,
    pub(super) store: Table<MessageId, StoreEntry>,
    /// How many idempotency keys were ever set (a key set again after it expired counts again).
    pub(super) keys_set: u64,
    pub(super) obligations: Table<MessageId, Obligation>,
    /// Why a pending obligation may end up lost, by message id: noted when it happens, read when the run ends.
    pub(super) loss_reasons: Table<MessageId, LossReason>,
    /// Per key: the newest version applied.
    pub(super) last_applied: Vec<Applied>,
    /// A stage's output topic, and whether it writes it in transactions.
    pub(super) output: Option<TopicId>,
    pub(super) transactional: bool,
    /// From a message's append or enqueue to its first receive here (the first delivery to reach its
    /// consumer): its time waiting.
    pub(super) waiting: LatencyHistogram,
    /// From each receive to its handler's finish: time in service.
    pub(super) service: LatencyHistogram,
}

impl Sub {
    pub(super) fn loss_reason(&self, m: MessageId) -> LossReason {
        self.loss_reasons.get(m).copied().unwrap_or_default()
    }

    pub(super) fn pending(&self, m: MessageId) -> bool {
        self.obligations.get(m).is_some_and(|ob| ob.fate == Fate::Pending)
    }

    /// Notes why pending message `m` may be lost, unless a reason was noted before (the first cause stands).
    pub(super) fn note_loss(&mut self, m: MessageId, reason: LossReason) {
        if self.pending(m) {
            if let Some(noted) = self.loss_reasons.grow_to(m, LossReason::Unknown) {
                if *noted == LossReason::Unknown {
                    *noted = reason;
                }
            }
        }
    }

    /// Notes why pending message `m` may be lost, in place of any reason noted before (a later skip is
    /// where it is lost, whatever happened earlier).
    pub(super) fn renote_loss(&mut self, m: MessageId, reason: LossReason) {
        if self.pending(m) {
            if let Some(noted) = self.loss_reasons.grow_to(m, LossReason::Unknown) {
                *noted = reason;
            }
        }
    }
}

impl Engine {
    pub(super) fn note_loss_for_all(&mut self, message: MessageId, reason: LossReason) {
        for sub in &mut self.subs {
            sub.note_loss(message, reason);
        }
    }

    #[inline(never)]
    /// `cause`: the trace position of the last failed delivery's end (or of the skip that parks a record).
    pub(super) fn dead_letter(&mut self, sub: SubId, m: MessageId, receives: u32, cause: Option<u64>) {
        self.emit(What::DeadLettered { sub }, Some(m), receives, cause);
        // A poll that only parks a message is not counted as an event that ran (links pin moments by that
        // count), but the run lasts until it: no anomaly may be dated after the run's end.
        self.last_event_at = self.last_event_at.max(self.now);
        let ob = &mut self.subs[sub].obligations[m];
        match ob.fate {
            Fate::Pending => {
                ob.fate = Fate::DeadLettered;
                self.counters.dead_lettered += 1;
                self.push_anomaly(AnomalyKind::DeadLettered, m, &[], |e| explain::dead_lettered(e, sub, m, receives));
            }
            // Applied, then failed before its ack or commit until the limit: parked all the same.
            Fate::Effected => {
                self.counters.dead_lettered_after_effect += 1;
                let kind = AnomalyKind::DeadLetteredAfterEffect;
                self.push_anomaly(kind, m, &[], |e| explain::dead_lettered_after_effect(e, sub, m, receives));
            }
            _ => {}
        }
    }

    /// A run still going when message `m` was parked applied its effect (delivery `d`): the move counts,
    /// and its anomaly says so, as a dead letter whose effect ran.
    #[cold]
    #[inline(never)]
    fn effect_after_dead_letter(&mut self, sub: SubId, m: MessageId, d: DeliveryId) {
        self.counters.dead_lettered -= 1;
        self.counters.dead_lettered_after_effect += 1;
        // The explanation quotes the name as sentences do (bidi-isolated when it needs it).
        let quoted = format!("'{}'", crate::scenario::names::isolated(&self.subs[sub].name));
        let parked = self
            .anomalies
            .iter()
            .rposition(|a| a.kind == AnomalyKind::DeadLettered && a.message_id == m && a.explanation.contains(&quoted));
        if let Some(i) = parked {
            let explanation = explain::effect_after_dead_letter(self, sub, m, d, self.anomalies[i].at_ms);
            let a = &mut self.anomalies[i];
            (a.kind, a.explanation) = (AnomalyKind::DeadLetteredAfterEffect, explanation);
            a.deliveries = vec![d];
        }
    }

    /// Delivery `d` applied the first effect `sub` owed message `m`: the obligation is met (a message
    /// dead-lettered earlier and effected after all is no longer counted as parked).
    pub(super) fn first_effect(&mut self, sub: SubId, m: MessageId, d: DeliveryId) {
        let ob = &mut self.subs[sub].obligations[m];
        ob.first_effect_delivery = d;
        if ob.fate == Fate::Pending || ob.fate == Fate::DeadLettered {
            let parked = ob.fate == Fate::DeadLettered;
            ob.fate = Fate::Effected;
            self.counters.effected += 1;
            if parked {
                self.effect_after_dead_letter(sub, m, d);
            }
        }
        let produced_at = self.messages[m].produced_at();
        self.latency.record(self.now - produced_at);
        if self.messages[m].invented() {
            self.invented_effect(sub, m, d);
        }
    }

    /// A subscriber acted on an event its producer never wrote (a publish-first dual write that crashed).
    #[cold]
    #[inline(never)]
    pub(super) fn invented_effect(&mut self, sub: SubId, m: MessageId, d: DeliveryId) {
        self.push_anomaly(AnomalyKind::InventedEvent, m, &[d], |e| explain::invented_event(e, sub, m, d));
    }

    pub(super) fn store_has(&self, sub: SubId, m: MessageId) -> bool {
        self.subs[sub].store.get(m).is_some_and(|e| e.expires_at > self.now)
    }

    pub(super) fn store_set(&mut self, sub: SubId, m: MessageId, delivery: DeliveryId) {
        let s = &mut self.subs[sub];
        let expires_at = s.handler.store_ttl_ms.map_or(u64::MAX, |ttl| self.now.saturating_add(ttl));
        if let Some(row) = s.store.grow_to(m, StoreEntry::default()) {
            if row.expires_at <= self.now {
                s.keys_set += 1;
            }
            (row.expires_at, row.by_delivery) = (expires_at, delivery);
        }
    }

    /// Subscriber `sub`'s idempotency store as the picture draws it: how many keys were ever set, and the
    /// newest keys it holds now (message ids, oldest first), at most `max`. It looks back over the last
    /// `KEYS_LOOK_BACK` messages only, so a frame costs the same however long the run.
    pub fn idempotency_keys(&self, sub: SubId, max: usize) -> (u64, Vec<MessageId>) {
        const KEYS_LOOK_BACK: usize = 4_096;
        let Some(s) = self.subs.get(sub.index()) else { return (0, vec![]) };
        let (base, rows) = (s.store.base(), s.store.recent());
        let mut newest: Vec<MessageId> = (0..rows.len())
            .rev()
            .take(KEYS_LOOK_BACK)
            .filter(|&i| rows[i].expires_at > self.now)
            .take(max)
            .map(|i| MessageId(base.0 + i as u32))
            .collect();
        newest.reverse();
        (s.keys_set, newest)
    }

    /// How subscriber `sub`'s handler guards against repeats.
    pub fn strategy(&self, sub: SubId) -> Strategy {
        self.subs.get(sub.index()).map_or(Strategy::None, |s| s.handler.strategy)
    }
    /// Every subscriber that will read message `id` owes it an effect from now on: the queue it is sent
    /// to, each queue bound to its exchange that has subscribed by now, each group of its topic that reads
    /// from the earliest offset or has joined (a later group owes only what it reads, see `begin_delivery`).
    pub(super) fn owe_to_subscribers(&mut self, id: MessageId, target: Target) {
        for si in 0..self.subs.len() {
            let owed = match (self.subs[si].source, target) {
                (SubSource::Queue(q), Target::Queue(t)) => q == t,
                (SubSource::Queue(q), Target::Exchange(x)) => {
                    self.exchanges[x].queues.contains(&q) && self.now >= self.queues[q].spec.subscribe_at_ms
                }
                (SubSource::Group(g), Target::Topic(t)) => {
                    let g = &self.groups[g];
                    g.topic == t && (g.spec.offset_reset == OffsetReset::Earliest || g.joined)
                }
                _ => false,
            };
            let ob = self.subs[si].obligations.grow_to(id, Obligation::default());
            if let Some(ob) = ob.filter(|_| owed) {
                ob.fate = Fate::Pending;
                self.counters.obligations += 1;
            }
        }
    }
}
