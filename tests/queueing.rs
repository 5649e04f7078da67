//! Queueing theory as a check on the engine. A queue fed by Poisson arrivals and served by c workers
//! whose handlers take exponential times, with no faults, no network latency and no store step, is an
//! M/M/c queue: Erlang's C formula gives the share of messages that wait and their mean wait. The
//! report's per-subscriber waiting and service times must agree with it (docs/queueing.md).
mod common;

use brokerscope::scenario::model::*;

const SERVICE_MS: f64 = 1_000.0;

/// Erlang C: the probability that an arrival waits, with `c` servers and offered load `a` = λ/μ (< c).
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0; // a^k / k!
    let mut below = 0.0;
    for k in 0..c {
        below += term;
        term *= a / f64::from(k + 1);
    }
    let top = term * f64::from(c) / (f64::from(c) - a);
    top / (below + top)
}

/// `count` commands arriving at `workers` × `utilisation` per mean service time, on one queue.
fn m_m_c(workers: u32, utilisation: f64, count: u32) -> Scenario {
    let mean_interval_ms = SERVICE_MS / (f64::from(workers) * utilisation);
    Scenario {
        name: format!("M/M/{workers}"),
        seed: 7,
        until_ms: (f64::from(count) * mean_interval_ms * 1.2) as u64,
        network_latency_ms: 0,
        producers: vec![Producer {
            name: "p".into(),
            kind: MessageKind::Command,
            message: "Job".into(),
            target: "q".into(),
            keys: 1_000_000,
            key_choice: KeyChoice::Sequential,
            rate: Rate::Poisson { mean_interval_ms },
            count,
            ..Producer::default()
        }],
        queues: vec![Queue {
            name: "q".into(),
            // Far beyond any service time drawn, so nothing is received twice.
            visibility_timeout_ms: 3_600_000,
            consumers: (1..=workers).map(|i| format!("w{i}")).collect(),
            handler: Handler {
                sink: "s".into(),
                processing: Processing::Exponential { mean_ms: SERVICE_MS },
                strategy: Strategy::None,
                store_ttl_ms: None,
                store_ms: 0,
            },
            ..Queue::default()
        }],
        sinks: vec![Sink { name: "s".into(), kind: SinkKind::DbUpsert, accepts_idempotency_key: false }],
        faults: Faults::default(),
        ..Scenario::default()
    }
}

fn within(measured: f64, expected: f64, share: f64) -> bool {
    (measured - expected).abs() <= share * expected
}

#[test]
fn m_m_1_m_m_2_and_m_m_3_queues_wait_as_erlang_c_says_within_five_percent() {
    // Erlang C, M/M/c: P(wait) = C(c, a); mean wait Wq = C(c, a) / (cμ − λ); time in system W = Wq + 1/μ.
    for workers in 1..=3 {
        let utilisation = 0.7;
        let (_, r) = common::run(&m_m_c(workers, utilisation, 200_000));
        assert_eq!((r.effected, r.obligations, r.delivered), (200_000, 200_000, 200_000), "{workers}: no faults");
        let a = utilisation * f64::from(workers);
        let p_wait = erlang_c(workers, a);
        let wq = p_wait * SERVICE_MS / (f64::from(workers) - a);
        let times = &r.subscribers[0];
        println!(
            "M/M/{workers} at ρ = {utilisation}: wait mean {:.1} ms (Erlang C {wq:.1}), p50 {} p95 {}; service mean {:.1} ms; \
             in system {:.1} ms (theory {:.1})",
            times.waiting_ms.mean,
            times.waiting_ms.p50,
            times.waiting_ms.p95,
            times.service_ms.mean,
            r.latency_ms.mean,
            wq + SERVICE_MS
        );
        assert!(within(times.service_ms.mean, SERVICE_MS, 0.05), "M/M/{workers} service {:?}", times.service_ms);
        assert!(within(times.waiting_ms.mean, wq, 0.05), "M/M/{workers} wait {:?} vs {wq}", times.waiting_ms);
        assert!(within(r.latency_ms.mean, wq + SERVICE_MS, 0.05), "M/M/{workers} in system {:?}", r.latency_ms);
        // The median wait is 0 exactly when fewer than half the arrivals wait (P(wait) < 0.5).
        assert_eq!(times.waiting_ms.p50 == 0, p_wait < 0.5, "M/M/{workers}: P(wait) = {p_wait:.3}, {times:?}");
    }
}
