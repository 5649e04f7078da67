//! Scenario builders and file helpers shared by the integration tests.
#![allow(dead_code)]
pub mod random;

use brokerscope::engine::{Engine, Report};
use brokerscope::scenario::model::*;

/// One producer of `count` events (a new key each) into a 2-partition topic read by one group of two
/// consumers, writing to one sink.
pub fn topic_scenario(commit: CommitPolicy, sink: SinkKind, strategy: Strategy) -> Scenario {
    Scenario {
        name: "semantics: topic".into(),
        seed: 1,
        until_ms: 8_000,
        producers: vec![Producer {
            name: "p".into(),
            target: "t".into(),
            keys: 1_000_000,
            key_choice: KeyChoice::Sequential,
            rate: Rate::Fixed { interval_ms: 100 },
            count: 60,
            ..Producer::default()
        }],
        topics: vec![Topic { name: "t".into(), partitions: 2, ..Topic::default() }],
        groups: vec![Group {
            name: "g".into(),
            topic: "t".into(),
            consumers: vec!["c1".into(), "c2".into()],
            commit,
            batch_size: 4,
            session_timeout_ms: 1_000,
            handler: Handler {
                sink: "s".into(),
                processing: Processing::Fixed { ms: 30 },
                strategy,
                store_ttl_ms: None,
                store_ms: Handler::DEFAULT_STORE_MS,
            },
            ..Group::default()
        }],
        sinks: vec![Sink { name: "s".into(), kind: sink, accepts_idempotency_key: false }],
        faults: Faults { restart_after_ms: 500, ..Faults::default() },
        ..Scenario::default()
    }
}

/// The same workload as commands on a queue with two competing workers.
pub fn queue_scenario(kind: QueueKind, sink: SinkKind, strategy: Strategy) -> Scenario {
    Scenario {
        name: "semantics: queue".into(),
        seed: 1,
        until_ms: 8_000,
        producers: vec![Producer {
            name: "p".into(),
            kind: MessageKind::Command,
            message: "SendWelcomeEmail".into(),
            target: "q".into(),
            keys: 1_000_000,
            key_choice: KeyChoice::Sequential,
            rate: Rate::Fixed { interval_ms: 100 },
            count: 60,
            ..Producer::default()
        }],
        queues: vec![Queue {
            name: "q".into(),
            kind,
            visibility_timeout_ms: 400,
            max_receives: 5,
            consumers: vec!["w1".into(), "w2".into()],
            concurrency: 1,
            handler: Handler {
                sink: "s".into(),
                processing: Processing::Fixed { ms: 30 },
                strategy,
                store_ttl_ms: None,
                store_ms: Handler::DEFAULT_STORE_MS,
            },
            ..Queue::default()
        }],
        sinks: vec![Sink { name: "s".into(), kind: sink, accepts_idempotency_key: false }],
        faults: Faults { restart_after_ms: 500, ..Faults::default() },
        ..Scenario::default()
    }
}

pub fn crash_at(s: &mut Scenario, p: f64, point: CrashPoint) {
    s.faults.consumer_crash = p;
    s.faults.crash_points = vec![point];
}

pub fn run(s: &Scenario) -> (Engine, Report) {
    let mut e = Engine::new(s.clone()).unwrap_or_else(|err| panic!("invalid test scenario: {err}"));
    e.set_trace_capacity(0);
    e.run_to_end();
    let r = e.report();
    (e, r)
}

/// Totals over a sweep of seeds: (runs with a duplicate effect, runs with a loss, the reports).
pub fn sweep(s: &Scenario, seeds: std::ops::RangeInclusive<u64>) -> Vec<Report> {
    seeds
        .map(|seed| {
            let mut s = s.clone();
            s.seed = seed;
            run(&s).1
        })
        .collect()
}

/// The topic workload as events through a fan-out exchange into `subscribers` queues of one worker each,
/// each queue with its own email sink.
pub fn fanout_scenario(kind: QueueKind, subscribers: usize) -> Scenario {
    let base = queue_scenario(kind, SinkKind::Email, Strategy::None);
    let names: Vec<String> = (1..=subscribers).map(|i| format!("q{i}")).collect();
    Scenario {
        name: "semantics: fan-out".into(),
        producers: vec![Producer {
            kind: MessageKind::Event,
            message: "UserRegistered".into(),
            target: "x".into(),
            ..base.producers[0].clone()
        }],
        exchanges: vec![Exchange { name: "x".into(), queues: names.clone() }],
        queues: names
            .iter()
            .map(|n| Queue {
                name: n.clone(),
                consumers: vec![format!("{n}-w")],
                handler: Handler { sink: format!("{n}-email"), ..base.queues[0].handler.clone() },
                ..base.queues[0].clone()
            })
            .collect(),
        sinks: names
            .iter()
            .map(|n| Sink { name: format!("{n}-email"), kind: SinkKind::Email, accepts_idempotency_key: false })
            .collect(),
        ..base
    }
}

/// A consume→transform→produce stage: group `stage` reads topic `t` and produces to topic `out`, which
/// group `billing` reads into a database counter with `isolation`. The stage's own members crash after
/// producing (and after `stage_sink`'s effect, if any) at fixed moments, so only the stage misbehaves.
pub fn stage_scenario(transactional: bool, isolation: Isolation, stage_sink: Option<SinkKind>) -> Scenario {
    let mut s = topic_scenario(CommitPolicy::AfterProcessing, SinkKind::DbCounter, Strategy::None);
    s.name = "semantics: stage".into();
    s.topics.push(Topic { name: "out".into(), partitions: 2, ..Topic::default() });
    let mut stage = s.groups[0].clone();
    stage.name = "stage".into();
    stage.consumers = vec!["s1".into(), "s2".into()];
    stage.produce_to = Some("out".into());
    stage.transactional = transactional;
    stage.handler.sink = if stage_sink.is_some() { "side".into() } else { String::new() };
    let mut billing = s.groups[0].clone();
    billing.name = "billing".into();
    billing.topic = "out".into();
    billing.consumers = vec!["b1".into()];
    billing.isolation = isolation;
    s.groups = vec![stage, billing];
    if let Some(kind) = stage_sink {
        s.sinks.push(Sink { name: "side".into(), kind, accepts_idempotency_key: false });
    }
    for k in 1..=8u64 {
        let consumer = if k % 2 == 0 { "s2" } else { "s1" };
        s.faults.scripted.push(ScriptedFault {
            at_ms: 650 * k,
            action: FaultAction::CrashConsumer { consumer: consumer.into(), at_step: Some(CrashPoint::AfterEffect) },
        });
    }
    s
}

/// The stems of the files in `dir` ending in `.extension`, sorted (e.g. the presets under scenarios/).
pub fn file_stems(dir: &str, extension: &str) -> Vec<String> {
    let suffix = format!(".{extension}");
    let mut stems: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(&suffix).map(str::to_string))
        .collect();
    stems.sort();
    stems
}
