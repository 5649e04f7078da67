//! A consumer's handler as pseudo-code, with the line in progress and the armed crash marked.
use crate::engine::observe::seconds;
use crate::engine::{ConsumerId, Engine, Role, Step};
use crate::scenario::model::{CommitPolicy, CrashPoint, Payload, Sink, SinkKind, Strategy};

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
pub fn handler_code(e: &Engine, consumer: ConsumerId) -> Vec<CodeLine> {
    let Some(c) = e.consumers().get(consumer.index()) else { return vec![] };
    let ack_first = matches!(c.role, Role::Worker { queue }
        if e.queues()[queue].spec.ack == crate::scenario::model::QueueAck::BeforeProcessing);
    let (handler, commit, source, output, transactional) = match c.role {
        Role::Member { group } => {
            let g = &e.groups()[group];
            (
                &g.spec.handler,
                Some(g.spec.commit),
                g.spec.topic.clone(),
                g.spec.produce_to.clone(),
                g.spec.transactional,
            )
        }
        Role::Worker { queue } => {
            let q = &e.queues()[queue];
            (&q.spec.handler, None, q.spec.name.clone(), None, false)
        }
    };
    // A pure transform stage has no sink: its output record is its effect.
    let sink = e.sinks().get(e.sink_of(c.sub).index()).map(|k| &k.spec);
    let notification = e.producers().iter().any(|p| p.spec.target == source && p.spec.payload == Payload::Notification);
    let strategy = handler.strategy;
    let ttl = handler.store_ttl_ms.map_or(String::new(), |t| format!(", ttl={}", seconds(t)));
    let mut lines: Vec<(String, Step, Option<CrashPoint>)> = vec![];
    // Which steps exist is the engine's decision; this only words them.
    let check = e.has_check(c.sub).then(|| check_line(strategy, &ttl));
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
    if ack_first {
        lines.push(("queue.delete(msg.receipt)  # ack before the work: at-most-once".into(), Step::Receive, None));
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
        lines.push((effect_line(sink, strategy, target), Step::Effect, Some(CrashPoint::AfterEffect)));
    }
    if e.has_record(c.sub) {
        let record = if strategy == Strategy::CheckThenAct { "redis.set(msg.id)" } else { "inbox.insert(msg.id)" };
        lines.push((record.into(), Step::Record, Some(CrashPoint::AfterRecord)));
    }
    lines.push((finish_line(commit, transactional, ack_first), Step::Finish, None));

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

/// The idempotency check, as the strategy words it.
fn check_line(strategy: Strategy, ttl: &str) -> String {
    match strategy {
        Strategy::CheckThenAct => "if redis.exists(msg.id): return".to_string(),
        Strategy::ClaimFirst => format!("if not redis.set_nx(msg.id{ttl}): return  # claim first"),
        _ => "if inbox.has(msg.id): return".to_string(),
    }
}

/// The side effect on `target` ("msg", or the entity read back), guarded as the strategy guards it.
fn effect_line(sink: &Sink, strategy: Strategy, target: &str) -> String {
    let name = crate::scenario::names::isolated(&sink.name);
    let call = match sink.kind {
        SinkKind::Email => format!("{name}.send_email({target}"),
        SinkKind::Payment => format!("{name}.charge({target}"),
        SinkKind::DbUpsert => format!("{name}.upsert({target}"),
        SinkKind::DbCounter => format!("{name}.increment(counter"),
    };
    let database = matches!(sink.kind, SinkKind::DbUpsert | SinkKind::DbCounter);
    match strategy {
        Strategy::IdempotencyKey => format!("{call}, idempotency_key=msg.id)"),
        Strategy::TransactionalInbox if database => format!("in one transaction: inbox.insert(msg.id); {call})"),
        _ => format!("{call})"),
    }
}

/// How the handler ends: a group member's commit (or a stage's transaction), a worker's ack.
fn finish_line(commit: Option<CommitPolicy>, transactional: bool, ack_first: bool) -> String {
    match commit {
        _ if transactional => {
            "producer.send_offsets_to_transaction(msg.offset + 1); producer.commit_transaction()".to_string()
        }
        None if ack_first => "# done (already acked)".to_string(),
        None => "queue.delete(msg.receipt)  # ack".to_string(),
        Some(CommitPolicy::AfterProcessing) => "commit(msg.offset + 1)  # after the work".to_string(),
        Some(CommitPolicy::Auto { interval_ms }) => {
            format!("# done; offsets auto-commit every {} at the next poll", seconds(interval_ms))
        }
        Some(CommitPolicy::BeforeProcessing) => "# done (already committed)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::test_support::preset;

    #[test]
    fn the_naive_check_reads_like_the_article_and_crash_points_follow_the_steps() {
        let e = preset("06");
        let lines = handler_code(&e, ConsumerId(0));
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
            consumer: e.consumers()[0].name.clone(),
            at_step: Some(CrashPoint::AfterEffect),
        });
        e.run_until(0);
        let armed: Vec<_> = handler_code(&e, ConsumerId(0)).into_iter().filter(|l| l.armed).collect();
        assert_eq!(armed.len(), 1);
        assert_eq!(armed[0].step, Step::Effect);
        let mut seen_active = false;
        while e.step() && e.now() < 5_000 {
            let lines = handler_code(&e, ConsumerId(0));
            if let Some(a) = e.consumers()[0].slots.iter().flatten().next() {
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
        let lines = handler_code(&e, ConsumerId(0));
        let commit = lines.iter().position(|l| l.text.starts_with("commit(")).unwrap();
        let effect = lines.iter().position(|l| l.step == Step::Effect).unwrap();
        assert!(commit < effect);
    }

    #[test]
    fn ack_on_receipt_shows_the_ack_first_and_nothing_left_to_ack() {
        let json = crate::scenario::presets::PRESETS.iter().find(|(s, _)| s.starts_with("02")).unwrap().1;
        let mut scenario = crate::scenario::parse_scenario(json).unwrap();
        scenario.queues[0].ack = crate::scenario::model::QueueAck::BeforeProcessing;
        let e = crate::engine::Engine::new(scenario).unwrap();
        let lines = handler_code(&e, ConsumerId(0));
        let ack = lines.iter().position(|l| l.text.starts_with("queue.delete(")).unwrap();
        let effect = lines.iter().position(|l| l.step == Step::Effect).unwrap();
        assert!(ack < effect, "{lines:?}");
        assert_eq!(lines.iter().filter(|l| l.text.starts_with("queue.delete(")).count(), 1);
    }
}
