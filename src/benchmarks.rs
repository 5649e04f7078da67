//! The two fixed benchmark scenarios, shared by the native benchmark (`src/bin/bench.rs`) and the wasm
//! one (`tests/bench_web.rs`, in headless Chromium) so both measure exactly the same runs. Timing is the
//! callers' business: nothing here reads a clock.
use crate::engine::Engine;
use crate::scenario::model::*;

/// M/M/1: Poisson arrivals at λ = 0.9/s, exponential service with mean 1 s, one consumer, FIFO service.
/// Theory: mean time in system 1/(μ − λ) = 10 s (the handler keeps no idempotency store, so its time is
/// its processing alone, and the network takes no time here).
pub fn mm1(messages: u32) -> Scenario {
    Scenario {
        name: "M/M/1".into(),
        seed: 42,
        until_ms: crate::scenario::validate::MAX_UNTIL_MS,
        network_latency_ms: 0,
        producers: vec![Producer {
            name: "arrivals".into(),
            message: "Job".into(),
            kind: MessageKind::Command,
            target: "queue".into(),
            keys: 1,
            rate: Rate::Poisson { mean_interval_ms: 1000.0 / 0.9 },
            count: messages,
            payload: Payload::StateCarried { bytes: 100 },
            ..Producer::default()
        }],
        queues: vec![Queue {
            name: "queue".into(),
            // Longer than any wait in the run: the benchmark measures queueing, not redelivery.
            visibility_timeout_ms: crate::scenario::validate::MAX_DURATION_MS,
            consumers: vec!["server".into()],
            concurrency: 1,
            handler: Handler {
                sink: "db".into(),
                processing: Processing::Exponential { mean_ms: 1000.0 },
                ..Handler::default()
            },
            ..Queue::default()
        }],
        sinks: vec![Sink { name: "db".into(), kind: SinkKind::DbUpsert, accepts_idempotency_key: false }],
        ..Scenario::default()
    }
}

/// Notification flow: a 6-partition topic read by three groups (at-least-once, 2 members each), with a 1 %
/// consumer crash rate.
pub fn notification_flow(messages: u32) -> Scenario {
    let group = |name: &str, consumers: [&str; 2], sink: &str| Group {
        name: name.into(),
        topic: "user-events".into(),
        consumers: consumers.iter().map(|c| c.to_string()).collect(),
        commit: CommitPolicy::AfterProcessing,
        batch_size: 50,
        session_timeout_ms: 3_000,
        handler: Handler {
            sink: sink.into(),
            processing: Processing::Exponential { mean_ms: 2.0 },
            ..Handler::default()
        },
        ..Group::default()
    };
    Scenario {
        name: "notification flow".into(),
        seed: 7,
        until_ms: crate::scenario::validate::MAX_UNTIL_MS,
        network_latency_ms: 1,
        producers: vec![Producer {
            name: "user-service".into(),
            target: "user-events".into(),
            keys: 100_000,
            rate: Rate::Poisson { mean_interval_ms: 1.0 },
            count: messages,
            payload: Payload::Notification,
            ..Producer::default()
        }],
        topics: vec![Topic { name: "user-events".into(), partitions: 6, ..Topic::default() }],
        groups: vec![
            group("notifications", ["n1", "n2"], "email"),
            group("analytics", ["a1", "a2"], "counter"),
            group("crm", ["c1", "c2"], "customers"),
        ],
        sinks: vec![
            Sink { name: "email".into(), kind: SinkKind::Email, accepts_idempotency_key: false },
            Sink { name: "counter".into(), kind: SinkKind::DbCounter, accepts_idempotency_key: false },
            Sink { name: "customers".into(), kind: SinkKind::DbUpsert, accepts_idempotency_key: false },
        ],
        faults: Faults {
            consumer_crash: 0.01,
            crash_points: vec![CrashPoint::AfterEffect],
            restart_after_ms: 500,
            ..Faults::default()
        },
        ..Scenario::default()
    }
}

/// What one benchmark run produced (the caller adds the wall time).
#[derive(Clone, Debug, PartialEq)]
pub struct BenchRun {
    pub events: u64,
    pub messages: u64,
    pub mean_time_in_system_ms: f64,
    pub trace_hash: String,
    /// Rows of the per-message tables at the end: (kept, ever made); see `Engine::table_rows`.
    pub table_rows: (u64, u64),
}

/// Runs a benchmark scenario to its end with the trace off.
pub fn run(scenario: Scenario) -> BenchRun {
    let mut engine = match Engine::new(scenario) {
        Ok(e) => e,
        Err(e) => panic!("benchmark scenario is invalid: {e}"),
    };
    engine.set_trace_capacity(0);
    engine.run_to_end();
    let r = engine.report();
    let table_rows = engine.table_rows();
    BenchRun {
        table_rows,
        events: r.events_processed,
        messages: r.produced,
        mean_time_in_system_ms: r.latency_ms.mean,
        trace_hash: r.trace_hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_mm1_is_close_to_theory_and_both_scenarios_are_valid() {
        let r = run(mm1(20_000));
        assert_eq!(r.messages, 20_000);
        // 20k customers at ρ = 0.9 converge slowly; a loose band still catches a broken model.
        assert!((6_000.0..16_000.0).contains(&r.mean_time_in_system_ms), "{r:?}");
        let n = run(notification_flow(2_000));
        assert_eq!(n.messages, 2_000);
        assert!(n.events > 20_000);
    }
}
