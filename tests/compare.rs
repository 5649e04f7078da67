//! Compare: two runs side by side on one clock. Lane B follows lane A forward and back, a change to lane A
//! restarts both, the figures line up, and a link carries both lanes.
#![cfg(not(target_arch = "wasm32"))]
use brokerscope::scenario::model::Strategy;
use brokerscope::ui::comparison::compare_rows;
use brokerscope::ui::state::{Action, Edit, Model};

fn figure(m: &Model, label: &str) -> (u64, u64) {
    let lane = m.compare.as_ref().unwrap();
    let row = compare_rows(&m.engine, &lane.engine).into_iter().find(|r| r.label == label).unwrap();
    (row.a, row.b)
}

#[test]
fn the_log_lane_and_the_queue_lane_run_in_lockstep_and_show_what_each_keeps() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(0));
    m.update(Action::CompareWith(10));
    assert!(m.error.is_none(), "{:?}", m.error);
    m.update(Action::SetSpeed(10.0));
    m.update(Action::TogglePlay);
    for _ in 0..20 {
        m.update(Action::Tick { wall_ms: 50.0 });
        assert_eq!(m.compare.as_ref().unwrap().engine.now(), m.engine.now(), "one clock");
    }
    m.update(Action::Scrub(15_000));
    m.update(Action::Scrub(4_000));
    assert_eq!(m.compare.as_ref().unwrap().engine.now(), 4_000, "back in time too");
    m.update(Action::FastForward);
    let lane = m.compare.as_ref().unwrap();
    assert!(lane.engine.is_finished());
    let (log, queue) = figure(&m, "Kept for replay (records in logs)");
    assert_eq!((log, queue), (60, 0), "the log keeps every fact; the queues keep none");
    let (produced_a, produced_b) = figure(&m, "Produced");
    assert_eq!(produced_a, produced_b, "the same workload");
    let b = &m.compare.as_ref().unwrap().scenario;
    assert_eq!((b.seed, &b.faults), (m.scenario.seed, &m.scenario.faults), "the same seed and faults");
    assert_eq!(m.compare.as_ref().unwrap().preset, Some(10));
    let (crashes_a, crashes_b) = figure(&m, "Crashes");
    assert!(crashes_a > 0 && crashes_b > 0, "both lanes suffer the crashes: {crashes_a} {crashes_b}");
}

#[test]
fn a_preset_lane_reopened_from_a_link_is_recognised() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(0));
    m.update(Action::CompareWith(10));
    let mut other = Model::new();
    other.update(Action::Open { fragment: m.share_fragment().unwrap(), saved: None, aside: None });
    assert_eq!(other.compare.as_ref().unwrap().preset, Some(10));
}

#[test]
fn pinning_a_run_and_changing_lane_a_compares_one_setting() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    m.update(Action::ComparePin);
    m.update(Action::Edit(Edit::GroupStrategy(0, Strategy::IdempotencyKey)));
    m.update(Action::Edit(Edit::SinkAcceptsKey(0, true)));
    m.update(Action::FastForward);
    let (a, b) = figure(&m, "Duplicate effects");
    assert_eq!(a, 0, "lane A, with an idempotency key");
    assert!(b > 0, "lane B, the pinned run without one");
    // The link carries both lanes.
    let fragment = m.share_fragment().unwrap();
    let mut other = Model::new();
    other.update(Action::Open { fragment, saved: None, aside: None });
    assert_eq!(other.compare.as_ref().map(|c| &c.scenario), m.compare.as_ref().map(|c| &c.scenario));
    assert_eq!(figure(&other, "Duplicate effects"), (a, b));
    other.update(Action::EndCompare);
    assert!(other.compare.is_none());
}
