//! The shipped presets: every file under scenarios/ is embedded, loads, runs to the end with its seed,
//! shows what its story promises, and hashes to its golden trace hash. The same golden file is checked
//! inside the browser by tests/web.rs, proving wasm computes the same run as the CLI.
//!
//! After an intended change to the engine, re-bless with `BLESS=1 cargo test --test presets` and say
//! why in the commit.
#![cfg(not(target_arch = "wasm32"))]
mod common;
use brokerscope::engine::observe::AnomalyKind;
use brokerscope::engine::Engine;
use brokerscope::scenario::parse_scenario;
use brokerscope::scenario::presets::PRESETS;
use std::collections::BTreeMap;

const GOLDEN: &str = "tests/golden/trace_hashes.txt";

fn run(json: &str) -> brokerscope::engine::Report {
    let mut e = Engine::new(parse_scenario(json).unwrap()).unwrap();
    e.run_to_end();
    e.report()
}

#[test]
fn every_scenario_file_is_a_preset() {
    let files = common::file_stems("scenarios", "json");
    let stems: Vec<String> = PRESETS.iter().map(|(s, _)| s.to_string()).collect();
    assert_eq!(files, stems);
    assert_eq!(stems.len(), 12, "the ten presets of the seed articles, events over queues, transactions");
}

#[test]
fn trace_hashes_match_the_golden_file() {
    let actual: BTreeMap<String, String> =
        PRESETS.iter().map(|(stem, json)| (stem.to_string(), run(json).trace_hash)).collect();
    if std::env::var("BLESS").is_ok() {
        let text: String = actual.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
        std::fs::write(GOLDEN, text).unwrap();
        return;
    }
    let golden: BTreeMap<String, String> = std::fs::read_to_string(GOLDEN)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    assert_eq!(actual, golden, "a preset's run changed; if intended, BLESS=1 cargo test --test presets");
}

#[test]
fn the_same_preset_runs_the_same_twice_and_trace_off_does_not_change_it() {
    for (stem, json) in PRESETS {
        let a = run(json);
        let mut e = Engine::new(parse_scenario(json).unwrap()).unwrap();
        e.set_trace_capacity(0);
        e.run_to_end();
        let b = e.report();
        assert_eq!(a.trace_hash, b.trace_hash, "{stem}");
        assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap(), "{stem}");
    }
}

/// Duplicate-effect anomalies applied by subscriber `name` (explanations say "by 'name'").
fn duplicates_by(r: &brokerscope::engine::Report, name: &str) -> usize {
    r.anomalies
        .iter()
        .filter(|a| a.kind == AnomalyKind::DuplicateEffect && a.explanation.contains(&format!("by '{name}'")))
        .count()
}

#[test]
fn each_preset_shows_what_its_story_promises() {
    let report = |n: usize| run(PRESETS[n - 1].1);
    let has = |r: &brokerscope::engine::Report, kind: AnomalyKind, text: &str| {
        r.anomalies.iter().any(|a| a.kind == kind && a.explanation.contains(text))
    };
    let r = report(1);
    assert!(r.drained && r.effected == r.obligations, "every group, the late one too, processed the whole history");
    assert_eq!(r.obligations, 4 * r.produced);
    let r = report(2);
    assert!(r.dead_lettered > 0 && has(&r, AnomalyKind::DeadLettered, "maxReceiveCount"));
    assert!(has(&r, AnomalyKind::DuplicateEffect, "visibility timeout"));
    let r = report(3);
    assert!(r.lost_messages > 0 && has(&r, AnomalyKind::LostToRetention, "retention"));
    let r = report(4);
    assert!(r.stale_reads > 0 && has(&r, AnomalyKind::StaleRead, "read it back"));
    let r = report(5);
    assert!(r.duplicate_effects > 0 && r.lost_messages == 0);
    assert!(has(&r, AnomalyKind::DuplicateEffect, "crashed after the side effect, before committing"));
    let r = report(6);
    assert!(has(&r, AnomalyKind::DuplicateEffect, "before set(id)"), "the crash window of the naive check");
    assert!(
        has(&r, AnomalyKind::DuplicateEffect, "second check ran before"),
        "the concurrency window of the naive check"
    );
    let r = report(7);
    let by_group = |g: &str| duplicates_by(&r, g);
    assert!(by_group("payments") > 0, "double charge without a key");
    assert_eq!(by_group("payments-keyed"), 0, "the idempotency key prevents it");
    assert_eq!(by_group("ledger"), 0, "the inbox covers a database effect");
    assert!(by_group("receipts") > 0, "the inbox cannot cover an email");
    let r = report(8);
    assert!(r.appended > r.produced && r.duplicate_appends > 0);
    assert!(r
        .anomalies
        .iter()
        .filter(|a| a.kind == AnomalyKind::DuplicateAppend)
        .all(|a| a.explanation.contains("'orders-a'")));
    let r = report(9);
    assert!(r.lost_messages > 0 && r.duplicate_effects == 0 && has(&r, AnomalyKind::LostMessage, "at-most-once"));
    let r = report(10);
    assert!(r.duplicate_effects >= r.produced / 2 && r.harmless_repeats > 0);
    assert!(has(&r, AnomalyKind::DuplicateEffect, "replay"));
    let r = report(11);
    assert!(r.drained && r.lost_messages == 0 && r.appended == r.produced);
    assert!(r.obligations > 3 * r.produced && r.obligations < 4 * r.produced, "the late queue got no history");
    assert!(r.duplicate_effects > 0 && has(&r, AnomalyKind::DuplicateEffect, "standard queue delivered a second copy"));
    let r = report(12);
    let by = |g: &str| duplicates_by(&r, g);
    assert!(r.drained && r.lost_messages == 0);
    assert!(has(&r, AnomalyKind::DuplicateAppend, "written twice to topic 'priced-plain'"));
    assert!(by("billing-plain") > 0, "no transactions: the revenue is counted twice");
    assert_eq!(by("billing-txn"), 0, "transactions + read_committed: exactly once");
    assert!(by("audit") > 0, "read_uncommitted sees the aborted copies");
    assert!(by("pricing-txn") > 0 && has(&r, AnomalyKind::DuplicateEffect, "outside the transaction"));
}

#[test]
fn a_finished_run_ends_at_its_last_event_not_at_a_stale_timer() {
    // A member's poll timeout (max.poll.interval.ms, 5 minutes) outlives the run; the clock and the charts
    // must stop where the work stopped, or "to the end" shows 300 s of nothing.
    for (stem, json) in PRESETS {
        let scenario = parse_scenario(json).unwrap();
        let until = scenario.until_ms;
        let mut e = Engine::new(scenario).unwrap();
        e.run_to_end();
        let last_event = e.end_time().unwrap();
        let end = last_event.max(until);
        assert!(e.now() >= last_event && e.now() <= end, "{stem}: the clock reads {} after the end", e.now());
        assert!(e.samples().last().is_some_and(|s| s.at_ms <= end), "{stem}: samples past the end");
    }
}
