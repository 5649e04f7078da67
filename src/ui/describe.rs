//! One sentence per trace event: what the caption, the narration and the journeys say.
use crate::engine::broker::AppendCause;
use crate::engine::observe::{TraceEvent, What};
use crate::engine::{Engine, Role};
use crate::scenario::names::isolated;
use crate::ui::labels::*;

/// What an append that is not the producer's first send was: a retry (the first copy to arrive, or a
/// duplicate), the relay's republished copy, a send the network delivered twice or late. `place`: where
/// it landed, to tell the message's first append from a later one.
fn copy_note(e: &Engine, ev: &TraceEvent, place: (u32, u64), cause: Option<AppendCause>, retry: bool) -> &'static str {
    let first = ev.message.and_then(|m| e.first_append(m)) == Some(place);
    match (retry, cause, first) {
        (false, _, _) => "",
        (_, Some(AppendCause::RelayRepublish), _) => " — the outbox relay's republished copy",
        (_, Some(AppendCause::NetworkCopy), _) => " — the network's second delivery of the send",
        (_, Some(AppendCause::LateArrival { .. }), true) => " — the send held up in the network, arriving late",
        (_, Some(AppendCause::LateArrival { .. }), false) => {
            " — the send held up in the network, arriving late: a duplicate copy"
        }
        (_, _, true) => " — a retry, the first copy to arrive",
        _ => " — a retry's duplicate copy",
    }
}

/// One plain sentence for a trace event (without its time), e.g. "c1 sent the email to 'email' again".
/// The match names every kind of event, so a new one must be given its sentence.
pub fn describe(e: &Engine, ev: &TraceEvent) -> String {
    match ev.what {
        What::Produced { .. }
        | What::NeverPublished { .. }
        | What::SendLost { .. }
        | What::SendDelayed { .. }
        | What::OutOfSequence { .. }
        | What::NeverWritten { .. }
        | What::SendGaveUp { .. }
        | What::Appended { .. }
        | What::Enqueued { .. }
        | What::StageProduced { .. }
        | What::TxnCommitted { .. }
        | What::TxnAborted { .. }
        | What::Routed { .. }
        | What::AppendDeduplicated { .. }
        | What::AckLost { .. }
        | What::ProducerRetry { .. }
        | What::RelayRepublish { .. }
        | What::RetentionDeleted { .. } => publishing(e, ev),
        What::Delivered { .. }
        | What::DeliveryLost { .. }
        | What::DeliveryDelayed { .. }
        | What::ReadBack { .. }
        | What::ReadApiFailed { .. }
        | What::Checked { .. }
        | What::Claimed { .. }
        | What::Effect { .. }
        | What::EffectDeduplicated { .. }
        | What::Recorded { .. }
        | What::Committed { .. }
        | What::CommitRejected { .. }
        | What::Acked { .. }
        | What::AckRejected { .. }
        | What::HandlerFailed { .. }
        | What::VisibilityExpired { .. }
        | What::Returned { .. }
        | What::DuplicateDelivery { .. }
        | What::DeadLettered { .. }
        | What::SkippedPoison { .. } => handling(e, ev),
        What::Crashed { .. }
        | What::Restarted { .. }
        | What::Stopped { .. }
        | What::Started { .. }
        | What::SessionExpired { .. }
        | What::RemovedSlowMember { .. }
        | What::RebalanceStarted { .. }
        | What::RebalanceDone { .. }
        | What::GroupReset { .. }
        | What::OffsetReset { .. }
        | What::FaultInjected { .. } => membership(e, ev),
    }
}

/// A producer, a send or the broker: what became of the message on its way in.
fn publishing(e: &Engine, ev: &TraceEvent) -> String {
    let attempt = ev.attempt;
    match ev.what {
        What::Produced { producer, key, version } => {
            let p = &e.producers()[producer].spec;
            format!("{} produced it ({} {key}, version {version})", isolated(&p.name), isolated(&p.key_name))
        }
        What::NeverPublished { producer } => {
            format!("{} wrote its database and crashed before publishing (dual write)", e.producer_name(producer))
        }
        What::SendLost { producer } => format!("{}'s send never reached the broker", e.producer_name(producer)),
        What::SendDelayed { producer } => {
            format!("{}'s send is held up in the network: it reaches the broker late", e.producer_name(producer))
        }
        What::OutOfSequence { producer } => format!(
            "the broker refused {}'s send: out of sequence, an earlier one is missing",
            e.producer_name(producer)
        ),
        What::NeverWritten { producer } => format!(
            "{} published it and crashed before writing its database (dual write, publish first): it never happened",
            e.producer_name(producer)
        ),
        What::SendGaveUp { producer } => format!("{} gave up sending it after its retries", e.producer_name(producer)),
        What::Appended { topic, partition, offset, retry } => {
            let t = e.topics().get(topic.index());
            let cause = t.and_then(|t| t.partitions[partition as usize].get(offset)).map(|r| r.cause);
            format!(
                "appended to {} P{partition} at offset {offset}{}",
                isolated(t.map_or("?", |t| t.spec.name.as_str())),
                copy_note(e, ev, (partition, offset), cause, retry)
            )
        }
        What::Enqueued { queue, entry, retry } => {
            let q = e.queues().get(queue.index());
            let cause = q.and_then(|q| q.store.entries.get(entry)).map(|x| x.cause);
            format!(
                "enqueued on {}{}",
                isolated(q.map_or("?", |q| q.spec.name.as_str())),
                copy_note(e, ev, (entry.0, entry.0 as u64), cause, retry)
            )
        }
        What::StageProduced { consumer, topic, partition, offset, transactional } => format!(
            "{} produced it to {} P{partition} at offset {offset}{}",
            e.consumer_name(consumer),
            isolated(e.topics().get(topic.index()).map_or("?", |t| t.spec.name.as_str())),
            if transactional { " inside a transaction (not yet visible to read_committed readers)" } else { "" }
        ),
        What::TxnCommitted { consumer, .. } => {
            format!("{} committed its transaction: the output record and the input offset together", e.consumer_name(consumer))
        }
        What::TxnAborted { consumer, topic, partition, offset } => format!(
            "{}'s transaction was aborted: the record at {} P{partition} offset {offset} stays in the log, marked aborted",
            e.consumer_name(consumer),
            isolated(e.topics().get(topic.index()).map_or("?", |t| t.spec.name.as_str())),
        ),
        What::Routed { exchange, queues } => format!(
            "exchange {} copied it into {}",
            isolated(e.exchanges().get(exchange.index()).map_or("?", |x| x.spec.name.as_str())),
            if queues == 1 { "its queue".to_string() } else { format!("each of its {queues} queues") }
        ),
        What::AppendDeduplicated { producer } => {
            let to_topic = e
                .producers()
                .get(producer.index())
                .is_some_and(|p| e.topics().iter().any(|t| t.spec.name == p.spec.target));
            if to_topic {
                format!(
                    "the broker dropped {}'s retry: the idempotent producer's sequence number was already written",
                    e.producer_name(producer)
                )
            } else {
                format!(
                    "the FIFO queue dropped {}'s copy: the same de-duplication id arrived within its window",
                    e.producer_name(producer)
                )
            }
        }
        What::AckLost { producer } => {
            format!("the broker's ack to {} was lost (the append itself happened)", e.producer_name(producer))
        }
        What::ProducerRetry { producer } => {
            format!("{} timed out and sent it again (attempt {attempt})", e.producer_name(producer))
        }
        What::RelayRepublish { producer } => {
            format!(
                "{}'s outbox relay crashed before marking the row sent and published it again",
                e.producer_name(producer)
            )
        }
        What::RetentionDeleted { partition, upto_offset, .. } => {
            format!("retention deleted P{partition} up to offset {upto_offset}")
        }
        _ => String::new(),
    }
}

/// A delivery and its handler, its ack or commit, a queue's redelivery or dead letter.
fn handling(e: &Engine, ev: &TraceEvent) -> String {
    let attempt = ev.attempt;
    match ev.what {
        What::Delivered { consumer, .. } => {
            if attempt > 1 {
                format!("{} received it again (delivery {attempt})", e.consumer_name(consumer))
            } else {
                format!("{} received it", e.consumer_name(consumer))
            }
        }
        What::DeliveryLost { consumer, .. } => format!(
            "its delivery to {} was lost on the way: the broker handed it out, {} never got it",
            e.consumer_name(consumer),
            e.consumer_name(consumer)
        ),
        What::DeliveryDelayed { consumer, .. } => {
            format!("its delivery to {} is held up in the network: it arrives late", e.consumer_name(consumer))
        }
        What::ReadBack { consumer, version, stale } => format!(
            "{} read the entity back from the source's API: version {version}{}",
            e.consumer_name(consumer),
            if stale { " — newer than the event (stale read)" } else { "" }
        ),
        What::ReadApiFailed { consumer } => {
            format!("{}'s read-back failed: the source's API was down", e.consumer_name(consumer))
        }
        What::Checked { consumer, seen } => format!(
            "{} checked the idempotency store: {}",
            e.consumer_name(consumer),
            if seen { "already there, skipped" } else { "not there yet, carrying on" }
        ),
        What::Claimed { consumer, won } => format!(
            "{} tried to claim the id: {}",
            e.consumer_name(consumer),
            if won { "claimed" } else { "already claimed, skipped" }
        ),
        What::Effect { consumer, sink, duplicate } => format!(
            "{} applied the effect to {}{}",
            e.consumer_name(consumer),
            e.sink_name(sink),
            match (duplicate, e.repeats_are_harmless(sink)) {
                (false, _) => "",
                (true, false) => " AGAIN — a duplicate effect",
                (true, true) => " again — harmless: the upsert writes the same row",
            }
        ),
        What::EffectDeduplicated { consumer, sink } => format!(
            "{} sent it to {}, which recognised it and did nothing (de-duplicated)",
            e.consumer_name(consumer),
            e.sink_name(sink)
        ),
        What::Recorded { consumer } => {
            format!("{} recorded the id in the idempotency store", e.consumer_name(consumer))
        }
        What::Committed { consumer, partition, offset } => {
            format!("{} committed offset {offset} on P{partition}", e.consumer_name(consumer))
        }
        What::CommitRejected { consumer, partition, offset } => format!(
            "{}'s commit of offset {offset} on P{partition} was rejected: it had left the group",
            e.consumer_name(consumer)
        ),
        What::Acked { consumer } => format!("{} acked it: the queue deleted it", e.consumer_name(consumer)),
        What::AckRejected { consumer } => format!(
            "{}'s ack came too late: the visibility timeout had already made it visible again",
            e.consumer_name(consumer)
        ),
        What::HandlerFailed { consumer, poison } => {
            format!("{}'s handler failed{}", e.consumer_name(consumer), if poison { " (a poison message)" } else { "" })
        }
        What::VisibilityExpired { .. } => "its visibility timeout expired: visible again on the queue".to_string(),
        What::Returned { .. } => {
            "the quorum queue took it back (a nack, or its consumer's channel closed): near the head again".to_string()
        }
        What::DuplicateDelivery { .. } => "the standard queue delivered a second copy".to_string(),
        What::DeadLettered { sub } => format!(
            "moved to {}'s dead-letter queue after too many receives",
            e.subscriber_names().get(sub.index()).copied().unwrap_or("?")
        ),
        What::SkippedPoison { consumer, partition, offset } => {
            format!("{} skipped the poison record at P{partition} offset {offset}", e.consumer_name(consumer))
        }
        _ => String::new(),
    }
}

/// Consumers and groups coming and going, resets, and scripted faults.
fn membership(e: &Engine, ev: &TraceEvent) -> String {
    match ev.what {
        What::Crashed { consumer, step } => format!(
            "{} CRASHED{}",
            e.consumer_name(consumer),
            step.map_or(String::new(), |s| format!(" {}", crash_point_label(s)))
        ),
        What::Restarted { consumer } => format!("{} restarted", e.consumer_name(consumer)),
        What::Stopped { consumer } => {
            let member = e.consumers().get(consumer.index()).is_some_and(|c| matches!(c.role, Role::Member { .. }));
            let how = if member { ": it committed and left its group" } else { "" };
            format!("{} stopped cleanly{how}", e.consumer_name(consumer))
        }
        What::Started { consumer } => format!("{} started", e.consumer_name(consumer)),
        What::SessionExpired { consumer } => {
            format!("{}'s session timed out: the group noticed it is gone", e.consumer_name(consumer))
        }
        What::RemovedSlowMember { consumer } => {
            format!("{} was too slow (max.poll.interval.ms) and was removed from the group", e.consumer_name(consumer))
        }
        What::RebalanceStarted { group } => format!("group {} started a rebalance", e.group_name(group)),
        What::RebalanceDone { group, generation } => {
            format!("group {} rebalanced (generation {generation})", e.group_name(group))
        }
        What::GroupReset { group } => format!("group {}'s offsets were reset (a replay)", e.group_name(group)),
        What::OffsetReset { group, partition, from, to, scripted: false } => {
            format!("group {} had no valid offset on P{partition}: reset from {from} to {to}", e.group_name(group))
        }
        What::OffsetReset { group, partition, from, to, scripted: true } => {
            format!("group {} reset on P{partition}: from offset {from} to {to}", e.group_name(group))
        }
        What::FaultInjected { index } => {
            let fault = e.scenario().faults.scripted.get(index as usize);
            format!("scripted fault: {}", fault.map_or("?".to_string(), |f| fault_label(&f.action)))
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::scenario::parse_scenario;
    use crate::scenario::presets::PRESETS;

    #[test]
    fn every_event_of_every_preset_has_a_sentence() {
        for (stem, json) in PRESETS {
            let mut e = Engine::new(parse_scenario(json).unwrap()).unwrap();
            e.run_to_end();
            for ev in &e.trace().events {
                let s = describe(&e, ev);
                assert!(!s.is_empty() && !s.contains('?'), "{stem}: {ev:?} → {s}");
            }
        }
    }
}
