//! The recorded sweep: the whole report (counters, latency, trace hash, every anomaly with its
//! explanation) of 320 random scenarios of the seed sweep, compared with `tests/golden/sweep_reports.jsonl`.
//! A change that moves code without changing behaviour leaves this file as it is; a change to the
//! engine's behaviour shows here seed by seed. After an intended change, re-record with
//! `BLESS=1 cargo test --test sweep_record` and say in the commit why the runs changed.
#![cfg(not(target_arch = "wasm32"))]
mod common;
use brokerscope::engine::Engine;
use common::random::random_scenario;

const RECORD: &str = "tests/golden/sweep_reports.jsonl";
const SEEDS: u64 = 320;

fn report_line(seed: u64) -> String {
    let mut engine = Engine::new(random_scenario(seed)).expect("the generator makes valid scenarios");
    engine.set_trace_capacity(0);
    engine.run_to_end();
    let report = serde_json::to_string(&engine.report()).expect("a report serialises");
    format!("{{\"seed\":{seed},\"report\":{report}}}")
}

#[test]
fn the_reports_of_the_recorded_sweep_are_unchanged() {
    let actual: Vec<String> = (1..=SEEDS).map(report_line).collect();
    if std::env::var("BLESS").is_ok() {
        std::fs::write(RECORD, actual.join("\n") + "\n").expect("the record is writable");
        return;
    }
    let recorded = std::fs::read_to_string(RECORD).expect("the recorded sweep exists");
    let recorded: Vec<&str> = recorded.lines().collect();
    assert_eq!(recorded.len(), actual.len(), "the record holds one report per seed");
    let changed: Vec<usize> = (0..actual.len()).filter(|&i| actual[i] != recorded[i]).collect();
    if let Some(&first) = changed.first() {
        panic!(
            "{} of {SEEDS} runs changed; the first, seed {}:\nrecorded: {}\nnow:      {}\n\
             If intended: BLESS=1 cargo test --test sweep_record, and say why in the commit.",
            changed.len(),
            first + 1,
            recorded[first],
            actual[first]
        );
    }
}
