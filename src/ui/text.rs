//! Words the page shows, computed from the engine as plain data (tested natively): one sentence per
//! trace event (the narration and the journeys share it), each consumer's handler as pseudo-code, and a
//! message's whole journey.
use crate::engine::observe::{seconds, AnomalyKind, TraceEvent, What};
use crate::engine::{Engine, Fate, LossReason, Outcome, Role, Step};
use crate::scenario::model::{CommitPolicy, CrashPoint, Payload, SinkKind, Strategy};

fn consumer_name(e: &Engine, c: u16) -> &str {
    e.consumers.get(c as usize).map_or("?", |c| c.name.as_str())
}
fn producer_name(e: &Engine, p: u16) -> &str {
    e.producers.get(p as usize).map_or("?", |p| p.spec.name.as_str())
}
fn sink_name(e: &Engine, s: u16) -> &str {
    e.sinks.get(s as usize).map_or("?", |s| s.spec.name.as_str())
}
fn group_name(e: &Engine, g: u16) -> &str {
    e.groups.get(g as usize).map_or("?", |g| g.spec.name.as_str())
}

/// A decimal number typed in a field or read from an attribute ("5", "0.25", ".5", "1e-3"), through
/// serde_json's number parser, which the build has anyway: `str::parse::<f64>` would add core's 10 KB
/// table of powers of five to the download.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    let text = match (text.strip_prefix('.'), text.strip_prefix("-.")) {
        (Some(rest), _) => format!("0.{rest}"),
        (_, Some(rest)) => format!("-0.{rest}"),
        _ => text.to_string(),
    };
    serde_json::from_str::<f64>(&text).ok()
}

/// A number for the page (an SVG coordinate, a speed, a percentage): `x` to two decimals, trailing zeros
/// dropped ("12", "12.5", "0.25", "-3.07"). Written out by hand, like `parse_decimal`: the app then
/// formats no float with core's formatter, whose shortest and fixed-precision algorithms and their tables
/// weigh several KB of the download.
pub fn decimal(x: f64) -> String {
    let hundredths = if x.is_finite() { (x * 100.0).round() as i64 } else { 0 };
    let sign = if hundredths < 0 { "-" } else { "" };
    let (whole, frac) = (hundredths.unsigned_abs() / 100, hundredths.unsigned_abs() % 100);
    match frac {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

/// A file name for a scenario's export: its name in lowercase words joined by dashes.
pub fn export_file_name(scenario_name: &str) -> String {
    // ASCII case folding (a letter outside ASCII is kept as it is): Unicode's case tables would add
    // 10 KB to the download for a file name.
    let words: Vec<String> = scenario_name
        .split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if words.is_empty() {
        "scenario.json".into()
    } else {
        format!("{}.json", words.join("-"))
    }
}

pub fn crash_point_label(point: CrashPoint) -> &'static str {
    match point {
        CrashPoint::BeforeEffect => "before the side effect",
        CrashPoint::AfterEffect => "after the side effect, before the record",
        CrashPoint::AfterRecord => "after the record, before the commit / ack",
    }
}

/// One plain sentence for a trace event (without its time), e.g. "c1 sent the email to 'email' again".
pub fn describe(e: &Engine, ev: &TraceEvent) -> String {
    let attempt = ev.attempt;
    match ev.what {
        What::Produced { producer, key, version } => {
            let p = &e.producers[producer as usize].spec;
            format!("{} produced it ({} {key}, version {version})", p.name, p.key_name)
        }
        What::NeverPublished { producer } => {
            format!("{} wrote its database and crashed before publishing (dual write)", producer_name(e, producer))
        }
        What::SendLost { producer } => format!("{}'s send never reached the broker", producer_name(e, producer)),
        What::OutOfSequence { producer } => format!(
            "the broker refused {}'s send: out of sequence, an earlier one is missing",
            producer_name(e, producer)
        ),
        What::NeverWritten { producer } => format!(
            "{} published it and crashed before writing its database (dual write, publish first): it never happened",
            producer_name(e, producer)
        ),
        What::SendGaveUp { producer } => format!("{} gave up sending it after its retries", producer_name(e, producer)),
        What::Appended { topic, partition, offset, retry } => format!(
            "appended to {} P{partition} at offset {offset}{}",
            e.topics.get(topic as usize).map_or("?", |t| t.spec.name.as_str()),
            if retry { " — a retry's duplicate copy" } else { "" }
        ),
        What::Enqueued { queue, retry, .. } => format!(
            "enqueued on {}{}",
            e.queues.get(queue as usize).map_or("?", |q| q.spec.name.as_str()),
            if retry { " — a retry's duplicate copy" } else { "" }
        ),
        What::StageProduced { consumer, topic, partition, offset, transactional } => format!(
            "{} produced it to {} P{partition} at offset {offset}{}",
            consumer_name(e, consumer),
            e.topics.get(topic as usize).map_or("?", |t| t.spec.name.as_str()),
            if transactional { " inside a transaction (not yet visible to read_committed readers)" } else { "" }
        ),
        What::TxnCommitted { consumer, .. } => {
            format!("{} committed its transaction: the output record and the input offset together", consumer_name(e, consumer))
        }
        What::TxnAborted { consumer, topic, partition, offset } => format!(
            "{}'s transaction was aborted: the record at {} P{partition} offset {offset} stays in the log, marked aborted",
            consumer_name(e, consumer),
            e.topics.get(topic as usize).map_or("?", |t| t.spec.name.as_str()),
        ),
        What::Routed { exchange, queues } => format!(
            "exchange {} copied it into {}",
            e.exchanges.get(exchange as usize).map_or("?", |x| x.spec.name.as_str()),
            if queues == 1 { "its queue".to_string() } else { format!("each of its {queues} queues") }
        ),
        What::AppendDeduplicated { producer } => {
            let to_topic = e
                .producers
                .get(producer as usize)
                .is_some_and(|p| e.topics.iter().any(|t| t.spec.name == p.spec.target));
            if to_topic {
                format!(
                    "the broker dropped {}'s retry: the idempotent producer's sequence number was already written",
                    producer_name(e, producer)
                )
            } else {
                format!(
                    "the FIFO queue dropped {}'s copy: the same de-duplication id arrived within its window",
                    producer_name(e, producer)
                )
            }
        }
        What::AckLost { producer } => {
            format!("the broker's ack to {} was lost (the append itself happened)", producer_name(e, producer))
        }
        What::ProducerRetry { producer } => {
            format!("{} timed out and sent it again (attempt {attempt})", producer_name(e, producer))
        }
        What::RelayRepublish { producer } => {
            format!(
                "{}'s outbox relay crashed before marking the row sent and published it again",
                producer_name(e, producer)
            )
        }
        What::Delivered { consumer, .. } => {
            if attempt > 1 {
                format!("{} received it again (delivery {attempt})", consumer_name(e, consumer))
            } else {
                format!("{} received it", consumer_name(e, consumer))
            }
        }
        What::ReadBack { consumer, version, stale } => format!(
            "{} read the entity back from the source's API: version {version}{}",
            consumer_name(e, consumer),
            if stale { " — newer than the event (stale read)" } else { "" }
        ),
        What::ReadApiFailed { consumer } => {
            format!("{}'s read-back failed: the source's API was down", consumer_name(e, consumer))
        }
        What::Checked { consumer, seen } => format!(
            "{} checked the idempotency store: {}",
            consumer_name(e, consumer),
            if seen { "already there, skipped" } else { "not there yet, carrying on" }
        ),
        What::Claimed { consumer, won } => format!(
            "{} tried to claim the id: {}",
            consumer_name(e, consumer),
            if won { "claimed" } else { "already claimed, skipped" }
        ),
        What::Effect { consumer, sink, duplicate } => format!(
            "{} applied the effect to {}{}",
            consumer_name(e, consumer),
            sink_name(e, sink),
            if duplicate { " AGAIN — a duplicate effect" } else { "" }
        ),
        What::EffectDeduplicated { consumer, sink } => format!(
            "{} sent it to {}, which recognised it and did nothing (de-duplicated)",
            consumer_name(e, consumer),
            sink_name(e, sink)
        ),
        What::Recorded { consumer } => {
            format!("{} recorded the id in the idempotency store", consumer_name(e, consumer))
        }
        What::Committed { consumer, partition, offset } => {
            format!("{} committed offset {offset} on P{partition}", consumer_name(e, consumer))
        }
        What::CommitRejected { consumer, partition, offset } => format!(
            "{}'s commit of offset {offset} on P{partition} was rejected: it had left the group",
            consumer_name(e, consumer)
        ),
        What::Acked { consumer } => format!("{} acked it: the queue deleted it", consumer_name(e, consumer)),
        What::AckRejected { consumer } => format!(
            "{}'s ack came too late: the visibility timeout had already made it visible again",
            consumer_name(e, consumer)
        ),
        What::HandlerFailed { consumer, poison } => format!(
            "{}'s handler failed{}",
            consumer_name(e, consumer),
            if poison { " (a poison message)" } else { "" }
        ),
        What::Crashed { consumer, step } => format!(
            "{} CRASHED{}",
            consumer_name(e, consumer),
            step.map_or(String::new(), |s| format!(" {}", crash_point_label(s)))
        ),
        What::Restarted { consumer } => format!("{} restarted", consumer_name(e, consumer)),
        What::Stopped { consumer } => {
            let member = e.consumers.get(consumer as usize).is_some_and(|c| matches!(c.role, Role::Member { .. }));
            let how = if member { ": it committed and left its group" } else { "" };
            format!("{} stopped cleanly{how}", consumer_name(e, consumer))
        }
        What::Started { consumer } => format!("{} started", consumer_name(e, consumer)),
        What::SessionExpired { consumer } => {
            format!("{}'s session timed out: the group noticed it is gone", consumer_name(e, consumer))
        }
        What::RemovedSlowMember { consumer } => {
            format!("{} was too slow (max.poll.interval.ms) and was removed from the group", consumer_name(e, consumer))
        }
        What::RebalanceStarted { group } => format!("group {} started a rebalance", group_name(e, group)),
        What::RebalanceDone { group, generation } => {
            format!("group {} rebalanced (generation {generation})", group_name(e, group))
        }
        What::GroupReset { group } => format!("group {}'s offsets were reset (a replay)", group_name(e, group)),
        What::VisibilityExpired { .. } => "its visibility timeout expired: visible again on the queue".to_string(),
        What::DuplicateDelivery { .. } => "the standard queue delivered a second copy".to_string(),
        What::DeadLettered { sub } => format!(
            "moved to {}'s dead-letter queue after too many receives",
            e.subscriber_names().get(sub as usize).copied().unwrap_or("?")
        ),
        What::SkippedPoison { consumer, partition, offset } => {
            format!("{} skipped the poison record at P{partition} offset {offset}", consumer_name(e, consumer))
        }
        What::RetentionDeleted { partition, upto_offset, .. } => {
            format!("retention deleted P{partition} up to offset {upto_offset}")
        }
        What::OffsetReset { group, partition, from, to, scripted: false } => {
            format!("group {} had no valid offset on P{partition}: reset from {from} to {to}", group_name(e, group))
        }
        What::OffsetReset { group, partition, from, to, scripted: true } => {
            format!("group {} reset on P{partition}: from offset {from} to {to}", group_name(e, group))
        }
        What::FaultInjected { index } => {
            let fault = e.scenario().faults.scripted.get(index as usize);
            format!("scripted fault: {}", fault.map_or("?".to_string(), |f| fault_label(&f.action)))
        }
    }
}

/// "crash c1 after the side effect", "drop acks to user-service for 2.000 s", …
pub fn fault_label(action: &crate::scenario::model::FaultAction) -> String {
    use crate::scenario::model::{FaultAction, ResetTarget};
    match action {
        FaultAction::CrashConsumer { consumer, at_step: None } => format!("crash {consumer} now"),
        FaultAction::CrashConsumer { consumer, at_step: Some(p) } => {
            format!("crash {consumer} {} on its next message", crash_point_label(*p))
        }
        FaultAction::DropAcks { producer, duration_ms } => {
            format!("drop acks to {producer} for {}", seconds(*duration_ms))
        }
        FaultAction::SlowConsumer { consumer, factor, duration_ms } => {
            format!("slow {consumer} {factor}× for {}", seconds(*duration_ms))
        }
        FaultAction::ReadApiDown { duration_ms } => format!("read API down for {}", seconds(*duration_ms)),
        FaultAction::DuplicateNextDelivery { queue } => format!("duplicate the next delivery from {queue}"),
        FaultAction::StopConsumer { consumer } => format!("stop {consumer} cleanly"),
        FaultAction::StartConsumer { consumer } => format!("start {consumer}"),
        FaultAction::ResetGroup { group, to } => format!(
            "reset group {group} to {}",
            match to {
                ResetTarget::Earliest => "the earliest offset".to_string(),
                ResetTarget::Latest => "the latest offset".to_string(),
                ResetTarget::Offset { offset } => format!("offset {offset}"),
                ResetTarget::Time { ms } => format!("the time {}", seconds(*ms)),
            }
        ),
    }
}

/// One line of a handler's pseudo-code.
#[derive(Clone, Debug, PartialEq)]
pub struct CodeLine {
    pub text: String,
    /// The engine step this line belongs to (highlighted while a delivery is at that step).
    pub step: Step,
    /// Clicking the line arms a crash right after it on the next message.
    pub crash_point: Option<CrashPoint>,
    /// A delivery of this consumer is at this line now.
    pub active: bool,
    /// A crash is armed right after this line.
    pub armed: bool,
}

/// The consumer's handler as short pseudo-code (receive, check, effect, record, commit/ack), with the
/// step in progress and the armed crash point marked.
pub fn handler_code(e: &Engine, consumer: u16) -> Vec<CodeLine> {
    let Some(c) = e.consumers.get(consumer as usize) else { return vec![] };
    let (handler, commit, source, output, transactional) = match c.role {
        Role::Member { group } => {
            let g = &e.groups[group as usize];
            (
                &g.spec.handler,
                Some(g.spec.commit),
                g.spec.topic.clone(),
                g.spec.produce_to.clone(),
                g.spec.transactional,
            )
        }
        Role::Worker { queue } => {
            let q = &e.queues[queue as usize];
            (&q.spec.handler, None, q.spec.name.clone(), None, false)
        }
    };
    // A pure transform stage has no sink: its output record is its effect.
    let sink = e.sinks.get(e.sink_of(c.sub) as usize).map(|k| &k.spec);
    let database = sink.is_some_and(|k| matches!(k.kind, SinkKind::DbUpsert | SinkKind::DbCounter));
    let notification = e.producers.iter().any(|p| p.spec.target == source && p.spec.payload == Payload::Notification);
    let strategy = handler.strategy;
    let ttl = handler.store_ttl_ms.map_or(String::new(), |t| format!(", ttl={}", seconds(t)));
    let mut lines: Vec<(String, Step, Option<CrashPoint>)> = vec![];
    // Which steps exist is the engine's decision; this only words them.
    let check = e.has_check(c.sub).then(|| match strategy {
        Strategy::CheckThenAct => "if redis.exists(msg.id): return".to_string(),
        Strategy::ClaimFirst => format!("if not redis.set_nx(msg.id{ttl}): return  # claim first"),
        _ => "if inbox.has(msg.id): return".to_string(),
    });
    let receive = match c.role {
        Role::Member { .. } => format!("msg = poll('{source}')"),
        Role::Worker { .. } => format!("msg = receive('{source}')"),
    };
    let receive_crash = if check.is_none() && !notification { Some(CrashPoint::BeforeEffect) } else { None };
    lines.push((receive, Step::Receive, receive_crash));
    if transactional {
        lines.push(("producer.begin_transaction()".into(), Step::Receive, None));
    }
    if commit == Some(CommitPolicy::BeforeProcessing) {
        lines.push(("commit(msg.offset + 1)  # before the work: at-most-once".into(), Step::Receive, None));
    }
    if notification {
        let crash = if check.is_none() { Some(CrashPoint::BeforeEffect) } else { None };
        lines.push(("entity = source_api.get(msg.key)  # thin event: read back".into(), Step::Receive, crash));
    }
    if let Some(check) = check {
        lines.push((check, Step::Check, Some(CrashPoint::BeforeEffect)));
    }
    let target = if notification { "entity" } else { "msg" };
    if let Some(out) = &output {
        let crash = if sink.is_none() { Some(CrashPoint::AfterEffect) } else { None };
        lines.push((format!("producer.send('{out}', transform({target}))"), Step::Effect, crash));
    }
    if let Some(sink) = sink {
        let call = match sink.kind {
            SinkKind::Email => format!("{}.send_email({target}", sink.name),
            SinkKind::Payment => format!("{}.charge({target}", sink.name),
            SinkKind::DbUpsert => format!("{}.upsert({target}", sink.name),
            SinkKind::DbCounter => format!("{}.increment(counter", sink.name),
        };
        let effect = match strategy {
            Strategy::IdempotencyKey => format!("{call}, idempotency_key=msg.id)"),
            Strategy::TransactionalInbox if database => format!("in one transaction: inbox.insert(msg.id); {call})"),
            _ => format!("{call})"),
        };
        lines.push((effect, Step::Effect, Some(CrashPoint::AfterEffect)));
    }
    if e.has_record(c.sub) {
        let record = if strategy == Strategy::CheckThenAct { "redis.set(msg.id)" } else { "inbox.insert(msg.id)" };
        lines.push((record.into(), Step::Record, Some(CrashPoint::AfterRecord)));
    }
    let finish = match commit {
        _ if transactional => {
            "producer.send_offsets_to_transaction(msg.offset + 1); producer.commit_transaction()".to_string()
        }
        None => "queue.delete(msg.receipt)  # ack".to_string(),
        Some(CommitPolicy::AfterProcessing) => "commit(msg.offset + 1)  # after the work".to_string(),
        Some(CommitPolicy::Auto { interval_ms }) => {
            format!("# done; offsets auto-commit every {} at the next poll", seconds(interval_ms))
        }
        Some(CommitPolicy::BeforeProcessing) => "# done (already committed)".to_string(),
    };
    lines.push((finish, Step::Finish, None));

    let steps: Vec<Step> = c.slots.iter().flatten().map(|a| a.step).collect();
    let armed = c.crash_armed();
    lines
        .into_iter()
        .map(|(text, step, crash_point)| CodeLine {
            active: c.alive && steps.contains(&step),
            armed: armed.is_some() && crash_point == armed,
            text,
            step,
            crash_point,
        })
        .collect()
}

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

fn tone(what: &What, attempt: u32) -> &'static str {
    match what {
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
        | What::OutOfSequence { .. }
        | What::ProducerRetry { .. }
        | What::RelayRepublish { .. }
        | What::VisibilityExpired { .. }
        | What::DuplicateDelivery { .. }
        | What::AckRejected { .. }
        | What::CommitRejected { .. }
        | What::TxnAborted { .. } => "warn",
        What::Delivered { .. } if attempt > 1 => "warn",
        _ => "",
    }
}

fn loss_reason(reason: LossReason) -> &'static str {
    match reason {
        LossReason::Unknown => "lost",
        LossReason::NeverPublished => "lost: never published (dual write)",
        LossReason::SendLost => "lost: a fire-and-forget send (acks=0) was lost",
        LossReason::NoConsumerRunning => "not processed: every consumer was stopped",
        LossReason::ProducerGaveUp => "lost: the producer gave up",
        LossReason::CommittedBeforeProcessing { .. } => "lost: committed before processing, then a crash",
        LossReason::SkippedByClaim { .. } => "lost: skipped because of a claim whose owner crashed",
        LossReason::DeletedByRetention { .. } => "lost: deleted by retention before it was read",
        LossReason::BlockedByPoison { .. } => "lost: stuck behind a poison record",
        LossReason::SkippedByReset => "lost: skipped by an offset reset",
        LossReason::SkippedByRecord { .. } => "lost: skipped because its id was recorded by an aborted run",
        LossReason::UpstreamStage { .. } => "lost upstream: the stage never produced it",
    }
}

/// One thing that happened to a message: a traced event, or a crash while a consumer handled it.
enum MessageStep<'a> {
    Event(&'a TraceEvent),
    /// Crashes are traced against the consumer, not the message: they come from the deliveries.
    Crash {
        consumer: u16,
        before: Step,
    },
}

/// Everything that happened to one message so far, in order (a crash after the events of its moment).
fn message_steps(e: &Engine, message: u32) -> Vec<(u64, MessageStep<'_>)> {
    let mut steps: Vec<(u64, u64, MessageStep)> = e
        .trace
        .events
        .iter()
        .filter(|ev| ev.message == Some(message))
        .map(|ev| (ev.at_ms, ev.seq, MessageStep::Event(ev)))
        .collect();
    for (_, d) in e.deliveries.iter().filter(|&(id, d)| id > 0 && d.message == message) {
        if let (Outcome::Crashed { before }, Some(at)) = (d.outcome, d.ended_at_ms.get()) {
            steps.push((at, u64::MAX, MessageStep::Crash { consumer: d.consumer, before }));
        }
    }
    steps.sort_by_key(|(at, seq, _)| (*at, *seq));
    steps.into_iter().map(|(at, _, step)| (at, step)).collect()
}

/// Every step of one message's journey so far (every attempt, who handled it, what it caused).
pub fn journey(e: &Engine, message: u32) -> Option<Journey> {
    let m = e.messages.get(message).filter(|_| message > 0)?;
    let producer = &e.producers[m.producer as usize].spec;
    let title = format!("{} #{message} ({} {}, version {})", producer.message, producer.key_name, m.key, m.version);
    let rows = message_steps(e, message)
        .into_iter()
        .map(|(at_ms, step)| match step {
            MessageStep::Event(ev) => JourneyRow { at_ms, text: describe(e, ev), tone: tone(&ev.what, ev.attempt) },
            MessageStep::Crash { consumer, before } => JourneyRow {
                at_ms,
                text: format!(
                    "{} crashed while handling it (at its {} step)",
                    consumer_name(e, consumer),
                    crate::ui::geometry::step_label(before)
                ),
                tone: "bad",
            },
        })
        .collect();
    let truncated = e.trace.total > e.trace.events.len() as u64
        && e.trace.events.front().is_some_and(|first| first.at_ms > m.produced_at());
    let names = e.subscriber_names();
    let mut fates = vec![];
    for (sub, name) in names.iter().enumerate() {
        let Some(ob) = e.obligation(sub as u16, message) else { continue };
        let (text, tone) = match ob.fate {
            Fate::NotOwed => continue,
            Fate::Pending => (format!("in flight ({} deliveries so far)", e.deliveries_of(sub as u16, message)), ""),
            Fate::Effected if ob.effects > 1 => (format!("effect applied {} times — duplicate", ob.effects), "bad"),
            Fate::Effected => ("effect applied once".to_string(), ""),
            Fate::DeadLettered => ("parked in the dead-letter queue".to_string(), "warn"),
            Fate::Lost => (loss_reason(e.loss_reason(sub as u16, message)).to_string(), "bad"),
        };
        fates.push((format!("{name}: {text}"), tone));
    }
    Some(Journey { title, rows, fates, truncated })
}

/// One message's journey as a sequence diagram: who took part, and each traced step as an arrow from
/// one participant to another (or a note on one, when `from == to`).
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// (short id for Mermaid, name shown).
    pub participants: Vec<(String, String)>,
    pub rows: Vec<SequenceRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SequenceRow {
    pub at_ms: u64,
    /// Indices into `participants`.
    pub from: usize,
    pub to: usize,
    /// The same sentence the journey shows.
    pub text: String,
    /// A reply that never arrived or was refused (lost ack, rejected commit, failed read).
    pub failed: bool,
}

/// The participants are the producer, the broker, each consumer that handled the message, the idempotency
/// store, the read API and the sinks, in the order a reader meets them.
pub fn journey_sequence(e: &Engine, message: u32) -> Option<Sequence> {
    let m = e.messages.get(message).filter(|_| message > 0)?;
    let producer = m.producer;
    let broker = e.producers.get(producer as usize).map_or("broker", |p| p.spec.target.as_str());
    let mut rows: Vec<(u64, String, String, String, bool)> = vec![];
    for (at_ms, step) in message_steps(e, message) {
        let ev = match step {
            MessageStep::Event(ev) => ev,
            MessageStep::Crash { consumer, before } => {
                let text = format!("CRASH (at its {} step)", crate::ui::geometry::step_label(before));
                rows.push((at_ms, format!("C{consumer}"), format!("C{consumer}"), text, false));
                continue;
            }
        };
        let c = |c: u16| format!("C{c}");
        let (from, to) = match ev.what {
            What::Produced { .. } | What::ProducerRetry { .. } | What::RelayRepublish { .. } => {
                ("P".into(), "B".into())
            }
            What::AckLost { .. } => ("B".into(), "P".into()),
            What::Delivered { consumer, .. } => ("B".into(), c(consumer)),
            What::ReadBack { consumer, .. } | What::ReadApiFailed { consumer } => (c(consumer), "API".into()),
            What::Checked { consumer, .. } | What::Claimed { consumer, .. } | What::Recorded { consumer } => {
                (c(consumer), "S".into())
            }
            What::Effect { consumer, sink, .. } | What::EffectDeduplicated { consumer, sink } => {
                (c(consumer), format!("K{sink}"))
            }
            What::Committed { consumer, .. }
            | What::Acked { consumer }
            | What::StageProduced { consumer, .. }
            | What::TxnCommitted { consumer, .. } => (c(consumer), "B".into()),
            What::CommitRejected { consumer, .. } | What::AckRejected { consumer } => ("B".into(), c(consumer)),
            What::HandlerFailed { consumer, .. } | What::SkippedPoison { consumer, .. } => (c(consumer), c(consumer)),
            What::NeverPublished { .. }
            | What::NeverWritten { .. }
            | What::SendGaveUp { .. }
            | What::AppendDeduplicated { .. } => ("P".into(), "P".into()),
            What::SendLost { .. } => ("P".into(), "B".into()),
            _ => ("B".into(), "B".into()),
        };
        let failed = matches!(
            ev.what,
            What::AckLost { .. }
                | What::SendLost { .. }
                | What::ReadApiFailed { .. }
                | What::CommitRejected { .. }
                | What::AckRejected { .. }
        );
        rows.push((at_ms, from, to, describe(e, ev), failed));
    }
    let mut ids: Vec<String> = vec!["P".into(), "B".into()];
    for (_, from, to, _, _) in &rows {
        for p in [from, to] {
            if !ids.contains(p) {
                ids.push(p.clone());
            }
        }
    }
    let name = |id: &str| -> String {
        match id {
            "P" => producer_name(e, producer).to_string(),
            "B" => broker.to_string(),
            "S" => "idempotency store".into(),
            "API" => "read API".into(),
            _ if id.starts_with('C') => consumer_name(e, id[1..].parse().unwrap_or(u16::MAX)).to_string(),
            _ => id[1..].parse::<usize>().ok().and_then(|k| e.sinks.get(k)).map_or("?".into(), |k| k.spec.name.clone()),
        }
    };
    let index = |id: &str| ids.iter().position(|p| p == id).unwrap_or(0);
    let rows = rows
        .iter()
        .map(|(at_ms, from, to, text, failed)| SequenceRow {
            at_ms: *at_ms,
            from: index(from),
            to: index(to),
            text: text.clone(),
            failed: *failed,
        })
        .collect();
    Some(Sequence { participants: ids.iter().map(|id| (id.clone(), name(id))).collect(), rows })
}

/// A sequence as Mermaid text (`sequenceDiagram`), for slides.
pub fn sequence_mermaid(seq: &Sequence) -> String {
    // Mermaid reads `;` and `#` in a label as syntax: write them as entity codes.
    let label = |text: &str| text.replace('#', "#35;").replace(';', "#59;").replace('\n', " ");
    let mut out = String::from("sequenceDiagram\n");
    for (id, name) in &seq.participants {
        out.push_str(&format!("    participant {id} as {}\n", label(name)));
    }
    for r in &seq.rows {
        let (from, to) = (&seq.participants[r.from].0, &seq.participants[r.to].0);
        let (t, text) = (seconds(r.at_ms), label(&r.text));
        if from == to {
            out.push_str(&format!("    Note over {from}: {t} {text}\n"));
        } else {
            // A reply that never arrives or is refused: a dotted arrow ending in a cross.
            let arrow = if r.failed { "--x" } else { "->>" };
            out.push_str(&format!("    {from}{arrow}{to}: {t} {text}\n"));
        }
    }
    out
}

/// One line of the side-by-side figures: lane A's value, lane B's, and which side it favours (if the
/// figure is one where less or more is plainly better).
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRow {
    pub label: &'static str,
    pub a: u64,
    pub b: u64,
    /// `Some(true)` when a lower value is better (duplicates, losses), `Some(false)` when higher is (history
    /// kept), `None` when it is only different.
    pub lower_is_better: Option<bool>,
}

/// The figures a comparison lines up: what each lane delivered, what went wrong, and what it keeps.
pub fn compare_rows(a: &Engine, b: &Engine) -> Vec<CompareRow> {
    // Records a log still holds: what a late or replaying reader can get. A queue keeps nothing it delivered.
    let kept = |e: &Engine| e.topics.iter().flat_map(|t| t.partitions.iter()).map(|p| p.records.len() as u64).sum();
    let anomalies = |e: &Engine, kind: AnomalyKind| e.anomalies.iter().filter(|x| x.kind == kind).count() as u64;
    let row = |label, a, b, lower_is_better| CompareRow { label, a, b, lower_is_better };
    let (ca, cb) = (&a.counters, &b.counters);
    let mut rows = vec![
        row("Produced", ca.produced, cb.produced, None),
        row("Delivered", ca.deliveries, cb.deliveries, None),
        row("Effects applied", ca.effects_applied, cb.effects_applied, None),
        row("Duplicate effects", ca.duplicate_effects, cb.duplicate_effects, Some(true)),
        row("Lost", ca.lost_messages, cb.lost_messages, Some(true)),
        row("Dead-lettered", ca.dead_lettered, cb.dead_lettered, Some(true)),
        row("Out of order", ca.out_of_order, cb.out_of_order, Some(true)),
        row("Stale reads", ca.stale_reads, cb.stale_reads, Some(true)),
        row("Read-API calls", ca.read_api_calls, cb.read_api_calls, Some(true)),
        row("Bytes on the wire", ca.bytes_on_wire, cb.bytes_on_wire, None),
        row("Kept for replay (records in logs)", kept(a), kept(b), Some(false)),
        row("Crashes", ca.crashes, cb.crashes, None),
    ];
    // The anomalies, kind by kind, so the two feeds line up (counted over the engine's kept anomalies: the
    // first 2,000 of a run, far more than any preset has).
    for (kind, label) in [
        (AnomalyKind::DuplicateEffect, "Anomalies: duplicate effect"),
        (AnomalyKind::LostMessage, "Anomalies: lost"),
        (AnomalyKind::LostToRetention, "Anomalies: lost to retention"),
        (AnomalyKind::DeadLettered, "Anomalies: dead-lettered"),
        (AnomalyKind::OutOfOrder, "Anomalies: out of order"),
        (AnomalyKind::StaleRead, "Anomalies: stale read"),
        (AnomalyKind::DuplicateAppend, "Anomalies: duplicate append"),
        (AnomalyKind::InventedEvent, "Anomalies: invented event"),
    ] {
        rows.push(row(label, anomalies(a, kind), anomalies(b, kind), Some(true)));
    }
    rows
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_duplicate_email_as_a_mermaid_sequence_diagram() {
        let json = crate::scenario::presets::PRESETS[4].1;
        let mut e = Engine::new(crate::scenario::parse_scenario(json).unwrap()).unwrap();
        e.run_to_end();
        let dup = e.anomalies.iter().find(|a| a.kind == AnomalyKind::DuplicateEffect).unwrap().message_id;
        let text = sequence_mermaid(&journey_sequence(&e, dup).unwrap());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "sequenceDiagram");
        assert!(lines.contains(&"    participant P as user-service"), "{text}");
        assert!(lines.contains(&"    participant B as user-events"), "{text}");
        assert!(lines.iter().any(|l| l.starts_with("    participant K0 as email")), "{text}");
        let effects = lines.iter().filter(|l| l.contains("->>K0:")).count();
        assert_eq!(effects, 2, "the email is sent twice: {text}");
        assert!(lines.iter().any(|l| l.contains("CRASH")), "{text}");
        for l in &lines[1..] {
            let body = l.trim_start();
            assert!(body.starts_with("participant ") || body.starts_with("Note over ") || body.contains(": "), "{l}");
            let plain = body.replace("#35;", "").replace("#59;", "");
            assert!(!plain.contains(';') && !plain.contains('#'), "Mermaid reads ';' and '#' as syntax: {l}");
        }
        assert_eq!(journey_sequence(&e, 0), None);
        if std::env::var("PRINT_MERMAID").is_ok() {
            println!("{text}");
        }
    }

    use super::*;

    #[test]
    fn decimals_read_as_the_page_shows_them() {
        for (x, shown) in [
            (0.0, "0"),
            (12.0, "12"),
            (12.5, "12.5"),
            (0.25, "0.25"),
            (-3.07, "-3.07"),
            (-0.001, "0"),
            (1100.0, "1100"),
            (123.456, "123.46"),
            (0.1 + 0.2, "0.3"),
            (f64::NAN, "0"),
        ] {
            assert_eq!(decimal(x), shown, "{x}");
        }
        // What it writes, the page's number parser reads back.
        assert_eq!(parse_decimal(&decimal(2.5)), Some(2.5));
    }
    use crate::scenario::parse_scenario;
    use crate::scenario::presets::PRESETS;

    #[test]
    fn decimals_parse_as_a_number_field_gives_them() {
        assert_eq!(parse_decimal("5"), Some(5.0));
        assert_eq!(parse_decimal(" 0.25 "), Some(0.25));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("-.5"), Some(-0.5));
        assert_eq!(parse_decimal("1e-3"), Some(0.001));
        assert_eq!(parse_decimal("0.1"), Some("0.1".parse::<f64>().unwrap()), "the same bits as core's parser");
        for bad in ["", "abc", "NaN", "inf", "1,5", "5 5", "--1"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn export_file_names_are_safe_and_readable() {
        assert_eq!(
            export_file_name("Kafka transactions: an exactly-once stage"),
            "kafka-transactions-an-exactly-once-stage.json"
        );
        assert_eq!(export_file_name("../../etc/passwd"), "etc-passwd.json");
        assert_eq!(export_file_name("  ::  "), "scenario.json");
        // Letters outside ASCII stay in the word (and keep their case).
        assert_eq!(export_file_name("Bestellungen für Kunden"), "bestellungen-für-kunden.json");
    }

    fn preset(prefix: &str) -> Engine {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with(prefix)).unwrap().1;
        Engine::new(parse_scenario(json).unwrap()).unwrap()
    }

    #[test]
    fn the_naive_check_reads_like_the_article_and_crash_points_follow_the_steps() {
        let e = preset("06");
        let lines = handler_code(&e, 0);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert!(texts.iter().any(|t| t.starts_with("if redis.exists(msg.id): return")), "{texts:?}");
        assert!(texts.iter().any(|t| t.starts_with("redis.set(msg.id)")), "{texts:?}");
        let check = texts.iter().position(|t| t.contains("exists")).unwrap();
        let set = texts.iter().position(|t| t.contains("redis.set(")).unwrap();
        let effect = lines.iter().position(|l| l.step == Step::Effect).unwrap();
        assert!(check < effect && effect < set, "check, then process, then set: {texts:?}");
        assert_eq!(lines[effect].crash_point, Some(CrashPoint::AfterEffect));
        assert_eq!(lines[set].crash_point, Some(CrashPoint::AfterRecord));
        assert!(lines.iter().all(|l| !l.active && !l.armed), "nothing runs at t = 0");
    }

    #[test]
    fn the_line_in_progress_and_the_armed_crash_are_marked() {
        let mut e = preset("05");
        e.apply(crate::scenario::model::FaultAction::CrashConsumer {
            consumer: e.consumers[0].name.clone(),
            at_step: Some(CrashPoint::AfterEffect),
        });
        e.run_until(0);
        let armed: Vec<_> = handler_code(&e, 0).into_iter().filter(|l| l.armed).collect();
        assert_eq!(armed.len(), 1);
        assert_eq!(armed[0].step, Step::Effect);
        let mut seen_active = false;
        while e.step() && e.now() < 5_000 {
            let lines = handler_code(&e, 0);
            if let Some(a) = e.consumers[0].slots.iter().flatten().next() {
                let active: Vec<_> = lines.iter().filter(|l| l.active).collect();
                assert!(!active.is_empty() && active.iter().all(|l| l.step == a.step));
                seen_active = true;
            }
        }
        assert!(seen_active);
    }

    #[test]
    fn commit_before_processing_shows_the_commit_first() {
        let e = preset("09");
        let lines = handler_code(&e, 0);
        let commit = lines.iter().position(|l| l.text.starts_with("commit(")).unwrap();
        let effect = lines.iter().position(|l| l.step == Step::Effect).unwrap();
        assert!(commit < effect);
    }

    #[test]
    fn a_duplicated_message_journey_shows_both_effects_and_the_crash() {
        let mut e = preset("05");
        e.run_to_end();
        let dup = e.anomalies.iter().find(|a| a.kind == crate::engine::observe::AnomalyKind::DuplicateEffect).unwrap();
        let j = journey(&e, dup.message_id).unwrap();
        assert!(j.title.contains(&format!("#{}", dup.message_id)));
        let effects = j.rows.iter().filter(|r| r.text.contains("applied the effect")).count();
        assert!(effects >= 2, "{:?}", j.rows);
        assert!(j.rows.iter().any(|r| r.text.contains("crashed while handling it") && r.tone == "bad"));
        assert!(j.rows.windows(2).all(|w| w[0].at_ms <= w[1].at_ms), "in time order");
        assert!(j.fates.iter().any(|(t, tone)| t.contains("duplicate") && *tone == "bad"), "{:?}", j.fates);
        assert!(journey(&e, 0).is_none() && journey(&e, u32::MAX).is_none());
    }

    #[test]
    fn every_event_of_every_preset_has_a_sentence() {
        for (stem, json) in PRESETS {
            let mut e = Engine::new(parse_scenario(json).unwrap()).unwrap();
            e.run_to_end();
            for ev in &e.trace.events {
                let s = describe(&e, ev);
                assert!(!s.is_empty() && !s.contains('?'), "{stem}: {ev:?} → {s}");
            }
        }
    }
}
