//! Stage 6, the sink: side effects applied, the ledger, duplicates and per-key order.
use super::*;

pub(super) const LEDGER_LEN: usize = 200;

#[derive(Clone, Debug, Serialize)]
pub struct LedgerEntry {
    pub at_ms: SimTime,
    pub message: MessageId,
    pub key: u32,
    pub version: u32,
    pub consumer: ConsumerId,
    pub duplicate: bool,
}

#[derive(Clone, Debug)]
pub struct SinkState {
    pub spec: Sink,
    pub applied: u64,
    pub duplicates: u64,
    pub deduplicated_by_key: u64,
    /// The newest `LEDGER_LEN` effects.
    pub ledger: VecDeque<LedgerEntry>,
    /// The first `LEDGER_LEN` harmful duplicates, kept however long the run (the ledger forgets them).
    pub duplicate_entries: Vec<LedgerEntry>,
}

impl Engine {
    pub(super) fn apply_effect(&mut self, c: ConsumerId, sub: SubId, m: MessageId, d: DeliveryId, version: u32) {
        let si = sub.index();
        let sink = self.subs[si].sink;
        let (key, producer) = (self.messages[m].key, self.messages[m].producer);
        let ob = &mut self.subs[si].obligations[m];
        ob.effects += 1;
        let first = ob.effects == 1;
        let previous_effect = ob.first_effect_delivery;
        if first {
            self.first_effect(sub, m, d);
        }
        self.counters.effects_applied += 1;
        self.deliveries[d].effect_at_ms = MaybeTime::at(self.now);
        let harmful = !first && !self.repeats_are_harmless(sink);
        let state = &mut self.sinks[sink];
        state.applied += 1;
        if harmful {
            state.duplicates += 1;
        }
        if state.ledger.len() == LEDGER_LEN {
            state.ledger.pop_front();
        }
        let entry = LedgerEntry { at_ms: self.now, message: m, key, version, consumer: c, duplicate: !first };
        if harmful && state.duplicate_entries.len() < LEDGER_LEN {
            state.duplicate_entries.push(entry.clone());
        }
        state.ledger.push_back(entry);
        let cause = self.deliveries[d].trace_cause();
        let attempt = self.deliveries[d].attempt;
        self.emit(What::Effect { consumer: c, sink, duplicate: !first }, Some(m), attempt, cause);
        if !first {
            if harmful {
                self.counters.duplicate_effects += 1;
                self.push_anomaly(AnomalyKind::DuplicateEffect, m, &[previous_effect, d], |e| {
                    explain::duplicate_effect(e, sub, m, previous_effect, d)
                });
            } else {
                self.counters.harmless_repeats += 1;
            }
        }
        // Per-key order: an older version applied after a newer one.
        let s = &mut self.subs[si];
        if s.last_applied.len() <= key as usize {
            s.last_applied.resize(key as usize + 1, Applied::default());
        }
        let newest = s.last_applied[key as usize];
        let (newest, newest_msg, newest_at, newest_producer) =
            (newest.version, newest.message, newest.at(), newest.producer());
        if version < newest {
            self.counters.out_of_order += 1;
            self.push_anomaly(AnomalyKind::OutOfOrder, m, &[d], |e| {
                let newest_label = e.label(newest_producer, newest_msg, key);
                explain::out_of_order(e, sub, m, d, version, newest, &newest_label, newest_at)
            });
        } else if first || version > newest {
            self.subs[si].last_applied[key as usize] = Applied::new(version, m, self.now, producer);
        }
    }

    /// Whether applying an effect again to `sink` changes nothing (an upsert writes the same row): such a
    /// repeat is counted apart from duplicates, and shown as harmless.
    pub fn repeats_are_harmless(&self, sink: SinkId) -> bool {
        self.sinks.get(sink.index()).is_some_and(|s| s.spec.kind == SinkKind::DbUpsert)
    }
}
