//! The work budget: a valid scenario that redelivers for ever stops at a limit, with a sentence, in
//! bounded memory, and stopping changes nothing that ran before it.
#![cfg(not(target_arch = "wasm32"))]
mod common;
use brokerscope::engine::{Budget, Engine, Halt};
use brokerscope::scenario::model::Scenario;
use brokerscope::scenario::parse_scenario;
use common::random::random_scenario;

fn poison_forever() -> Scenario {
    parse_scenario(include_str!("scenarios/poison-forever.json")).unwrap()
}

/// The same shape through a queue: every read-back fails, and a queue with the highest receive count
/// lets each message come back for a very long time.
fn read_api_down_forever() -> Scenario {
    let mut json: serde_json::Value = serde_json::from_str(include_str!("scenarios/poison-forever.json")).unwrap();
    json["producers"][0]["target"] = "q".into();
    json["producers"][0]["payload"] = serde_json::json!({ "style": "notification" });
    json["topics"] = serde_json::json!([]);
    json["groups"] = serde_json::json!([]);
    json["queues"] = serde_json::json!([{ "name": "q", "consumers": ["w1", "w2"], "max_receives": 1000,
        "handler": { "sink": "s", "processing": { "kind": "fixed", "ms": 1 }, "strategy": "none" } }]);
    json["faults"] = serde_json::json!({ "read_api_failure": 1.0 });
    parse_scenario(&json.to_string()).unwrap()
}

const SMALL: Budget = Budget { events: 2_000_000, memory_bytes: 24 << 20 };

#[test]
fn a_poison_record_without_skip_stops_at_the_memory_budget_in_bounded_memory() {
    let mut e = Engine::new(poison_forever()).unwrap();
    e.set_trace_capacity(0);
    e.set_budget(SMALL);
    e.run_to_end();
    assert!(e.is_finished());
    assert_eq!(e.halted(), Some(Halt::Memory { memory_bytes: SMALL.memory_bytes }));
    assert!(e.memory_bytes() <= SMALL.memory_bytes, "{} bytes held", e.memory_bytes());
    let r = e.report();
    assert!(!r.drained && r.halted.is_some());
    assert_eq!(r.lost_messages, 0, "a run cut short loses nothing: what it still owed is in flight");
    assert!(r.in_flight_at_end > 0);
    let sentence = e.halted().unwrap().sentence(e.now());
    assert!(sentence.contains("memory budget of 24 MiB") && sentence.contains("in flight, not lost"), "{sentence}");
}

#[test]
fn a_read_api_that_always_fails_stops_at_the_events_budget_exactly() {
    let mut e = Engine::new(read_api_down_forever()).unwrap();
    e.set_trace_capacity(0);
    let budget = Budget { events: 300_001, memory_bytes: Budget::DEFAULT.memory_bytes };
    e.set_budget(budget);
    e.run_to_end();
    assert_eq!(e.halted(), Some(Halt::Events { events: 300_001 }));
    assert_eq!(e.events_processed(), 300_001);
    let sentence = e.halted().unwrap().sentence(e.now());
    assert!(sentence.contains("budget of 300,001 events"), "{sentence}");
}

#[test]
fn stopping_at_the_budget_changes_nothing_that_ran_before_it() {
    let mut halted = Engine::new(poison_forever()).unwrap();
    halted.set_budget(Budget { events: 123_457, ..SMALL });
    // In page-sized slices, as the app runs it.
    while !halted.is_finished() {
        halted.run_until_bounded(u64::MAX, 1_000);
    }
    let mut free = Engine::new(poison_forever()).unwrap();
    free.run_until_bounded(u64::MAX, 123_457);
    assert_eq!(halted.trace().hash.hex(), free.trace().hash.hex());
    assert_eq!(halted.counters().deliveries, free.counters().deliveries);
}

#[test]
fn a_run_within_its_budget_is_not_halted() {
    let mut e = Engine::new(parse_scenario(include_str!("../scenarios/07-double-charge.json")).unwrap()).unwrap();
    e.run_to_end();
    assert_eq!(e.halted(), None);
    assert!(e.report().drained);
    let json = serde_json::to_value(e.report()).unwrap();
    assert!(json.get("halted").is_none(), "a finished run's report has no halted field");
}

/// The seed sweep's scenarios, made hostile: every message poison and never skipped, every read-back
/// failing, queues that redeliver up to the highest receive count, over the longest run allowed.
#[test]
fn hostile_variants_of_the_seed_sweep_all_end_within_their_budget() {
    let budget = Budget { events: 400_000, memory_bytes: 16 << 20 };
    let mut halted = 0;
    for seed in 1..=40 {
        let mut s = random_scenario(seed);
        s.until_ms = brokerscope::scenario::validate::MAX_UNTIL_MS;
        s.faults.poison = 1.0;
        s.faults.read_api_failure = 1.0;
        s.groups.iter_mut().for_each(|g| g.poison_skip_after = None);
        s.queues.iter_mut().for_each(|q| q.max_receives = 1_000);
        let mut e = Engine::new(s).unwrap_or_else(|err| panic!("seed {seed}: {err}"));
        e.set_trace_capacity(0);
        e.set_budget(budget);
        e.run_to_end();
        let r = e.report();
        assert!(e.is_finished(), "seed {seed}");
        assert!(e.events_processed() <= budget.events, "seed {seed}: {} events", e.events_processed());
        assert!(e.memory_bytes() <= budget.memory_bytes, "seed {seed}: {} bytes", e.memory_bytes());
        assert_eq!(
            r.effected + r.dead_lettered + r.lost_messages + r.in_flight_at_end,
            r.obligations,
            "seed {seed}: every obligation is effected, dead-lettered, lost or (cut short) in flight"
        );
        if e.halted().is_some() {
            halted += 1;
            assert!(!r.drained, "seed {seed}");
        }
    }
    assert!(halted >= 10, "the hostile shapes really hit the budget ({halted} of 40 did)");
}
