//! A message's journey: every attempt, who handled it, what it caused, and its fate at each subscriber.
use crate::engine::observe::{TraceEvent, What};
use crate::engine::{ConsumerId, DeliveryId, MessageId, SubId};
use crate::engine::{Engine, Fate, LossReason, Outcome, Step};
use crate::ui::describe::describe;

#[derive(Clone, Debug, PartialEq)]
pub struct JourneyRow {
    pub at_ms: u64,
    pub text: String,
    /// `bad` (a duplicate, a crash, a loss), `warn` (a retry, a redelivery) or `` (normal).
    pub tone: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Journey {
    pub title: String,
    pub rows: Vec<JourneyRow>,
    /// One line per subscriber that owes this message something: what became of it there.
    pub fates: Vec<(String, &'static str)>,
    /// The trace ring no longer holds the message's earliest events.
    pub truncated: bool,
}

pub(super) fn tone(e: &Engine, what: &What, attempt: u32) -> &'static str {
    match what {
        What::Effect { duplicate: true, sink, .. } if e.repeats_are_harmless(*sink) => "",
        What::Effect { duplicate: true, .. }
        | What::Crashed { .. }
        | What::NeverPublished { .. }
        | What::NeverWritten { .. }
        | What::SendGaveUp { .. }
        | What::HandlerFailed { .. }
        | What::ReadApiFailed { .. }
        | What::DeadLettered { .. }
        | What::ReadBack { stale: true, .. } => "bad",
        What::Appended { retry: true, .. }
        | What::Enqueued { retry: true, .. }
        | What::AckLost { .. }
        | What::SendLost { .. }
        | What::SendDelayed { .. }
        | What::DeliveryLost { .. }
        | What::DeliveryDelayed { .. }
        | What::OutOfSequence { .. }
        | What::ProducerRetry { .. }
        | What::RelayRepublish { .. }
        | What::VisibilityExpired { .. }
        | What::Returned { .. }
        | What::DuplicateDelivery { .. }
        | What::AckRejected { .. }
        | What::CommitRejected { .. }
        | What::TxnAborted { .. } => "warn",
        What::Delivered { .. } if attempt > 1 => "warn",
        _ => "",
    }
}

pub(super) fn loss_reason(reason: LossReason) -> &'static str {
    match reason {
        LossReason::Unknown => "lost",
        LossReason::NeverPublished => "lost: never published (dual write)",
        LossReason::SendLost => "lost: a fire-and-forget send (acks=0) was lost",
        LossReason::NoConsumerRunning => "not processed: every consumer was stopped",
        LossReason::ProducerGaveUp => "lost: the producer gave up",
        LossReason::CommittedBeforeProcessing { .. } => "lost: committed before processing, then a crash",
        LossReason::AckedBeforeProcessing { .. } => "lost: acked on receipt, then a crash or a failure",
        LossReason::SkippedByClaim { .. } => "lost: skipped because of a claim whose owner crashed",
        LossReason::DeletedByRetention { .. } => "lost: deleted by retention before it was read",
        LossReason::BlockedByPoison { .. } => "lost: stuck behind a poison record",
        LossReason::SkippedByReset => "lost: skipped by an offset reset",
        LossReason::SkippedByRecord { .. } => "lost: skipped because its id was recorded by an aborted run",
        LossReason::UpstreamStage { .. } => "lost upstream: the stage never produced it",
    }
}

/// One thing that happened to a message: a traced event, or a crash while a consumer handled it.
pub(super) enum MessageStep<'a> {
    Event(&'a TraceEvent),
    /// Crashes are traced against the consumer, not the message: they come from the deliveries.
    Crash {
        consumer: u16,
        before: Step,
    },
}

/// Everything that happened to one message so far, in order (a crash after the events of its moment).
pub(super) fn message_steps(e: &Engine, message: MessageId) -> Vec<(u64, MessageStep<'_>)> {
    // The trace is in time order already; crashes nearly so (in the order their deliveries began).
    let events =
        e.trace().events.iter().filter(|ev| ev.message == Some(message)).map(|ev| (ev.at_ms, MessageStep::Event(ev)));
    let mut crashes: Vec<(u64, MessageStep)> = vec![];
    for (_, d) in e.deliveries().iter().filter(|&(id, d)| id != DeliveryId::NONE && d.message == message) {
        if let (Outcome::Crashed { before }, Some(at)) = (d.outcome, d.ended_at_ms.get()) {
            crashes.push((at, MessageStep::Crash { consumer: d.consumer.0, before }));
        }
    }
    crate::ordering::sort_short_by_key(&mut crashes, |(at, _)| *at);
    crate::ordering::merge_by_key(events, crashes, |(at, _)| *at).collect()
}

/// Every step of one message's journey so far (every attempt, who handled it, what it caused).
pub fn journey(e: &Engine, message: MessageId) -> Option<Journey> {
    let m = e.messages().get(message).filter(|_| message != MessageId::NONE)?;
    let producer = &e.producers()[m.producer].spec;
    let title = format!("{} #{message} ({} {}, version {})", producer.message, producer.key_name, m.key, m.version);
    let rows = message_steps(e, message)
        .into_iter()
        .map(|(at_ms, step)| match step {
            MessageStep::Event(ev) => JourneyRow { at_ms, text: describe(e, ev), tone: tone(e, &ev.what, ev.attempt) },
            MessageStep::Crash { consumer, before } => JourneyRow {
                at_ms,
                text: format!(
                    "{} crashed while handling it (at its {} step)",
                    e.consumer_name(ConsumerId(consumer)),
                    crate::ui::labels::step_label(before)
                ),
                tone: "bad",
            },
        })
        .collect();
    let truncated = e.trace().total > e.trace().events.len() as u64
        && e.trace().events.front().is_some_and(|first| first.at_ms > m.produced_at());
    let names = e.subscriber_names();
    let mut fates = vec![];
    for (sub, name) in names.iter().enumerate() {
        let Some(ob) = e.obligation(SubId::at(sub), message) else { continue };
        let (text, tone) = match ob.fate {
            Fate::NotOwed => continue,
            Fate::Pending => {
                (format!("in flight ({} deliveries so far)", e.deliveries_of(SubId::at(sub), message)), "")
            }
            Fate::Effected if ob.effects > 1 && e.repeats_are_harmless(e.sink_of(SubId::at(sub))) => {
                (format!("effect applied {} times — harmless repeats (an upsert)", ob.effects), "")
            }
            Fate::Effected if ob.effects > 1 => (format!("effect applied {} times — duplicate", ob.effects), "bad"),
            Fate::Effected => ("effect applied once".to_string(), ""),
            Fate::DeadLettered => ("parked in the dead-letter queue".to_string(), "warn"),
            Fate::Lost => (loss_reason(e.loss_reason(SubId::at(sub), message)).to_string(), "bad"),
        };
        fates.push((format!("{name}: {text}"), tone));
    }
    Some(Journey { title, rows, fates, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::test_support::preset;

    #[test]
    fn a_duplicated_message_journey_shows_both_effects_and_the_crash() {
        let mut e = preset("05");
        e.run_to_end();
        let dup =
            e.anomalies().iter().find(|a| a.kind == crate::engine::observe::AnomalyKind::DuplicateEffect).unwrap();
        let j = journey(&e, dup.message_id).unwrap();
        assert!(j.title.contains(&format!("#{}", dup.message_id)));
        let effects = j.rows.iter().filter(|r| r.text.contains("applied the effect")).count();
        assert!(effects >= 2, "{:?}", j.rows);
        assert!(j.rows.iter().any(|r| r.text.contains("crashed while handling it") && r.tone == "bad"));
        assert!(j.rows.windows(2).all(|w| w[0].at_ms <= w[1].at_ms), "in time order");
        assert!(j.fates.iter().any(|(t, tone)| t.contains("duplicate") && *tone == "bad"), "{:?}", j.fates);
        assert!(journey(&e, MessageId::NONE).is_none() && journey(&e, MessageId(u32::MAX)).is_none());
    }
}
