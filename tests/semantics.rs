//! The semantics table: (delivery setup × fault × strategy) → whether duplicate effects, losses, duplicate
//! appends, dead letters and invented events are possible, as the Kafka, SQS and RabbitMQ documentation
//! promise. "Possible" is checked as "happens for some seed of the sweep" (so the fault injector itself is
//! tested); "impossible" as "happens for no seed".
#![cfg(not(target_arch = "wasm32"))]
mod common;
use brokerscope::engine::broker::TxnMark;
use brokerscope::engine::observe::{AnomalyKind, What};
use brokerscope::engine::{ConsumerId, DeliveryId, DeliverySource, MessageId, Report, SubId};
use brokerscope::scenario::model::*;
use common::*;

const SEEDS: std::ops::RangeInclusive<u64> = 1..=16;

/// What a row says of one column over the sweep: it happens for some seed (`Yes`), for none (`No`), or the
/// row makes no claim (`Any`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Yes,
    No,
    Any,
}
use Expect::{Any, No, Yes};

/// What a column counts in a run's report.
type Count = fn(&Report) -> u64;

/// The table's columns, in its order: each one's name and what it counts.
const COLUMNS: [(&str, Count); 5] = [
    ("duplicates", |r| r.duplicate_effects),
    ("loss", |r| r.lost_messages),
    ("duplicate appends", |r| r.duplicate_appends),
    ("dead letters", |r| r.dead_lettered),
    ("invented events", |r| r.invented_events),
];

struct Row {
    name: &'static str,
    scenario: Scenario,
    expect: [Expect; COLUMNS.len()],
}

/// A row: the sentence it proves, the base scenario, what the row changes in it, and what it expects of
/// each column.
fn row(name: &'static str, base: Scenario, modify: fn(&mut Scenario), expect: [Expect; COLUMNS.len()]) -> Row {
    let mut scenario = base;
    modify(&mut scenario);
    Row { name, scenario, expect }
}

// The base scenarios: the workloads of `common`, with a consumer crash at `crash` (8% of handler runs).

fn topic(commit: CommitPolicy, sink: SinkKind, strategy: Strategy, crash: impl Into<Option<CrashPoint>>) -> Scenario {
    crashing(topic_scenario(commit, sink, strategy), crash.into())
}

fn queue(kind: QueueKind, sink: SinkKind, strategy: Strategy, crash: impl Into<Option<CrashPoint>>) -> Scenario {
    crashing(queue_scenario(kind, sink, strategy), crash.into())
}

fn fanout(kind: QueueKind, subscribers: usize, crash: impl Into<Option<CrashPoint>>) -> Scenario {
    crashing(fanout_scenario(kind, subscribers), crash.into())
}

fn crashing(mut s: Scenario, crash: Option<CrashPoint>) -> Scenario {
    if let Some(point) = crash {
        crash_at(&mut s, 0.08, point);
    }
    s
}

// The modifiers: what a row adds to its base scenario.

fn as_is(_: &mut Scenario) {}

fn key_accepted(s: &mut Scenario) {
    s.sinks[0].accepts_idempotency_key = true;
}

fn slow(s: &mut Scenario) {
    s.faults.slow = 0.1;
    s.faults.slow_factor = 20; // 600 ms > 400 ms visibility timeout
}

// Ack before processing: RabbitMQ "automatic acknowledgement mode" ("a message is considered to be
// successfully delivered immediately after it is sent … at-most-once", RabbitMQ docs, "Consumer
// Acknowledgements and Publisher Confirms"); on SQS a DeleteMessage right after ReceiveMessage.
fn ack_first(s: &mut Scenario) {
    s.queues[0].ack = QueueAck::BeforeProcessing;
}

fn ack_first_poison(s: &mut Scenario) {
    ack_first(s);
    poison(s);
}

fn duplicate_delivery(s: &mut Scenario) {
    s.faults.duplicate_delivery = 0.1;
}

fn lost_ack(s: &mut Scenario) {
    s.faults.lost_ack = 0.2;
}

fn lost_ack_no_idem(s: &mut Scenario) {
    s.producers[0].idempotent = false;
    s.faults.lost_ack = 0.2;
}

fn lost_ack_idempotent(s: &mut Scenario) {
    s.producers[0].idempotent = true;
    s.faults.lost_ack = 0.2;
}

fn poison(s: &mut Scenario) {
    s.faults.poison = 0.05;
}

fn lost_send(s: &mut Scenario) {
    s.faults.lost_send = 0.1;
}

fn producer_crash(s: &mut Scenario) {
    s.faults.producer_crash = 0.1;
}

fn dual_write_crash(s: &mut Scenario) {
    s.producers[0].publish_mode = PublishMode::DualWrite;
    producer_crash(s);
}

fn publish_first_crash(s: &mut Scenario) {
    s.producers[0].publish_mode = PublishMode::DualWritePublishFirst;
    producer_crash(s);
}

fn acks_zero_lost_send(s: &mut Scenario) {
    s.producers[0].acks = Acks::Zero;
    s.faults.lost_send = 0.1;
}

fn acks_zero_lost_ack(s: &mut Scenario) {
    s.producers[0].acks = Acks::Zero;
    s.faults.lost_ack = 0.3;
}

/// One row per line: the sentence it proves, the base scenario, the modifier, and the columns of `COLUMNS`
/// (dup: duplicate effects, loss: lost messages, apps: duplicate appends, dlq: dead letters, inv: invented
/// events).
#[rustfmt::skip]
fn table() -> Vec<Row> {
    use CommitPolicy::*;
    use CrashPoint::*;
    use Isolation::{ReadCommitted, ReadUncommitted};
    use QueueKind::*;
    use SinkKind::*;
    use Strategy as S;
    let auto = Auto { interval_ms: 1_000 };
    vec![
        // the sentence it proves                                                                 base scenario                                                          modifier              dup  loss apps dlq  inv
        row("no faults: exactly one effect each",                                                 topic(AfterProcessing, Email, S::None, None),                          as_is,               [No,  No,  No,  No,  No]),
        row("commit after + crash after effect ⇒ duplicate, no loss",                             topic(AfterProcessing, Email, S::None, AfterEffect),                   as_is,               [Yes, No,  No,  No,  No]),
        row("commit after + crash before effect ⇒ neither",                                       topic(AfterProcessing, Email, S::None, BeforeEffect),                  as_is,               [No,  No,  No,  No,  No]),
        row("commit before + crash before effect ⇒ loss, no duplicate",                           topic(BeforeProcessing, Email, S::None, BeforeEffect),                 as_is,               [No,  Yes, No,  No,  No]),
        row("commit before + crash after effect ⇒ loss, no duplicate",                            topic(BeforeProcessing, Email, S::None, AfterEffect),                  as_is,               [No,  Yes, No,  No,  No]),
        row("auto-commit + crash after effect ⇒ duplicate, no loss",                              topic(auto, Email, S::None, AfterEffect),                              as_is,               [Yes, No,  No,  No,  No]),
        row("check_then_act + crash between effect and record ⇒ duplicate",                       topic(AfterProcessing, Email, S::CheckThenAct, AfterEffect),           as_is,               [Yes, No,  No,  No,  No]),
        row("check_then_act + crash after record ⇒ no duplicate",                                 topic(AfterProcessing, Email, S::CheckThenAct, AfterRecord),           as_is,               [No,  No,  No,  No,  No]),
        row("claim_first (no TTL) + crash after claim ⇒ loss",                                    topic(AfterProcessing, Email, S::ClaimFirst, BeforeEffect),            as_is,               [No,  Yes, No,  No,  No]),
        row("claim_first + crash after effect ⇒ no duplicate",                                    topic(AfterProcessing, Email, S::ClaimFirst, AfterEffect),             as_is,               [No,  No,  No,  No,  No]),
        row("transactional inbox + database counter ⇒ no duplicate",                              topic(AfterProcessing, DbCounter, S::TransactionalInbox, AfterEffect), as_is,               [No,  No,  No,  No,  No]),
        row("transactional inbox cannot cover an email ⇒ duplicate",                              topic(AfterProcessing, Email, S::TransactionalInbox, AfterEffect),     as_is,               [Yes, No,  No,  No,  No]),
        row("upsert repeats are harmless ⇒ no duplicate effect",                                  topic(AfterProcessing, DbUpsert, S::None, AfterEffect),                as_is,               [No,  No,  No,  No,  No]),
        row("idempotency key ignored by the sink ⇒ duplicate",                                    topic(AfterProcessing, Payment, S::IdempotencyKey, AfterEffect),       as_is,               [Yes, No,  No,  No,  No]),
        row("idempotency key accepted by the payment service ⇒ no duplicate",                     topic(AfterProcessing, Payment, S::IdempotencyKey, AfterEffect),       key_accepted,        [No,  No,  No,  No,  No]),
        // Queues.
        row("queue: processing slower than the visibility timeout ⇒ duplicate",                   queue(Standard, Email, S::None, None),                                 slow,                [Yes, No,  No,  No,  No]),
        row("queue: check_then_act with a concurrent redelivery ⇒ duplicate",                     queue(Standard, Email, S::CheckThenAct, None),                         slow,                [Yes, No,  No,  No,  No]),
        row("queue: claim_first with a concurrent redelivery ⇒ no duplicate",                     queue(Standard, Email, S::ClaimFirst, None),                           slow,                [No,  No,  No,  No,  No]),
        row("queue: crash after effect, before ack ⇒ duplicate after the visibility timeout",     queue(Standard, Email, S::None, AfterEffect),                          as_is,               [Yes, No,  No,  No,  No]),
        row("queue: crash before effect ⇒ redelivered, neither",                                  queue(Standard, Email, S::None, BeforeEffect),                         as_is,               [No,  No,  No,  No,  No]),
        row("queue, ack on receipt + crash before effect ⇒ loss, never a duplicate",              queue(Standard, Email, S::None, BeforeEffect),                         ack_first,           [No,  Yes, No,  No,  No]),
        row("queue, ack on receipt + crash after effect ⇒ neither (it is never redelivered)",     queue(Standard, Email, S::None, AfterEffect),                          ack_first,           [No,  No,  No,  No,  No]),
        row("queue, ack on receipt + slow handler ⇒ no redelivery, no duplicate",                 queue(Standard, Email, S::None, None),                                 |s| { ack_first(s); slow(s) }, [No,  No,  No,  No,  No]),
        row("queue, ack on receipt + poison ⇒ lost, never dead-lettered",                         queue(Standard, Email, S::None, None),                                 ack_first_poison,    [No,  Yes, No,  No,  No]),
        row("standard queue duplicate delivery ⇒ duplicate",                                      queue(Standard, Email, S::None, None),                                 duplicate_delivery,  [Yes, No,  No,  No,  No]),
        row("queue: a poison message fails every receive ⇒ dead-lettered after max receives",    queue(Standard, Email, S::None, None),                                 poison,              [No,  No,  No,  Yes, No]),
        row("FIFO queue: no duplicate delivery",                                                  queue(Fifo, Email, S::None, None),                                     duplicate_delivery,  [No,  No,  No,  No,  No]),
        // Fan-out: an exchange copies each event into one queue per subscriber.
        row("fan-out to standard queues: duplicate delivery ⇒ duplicate",                         fanout(Standard, 3, None),                                             duplicate_delivery,  [Yes, No,  No,  No,  No]),
        row("fan-out: crash after effect, before ack ⇒ duplicate, no loss",                       fanout(Standard, 3, AfterEffect),                                      as_is,               [Yes, No,  No,  No,  No]),
        row("fan-out to FIFO queues: lost ack + retry ⇒ no duplicate",                            fanout(Fifo, 3, None),                                                 lost_ack,            [No,  No,  No,  No,  No]),
        // Consume→transform→produce stages and Kafka transactions.
        row("stage without transactions + crash after producing ⇒ duplicate downstream",          stage_scenario(false, ReadCommitted, None),                            as_is,               [Yes, No,  Yes, No,  No]),
        row("transactional stage + read_committed reader ⇒ exactly once downstream",              stage_scenario(true, ReadCommitted, None),                             as_is,               [No,  No,  No,  No,  No]),
        // Duplicate appends: no claim. The aborted copies it reads are in the log, but count as appends only once committed.
        row("transactional stage + read_uncommitted reader ⇒ sees aborted copies",                stage_scenario(true, ReadUncommitted, None),                           as_is,               [Yes, No,  Any, No,  No]),
        row("transactional stage cannot cover its email ⇒ duplicate",                             stage_scenario(true, ReadCommitted, Some(Email)),                      as_is,               [Yes, No,  No,  No,  No]),
        // Producers.
        row("dual write + crash between write and publish ⇒ loss",                                topic(AfterProcessing, Email, S::None, None),                          dual_write_crash,    [No,  Yes, No,  No,  No]),
        row("dual write publishing first + the same crash ⇒ no loss (an invented event instead)", topic(AfterProcessing, Email, S::None, None),                          publish_first_crash, [No,  No,  No,  No,  Yes]),
        row("lost ack, producer not idempotent ⇒ the retry appends a second copy: duplicate",      topic(AfterProcessing, Email, S::None, None),                          lost_ack_no_idem,    [Yes, No,  Yes, No,  No]),
        row("lost ack, idempotent producer ⇒ the broker drops the retry: no duplicate",           topic(AfterProcessing, Email, S::None, None),                          lost_ack_idempotent, [No,  No,  No,  No,  No]),
        row("acks=all + lost send ⇒ the producer resends: no loss, no duplicate",                 topic(AfterProcessing, Email, S::None, None),                          lost_send,           [No,  No,  No,  No,  No]),
        row("acks=0 + lost send ⇒ loss, silently",                                                topic(AfterProcessing, Email, S::None, None),                          acks_zero_lost_send, [No,  Yes, No,  No,  No]),
        row("acks=0 + lost ack ⇒ nothing to retry: no duplicate",                                 topic(AfterProcessing, Email, S::None, None),                          acks_zero_lost_ack,  [No,  No,  No,  No,  No]),
        // The outbox (every producer's default) with the dual writes' crash: only a dual write can lose this way.
        row("outbox: the same crash loses nothing",                                               topic(AfterProcessing, Email, S::None, None),                          producer_crash,      [No,  No,  No,  No,  No]),
    ]
}

#[test]
fn semantics_table() {
    let mut failures = vec![];
    for r in table() {
        let reports = sweep(&r.scenario, SEEDS);
        let undrained: Vec<u64> = reports.iter().filter(|x| !x.drained).map(|x| x.seed).collect();
        if !undrained.is_empty() {
            failures.push(format!("{}: did not drain in seeds {undrained:?}", r.name));
        }
        for (&(column, count), expect) in COLUMNS.iter().zip(r.expect) {
            // Each seed where it happened, with how many times: "3 (2)".
            let seen: Vec<String> =
                reports.iter().filter(|x| count(x) > 0).map(|x| format!("{} ({})", x.seed, count(x))).collect();
            let got = if seen.is_empty() { No } else { Yes };
            if expect != Any && got != expect {
                let seeds =
                    if seen.is_empty() { "in no seed".to_string() } else { format!("in seeds {}", seen.join(", ")) };
                failures.push(format!(
                    "{}: {column}: expected {expect:?}, observed {got:?} ({seeds} of {SEEDS:?})",
                    r.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "semantics table:\n{}", failures.join("\n"));
}

#[test]
fn lost_ack_duplicates_appends_unless_the_producer_is_idempotent() {
    let mut plain = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    plain.faults.lost_ack = 0.2;
    let reports = sweep(&plain, SEEDS);
    assert!(reports.iter().all(|r| r.appended >= r.produced));
    assert!(reports.iter().any(|r| r.duplicate_appends > 0 && r.appended > r.produced && r.duplicate_effects > 0));
    let mut idempotent = plain.clone();
    idempotent.producers[0].idempotent = true;
    for r in sweep(&idempotent, SEEDS) {
        assert_eq!((r.appended, r.duplicate_appends, r.duplicate_effects), (r.produced, 0, 0), "seed {}", r.seed);
    }
    // A FIFO queue's de-duplication window does the same for sends.
    let mut fifo = queue_scenario(QueueKind::Fifo, SinkKind::Email, Strategy::None);
    fifo.faults.lost_ack = 0.2;
    for r in sweep(&fifo, SEEDS) {
        assert_eq!(r.appended, r.produced, "seed {}", r.seed);
    }
}

/// SQS FIFO: a send accepted after the de-duplication window starts a new window, so a retry soon after
/// it is dropped. One message, every ack lost: the relay republishes at 150 ms (after the 100 ms window:
/// accepted), and the producer's retry follows at 160 ms (within the new window: dropped; counted from
/// the first send it would have been accepted).
#[test]
fn a_fifo_send_accepted_after_the_window_starts_a_new_one() {
    let mut s = queue_scenario(QueueKind::Fifo, SinkKind::Email, Strategy::None);
    s.network_latency_ms = 0;
    s.queues[0].dedup_window_ms = 100;
    let p = &mut s.producers[0];
    (p.count, p.publish_mode, p.request_timeout_ms, p.retry_backoff_ms, p.retries) =
        (1, PublishMode::Outbox, 100, 60, 1);
    s.faults.lost_ack = 1.0;
    s.faults.relay_crash = 1.0;
    s.faults.restart_after_ms = 150;
    let mut engine = brokerscope::engine::Engine::new(s).expect("valid");
    engine.run_to_end();
    let r = engine.report();
    let appends: Vec<_> =
        engine.trace().events.iter().filter(|e| matches!(e.what, What::Enqueued { .. })).map(|e| e.at_ms).collect();
    let dropped: Vec<_> = engine
        .trace()
        .events
        .iter()
        .filter(|e| matches!(e.what, What::AppendDeduplicated { .. }))
        .map(|e| e.at_ms)
        .collect();
    assert_eq!((appends, dropped), (vec![0, 150], vec![160]));
    assert_eq!((r.appended, r.duplicate_appends), (2, 1));
}

#[test]
fn acks_zero_never_retries_so_it_never_duplicates_and_loses_lost_sends_silently() {
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    s.producers[0].acks = Acks::Zero;
    s.faults.lost_ack = 0.2; // no ack to lose
    s.faults.lost_send = 0.2;
    let reports = sweep(&s, SEEDS);
    for r in &reports {
        assert_eq!(r.duplicate_appends, 0, "seed {}: a fire-and-forget producer never resends", r.seed);
        assert_eq!(r.appended + r.lost_messages, r.produced, "seed {}: every lost send is a lost message", r.seed);
    }
    let (_, r) = run(&s);
    let lost = r.anomalies.iter().find(|a| a.kind == AnomalyKind::LostMessage).expect("a lost send");
    assert!(lost.explanation.contains("acks=0") && lost.explanation.contains("acks=all"), "{}", lost.explanation);
    // Waiting for acks, the same lost sends time out and go again: nothing lost (with retries enough
    // that six lost sends of one message in a row, which seed 10 has, are retried too).
    s.producers[0].acks = Acks::All;
    s.producers[0].retries = 20;
    s.faults.lost_ack = 0.0;
    for r in sweep(&s, SEEDS) {
        assert_eq!((r.lost_messages, r.duplicate_appends), (0, 0), "seed {}", r.seed);
    }
}

fn traced(s: &Scenario) -> brokerscope::engine::Engine {
    let mut e = brokerscope::engine::Engine::new(s.clone()).expect("valid");
    e.set_trace_capacity(usize::MAX);
    e.run_to_end();
    e
}

fn at(ms: u64, action: FaultAction) -> ScriptedFault {
    ScriptedFault { at_ms: ms, action }
}

#[test]
fn a_clean_stop_rebalances_at_once_loses_nothing_and_a_start_takes_partitions_back() {
    // Scale in at 2 s, out again at 5 s, on every commit policy: c2 finishes its batch, commits and
    // leaves; c1 takes both partitions at once (no session timeout); nothing is lost or done twice.
    for commit in
        [CommitPolicy::AfterProcessing, CommitPolicy::BeforeProcessing, CommitPolicy::Auto { interval_ms: 5_000 }]
    {
        let mut s = topic_scenario(commit, SinkKind::Email, Strategy::None);
        let stop = FaultAction::StopConsumer { consumer: "c2".into() };
        let start = FaultAction::StartConsumer { consumer: "c2".into() };
        s.faults.scripted = vec![at(2_000, stop), at(5_000, start)];
        let e = traced(&s);
        let r = e.report();
        assert_eq!((r.lost_messages, r.duplicate_effects, r.effected), (0, 0, r.produced), "{commit:?}: {r:?}");
        let events = &e.trace().events;
        let when =
            |f: &dyn Fn(&What) -> bool| events.iter().filter(|ev| f(&ev.what)).map(|ev| ev.at_ms).collect::<Vec<_>>();
        let stopped = when(&|w| matches!(w, What::Stopped { consumer: ConsumerId(1) }));
        let started = when(&|w| matches!(w, What::Started { consumer: ConsumerId(1) }));
        assert_eq!(stopped.len(), 1, "{commit:?}");
        assert!((2_000..2_200).contains(&stopped[0]), "{commit:?}: it stops after its batch: {stopped:?}");
        assert_eq!(started, vec![5_000], "{commit:?}");
        // The rebalances follow the leave and the join at once; the session timeout (1 s) plays no part.
        let rebalances = when(&|w| matches!(w, What::RebalanceStarted { .. }));
        assert!(rebalances.contains(&stopped[0]) && rebalances.contains(&5_000), "{commit:?}: {rebalances:?}");
        assert!(!events.iter().any(|ev| matches!(ev.what, What::SessionExpired { .. })), "{commit:?}");
        // c2 receives nothing while stopped, and records again after it started.
        let c2_deliveries = when(&|w| matches!(w, What::Delivered { consumer: ConsumerId(1), .. }));
        assert!(!c2_deliveries.iter().any(|&t| t > stopped[0] && t < 5_000), "{commit:?}");
        assert!(c2_deliveries.iter().any(|&t| t > 5_000), "{commit:?}: c2 got partitions back");
    }
}

#[test]
fn a_reset_of_a_busy_group_replays_everything_and_no_stale_commit_undoes_it() {
    // Kafka refuses to reset an active group: "Assignments can only be reset if the group is inactive"
    // (kafka-consumer-groups.sh --reset-offsets, Kafka's operations docs, "Managing Consumer Groups"),
    // so an operator stops the consumers, resets, restarts them. Modelled so: the reset waits for the
    // members to finish the batch they hold (their commits land first), then moves the offsets, then
    // the members rejoin. A commit of the old batch must never move an offset back over the reset.
    for commit in [CommitPolicy::AfterProcessing, CommitPolicy::Auto { interval_ms: 500 }] {
        let mut s = topic_scenario(commit, SinkKind::Email, Strategy::None);
        s.topics[0].partitions = 4;
        s.producers[0].rate = Rate::Fixed { interval_ms: 20 };
        s.producers[0].count = 250;
        s.groups[0].handler.processing = Processing::Fixed { ms: 30 };
        s.faults.scripted = vec![at(3_000, FaultAction::ResetGroup { group: "g".into(), to: ResetTarget::Earliest })];
        let e = traced(&s);
        let appended_before: std::collections::BTreeSet<MessageId> = e
            .trace()
            .events
            .iter()
            .filter(|ev| ev.at_ms < 3_000 && matches!(ev.what, What::Appended { .. }))
            .filter_map(|ev| ev.message)
            .collect();
        assert!(appended_before.len() > 100, "{commit:?}: {} appended before the reset", appended_before.len());
        let replayed: std::collections::BTreeSet<MessageId> = e
            .trace()
            .events
            .iter()
            .filter(|ev| ev.at_ms >= 3_000 && matches!(ev.what, What::Delivered { .. }))
            .filter_map(|ev| ev.message)
            .collect();
        let missed: Vec<&MessageId> = appended_before.difference(&replayed).collect();
        assert!(
            missed.is_empty(),
            "{commit:?}: {} of {} not replayed: {missed:?}",
            missed.len(),
            appended_before.len()
        );
        // The group was busy: its old batch's commits land after the reset was asked for and before the
        // offsets move; from the move to the end of that rebalance nothing commits.
        let events: Vec<_> = e.trace().events.iter().collect();
        let find =
            |from: usize, f: &dyn Fn(&What) -> bool| from + events[from..].iter().position(|ev| f(&ev.what)).unwrap();
        let asked = find(0, &|w| matches!(w, What::GroupReset { .. }));
        let moved = find(asked, &|w| matches!(w, What::OffsetReset { scripted: true, .. }));
        let rejoined = find(moved, &|w| matches!(w, What::RebalanceDone { .. }));
        if commit == CommitPolicy::AfterProcessing {
            assert!(
                events[asked..moved].iter().any(|ev| matches!(ev.what, What::Committed { .. })),
                "busy at the reset"
            );
        }
        assert!(!events[moved..rejoined].iter().any(|ev| matches!(ev.what, What::Committed { .. })), "{commit:?}");
    }
}

#[test]
fn a_reset_past_the_end_of_the_log_is_clamped_and_the_trace_shows_it() {
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    let to = ResetTarget::Offset { offset: 10_000 };
    s.faults.scripted = vec![at(3_000, FaultAction::ResetGroup { group: "g".into(), to })];
    let e = traced(&s);
    let moves: Vec<(u32, u64)> = e
        .trace()
        .events
        .iter()
        .filter_map(|ev| match ev.what {
            What::OffsetReset { partition, to, scripted: true, .. } => Some((partition, to)),
            _ => None,
        })
        .collect();
    assert_eq!(moves.len(), 2, "one move per partition: {moves:?}");
    for (p, to) in moves {
        // 30 messages by 3 s over two partitions: the end of each log, far below 10,000.
        assert!((10..=20).contains(&to), "P{p} moved to {to}: clamped to its end");
    }
}

#[test]
fn advice_never_recommends_the_strategy_that_failed_and_says_what_closes_its_window() {
    // A transactional inbox (and a sink's idempotency keys) whose ids expire before a replay reaches
    // them fails; recommending the same strategy would be advice to do what just failed.
    for (sink, strategy) in
        [(SinkKind::DbCounter, Strategy::TransactionalInbox), (SinkKind::Payment, Strategy::IdempotencyKey)]
    {
        let mut s = topic_scenario(CommitPolicy::AfterProcessing, sink, strategy);
        s.sinks[0].accepts_idempotency_key = strategy == Strategy::IdempotencyKey;
        s.groups[0].handler.store_ttl_ms = Some(1_000);
        s.faults.scripted = vec![at(6_000, FaultAction::ResetGroup { group: "g".into(), to: ResetTarget::Earliest })];
        let (e, r) = run(&s);
        assert!(r.duplicate_effects > 10, "{strategy:?}: {r:?}");
        let current = strategy.as_str();
        for a in e.anomalies().iter().filter(|a| a.kind == AnomalyKind::DuplicateEffect) {
            assert!(!a.explanation.contains(&format!("; '{current}' would:")), "{}", a.explanation);
            assert!(a.explanation.contains("kept longer than 1.000 s (store_ttl_ms)"), "{}", a.explanation);
        }
    }
}

#[test]
fn a_producer_that_never_retries_is_not_said_to_have_given_up_after_its_retries() {
    // Kafka's `retries` (producer configs): 0 means a failed send is not resent.
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    s.faults.lost_send = 0.2;
    for (retries, words) in [(0, "the producer does not retry (retries = 0)"), (2, "gave up after its 2 retries")] {
        s.producers[0].retries = retries;
        let mut said = 0;
        for seed in SEEDS {
            s.seed = seed;
            let (e, _) = run(&s);
            for a in e.anomalies().iter().filter(|a| a.explanation.contains("no send of it got an ack")) {
                assert!(a.explanation.contains(words), "{}", a.explanation);
                said += 1;
            }
        }
        assert!(said > 0, "retries {retries}: some message was lost by the producer");
    }
}

#[test]
fn scripted_producer_faults_strike_exactly_once_at_the_next_opportunity() {
    // With no probabilistic faults, each scripted producer fault does its documented harm to exactly one
    // message: the scripted twins of faults.lost_send, faults.producer_crash and faults.relay_crash.
    let base = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    let fault = |s: &mut Scenario, action: FaultAction| s.faults.scripted = vec![at(2_000, action)];
    let p = || "p".to_string();

    // A lost send with acks=0: the message is lost, silently (Kafka `acks=0`: "the producer will not wait
    // for any acknowledgment … the retries configuration will not take effect").
    let mut s = base.clone();
    s.producers[0].acks = Acks::Zero;
    s.producers[0].idempotent = false;
    fault(&mut s, FaultAction::LoseNextSend { producer: p() });
    let (_, r) = run(&s);
    assert_eq!((r.lost_messages, r.duplicate_effects), (1, 0), "{r:?}");
    // With acks=all the producer resends after its request timeout: nothing is lost.
    let mut s = base.clone();
    fault(&mut s, FaultAction::LoseNextSend { producer: p() });
    let (e, r) = run(&s);
    assert_eq!((r.lost_messages, r.effected), (0, r.obligations), "{r:?}");
    assert_eq!(e.counters().producer_retries, 1, "one resend");

    // A dual write that crashes between its database write and its publish loses one event.
    let mut s = base.clone();
    s.producers[0].publish_mode = PublishMode::DualWrite;
    fault(&mut s, FaultAction::CrashProducerBeforePublish { producer: p() });
    let (e, r) = run(&s);
    assert_eq!(r.lost_messages, 1, "{r:?}");
    assert!(e.anomalies().iter().any(|a| a.explanation.contains("crashed before publishing (a dual write)")));
    // Published first, then crashed before its write: one invented event.
    s.producers[0].publish_mode = PublishMode::DualWritePublishFirst;
    let (_, r) = run(&s);
    assert_eq!((r.invented_events, r.lost_messages), (1, 0), "{r:?}");
    // The outbox cannot lose it: the same fault does nothing there.
    s.producers[0].publish_mode = PublishMode::Outbox;
    let (_, r) = run(&s);
    assert_eq!((r.lost_messages, r.invented_events, r.duplicate_appends), (0, 0, 0), "{r:?}");

    // An outbox relay that crashes after publishing publishes that row again: one duplicate append.
    let mut s = base.clone();
    s.producers[0].publish_mode = PublishMode::Outbox;
    fault(&mut s, FaultAction::CrashRelayAfterPublish { producer: p() });
    let (_, r) = run(&s);
    assert_eq!((r.duplicate_appends, r.lost_messages), (1, 0), "{r:?}");
}

/// The messages of a traced run's deliveries, in the order they reached their consumers.
fn delivery_order(e: &brokerscope::engine::Engine) -> Vec<u32> {
    e.trace()
        .events
        .iter()
        .filter(|ev| matches!(ev.what, What::Delivered { .. }))
        .filter_map(|ev| ev.message.map(|m| m.0))
        .collect()
}

#[test]
fn a_rabbitmq_quorum_queue_returns_at_once_near_the_head_and_dead_letters_past_its_delivery_limit() {
    // RabbitMQ, "Quorum Queues", Poison Message Handling: "When a message has been returned more times than
    // the limit the message will be dropped or dead-lettered (if a DLX is configured)"; Repeated Requeues:
    // with a delivery-limit set, a rejected or nacked message is returned "near the head of the queue".
    // RabbitMQ 4.0.0 release notes: "Quorum queues now have a default redelivery limit set to 20."
    // "Consumer Acknowledgements and Publisher Confirms": when a consumer's channel closes, its unacked
    // deliveries are requeued. There is no visibility timeout: a slow consumer keeps its message.
    let base = |kind| {
        let mut s = queue_scenario(kind, SinkKind::Email, Strategy::None); // visibility timeout 400 ms
        s.producers[0].count = 8;
        s
    };
    // A crash after the effect: the quorum queue hands the message out again at once (its channel closed);
    // SQS waits out the visibility timeout (400 ms from the receive). Both send the email twice.
    // With two slots per worker too: the crashed worker's own idle slot must not swallow the wake-up.
    for (kind, concurrency, redelivered_within) in
        [(QueueKind::Quorum, 1, 0..50), (QueueKind::Quorum, 2, 0..50), (QueueKind::Standard, 1, 300..1_000)]
    {
        let mut s = base(kind);
        s.queues[0].concurrency = concurrency;
        s.faults.scripted =
            vec![at(0, FaultAction::CrashConsumer { consumer: "w1".into(), at_step: Some(CrashPoint::AfterEffect) })];
        let e = traced(&s);
        let r = e.report();
        assert_eq!((r.duplicate_effects, r.lost_messages), (1, 0), "{kind:?} ×{concurrency}");
        let dup = r.anomalies.iter().find(|a| a.kind == AnomalyKind::DuplicateEffect).expect("a duplicate");
        let crashed_at =
            e.trace().events.iter().find(|ev| matches!(ev.what, What::Crashed { .. })).expect("a crash").at_ms;
        let again =
            e.deliveries().iter().filter(|(_, d)| d.message == dup.message_id).nth(1).expect("delivered again").1.at_ms;
        assert!(
            redelivered_within.contains(&(again - crashed_at)),
            "{kind:?}: again {} ms after the crash",
            again - crashed_at
        );
        if kind == QueueKind::Quorum {
            assert!(
                dup.explanation.contains("quorum queue took the message back near its head at once"),
                "{}",
                dup.explanation
            );
            assert!(!dup.explanation.contains("visibility timeout"), "{}", dup.explanation);
        }
    }
    // A handler slower than SQS's visibility timeout: SQS hands the message to a second worker; the quorum
    // queue leaves it with the first.
    for kind in [QueueKind::Quorum, QueueKind::Standard] {
        let mut s = base(kind);
        s.queues[0].handler.processing = Processing::Fixed { ms: 1_000 };
        let (_, r) = run(&s);
        assert_eq!(r.effected, 8, "{kind:?}");
        assert_eq!(r.duplicate_effects == 0, kind == QueueKind::Quorum, "{kind:?}: {} duplicates", r.duplicate_effects);
    }
    // A poison message: nacked every time, dead-lettered after its returns pass the delivery limit (20 by
    // default: 21 deliveries), against SQS's maxReceiveCount (5 here: 5 receives).
    for (kind, limit, deliveries) in
        [(QueueKind::Quorum, None, 21), (QueueKind::Quorum, Some(3), 4), (QueueKind::Standard, None, 5)]
    {
        let mut s = base(kind);
        (s.producers[0].count, s.faults.poison) = (1, 1.0);
        if let Some(limit) = limit {
            s.queues[0].delivery_limit = limit;
        }
        let (_, r) = run(&s);
        assert_eq!((r.delivered, r.dead_lettered, r.lost_messages), (deliveries, 1, 0), "{kind:?} {limit:?}");
        if kind == QueueKind::Quorum {
            let said = &r.anomalies[0].explanation;
            assert!(said.contains(&format!("delivery-limit of {}", limit.unwrap_or(20))), "{said}");
        }
    }
    // A nack returns the message near the head: its worker gets it again before the next message. SQS's
    // nack (ChangeMessageVisibility 0) puts it behind the messages already waiting.
    for (kind, first_four) in [(QueueKind::Quorum, vec![1, 1, 2, 3]), (QueueKind::Standard, vec![1, 2, 3, 4])] {
        let mut s = base(kind);
        s.producers[0].payload = Payload::Notification; // read back from the source's API
        s.producers[0].rate = Rate::Fixed { interval_ms: 1 };
        s.queues[0].consumers = vec!["w1".into()];
        s.faults.scripted = vec![at(0, FaultAction::ReadApiDown { duration_ms: 20 })];
        let e = traced(&s);
        let order = delivery_order(&e);
        assert_eq!(&order[..4], &first_four[..], "{kind:?}: {order:?}");
    }
}

/// The consumer message 3's first delivery goes to, and when (the broker hands it out `latency` earlier).
fn first_delivery_of_3(s: &Scenario) -> (String, u64) {
    let (e, _) = run(s);
    let (_, d) = e.deliveries().iter().find(|(_, d)| d.message == MessageId(3)).expect("message 3 delivered");
    (e.consumers()[d.consumer.index()].name.clone(), d.at_ms)
}

#[test]
fn a_delivery_in_flight_dropped_or_delayed_does_what_the_broker_documents() {
    // A delivery token's Drop and Delay: scripted faults on the next delivery of message 3 to the
    // consumer it goes to, placed when the broker hands it out.
    // SQS, "Amazon SQS visibility timeout": "If the message is not deleted ... before the timeout expires,
    // it becomes visible again and can be retrieved by other consumers", and "set the visibility timeout to
    // be longer than the AWS SDK read timeout ... [it] prevents messages from becoming available to other
    // consumers before the original request completes, reducing the risk of duplicate processing".
    let hit = |base: &Scenario, action: &dyn Fn(String) -> FaultAction| {
        let (consumer, at_ms) = first_delivery_of_3(base);
        let mut s = base.clone();
        s.faults.scripted = vec![at(at_ms - s.network_latency_ms, action(consumer))];
        let e = traced(&s);
        let r = e.report();
        (e, r)
    };
    let drop = |consumer| FaultAction::DropDelivery { message: 3, consumer };
    let delay = |ms| move |consumer| FaultAction::DelayDelivery { message: 3, consumer, duration_ms: ms };
    let effect_of_3 = |e: &brokerscope::engine::Engine| {
        let d: Vec<_> = e.deliveries().iter().filter(|(_, d)| d.message == MessageId(3)).map(|(_, d)| *d).collect();
        (d.iter().filter(|d| d.effect_at_ms.get().is_some()).count(), d)
    };
    // Visibility timeout 400 ms.
    let queue = queue_scenario(QueueKind::Standard, SinkKind::Email, Strategy::None);
    // Dropped: the worker never had it; the entry stays invisible, comes back after the visibility timeout,
    // and is handled once. Its wait lasts until that receive, the first to arrive.
    let (e, r) = hit(&queue, &drop);
    let (effects, d) = effect_of_3(&e);
    assert_eq!((r.lost_messages, r.duplicate_effects, effects), (0, 0, 1), "{r:?}");
    assert_eq!(d[0].outcome, brokerscope::engine::Outcome::LostOnTheWay);
    assert!(d[1].at_ms >= d[0].at_ms + 400, "received again only after the visibility timeout: {d:?}");
    assert!(r.subscribers[0].waiting_ms.max >= d[1].at_ms - d[0].at_ms, "{:?}", r.subscribers[0]);
    // Delayed past the visibility timeout: another worker receives it meanwhile, and both send the email.
    // Its wait ended with that second delivery, which arrived first.
    let (e, r) = hit(&queue, &delay(1_000));
    assert_eq!((r.duplicate_effects, r.lost_messages), (1, 0), "{r:?}");
    let waited = r.subscribers[0].waiting_ms.max;
    assert!((400..1_000).contains(&waited), "{:?}", r.subscribers[0]);
    let said = &e.anomalies().iter().find(|a| a.message_id == MessageId(3)).expect("an anomaly").explanation;
    assert!(said.contains("held up in the network") && said.contains("visibility timeout (0.400 s)"), "{said}");
    assert!(!said.contains("processing outlasted"), "the handler was not slow: {said}");
    // Delayed less than the visibility timeout: late, handled once.
    let (e, r) = hit(&queue, &delay(200));
    assert_eq!((r.duplicate_effects, r.lost_messages, effect_of_3(&e).0), (0, 0, 1), "{r:?}");

    // Kafka: a lost fetch response is fetched again from the member's position (the records were never
    // returned by poll(), so the position never passed them), after `reconnect.backoff.ms` ("The base
    // amount of time to wait before attempting to reconnect to a given host", default 50): nothing skipped.
    let mut topic = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    for commit in [CommitPolicy::AfterProcessing, CommitPolicy::BeforeProcessing] {
        topic.groups[0].commit = commit;
        let (e, r) = hit(&topic, &drop);
        let (effects, d) = effect_of_3(&e);
        assert_eq!((r.lost_messages, r.duplicate_effects, effects), (0, 0, 1), "{commit:?} {r:?}");
        assert_eq!((d.len(), d[1].at_ms - d[0].at_ms >= 50), (2, true), "fetched again: {d:?}");
    }
    // A delayed fetch does not count against max.poll.interval.ms: the application keeps polling.
    topic.groups[0].max_poll_interval_ms = 500;
    let removed = |e: &brokerscope::engine::Engine| {
        e.trace().events.iter().filter(|ev| matches!(ev.what, What::RemovedSlowMember { .. })).count()
    };
    let (e, r) = hit(&topic, &delay(1_000));
    assert_eq!((r.lost_messages, r.duplicate_effects, effect_of_3(&e).0), (0, 0, 1), "{r:?}");
    assert_eq!(removed(&e), 0);
    // A later record of a fetched batch is in the client's memory already ("The consumer will cache the
    // records from each fetch request", `max.poll.records`): held up, it stalls processing, and
    // `max.poll.interval.ms` runs on from the poll ("The maximum delay between invocations of poll() ... If
    // poll() is not called before expiration of this timeout, then the consumer is considered failed and
    // the group will rebalance"; kafka.apache.org/documentation/#consumerconfigs_max.poll.interval.ms). One member on one partition, 300 ms a record, a record every
    // 100 ms: message 1 is fetched alone, then 2, 3 and 4 together (900 ms, within the 1.5 s).
    let mut batch = topic.clone();
    batch.topics[0].partitions = 1;
    batch.groups[0].consumers = vec!["c1".into()];
    batch.groups[0].handler.processing = Processing::Fixed { ms: 300 };
    batch.groups[0].max_poll_interval_ms = 1_500;
    assert_eq!(removed(&traced(&batch)), 0, "unhindered, every batch is handled within the poll timeout");
    let (e, _) = hit(&batch, &delay(1_000));
    assert_eq!(removed(&e), 1, "message 3 held up 1 s in the middle of its batch: the member is removed");
}

#[test]
fn a_send_in_flight_dropped_delayed_or_delivered_twice_does_what_the_producer_settings_say() {
    // A token's Drop, Delay and Duplicate: scripted faults on the next send of message 3 (request timeout
    // 300 ms, retries 5). Kafka's producer configs: `request.timeout.ms` "If the response is not received
    // before the timeout elapses the client will resend the request if necessary"; `enable.idempotence`
    // "the producer will ensure that exactly one copy of each message is written in the stream. If
    // 'false', producer retries due to broker failures, etc., may write duplicates of the retried message".
    let base = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    let hit = |idempotent: bool, acks: Acks, action: FaultAction| {
        let mut s = base.clone();
        (s.producers[0].idempotent, s.producers[0].acks) = (idempotent, acks);
        s.faults.scripted = vec![at(0, action)];
        run(&s)
    };
    let (drop, delay, twice) = (
        || FaultAction::DropSend { message: 3 },
        |ms| FaultAction::DelaySend { message: 3, duration_ms: ms },
        || FaultAction::DuplicateSend { message: 3 },
    );
    // Dropped: the producer times out and resends; with acks=0 nobody notices and the message is lost.
    let (e, r) = hit(false, Acks::All, drop());
    assert_eq!((r.lost_messages, r.duplicate_appends, e.counters().producer_retries), (0, 0, 1), "{r:?}");
    let (_, r) = hit(false, Acks::Zero, drop());
    assert_eq!((r.lost_messages, r.duplicate_appends), (1, 0), "{r:?}");
    // Delayed past the timeout: the resend and the late original both reach the broker.
    let (e, r) = hit(false, Acks::All, delay(1_000));
    assert_eq!((r.duplicate_appends, r.lost_messages, e.counters().producer_retries), (1, 0, 1), "{r:?}");
    let said = &e.anomalies().iter().find(|a| a.kind == AnomalyKind::DuplicateAppend).expect("an anomaly").explanation;
    assert!(said.contains("held up in the network") && said.contains("request timeout"), "{said}");
    assert!(!said.contains("ack to 'p' was lost"), "no lost ack is invented: {said}");
    // The idempotent producer's sequence number drops whichever copy comes second.
    let (_, r) = hit(true, Acks::All, delay(1_000));
    assert_eq!((r.duplicate_appends, r.lost_messages), (0, 0), "{r:?}");
    // Delayed less than the timeout: late, acked in time, nothing resent.
    let (e, r) = hit(false, Acks::All, delay(100));
    assert_eq!((r.duplicate_appends, e.counters().producer_retries), (0, 0), "{r:?}");
    // Delivered twice: two appends unless the producer is idempotent.
    let (e, r) = hit(false, Acks::All, twice());
    assert_eq!((r.duplicate_appends, e.counters().producer_retries), (1, 0), "{r:?}");
    let said = &e.anomalies().iter().find(|a| a.kind == AnomalyKind::DuplicateAppend).expect("an anomaly").explanation;
    assert!(said.contains("delivered the send from 'p' twice") && said.contains("dropped the copy"), "{said}");
    let (_, r) = hit(true, Acks::All, twice());
    assert_eq!((r.duplicate_appends, r.lost_messages), (0, 0), "{r:?}");
    // A message that never sends again never meets its fault.
    let (_, r) = hit(false, Acks::All, FaultAction::DropSend { message: 10_000 });
    assert_eq!((r.duplicate_appends, r.lost_messages, r.effected), (0, 0, r.obligations), "{r:?}");
}

#[test]
fn a_record_lost_in_a_committed_batch_without_being_delivered_is_not_said_to_have_crashed() {
    // Commit before processing with batches of four: a crash at one record loses the rest of its batch,
    // which were committed and never delivered. Their explanations must say so.
    let mut s = topic(CommitPolicy::BeforeProcessing, SinkKind::Email, Strategy::None, CrashPoint::BeforeEffect);
    let (mut never, mut crashed) = (0, 0);
    for seed in SEEDS {
        s.seed = seed;
        let (e, _) = run(&s);
        for a in e.anomalies().iter().filter(|a| a.kind == AnomalyKind::LostMessage) {
            let delivered = e.obligation(SubId(0), a.message_id).is_some_and(|ob| ob.last_delivery != DeliveryId::NONE);
            if delivered {
                crashed += usize::from(a.explanation.contains("before the side effect"));
            } else {
                assert!(a.explanation.contains("this record was never delivered"), "{}", a.explanation);
                assert!(!a.explanation.contains("committed its offset and it crashed"), "{}", a.explanation);
                never += 1;
            }
        }
    }
    assert!(never > 0 && crashed > 0, "never delivered {never}, crashed while handled {crashed}");
}

#[test]
fn a_sink_that_forgets_idempotency_keys_applies_a_late_replay_again() {
    // A replay at 6 s re-delivers every order; the sink de-duplicates by key, for as long as it keeps keys.
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Payment, Strategy::IdempotencyKey);
    s.sinks[0].accepts_idempotency_key = true;
    let replay = FaultAction::ResetGroup { group: "g".into(), to: ResetTarget::Earliest };
    s.faults.scripted = vec![at(6_000, replay)];
    let (_, r) = run(&s);
    assert_eq!(r.duplicate_effects, 0, "keys kept for the run: {r:?}");
    s.groups[0].handler.store_ttl_ms = Some(1_000);
    let (e, r) = run(&s);
    // Orders whose key is more than a second old when the replay reaches them are charged again.
    assert!(r.duplicate_effects > 40, "{r:?}");
    let dup = e.anomalies().iter().find(|a| a.kind == AnomalyKind::DuplicateEffect).expect("a double charge");
    assert!(dup.explanation.contains("forgotten"), "{}", dup.explanation);
}

#[test]
fn a_consumer_stopped_while_crashed_stays_down() {
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    let crash = FaultAction::CrashConsumer { consumer: "c2".into(), at_step: None };
    s.faults.scripted = vec![at(2_000, crash), at(2_100, FaultAction::StopConsumer { consumer: "c2".into() })];
    let e = traced(&s);
    let c2 = |f: &dyn Fn(&What) -> bool| e.trace().events.iter().filter(|ev| f(&ev.what)).count();
    assert_eq!(c2(&|w| matches!(w, What::Restarted { consumer: ConsumerId(1) })), 0, "no restart after the stop");
    assert_eq!(c2(&|w| matches!(w, What::Stopped { consumer: ConsumerId(1) })), 1);
    assert!(e.consumers()[1].stopped && !e.consumers()[1].alive);
    let r = e.report();
    assert_eq!((r.lost_messages, r.effected), (0, r.produced), "c1 takes over after the session timeout");
}

#[test]
fn a_stopped_queue_worker_finishes_its_message_and_takes_no_more() {
    let mut s = queue_scenario(QueueKind::Standard, SinkKind::Email, Strategy::None);
    s.faults.scripted = vec![at(1_500, FaultAction::StopConsumer { consumer: "w2".into() })];
    let e = traced(&s);
    let r = e.report();
    assert_eq!((r.lost_messages, r.duplicate_effects, r.effected), (0, 0, r.produced), "{r:?}");
    let stopped = e
        .trace()
        .events
        .iter()
        .find(|ev| matches!(ev.what, What::Stopped { consumer: ConsumerId(1) }))
        .expect("w2 stops")
        .at_ms;
    assert!((1_500..1_600).contains(&stopped), "{stopped}");
    assert!(!e
        .trace()
        .events
        .iter()
        .any(|ev| ev.at_ms > stopped && matches!(ev.what, What::Delivered { consumer: ConsumerId(1), .. })));
}

#[test]
fn the_idempotent_producer_keeps_a_partitions_order_through_lost_sends() {
    // Five keys updated over and over: a lost send resent late applies an older version after a newer
    // one, unless the broker refuses what overtook it (Kafka's sequence numbers, enable.idempotence).
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::DbUpsert, Strategy::None);
    s.producers[0].keys = 5;
    s.producers[0].key_choice = KeyChoice::Random;
    // Kafka's retries are unbounded by default; a send waiting behind a lost one is itself lost now and
    // then, and with 5 retries a few give up (a loss, explained as such).
    s.producers[0].retries = 50;
    s.faults.lost_send = 0.2;
    let plain = sweep(&s, SEEDS);
    assert!(plain.iter().any(|r| r.out_of_order > 0), "without idempotence a resend reorders");
    s.producers[0].idempotent = true;
    for r in sweep(&s, SEEDS) {
        assert_eq!((r.out_of_order, r.lost_messages, r.duplicate_appends), (0, 0, 0), "seed {}", r.seed);
    }
    let e = traced(&s);
    assert!(e.trace().events.iter().any(|ev| matches!(ev.what, What::OutOfSequence { .. })));
}

#[test]
fn a_dual_write_that_publishes_first_invents_events_and_an_outbox_does_not() {
    // Publish, then crash before the database write: the email goes out for a change that never happened.
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    s.producers[0].publish_mode = PublishMode::DualWritePublishFirst;
    s.faults.producer_crash = 0.2;
    let (e, r) = run(&s);
    assert!(r.invented_events > 0, "{r:?}");
    assert_eq!(r.lost_messages, 0, "publishing first loses nothing");
    let invented: Vec<_> = e.anomalies().iter().filter(|a| a.kind == AnomalyKind::InventedEvent).collect();
    // One anomaly per invented message and subscriber that acted on it (one subscriber here).
    assert_eq!(invented.len() as u64, r.invented_events);
    for a in &invented {
        assert!(e.messages()[a.message_id].invented());
        assert!(a.explanation.contains("never happened") && a.explanation.contains("outbox"), "{}", a.explanation);
    }
    // The same crashes in write-first order lose those messages instead, and invent nothing.
    s.producers[0].publish_mode = PublishMode::DualWrite;
    let (_, r) = run(&s);
    assert!(r.lost_messages > 0 && r.invented_events == 0, "{r:?}");
    s.producers[0].publish_mode = PublishMode::Outbox;
    let (_, r) = run(&s);
    assert!(r.lost_messages == 0 && r.invented_events == 0, "{r:?}");
}

#[test]
fn relay_crash_publishes_twice_even_with_the_idempotent_producer() {
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    s.producers[0].idempotent = true;
    s.faults.relay_crash = 0.2;
    let reports = sweep(&s, SEEDS);
    assert!(reports.iter().any(|r| r.duplicate_appends > 0));
    assert!(reports.iter().all(|r| r.lost_messages == 0));
}

#[test]
fn poison_on_a_queue_is_dead_lettered_not_lost() {
    let mut s = queue_scenario(QueueKind::Standard, SinkKind::Email, Strategy::None);
    s.faults.poison = 0.1;
    let reports = sweep(&s, SEEDS);
    assert!(reports.iter().any(|r| r.dead_lettered > 0));
    for r in &reports {
        assert_eq!(r.lost_messages, 0, "seed {}", r.seed);
        assert_eq!(r.effected + r.dead_lettered, r.obligations, "seed {}", r.seed);
    }
}

#[test]
fn a_message_whose_handler_fails_after_its_effect_is_dead_lettered_and_flagged_as_processed() {
    // SQS moves a message to the dead-letter queue "after the value of maxReceiveCount is exceeded"
    // (SQS Developer Guide, "Using dead-letter queues in Amazon SQS"; RedrivePolicy maxReceiveCount),
    // whatever its handler did before failing. A handler that applies the effect and then crashes before
    // its ack, every time, leaves an entry in the DLQ whose effect ran maxReceiveCount times.
    let mut s = queue(QueueKind::Standard, SinkKind::Email, Strategy::None, CrashPoint::AfterEffect);
    s.faults.consumer_crash = 0.6;
    s.queues[0].max_receives = 2;
    let mut flagged = 0;
    for seed in SEEDS {
        s.seed = seed;
        let (e, r) = run(&s);
        let of = |k: AnomalyKind| e.anomalies().iter().filter(|a| a.kind == k).count() as u64;
        assert_eq!(of(AnomalyKind::DeadLetteredAfterEffect), r.dead_lettered_after_effect, "seed {seed}");
        assert_eq!(of(AnomalyKind::DeadLettered), r.dead_lettered, "seed {seed}");
        assert_eq!(r.effected + r.dead_lettered + r.lost_messages, r.obligations, "seed {seed}: {r:?}");
        for a in e.anomalies().iter().filter(|a| a.kind == AnomalyKind::DeadLetteredAfterEffect) {
            assert!(a.explanation.contains("does not mean 'not processed'"), "{}", a.explanation);
            assert!(a.explanation.contains("crashed before"), "it names the failure: {}", a.explanation);
            flagged += 1;
        }
    }
    assert!(flagged > 0, "some messages were parked after their effect");
}

#[test]
fn a_message_parked_while_a_slow_run_still_handles_it_counts_once_as_processed_then_dead_lettered() {
    // A visibility timeout shorter than the handler's run: SQS makes the message visible again after the
    // timeout "regardless of whether the consumer is still processing it" (SQS Developer Guide,
    // "Amazon SQS visibility timeout"), so it is received again, and after maxReceiveCount parked while
    // the first run goes on and applies the effect.
    let mut s = queue(QueueKind::Standard, SinkKind::Email, Strategy::None, None);
    s.queues[0].visibility_timeout_ms = 100;
    s.queues[0].max_receives = 2;
    s.queues[0].handler.processing = Processing::Fixed { ms: 500 };
    s.queues[0].concurrency = 8;
    s.producers[0].count = 10;
    let (e, r) = run(&s);
    assert!(r.dead_lettered_after_effect > 0, "{r:?}");
    assert_eq!(r.dead_lettered, 0, "every parked message was applied by a run still going: {r:?}");
    let of = |k: AnomalyKind| e.anomalies().iter().filter(|a| a.kind == k).count() as u64;
    assert_eq!(of(AnomalyKind::DeadLetteredAfterEffect), r.dead_lettered_after_effect);
    assert_eq!(of(AnomalyKind::DeadLettered), 0, "no anomaly still says 'parked, not processed'");
    // Eight handlers at once, so the third receive (the move) comes while the first run is still going,
    // before its effect: each anomaly names the run that applied the effect after the move.
    for a in e.anomalies().iter().filter(|a| a.kind == AnomalyKind::DeadLetteredAfterEffect) {
        assert!(a.explanation.contains("still handling an earlier receive"), "{}", a.explanation);
    }
    assert_eq!(r.effected + r.dead_lettered + r.lost_messages, r.obligations);
}

#[test]
fn a_crash_at_one_message_ends_the_others_in_hand_and_their_explanations_say_they_were_collateral() {
    // A process crash takes every in-flight message with it: with four at once, a crash set off by one
    // message's step ends the other three wherever they were. Those that had applied their effect are
    // redelivered and applied again; the duplicate's explanation must say the crash was another's.
    let mut s = queue(QueueKind::Standard, SinkKind::Email, Strategy::None, CrashPoint::AfterRecord);
    s.queues[0].concurrency = 4;
    s.queues[0].handler.processing = Processing::Fixed { ms: 120 };
    s.producers[0].rate = Rate::Fixed { interval_ms: 30 };
    let (mut collateral, mut own) = (0, 0);
    for seed in SEEDS {
        s.seed = seed;
        let (e, _) = run(&s);
        for a in e.anomalies().iter().filter(|a| a.kind == AnomalyKind::DuplicateEffect) {
            if a.explanation.contains("as collateral: another message it was handling at the same time crashed it after its idempotency record") {
                collateral += 1;
            } else if a.explanation.contains("crashed") {
                own += 1;
            }
        }
    }
    assert!(collateral > 0 && own > 0, "collateral {collateral}, own {own}");
}

#[test]
fn poison_on_a_topic_blocks_its_partition_unless_skipped() {
    let mut blocked = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    blocked.faults.poison = 0.05;
    blocked.groups[0].poison_skip_after = None;
    let reports = sweep(&blocked, SEEDS);
    assert!(reports.iter().any(|r| r.lost_messages > 0), "head-of-line blocking loses what is behind the poison");
    let (engine, report) = run(&{
        let mut s = blocked.clone();
        s.seed = reports.iter().find(|r| r.lost_messages > 0).map(|r| r.seed).unwrap_or(1);
        s
    });
    assert!(report.anomalies.iter().any(|a| a.explanation.contains("head-of-line")));
    assert!(engine.groups()[0].blocked.iter().any(|&b| b));
    let mut skipping = blocked.clone();
    skipping.groups[0].poison_skip_after = Some(3);
    for r in sweep(&skipping, SEEDS) {
        assert_eq!(r.lost_messages, 0, "seed {}", r.seed);
    }
}

#[test]
fn a_late_group_replays_history_unless_retention_deleted_it() {
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::DbUpsert, Strategy::None);
    let mut late = s.groups[0].clone();
    late.name = "late".into();
    late.consumers = vec!["l1".into()];
    late.join_at_ms = 7_000;
    s.groups.push(late);
    let (_, r) = run(&s);
    assert_eq!((r.obligations, r.effected, r.lost_messages), (120, 120, 0), "the late group read the whole history");
    s.topics[0].retention_records = Some(5);
    let (_, r) = run(&s);
    assert!(r.lost_messages > 0);
    assert!(r.anomalies.iter().any(|a| a.kind == brokerscope::engine::observe::AnomalyKind::LostToRetention));
}

#[test]
fn a_replay_resends_every_non_idempotent_effect() {
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::None);
    s.faults.scripted.push(ScriptedFault {
        at_ms: 7_500,
        action: FaultAction::ResetGroup { group: "g".into(), to: ResetTarget::Earliest },
    });
    let (_, r) = run(&s);
    assert_eq!(r.duplicate_effects, r.produced, "every email is sent again");
    let mut guarded = s.clone();
    guarded.groups[0].handler.strategy = Strategy::CheckThenAct;
    let (_, r) = run(&guarded);
    assert_eq!(r.duplicate_effects, 0, "the recorded ids guard a replay");
}

#[test]
fn notification_events_read_back_newer_state() {
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::DbUpsert, Strategy::None);
    s.producers[0].payload = Payload::Notification;
    s.producers[0].key_choice = KeyChoice::Random;
    s.producers[0].keys = 3;
    s.groups[0].handler.processing = Processing::Fixed { ms: 300 };
    let (_, r) = run(&s);
    assert!(r.stale_reads > 0);
    assert_eq!(r.read_api_calls, r.delivered);
    let mut carried = s.clone();
    carried.producers[0].payload = Payload::StateCarried { bytes: 2_000 };
    let (_, r2) = run(&carried);
    assert_eq!((r2.stale_reads, r2.read_api_calls), (0, 0));
    assert!(r2.bytes_on_wire > r.bytes_on_wire * 10, "state costs bytes on the wire");
}

#[test]
fn slow_member_is_removed_and_its_record_processed_twice_concurrently() {
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::CheckThenAct);
    s.groups[0].max_poll_interval_ms = 500;
    s.faults.scripted.push(ScriptedFault {
        at_ms: 2_000,
        action: FaultAction::SlowConsumer { consumer: "c1".into(), factor: 40, duration_ms: 1_000 },
    });
    let (_, r) = run(&s);
    assert!(r.duplicate_effects > 0, "{r:?}");
    assert!(r.anomalies.iter().any(|a| a.explanation.contains("max.poll.interval.ms")));
    assert_eq!(r.lost_messages, 0);
}

#[test]
fn a_claim_ttl_turns_most_claim_first_losses_back_into_deliveries() {
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::Email, Strategy::ClaimFirst);
    crash_at(&mut s, 0.08, CrashPoint::BeforeEffect);
    let without: u64 = sweep(&s, SEEDS).iter().map(|r| r.lost_messages).sum();
    s.groups[0].handler.store_ttl_ms = Some(100);
    let with: Vec<_> = sweep(&s, SEEDS);
    let with_total: u64 = with.iter().map(|r| r.lost_messages).sum();
    assert!(without > 0 && with_total < without, "without TTL {without} lost, with TTL {with_total}");
    // A redelivery within the TTL still finds the claim: the window shrinks, it does not close.
    assert!(with.iter().all(|r| r.duplicate_effects == 0));
}

#[test]
fn a_fanout_exchange_gives_every_subscriber_its_own_copy() {
    let plain = fanout_scenario(QueueKind::Standard, 3);
    for r in sweep(&plain, SEEDS) {
        assert_eq!(r.appended, r.produced, "one append per publish, not per queue (seed {})", r.seed);
        assert_eq!(r.obligations, 3 * r.produced, "each queue owes every message (seed {})", r.seed);
        assert_eq!((r.effected, r.lost_messages, r.duplicate_effects), (r.obligations, 0, 0), "seed {}", r.seed);
    }
    // A lost ack makes the producer publish again: one duplicate append, and a second copy in every queue.
    let mut retry = plain.clone();
    retry.faults.lost_ack = 0.2;
    let reports = sweep(&retry, SEEDS);
    assert!(reports.iter().all(|r| r.lost_messages == 0));
    let r = reports.iter().find(|r| r.duplicate_appends > 0).expect("some seed loses an ack");
    assert_eq!(r.duplicate_effects, 3 * r.duplicate_appends, "each queue's consumer sends the email again");
    assert!(r.anomalies.iter().any(|a| a.explanation.contains("each of its 3 queues holds two copies")));
}

#[test]
fn a_queue_that_subscribes_late_gets_no_history() {
    let mut s = fanout_scenario(QueueKind::Standard, 2);
    s.queues[1].subscribe_at_ms = 3_000;
    let mut e = brokerscope::engine::Engine::new(s).unwrap();
    e.run_to_end();
    let r = e.report();
    // 60 messages every 100 ms from t=0: the late queue is owed only those published from 3 s on.
    let late = e.sinks()[1].applied;
    assert_eq!(e.sinks()[0].applied, 60);
    assert!((29..=31).contains(&late), "the late subscriber got {late} of 60");
    assert_eq!((r.obligations, r.effected, r.lost_messages), (60 + late, 60 + late, 0));
}

#[test]
fn a_transaction_keeps_the_output_topic_free_of_duplicates_and_read_committed_skips_aborted_records() {
    for r in sweep(&stage_scenario(true, Isolation::ReadCommitted, None), SEEDS) {
        assert_eq!((r.duplicate_appends, r.duplicate_effects, r.lost_messages), (0, 0, 0), "seed {}", r.seed);
        assert_eq!(r.obligations, 2 * r.produced, "the stage and its reader each owe every message");
    }
    // Without transactions, the same crashes leave duplicate records in the output topic.
    let plain = sweep(&stage_scenario(false, Isolation::ReadCommitted, None), SEEDS);
    assert!(plain.iter().all(|r| r.duplicate_appends > 0 && r.duplicate_effects == r.duplicate_appends));
    assert!(plain[0].anomalies.iter().any(|a| a.explanation.contains("written twice to topic 'out' by stage 'stage'")));
    // A read_committed reader never reads past an open transaction, and never reads an aborted record.
    let mut e = brokerscope::engine::Engine::new(stage_scenario(true, Isolation::ReadCommitted, None)).unwrap();
    e.run_to_end();
    let billing = e.groups().iter().position(|g| g.spec.name == "billing").unwrap();
    let sub = e.groups()[billing].sub;
    let aborted = e.trace().events.iter().filter(|ev| matches!(ev.what, What::TxnAborted { .. })).count();
    assert!(aborted >= 4, "the scripted crashes abort transactions ({aborted})");
    for (_, d) in
        e.deliveries().iter().filter(|&(id, d)| id != DeliveryId::NONE && e.consumers()[d.consumer].sub == sub)
    {
        let DeliverySource::Record { topic, partition, offset } = d.source() else { panic!("a group reads records") };
        let record = e.topics()[topic].partitions[partition as usize].get(offset).unwrap();
        assert_eq!(record.txn, TxnMark::Committed, "billing read {offset} of P{partition} in state {:?}", record.txn);
        let committed_at = e.trace().events.iter().find(|ev| {
            matches!(ev.what, What::TxnCommitted { topic: t, partition: p, offset: o, .. } if (t, p, o) == (topic, partition, offset))
        });
        assert!(committed_at.is_some_and(|ev| ev.at_ms <= d.at_ms), "read before its transaction committed");
    }
}

/// A handler's time is its processing plus one round trip to its idempotency store for each check and
/// each record, and nothing else: a worker that spends exactly 105 ms a message (100 ms of processing,
/// and 5 ms for the ReceiveMessage that brings the next one) fed one every 105 ms keeps up (ρ = 1, D/D/1:
/// no message ever waits), so every latency is the same. The store's round trip is a setting
/// (`handler.store_ms`, 1 ms by default); a check-then-act handler pays it twice a message.
#[test]
fn a_handler_takes_its_processing_and_its_store_round_trips_and_nothing_more() {
    let latencies = |strategy: Strategy, store_ms: u64| {
        let mut s = queue_scenario(QueueKind::Standard, SinkKind::DbUpsert, strategy);
        s.queues[0].consumers.truncate(1);
        s.queues[0].visibility_timeout_ms = 60_000;
        s.queues[0].handler.processing = Processing::Fixed { ms: 100 };
        s.queues[0].handler.store_ms = store_ms;
        s.producers[0].rate = Rate::Fixed { interval_ms: 105 };
        s.until_ms = 60 * 105 + 1;
        let (_, r) = run(&s);
        assert_eq!(r.effected, 60);
        (r.latency_ms.p50, r.latency_ms.max)
    };
    let (p50, max) = latencies(Strategy::None, 1);
    assert_eq!(p50, max, "no store: no message waits behind another");
    assert_eq!(latencies(Strategy::CheckThenAct, 0), (p50, max), "a store that answers at once costs nothing");
    // Two round trips of 3 ms a message: 111 ms a message arriving every 105 ms, so each message waits
    // 6 ms longer than the one before it (and the check's 3 ms also comes before each effect).
    let (p50_slow, max_slow) = latencies(Strategy::CheckThenAct, 3);
    assert_eq!(p50_slow, p50 + 3 + 29 * 6, "the median (30th) message waits 6 ms for each of the 29 before it");
    assert_eq!(max_slow, p50 + 3 + 59 * 6);
}
