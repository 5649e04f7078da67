//! The scenario format: round-trips, located errors for bad input, and no panic on any input.
#![cfg(not(target_arch = "wasm32"))]
use brokerscope::engine::Engine;
use brokerscope::scenario::presets::PRESETS;
use brokerscope::scenario::{parse_scenario, Scenario};
use proptest::prelude::*;

fn preset(n: usize) -> &'static str {
    PRESETS[n].1
}

#[test]
fn presets_round_trip_through_json() {
    for (stem, json) in PRESETS {
        let s = parse_scenario(json).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let again = parse_scenario(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(s, again, "{stem}");
    }
}

fn error_for(json: &str) -> String {
    parse_scenario(json).expect_err("should be rejected").to_string()
}

#[test]
fn errors_name_the_field_and_the_range() {
    let mut v: serde_json::Value = serde_json::from_str(preset(4)).unwrap();
    v["groups"][0]["batch_size"] = 0.into();
    assert_eq!(error_for(&v.to_string()), "groups[0].batch_size: 0 is out of range: expected 1 to 10000");

    let mut v: serde_json::Value = serde_json::from_str(preset(4)).unwrap();
    v["groups"][0]["partitons"] = 3.into();
    let e = error_for(&v.to_string());
    assert!(e.starts_with("groups[0]") && e.contains("unknown field `partitons`"), "{e}");

    let mut v: serde_json::Value = serde_json::from_str(preset(4)).unwrap();
    v["producers"][0]["idempotent"] = true.into();
    v["producers"][0]["acks"] = "0".into();
    assert!(error_for(&v.to_string()).starts_with("producers[0].acks: the idempotent producer needs acks"));
    v["producers"][0]["acks"] = "1".into();
    let e = error_for(&v.to_string());
    assert!(e.contains("unknown variant `1`, expected `all` or `0`"), "{e}");

    let mut v: serde_json::Value = serde_json::from_str(preset(4)).unwrap();
    v["faults"]["consumer_crash"] = 1.5.into();
    assert_eq!(error_for(&v.to_string()), "faults.consumer_crash: 1.5 is not a probability: expected 0 to 1");

    let mut v: serde_json::Value = serde_json::from_str(preset(4)).unwrap();
    v["producers"][0]["target"] = "nowhere".into();
    assert_eq!(error_for(&v.to_string()), "producers[0].target: no topic, queue or exchange is named 'nowhere'");

    let mut v: serde_json::Value = serde_json::from_str(preset(10)).unwrap();
    v["exchanges"][0]["queues"][1] = "nowhere".into();
    assert_eq!(error_for(&v.to_string()), "exchanges[0].queues[1]: no queue is named 'nowhere'");

    // Stages: a real output topic, no loop, transactions only for a stage committing after processing.
    let stage = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(preset(11)).unwrap();
        edit(&mut v);
        error_for(&v.to_string())
    };
    assert_eq!(
        stage(&|v| v["groups"][0]["produce_to"] = "nowhere".into()),
        "groups[0].produce_to: no topic is named 'nowhere'"
    );
    assert!(stage(&|v| v["groups"][2]["produce_to"] = "orders".into()).contains("makes a loop back to"));
    assert!(stage(&|v| v["groups"][2]["transactional"] = true.into())
        .starts_with("groups[2].transactional: transactions cover a stage's output"));
    assert!(stage(&|v| v["groups"][1]["commit"] = serde_json::json!({"policy": "before_processing"}))
        .starts_with("groups[1].commit: a transactional stage"));
    assert!(stage(&|v| v["groups"][0]["handler"]["strategy"] = "idempotency_key".into())
        .starts_with("groups[0].handler.strategy: this strategy guards a sink"));
    assert!(stage(&|v| v["groups"][2]["handler"]["sink"] = "".into())
        .starts_with("groups[2].handler.sink: no sink is named ''"));

    let mut v: serde_json::Value = serde_json::from_str(preset(1)).unwrap();
    v["queues"][0]["subscribe_at_ms"] = 5000.into();
    let e = error_for(&v.to_string());
    assert!(e.starts_with("queues[0].subscribe_at_ms: only a queue bound to an exchange"), "{e}");

    let mut v: serde_json::Value = serde_json::from_str(preset(4)).unwrap();
    v["topics"][0]["partitions"] = "three".into();
    let e = error_for(&v.to_string());
    assert!(e.starts_with("topics[0].partitions") && e.contains("expected u32"), "{e}");

    let mut v: serde_json::Value = serde_json::from_str(preset(4)).unwrap();
    v["version"] = 2.into();
    assert!(error_for(&v.to_string()).starts_with("version: version 2 is not supported"));

    assert!(error_for("").contains("JSON object"));
    assert!(error_for("[]").contains("JSON object"));
    assert!(error_for("{").contains("EOF"));
}

#[test]
fn absurd_sizes_are_rejected_before_anything_runs() {
    let mut v: serde_json::Value = serde_json::from_str(preset(0)).unwrap();
    v["producers"][0]["count"] = 4_000_000_000u64.into();
    assert!(error_for(&v.to_string()).contains("producers[0].count"));
    let mut v: serde_json::Value = serde_json::from_str(preset(0)).unwrap();
    v["until_ms"] = u64::MAX.into();
    assert!(error_for(&v.to_string()).starts_with("until_ms"));
    let mut v: serde_json::Value = serde_json::from_str(preset(0)).unwrap();
    v["topics"][0]["partitions"] = 100_000.into();
    assert!(error_for(&v.to_string()).starts_with("topics[0].partitions"));
    // Each count within range, but together more than a browser tab can hold.
    let mut v: serde_json::Value = serde_json::from_str(preset(0)).unwrap();
    let producer = v["producers"][0].clone();
    v["producers"] = (0..8)
        .map(|i| {
            let mut p = producer.clone();
            p["name"] = format!("producer-{i}").into();
            p["count"] = 2_000_000.into();
            p
        })
        .collect::<Vec<_>>()
        .into();
    let error = error_for(&v.to_string());
    assert!(error.starts_with("producers: 16000000 messages"), "{error}");
    v["producers"].as_array_mut().unwrap().truncate(1);
    v["producers"][0]["count"] = 1_500_001.into();
    assert!(error_for(&v.to_string()).starts_with("producers: 1500001 messages for 4 subscribers"));
    v["producers"][0]["count"] = 1_500_000.into();
    assert!(parse_scenario(&v.to_string()).is_ok(), "1,500,000 messages for 4 groups is just within the limit");
}

#[test]
fn the_default_scenario_is_valid_and_empty_runs_finish() {
    let mut e = Engine::new(Scenario::default()).unwrap();
    e.run_to_end();
    assert!(e.is_finished());
    assert_eq!(e.report().produced, 0);
}

/// Mutates a valid scenario's JSON value at a random place with a random value.
fn mutate(v: &mut serde_json::Value, path: &[usize], replacement: serde_json::Value) {
    match v {
        serde_json::Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[path.first().copied().unwrap_or(0) % keys.len()];
            if path.len() <= 1 {
                map.insert(key.clone(), replacement);
            } else {
                mutate(map.get_mut(key).unwrap(), &path[1..], replacement);
            }
        }
        serde_json::Value::Array(items) if !items.is_empty() => {
            let i = path.first().copied().unwrap_or(0) % items.len();
            if path.len() <= 1 {
                items[i] = replacement;
            } else {
                mutate(&mut items[i], &path[1..], replacement);
            }
        }
        other => *other = replacement,
    }
}

fn any_json() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        (-1e6f64..1e6).prop_map(serde_json::Value::from),
        "[a-z_]{0,12}".prop_map(serde_json::Value::from),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any text: an error or a scenario, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = parse_scenario(&text);
    }

    /// A valid scenario with one field replaced by anything: either rejected with a located message, or
    /// accepted and then run to the end without a panic.
    #[test]
    fn mutated_presets_are_rejected_or_run(n in 0usize..PRESETS.len(), path in proptest::collection::vec(0usize..16, 1..5), value in any_json()) {
        let mut v: serde_json::Value = serde_json::from_str(preset(n)).unwrap();
        mutate(&mut v, &path, value);
        match parse_scenario(&v.to_string()) {
            Err(e) => prop_assert!(!e.message.is_empty()),
            Ok(mut s) => {
                s.until_ms = s.until_ms.min(30_000);
                for p in &mut s.producers { p.count = p.count.min(200); }
                let mut e = Engine::new(s).unwrap();
                e.set_trace_capacity(0);
                e.run_to_end();
                prop_assert!(e.is_finished());
            }
        }
    }
}

/// The tagged objects (`rate`, `processing`, `commit`, `payload`, scripted faults and reset targets) are read
/// field by field: a wrong kind, a missing field or a field of another kind is refused, at its path.
#[test]
fn tagged_objects_refuse_wrong_kinds_and_stray_fields_at_their_path() {
    let edit = |n: usize, f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(preset(n)).unwrap();
        f(&mut v);
        error_for(&v.to_string())
    };
    let e = edit(4, &|v| v["producers"][0]["rate"] = serde_json::json!({"kind": "bursty"}));
    assert!(
        e.starts_with("producers[0].rate") && e.contains("unknown kind `bursty`: expected one of fixed, poisson"),
        "{e}"
    );
    let e = edit(4, &|v| v["producers"][0]["rate"] = serde_json::json!({"kind": "fixed", "mean_interval_ms": 3.0}));
    assert!(e.contains("field `mean_interval_ms` does not go with kind `fixed`"), "{e}");
    let e = edit(4, &|v| v["producers"][0]["rate"] = serde_json::json!({"kind": "poisson"}));
    assert!(e.contains("missing field `mean_interval_ms`"), "{e}");
    let e = edit(4, &|v| v["groups"][0]["commit"] = serde_json::json!({"policy": "auto"}));
    assert!(e.starts_with("groups[0].commit") && e.contains("missing field `interval_ms`"), "{e}");
    let e = edit(9, &|v| v["faults"]["scripted"][0]["action"]["to"] = serde_json::json!({"kind": "offset", "ms": 5}));
    assert!(
        e.starts_with("faults.scripted[0].action") && e.contains("field `ms` does not go with kind `offset`"),
        "{e}"
    );
    let e = edit(9, &|v| v["faults"]["scripted"][0]["action"]["typo"] = 1.into());
    assert!(e.starts_with("faults.scripted[0].action") && e.contains("unknown field `typo`"), "{e}");
    // And every kind still reads back what it wrote.
    let mut v: serde_json::Value = serde_json::from_str(preset(9)).unwrap();
    v["faults"]["scripted"][0]["action"]["to"] = serde_json::json!({"kind": "time", "ms": 4000});
    v["producers"][0]["rate"] = serde_json::json!({"kind": "poisson", "mean_interval_ms": 250.0});
    v["producers"][0]["payload"] = serde_json::json!({"style": "state_carried", "bytes": 2048});
    let s = parse_scenario(&v.to_string()).unwrap();
    assert_eq!(parse_scenario(&serde_json::to_string(&s).unwrap()).unwrap(), s);
}
