//! The end of a run: losses classified with their reasons, anomalies kept with their explanations, the report.
use super::*;

/// Anomalies kept with their explanation (all are counted).
pub(super) const MAX_ANOMALIES: usize = 2_000;

/// The JSON the CLI prints and the UI's scoreboard reads.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub seed: u64,
    pub end_time_ms: SimTime,
    pub drained: bool,
    /// Why the run stopped before its end (a limit of its work budget); absent when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub halted: Option<Halt>,
    pub produced: u64,
    pub appended: u64,
    pub delivered: u64,
    pub processed: u64,
    pub effects_applied: u64,
    pub duplicate_effects: u64,
    pub harmless_repeats: u64,
    pub lost_messages: u64,
    pub dead_lettered: u64,
    pub dead_lettered_after_effect: u64,
    pub out_of_order: u64,
    pub stale_reads: u64,
    pub duplicate_appends: u64,
    pub invented_events: u64,
    pub read_api_calls: u64,
    pub bytes_on_wire: u64,
    pub obligations: u64,
    pub effected: u64,
    pub in_flight_at_end: u64,
    pub latency_ms: LatencySummary,
    /// Per subscriber (a group, or a queue's workers), in the scenario's order: how long messages waited
    /// (append or enqueue → first receive) and how long each receive was in service (→ handler finished).
    pub subscribers: Vec<SubscriberTimes>,
    pub trace_hash: String,
    pub events_processed: u64,
    /// Every anomaly of the run; `anomalies` lists the first `MAX_ANOMALIES` (2000) of them.
    pub anomalies_total: u64,
    pub anomalies: Vec<AnomalyOut>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LatencySummary {
    pub mean: f64,
    pub p50: u64,
    pub p95: u64,
    pub p99: u64,
    pub max: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SubscriberTimes {
    pub name: String,
    pub waiting_ms: LatencySummary,
    pub service_ms: LatencySummary,
}

#[derive(Clone, Debug, Serialize)]
pub struct AnomalyOut {
    pub kind: AnomalyKind,
    pub message_id: MessageId,
    pub at_ms: SimTime,
    pub explanation: String,
}

impl Engine {
    /// Counts an anomaly, and keeps it with its explanation while fewer than `MAX_ANOMALIES` are kept:
    /// the explanation is written (at this moment, from this state) only then, not for every anomaly of a
    /// long run.
    pub(super) fn push_anomaly(
        &mut self,
        kind: AnomalyKind,
        m: MessageId,
        deliveries: &[DeliveryId],
        explain: impl FnOnce(&Engine) -> String,
    ) {
        self.anomaly_count += 1;
        if self.anomalies.len() < MAX_ANOMALIES {
            let explanation = explain(self);
            // Anomalies found when the run ends (losses) are dated at its last real event.
            let at_ms = if self.finished { self.last_event_at } else { self.now };
            self.anomalies.push(Anomaly { kind, message_id: m, at_ms, explanation, deliveries: deliveries.to_vec() });
        }
    }

    /// After the healing phase: every obligation still pending is lost (with its reason) — or, if the run
    /// was cut short, still in flight.
    pub(super) fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        if self.drained {
            // Stale timers (a poll timeout 5 minutes out) pop after the last real event and do nothing: the
            // run ends at its last real event (or at until_ms), and so do its clock and sampled series.
            let end = self.last_event_at.max(self.scenario.until_ms);
            self.now = self.now.min(end);
            self.samples.retain(|s| s.at_ms <= end);
        }
        for si in 0..self.subs.len() {
            // Folded rows are never pending (a pending message is kept), so the kept rows are every candidate.
            let pending: Vec<MessageId> = self.subs[si]
                .obligations
                .iter()
                .filter(|&(m, ob)| m != MessageId::NONE && ob.fate == Fate::Pending)
                .map(|(m, _)| m)
                .collect();
            for m in pending {
                if self.drained {
                    self.lost(SubId::at(si), m);
                } else {
                    self.counters.in_flight_at_end += 1;
                }
            }
        }
    }

    /// Subscriber `sub` never effected message `m`: it is lost, with the reason noted when it happened or,
    /// failing that, the one the end of the run can tell.
    fn lost(&mut self, sub: SubId, m: MessageId) {
        let si = sub.index();
        let reason = self.loss_reason_at_end(sub, m);
        self.subs[si].obligations[m].fate = Fate::Lost;
        if reason != LossReason::Unknown {
            if let Some(noted) = self.subs[si].loss_reasons.grow_to(m, LossReason::Unknown) {
                *noted = reason;
            }
        }
        self.counters.lost_messages += 1;
        let kind = if matches!(reason, LossReason::DeletedByRetention { .. }) {
            AnomalyKind::LostToRetention
        } else {
            AnomalyKind::LostMessage
        };
        let chain: &[DeliveryId] = match &reason {
            LossReason::CommittedBeforeProcessing { delivery } | LossReason::SkippedByClaim { delivery }
                if *delivery != DeliveryId::NONE =>
            {
                std::slice::from_ref(delivery)
            }
            _ => &[],
        };
        self.push_anomaly(kind, m, chain, |e| explain::lost(e, sub, m, reason));
    }

    /// Why `sub` lost `m`: the reason noted when it happened, else an upstream stage that never produced
    /// it, a subscriber whose consumers were all stopped, or a group committing before processing.
    fn loss_reason_at_end(&self, sub: SubId, m: MessageId) -> LossReason {
        let si = sub.index();
        let noted = self.subs[si].loss_reason(m);
        if noted != LossReason::Unknown {
            return noted;
        }
        if let Some(stage) = self.upstream_stage_that_dropped(sub, m) {
            return LossReason::UpstreamStage { stage };
        }
        if self.consumers.iter().filter(|c| c.sub.index() == si).all(|c| c.stopped) {
            return LossReason::NoConsumerRunning;
        }
        // At-most-once: a group that commits before processing can skip a record in ways too many to note
        // one by one (a dropped batch, a reset after a failure); that is the reason.
        if let SubSource::Group(g) = self.subs[si].source {
            if self.groups[g].spec.commit == CommitPolicy::BeforeProcessing {
                let delivery = self.subs[si].obligations[m].last_delivery;
                return LossReason::CommittedBeforeProcessing { delivery };
            }
        }
        LossReason::Unknown
    }

    /// For a group reading a stage's output topic: the stage that owed message `m` and never produced it.
    pub(super) fn upstream_stage_that_dropped(&self, sub: SubId, m: MessageId) -> Option<SubId> {
        let SubSource::Group(g) = self.subs[sub].source else { return None };
        let topic = self.groups[g].topic;
        self.subs
            .iter()
            .position(|s| s.output == Some(topic) && s.obligations.get(m).map_or(0, |ob| ob.stage_outputs) == 0)
            .map(SubId::at)
    }

    pub fn report(&self) -> Report {
        let c = &self.counters;
        Report {
            seed: self.scenario.seed,
            end_time_ms: if self.finished { self.last_event_at } else { self.now },
            drained: self.drained,
            halted: self.halted,
            produced: c.produced,
            appended: c.appended,
            delivered: c.deliveries,
            processed: c.processed,
            effects_applied: c.effects_applied,
            duplicate_effects: c.duplicate_effects,
            harmless_repeats: c.harmless_repeats,
            lost_messages: c.lost_messages,
            dead_lettered: c.dead_lettered,
            dead_lettered_after_effect: c.dead_lettered_after_effect,
            out_of_order: c.out_of_order,
            stale_reads: c.stale_reads,
            duplicate_appends: c.duplicate_appends,
            invented_events: c.invented_events,
            read_api_calls: c.read_api_calls,
            bytes_on_wire: c.bytes_on_wire,
            obligations: c.obligations,
            effected: c.effected,
            in_flight_at_end: c.in_flight_at_end,
            latency_ms: self.latency.summary(),
            subscribers: self
                .subs
                .iter()
                .map(|s| SubscriberTimes {
                    name: s.name.clone(),
                    waiting_ms: s.waiting.summary(),
                    service_ms: s.service.summary(),
                })
                .collect(),
            trace_hash: self.trace.hash.hex(),
            events_processed: self.events_processed,
            anomalies_total: self.anomaly_count,
            anomalies: self
                .anomalies
                .iter()
                .map(|a| AnomalyOut {
                    kind: a.kind,
                    message_id: a.message_id,
                    at_ms: a.at_ms,
                    explanation: a.explanation.clone(),
                })
                .collect(),
        }
    }

    /// Label used in explanations and the UI: `UserRegistered #17 (user 4)`.
    pub fn message_label(&self, m: MessageId) -> String {
        match self.messages.get(m) {
            Some(msg) if m != MessageId::NONE => self.label(msg.producer, m, msg.key),
            _ => format!("message #{m}"),
        }
    }

    /// The label of message `m`, from what it is (its row may have been folded).
    pub fn label(&self, producer: ProducerId, m: MessageId, key: u32) -> String {
        match self.producers.get(producer.index()) {
            Some(p) => format!(
                "{} #{} ({} {})",
                crate::scenario::names::isolated(&p.spec.message),
                m,
                crate::scenario::names::isolated(&p.spec.key_name),
                key
            ),
            None => format!("message #{m}"),
        }
    }
}
