//! The reducer, tested natively: every action as a user would send it.
use super::*;
use crate::engine::GroupId;
use crate::scenario::model::{Acks, PublishMode, Strategy};
use slices::{CHUNK_EVENTS, SLICE_MAX_EVENTS as TO_END_SLICE_EVENTS, SLICE_MS};

#[test]
fn presets_load_and_first_is_selected() {
    let m = Model::new();
    assert_eq!(m.presets.len(), PRESETS.len());
    assert!(m.error.is_none(), "{:?}", m.error);
    assert!(m.end_ms >= m.scenario.until_ms);
}

#[test]
fn step_advances_exactly_one_event_and_pauses() {
    let mut m = Model::new();
    m.update(Action::TogglePlay);
    m.update(Action::Step);
    assert!(!m.playing);
    assert_eq!(m.engine.events_processed(), 1);
}

#[test]
fn ticks_move_virtual_time_only_while_playing() {
    let mut m = Model::new();
    m.update(Action::Tick { wall_ms: 16.0 });
    assert_eq!(m.engine.now(), 0);
    m.update(Action::SetSpeed(10.0));
    m.update(Action::TogglePlay);
    m.update(Action::Tick { wall_ms: 16.0 });
    assert_eq!(m.engine.now(), 160);
    // A huge gap (tab in the background) is clamped to one 100 ms frame.
    m.update(Action::Tick { wall_ms: 1e9 });
    assert_eq!(m.engine.now(), 1160);
}

#[test]
fn scrubbing_back_reproduces_the_same_state() {
    let mut m = Model::new();
    m.update(Action::Scrub(6_000));
    let forward = m.engine.report();
    m.update(Action::Scrub(12_000));
    m.update(Action::Scrub(6_000));
    let again = m.engine.report();
    assert_eq!(forward.trace_hash, again.trace_hash);
    assert_eq!(forward.delivered, again.delivered);
}

#[test]
fn bad_seed_text_keeps_state_and_explains() {
    let mut m = Model::new();
    let seed = m.scenario.seed;
    m.update(Action::SetSeed("twelve".into()));
    assert_eq!(m.scenario.seed, seed);
    assert!(m.error.as_deref().is_some_and(|e| e.contains("not a seed")));
    m.update(Action::SetSeed("77".into()));
    assert_eq!(m.scenario.seed, 77);
    assert!(m.error.is_none());
}

#[test]
fn new_seed_is_deterministic_and_different() {
    assert_eq!(next_seed(5), next_seed(5));
    assert_ne!(next_seed(5), 5);
}

#[test]
fn absurd_speed_is_ignored_or_clamped() {
    let mut m = Model::new();
    m.update(Action::SetSpeed(f64::NAN));
    assert_eq!(m.speed, 1.0);
    m.update(Action::SetSpeed(1e12));
    assert_eq!(m.speed, 100.0);
}

#[test]
fn an_injected_fault_is_recorded_and_replays_identically() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    m.update(Action::Scrub(3_000));
    let consumer = m.scenario.groups[0].consumers[0].clone();
    m.update(Action::Inject(FaultAction::CrashConsumer { consumer, at_step: None }));
    assert_eq!(m.scenario.faults.scripted.last().map(|f| f.at_ms), Some(3_000));
    assert!(m.notice.as_deref().is_some_and(|n| n.contains("crash")), "{:?}", m.notice);
    assert!(!m.engine.consumers()[0].alive, "crashed at once");
    m.update(Action::Scrub(9_000));
    let live = m.engine.report();
    m.update(Action::Restart);
    m.update(Action::Scrub(9_000));
    let replayed = m.engine.report();
    assert_eq!(live.trace_hash, replayed.trace_hash);
    assert_eq!(live.duplicate_effects, replayed.duplicate_effects);
}

#[test]
fn stopping_and_starting_a_member_from_the_page_is_recorded_and_replays() {
    // Preset 04: its thin-event group has one member, so while it is stopped nobody reads the topic.
    let mut m = Model::new();
    m.update(Action::SelectPreset(3));
    m.update(Action::Scrub(2_000));
    let consumer = m.scenario.groups[0].consumers[0].clone();
    m.update(Action::Inject(FaultAction::StopConsumer { consumer: consumer.clone() }));
    m.update(Action::Scrub(4_000));
    assert!(m.engine.consumers()[0].stopped, "it finished its batch and left");
    m.update(Action::Inject(FaultAction::StartConsumer { consumer }));
    assert!(!m.engine.consumers()[0].stopped);
    let at: Vec<u64> = m.scenario.faults.scripted.iter().map(|f| f.at_ms).collect();
    assert_eq!(at, vec![2_000, 4_000]);
    m.update(Action::Scrub(m.run_end()));
    let live = m.engine.report();
    assert_eq!((live.lost_messages, live.duplicate_effects), (0, 0), "a clean stop and start lose and repeat nothing");
    m.update(Action::Restart);
    m.update(Action::Scrub(m.run_end()));
    assert_eq!(m.engine.report().trace_hash, live.trace_hash);
}

#[test]
fn turning_on_transactions_and_read_committed_removes_the_stage_duplicates() {
    let mut m = Model::new();
    let preset = m.presets.iter().position(|(stem, _)| stem.starts_with("12")).unwrap();
    m.update(Action::SelectPreset(preset));
    // The revenue counted by billing-plain, to the end of the run.
    let duplicates = |m: &Model| {
        let mut e = crate::engine::Engine::new(m.scenario.clone()).unwrap();
        e.run_to_end();
        e.sinks().iter().find(|k| k.spec.name == "revenue-plain").map(|k| k.duplicates)
    };
    assert!(duplicates(&m).is_some_and(|d| d > 0));
    m.update(Action::Edit(Edit::GroupTransactional(0, true)));
    m.update(Action::Edit(Edit::GroupReadCommitted(2, true)));
    assert!(m.error.is_none(), "{:?}", m.error);
    assert_eq!(duplicates(&m), Some(0));
}

#[test]
fn an_exported_scenario_imports_back_and_a_bad_file_keeps_the_run() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(6));
    let mut edited = m.scenario.clone();
    edited.seed = 4242;
    let text = serde_json::to_string_pretty(&edited).unwrap();
    m.update(Action::SelectPreset(0));
    m.update(Action::Import { file_name: "mine.json".into(), text });
    assert_eq!(m.scenario, edited);
    assert_eq!(m.preset, usize::MAX);
    assert!(m.notice.as_deref().is_some_and(|n| n.starts_with("Opened mine.json")));
    for bad in ["{\"groups\": [{\"batch_size\": 0}]}", "not json", "{\"version\": 9}"] {
        m.update(Action::Import { file_name: "bad.json".into(), text: bad.into() });
        assert_eq!(m.scenario, edited, "a bad file changes nothing");
        assert!(m.error.as_deref().is_some_and(|e| e.starts_with("bad.json is not a scenario")), "{:?}", m.error);
    }
    m.update(Action::Import { file_name: "huge.json".into(), text: " ".repeat(MAX_IMPORT_BYTES + 1) });
    assert!(m.error.as_deref().is_some_and(|e| e.contains("at most 1024 KB")));
    assert_eq!(m.scenario, edited);
}

#[test]
fn edits_restart_with_the_same_seed_and_bad_ones_keep_the_state() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    m.update(Action::Scrub(4_000));
    let seed = m.scenario.seed;
    m.update(Action::Edit(Edit::GroupStrategy(0, Strategy::IdempotencyKey)));
    assert_eq!(m.engine.now(), 0);
    assert_eq!(m.scenario.seed, seed);
    assert_eq!(m.scenario.groups.first().map(|g| g.handler.strategy), Some(Strategy::IdempotencyKey));
    let before = m.scenario.clone();
    m.update(Action::Edit(Edit::Partitions(0, 0)));
    assert_eq!(m.scenario, before, "an invalid edit changes nothing");
    assert!(m.error.as_deref().is_some_and(|e| e.contains("partitions")), "{:?}", m.error);
    m.update(Action::Edit(Edit::FaultPercent(FaultRate::ConsumerCrash, f64::NAN)));
    assert_eq!(m.scenario, before);
    m.update(Action::Edit(Edit::GroupMembers(0, true)));
    assert_eq!(m.scenario.groups[0].consumers.len(), before.groups[0].consumers.len() + 1);
    m.update(Action::Edit(Edit::GroupMembers(9, true)));
    assert!(m.error.as_deref().is_some_and(|e| e.contains("no group 10")));
}

#[test]
fn the_producer_panel_sets_acks_the_publish_mode_and_the_send_faults() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    m.update(Action::Edit(Edit::ProducerPublishMode(0, PublishMode::DualWritePublishFirst)));
    m.update(Action::Edit(Edit::FaultPercent(FaultRate::ProducerCrash, 20.0)));
    m.update(Action::Edit(Edit::ProducerFireAndForget(0, true)));
    m.update(Action::Edit(Edit::FaultPercent(FaultRate::LostSend, 5.0)));
    let p = &m.scenario.producers[0];
    assert_eq!((p.publish_mode, p.acks), (PublishMode::DualWritePublishFirst, Acks::Zero));
    assert_eq!((m.scenario.faults.producer_crash, m.scenario.faults.lost_send), (0.2, 0.05));
    // The run restarted with them: the crashes invent events its subscribers act on.
    m.update(Action::Scrub(m.run_end()));
    assert!(m.engine.report().invented_events > 0);
    let before = m.scenario.clone();
    m.update(Action::Edit(Edit::FaultPercent(FaultRate::ProducerCrash, 150.0)));
    assert_eq!(m.scenario, before, "an invalid percentage changes nothing");
    m.update(Action::Edit(Edit::ProducerFireAndForget(0, false)));
    assert_eq!(m.scenario.producers[0].acks, Acks::All);
}

#[test]
fn to_end_runs_an_enormous_scenario_a_slice_per_frame_shows_its_progress_and_stops_on_pause() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(1));
    let mut big = m.scenario.clone();
    big.producers[0].count = 100_000;
    big.until_ms = big.until_ms.max(100_000 * 1_000);
    m.load(big).unwrap();
    let mut whole = Engine::new(m.scenario.clone()).unwrap();
    whole.run_to_end();
    assert!(whole.events_processed() > 3 * TO_END_SLICE_EVENTS);
    while m.looking_ahead() {
        m.update(Action::Tick { wall_ms: 16.0 });
    }
    m.update(Action::FastForward);
    assert!(m.seeking().is_some() && m.engine.events_processed() <= TO_END_SLICE_EVENTS);
    assert!(m.notice.as_deref().is_some_and(|n| n.contains("Running to the end")));
    // Each frame runs one more slice, and the progress only grows.
    let mut progress = m.seek_progress();
    m.update(Action::Tick { wall_ms: 16.0 });
    assert!(m.engine.events_processed() <= 2 * TO_END_SLICE_EVENTS);
    assert!(m.seek_progress() > progress && m.seek_progress() < 1.0);
    // Pause (or Cancel, or Space) stops it where it is; To end goes on from there.
    m.update(Action::TogglePlay);
    assert!(m.seeking().is_none() && !m.playing, "Space cancels, it does not start playing");
    let stopped = m.engine.events_processed();
    m.update(Action::Tick { wall_ms: 16.0 });
    assert_eq!(m.engine.events_processed(), stopped);
    assert!(m.notice.as_deref().is_some_and(|n| n.starts_with("Stopped at")));
    m.update(Action::FastForward);
    let mut frames = 0;
    while m.seeking().is_some() {
        m.update(Action::Tick { wall_ms: 16.0 });
        assert!(m.seek_progress() >= progress);
        progress = m.seek_progress();
        frames += 1;
    }
    assert!(frames >= 2 && m.engine.is_finished() && m.seek_progress() == 1.0);
    assert_eq!(m.engine.report().trace_hash, whole.report().trace_hash, "the same run, in slices");
    assert!(m.caption.as_deref().is_some_and(|c| c.starts_with("The run is over")));
    // A preset ends within one slice: one press, and it is over.
    m.update(Action::SelectPreset(1));
    m.update(Action::FastForward);
    assert!(m.engine.is_finished() && m.seeking().is_none());
}

#[test]
fn in_the_page_each_click_and_frame_runs_the_engine_for_its_slice_of_time_and_the_run_is_the_same() {
    // The page's clock, here one that moves on 1 ms at each look (a look per chunk of events).
    let mut m = Model::with_clock(slices::tests::one_ms_a_look);
    let big = a_big_scenario(&mut m);
    m.update(Action::Import { file_name: "big.json".into(), text: serde_json::to_string(&big).unwrap() });
    assert!(m.looking_ahead(), "opened at once, its look-ahead going on a slice per frame");
    frames_until_arrived(&mut m);
    let in_time = SLICE_MS as u64 * CHUNK_EVENTS;
    assert!(in_time < TO_END_SLICE_EVENTS, "the time is up before the slice's events are spent");
    m.update(Action::FastForward);
    assert_eq!(m.engine.events_processed(), in_time, "the click's slice ends in time");
    m.update(Action::Tick { wall_ms: 16.0 });
    assert_eq!(m.engine.events_processed(), 2 * in_time, "and so does each frame's");
    frames_until_arrived(&mut m);
    let mut whole = Engine::new(big).unwrap();
    whole.run_to_end();
    assert_eq!(m.engine.report().trace_hash, whole.report().trace_hash, "the same run, in slices of time");
}

/// When a run of `scenario` has run `events` events: a moment a far jump cannot reach in one slice.
fn moment_after_events(scenario: &Scenario, events: u64) -> SimTime {
    let mut e = Engine::new(scenario.clone()).unwrap();
    e.run_until_bounded(SimTime::MAX, events);
    e.now()
}

/// A scenario of 100,000 messages: its run is longer than a look-ahead's first slice.
fn a_big_scenario(m: &mut Model) -> Scenario {
    m.update(Action::SelectPreset(1));
    let mut big = m.scenario.clone();
    big.producers[0].count = 100_000;
    big.until_ms = big.until_ms.max(100_000 * 1_000);
    big
}

/// A model with `a_big_scenario` open and its look-ahead done.
fn a_big_run_opened() -> (Model, Scenario) {
    let mut m = Model::new();
    let big = a_big_scenario(&mut m);
    m.load(big.clone()).unwrap();
    frames_until_arrived(&mut m);
    (m, big)
}

/// Animation frames until the seek under way (and any look-ahead before it) is done.
fn frames_until_arrived(m: &mut Model) -> usize {
    let mut frames = 0;
    while m.seeking().is_some() || m.looking_ahead() {
        m.update(Action::Tick { wall_ms: 16.0 });
        frames += 1;
    }
    frames
}

#[test]
fn a_far_jump_on_a_big_run_goes_a_slice_per_frame_and_arrives_exactly_where_it_would_at_once() {
    let (mut m, big) = a_big_run_opened();
    let at_once = |until: SimTime| {
        let mut e = Engine::new(big.clone()).unwrap();
        e.run_until(until);
        (e.now(), e.events_processed(), e.report().trace_hash)
    };
    let here = |m: &Model| (m.engine.now(), m.engine.events_processed(), m.engine.report().trace_hash);
    // Scrubbing far ahead (to where 300,000 events have run): the first slice at once, then a slice a
    // frame, with its progress and a notice.
    let far = moment_after_events(&big, 300_000);
    m.update(Action::Scrub(far));
    assert_eq!(m.seeking(), Some(Goal::Time(far)));
    assert!(m.seek_progress() < 1.0 && m.notice.as_deref().is_some_and(|n| n.starts_with("Running to")));
    assert!(frames_until_arrived(&mut m) >= 2);
    assert_eq!(here(&m), at_once(far));
    assert!(m.notice.is_none(), "the notice goes on arriving: {:?}", m.notice);
    // A seek replaced by one that arrives at once takes its notice with it.
    m.update(Action::FastForward);
    assert!(m.notice.as_deref().is_some_and(|n| n.starts_with("Running to the end")));
    m.update(Action::Scrub(m.engine.now() + 1));
    assert_eq!((m.seeking(), m.notice.as_deref()), (None, None));
    m.update(Action::Scrub(far));
    frames_until_arrived(&mut m);
    // Back by one event: the run is recomputed in slices too, and the caption says where it is.
    let events = m.engine.events_processed();
    m.update(Action::StepBack);
    assert!(m.seeking().is_some());
    frames_until_arrived(&mut m);
    assert_eq!(m.engine.events_processed(), events - 1);
    assert!(m.caption.as_deref().is_some_and(|c| c.starts_with("Back one event, to")), "{:?}", m.caption);
    // Scrubbing back and cancelling stops where it is, and says so.
    m.update(Action::Scrub(far - 1_000));
    m.update(Action::Tick { wall_ms: 16.0 });
    m.update(Action::Pause);
    assert!(m.seeking().is_none() && m.engine.now() < far - 1_000);
    assert!(m.notice.as_deref().is_some_and(|n| n.starts_with("Stopped at")), "{:?}", m.notice);
    // An anomaly far ahead (the last the engine keeps): shown on arriving, as the tour's step.
    m.update(Action::Restart);
    let ahead = m.run_anomalies.len() - 1;
    m.update(Action::FocusAnomaly(ahead));
    assert!(m.focus.is_none() && m.seeking().is_some());
    frames_until_arrived(&mut m);
    assert_eq!(m.focus.as_ref().map(|f| f.index), Some(ahead));
    assert!(m.caption.as_deref().is_some_and(|c| c.starts_with(&format!("Anomaly {}", ahead + 1))), "{:?}", m.caption);
    // A link to a late moment opens there, exactly.
    let fragment = m.share_fragment().unwrap();
    let (moment, expected) = (m.engine.now(), here(&m));
    let mut other = Model::new();
    other.update(Action::OpenLink(fragment));
    frames_until_arrived(&mut other);
    assert_eq!((other.engine.now(), here(&other)), (moment, expected));
}

#[test]
fn lane_b_forked_late_in_a_big_run_catches_up_a_slice_per_frame_and_follows_to_the_end() {
    use crate::engine::observe::seconds;
    let (mut m, big) = a_big_run_opened();
    let late = moment_after_events(&big, 300_000);
    m.update(Action::Scrub(late));
    frames_until_arrived(&mut m);
    m.update(Action::ComparePin);
    let lane_b = |m: &Model| m.compare.as_ref().map(|lane| (lane.engine.now(), lane.engine.report().trace_hash));
    assert!(m.lane_behind(), "lane B starts from 0 and does not run to {late} ms at once");
    let said = m.lane_catching_up().expect("the compare table says lane B is catching up");
    assert_eq!(
        said,
        format!(
            "B is catching up with A at {}: until it gets there, its figures are from an earlier moment.",
            seconds(late)
        )
    );
    let mut frames = 0;
    while m.lane_behind() {
        m.update(Action::Tick { wall_ms: 16.0 });
        frames += 1;
    }
    assert!(frames >= 2, "{frames} frames");
    assert_eq!(m.lane_catching_up(), None, "arrived: the table compares one moment again");
    let mut alone = Engine::new(big).unwrap();
    alone.run_until(late);
    assert_eq!(lane_b(&m), Some((late, alone.report().trace_hash)), "the same run as lane A's, at its moment");
    // When lane A runs to its end, lane B follows it there.
    m.update(Action::FastForward);
    frames_until_arrived(&mut m);
    if m.lane_behind() {
        assert_eq!(m.lane_catching_up().as_deref().map(|s| s.starts_with("B is running on to its end")), Some(true));
    }
    while m.lane_behind() {
        m.update(Action::Tick { wall_ms: 16.0 });
    }
    assert!(m.engine.is_finished() && m.compare.as_ref().is_some_and(|lane| lane.engine.is_finished()));
}

#[test]
fn a_big_run_opens_at_once_and_learns_its_end_and_anomalies_a_slice_per_frame() {
    let mut m = Model::new();
    let big = a_big_scenario(&mut m);
    let whole = lookahead::foresight(&probe(&big, None).unwrap());
    assert!(!whole.anomalies.is_empty(), "the copy run in one go finds anomalies");
    m.load(big.clone()).unwrap();
    // The run is on screen at t = 0 while a copy looks ahead: only the scripted faults are marked yet, and
    // the scrubber spans the fault phase.
    let first = m.lookahead_progress().expect("still looking ahead");
    assert!(first > 0.0 && first < 1.0, "{first}");
    assert_eq!((m.engine.now(), m.end_ms, m.run_anomalies.len()), (0, big.until_ms, 0));
    assert!(m.marks.iter().all(|mark| mark.anomaly.is_none()));
    // Every control works meanwhile; a frame runs a slice of the look-ahead, and "To end »" waits for it.
    m.update(Action::Step);
    assert_eq!(m.engine.events_processed(), 1);
    m.update(Action::FastForward);
    let ran = m.engine.events_processed();
    m.update(Action::Tick { wall_ms: 16.0 });
    assert_eq!(m.engine.events_processed(), ran, "one slice a frame: the look-ahead's");
    m.update(Action::Pause);
    let mut frames = 1;
    while let Some(progress) = m.lookahead_progress() {
        m.update(Action::Tick { wall_ms: 16.0 });
        assert!(m.lookahead_progress().is_none_or(|p| p >= progress));
        frames += 1;
    }
    assert!(frames >= 3, "{frames} frames");
    // What it learnt is what a copy run in one go learns, and the copy stays for a challenge's check.
    assert_eq!((m.end_ms, &m.marks, &m.run_anomalies), (whole.end_ms, &whole.marks, &whole.anomalies));
    let ended = m.lookahead.as_ref().and_then(|l| l.ended(&m.scenario)).expect("the copy at its end");
    let in_one_go = probe(&big, None).unwrap();
    assert_eq!(ended.counters(), in_one_go.counters());
    assert_eq!(ended.events_processed(), in_one_go.events_processed());
    // Restart keeps what was learnt; opening another scenario drops the copy still looking ahead.
    m.update(Action::Restart);
    assert_eq!((m.end_ms, m.looking_ahead()), (whole.end_ms, false));
    m.load(big).unwrap();
    m.update(Action::SelectPreset(0));
    assert!(!m.looking_ahead() && m.end_ms >= m.scenario.until_ms);
}

#[test]
fn a_run_stopped_by_its_budget_says_so_keeps_what_ran_and_restart_works() {
    let mut m = Model::new();
    let poison = parse_scenario(include_str!("../../../tests/scenarios/poison-forever.json")).unwrap();
    m.load(poison).unwrap();
    m.engine.set_budget(Budget { events: 50_000, ..LANE_BUDGET });
    m.update(Action::FastForward);
    assert!(m.engine.is_finished() && m.engine.halted().is_some());
    let notice = m.notice.clone().unwrap_or_default();
    assert!(notice.contains("budget of 50,000 events") && notice.contains("in flight, not lost"), "{notice}");
    assert!(m.engine.counters().deliveries > 0, "what ran is kept on screen");
    assert_eq!(m.engine.counters().lost_messages, 0);
    m.update(Action::Restart);
    assert!(m.error.is_none() && m.engine.halted().is_none() && m.engine.now() == 0, "a fresh run");
    // Comparing shares the tab: both lanes get half the memory, and lane A gets its whole budget back after.
    m.update(Action::SelectPreset(1));
    m.compare_with_preset(2);
    assert_eq!(m.engine.budget(), SHARED_LANE_BUDGET);
    assert_eq!(m.compare.as_ref().map(|lane| lane.engine.budget()), Some(SHARED_LANE_BUDGET));
    m.update(Action::Restart);
    assert_eq!(m.engine.budget(), SHARED_LANE_BUDGET, "a restart while comparing keeps the shared budget");
    m.update(Action::EndCompare);
    assert_eq!(m.engine.budget(), LANE_BUDGET);
}

#[test]
fn producers_and_groups_are_added_as_copies_and_removed_with_what_names_them() {
    let mut m = Model::new();
    // Preset 1: a copy of the notifications group is a new team with its own members and email sink.
    m.update(Action::SelectPreset(0));
    let before = m.scenario.clone();
    m.update(Action::Edit(Edit::CopyGroup(0)));
    assert_eq!(m.error, None);
    let copy = m.scenario.groups.last().unwrap().clone();
    assert_eq!(copy.name, "notifications-2");
    assert_eq!(copy.topic, before.groups[0].topic);
    assert_eq!(copy.consumers.len(), before.groups[0].consumers.len());
    assert!(copy.consumers.iter().all(|c| !before.groups.iter().any(|g| g.consumers.contains(c))), "{copy:?}");
    assert_eq!(copy.handler.sink, "email-2");
    assert_eq!(m.selection, Some(Selection::Node(NodeId::Group(GroupId::at(before.groups.len())))));
    m.update(Action::FastForward);
    let copy_sink = m.engine.sinks().iter().find(|k| k.spec.name == "email-2").unwrap();
    assert!(copy_sink.applied >= 60, "the new team emails every user once or more: {}", copy_sink.applied);
    // Removing the copy gives the preset back, sink included.
    m.update(Action::Edit(Edit::RemoveGroup(before.groups.len())));
    assert_eq!(m.scenario, before);
    assert_eq!(m.selection, None);

    // Preset 10 replays both groups by scripted resets: removing a group drops its reset with it.
    m.update(Action::SelectPreset(9));
    m.update(Action::Edit(Edit::RemoveGroup(1)));
    assert_eq!(m.error, None);
    assert_eq!(m.scenario.groups.len(), 1);
    assert_eq!(m.scenario.faults.scripted.len(), 1);
    // Preset 12's stages are not copied: two stages would write every record twice.
    m.update(Action::SelectPreset(11));
    let stages = m.scenario.clone();
    m.update(Action::Edit(Edit::CopyGroup(0)));
    assert!(m.error.as_deref().is_some_and(|e| e.contains("stage")), "{:?}", m.error);
    assert_eq!(m.scenario, stages);
    // Removing a group whose consumers scripted crashes name: those crashes go too, the rest stay.
    m.update(Action::Edit(Edit::RemoveGroup(0)));
    assert_eq!(m.error, None);
    let members = &stages.groups[0].consumers;
    let names_member = |f: &ScriptedFault| matches!(&f.action, FaultAction::CrashConsumer { consumer, .. } if members.contains(consumer));
    assert!(stages.faults.scripted.iter().any(names_member));
    let kept: Vec<&ScriptedFault> = stages.faults.scripted.iter().filter(|f| !names_member(f)).collect();
    assert_eq!(m.scenario.faults.scripted.iter().collect::<Vec<_>>(), kept);

    // Producers: a copy doubles the traffic; the last one cannot go.
    m.update(Action::SelectPreset(4));
    m.update(Action::Edit(Edit::CopyProducer(0)));
    assert_eq!(m.scenario.producers.len(), 2);
    assert_eq!(m.scenario.producers[1].name, format!("{}-2", m.scenario.producers[0].name));
    m.update(Action::FastForward);
    assert_eq!(m.engine.counters().produced, 2 * m.scenario.producers[0].count as u64);
    m.update(Action::Edit(Edit::RemoveProducer(1)));
    m.update(Action::Edit(Edit::RemoveProducer(0)));
    assert!(m.error.as_deref().is_some_and(|e| e.contains("at least one producer")));
    assert_eq!(m.scenario.producers.len(), 1);
}

/// A model showing someone's own work: preset 6, a new seed, an injected crash, stepped mid-moment.
fn own_work() -> Model {
    let mut m = Model::new();
    m.update(Action::SelectPreset(5));
    m.update(Action::SetSeed("4242".into()));
    m.update(Action::Scrub(4_000));
    let consumer = m.scenario.queues[0].consumers[0].clone();
    m.update(Action::Inject(FaultAction::CrashConsumer { consumer, at_step: None }));
    m.update(Action::SetSpeed(5.0));
    m.update(Action::Scrub(7_500));
    for _ in 0..3 {
        m.update(Action::Step);
    }
    m
}

#[test]
fn a_share_link_reopens_the_same_run_at_the_same_event() {
    let a = own_work();
    let fragment = a.share_fragment().unwrap();
    let mut b = Model::new();
    b.update(Action::Open { fragment: format!("#{fragment}"), saved: None, aside: None });
    assert!(b.error.is_none(), "{:?}", b.error);
    assert_eq!(b.scenario, a.scenario);
    assert_eq!(b.speed, 5.0);
    assert_eq!(b.engine.now(), a.engine.now());
    assert_eq!(b.engine.events_processed(), a.engine.events_processed());
    assert_eq!(b.engine.report().trace_hash, a.engine.report().trace_hash);
    assert_eq!(b.preset, usize::MAX, "an edited preset is not the preset");
    assert_eq!(b.custom_source, "Shared link");
    // A plain preset link selects the preset.
    let mut c = Model::new();
    c.update(Action::SelectPreset(3));
    let mut d = Model::new();
    d.update(Action::Open { fragment: c.share_fragment().unwrap(), saved: None, aside: None });
    assert_eq!(d.preset, 3);
    // A link made at a moment reached by scrubbing (clock past the last event) keeps that clock.
    c.update(Action::Scrub(5_001));
    d.update(Action::OpenLink(c.share_fragment().unwrap()));
    assert_eq!((d.engine.now(), d.engine.events_processed()), (5_001, c.engine.events_processed()));
}

#[test]
fn a_bad_link_shows_the_default_and_keeps_the_saved_work_until_the_user_changes_something() {
    let saved = own_work().share_fragment().unwrap();
    let mut m = Model::new();
    m.update(Action::Open { fragment: "#v1.AAAAAAAA".into(), saved: Some(saved.clone()), aside: None });
    let e = m.error.clone().unwrap_or_default();
    assert!(e.contains("damaged") && e.contains("default scenario is shown"), "{e}");
    assert_eq!(m.preset, 0);
    assert_eq!(m.share_fragment(), None, "neither the address bar nor the saved work is overwritten");
    m.update(Action::TogglePlay);
    m.update(Action::Tick { wall_ms: 50.0 });
    m.update(Action::Scrub(3_000));
    assert_eq!(m.share_fragment(), None, "playing the fallback is not the user's work");
    m.update(Action::RestoreSaved);
    assert!(m.error.is_none(), "{:?}", m.error);
    assert_eq!(m.scenario.seed, 4242);
    assert_eq!(m.share_fragment().as_deref(), Some(saved.as_str()), "restored at the same moment");
    assert_eq!(m.restorable, None);

    // Without saved work, the first change of the scenario makes the screen the user's own again.
    let mut m = Model::new();
    m.update(Action::Open { fragment: "#v9.AAAA".into(), saved: None, aside: None });
    assert!(m.error.as_deref().is_some_and(|e| e.contains("newer Brokerscope")));
    assert_eq!(m.share_fragment(), None);
    m.update(Action::Edit(Edit::FaultPercent(FaultRate::ConsumerCrash, 10.0)));
    assert!(m.share_fragment().is_some());
}

#[test]
fn saved_work_is_restored_on_the_next_visit_and_a_bad_pasted_link_changes_nothing() {
    let a = own_work();
    let mut m = Model::new();
    m.update(Action::Open { fragment: String::new(), saved: a.share_fragment(), aside: None });
    assert_eq!(m.scenario, a.scenario);
    assert_eq!(m.engine.events_processed(), a.engine.events_processed());
    assert!(m.notice.as_deref().is_some_and(|n| n.starts_with("Restored your last work")));
    let before = m.share_fragment();
    m.update(Action::OpenLink("v1.bad!".into()));
    assert!(m.error.as_deref().is_some_and(|e| e.contains("Your scenario is unchanged")), "{:?}", m.error);
    assert_eq!(m.share_fragment(), before);
    // Saved work that no longer opens is reported, and the default shown.
    let mut m = Model::new();
    m.update(Action::Open { fragment: String::new(), saved: Some("garbage".into()), aside: None });
    let aside = m.set_aside.clone().expect("set aside");
    assert!(aside.sentence.contains("could not be restored") && aside.sentence.contains("kept aside"));
    assert_eq!(aside.fragment, "garbage");
    assert_eq!(m.preset, 0);
}

#[test]
fn saved_work_that_does_not_open_is_kept_aside_and_never_saved_over_until_the_user_changes_something() {
    let mut m = Model::new();
    // Saved by a newer release (a stale service worker serving an old build is enough).
    m.update(Action::Open { fragment: String::new(), saved: Some("v9.AAAAAAAA".into()), aside: None });
    let aside = m.set_aside.clone().expect("set aside");
    assert!(aside.sentence.contains("saved by a newer Brokerscope") && aside.sentence.contains("reload"));
    assert_eq!(m.share_fragment(), None, "the default on screen does not replace it");
    m.update(Action::Tick { wall_ms: 16.0 });
    m.update(Action::Scrub(2_000));
    assert_eq!(m.share_fragment(), None, "nor does watching the default run");
    // Once the user changes the scenario, the new work is saved (the app copied the old one aside by then)
    // and the set-aside work stays offered until discarded.
    m.update(Action::SelectPreset(2));
    assert!(m.share_fragment().is_some());
    assert_eq!(m.set_aside.as_ref().map(|a| a.fragment.as_str()), Some("v9.AAAAAAAA"));
    m.update(Action::DiscardSetAside);
    assert_eq!(m.set_aside, None);
    // On a later visit, work set aside earlier is offered again.
    let mut m = Model::new();
    m.update(Action::Open { fragment: String::new(), saved: None, aside: Some("v9.AAAAAAAA".into()) });
    assert!(m.set_aside.as_ref().is_some_and(|a| a.sentence.contains("earlier visit")));
    assert!(m.error.is_none());
}

#[test]
fn another_tab_saving_stops_this_one_saving_over_it_until_it_changes_something() {
    let mut m = Model::new();
    m.update(Action::SavedByAnotherTab);
    assert!(m.saved_elsewhere);
    assert!(m.notice.as_deref().is_some_and(|n| n.contains("Another Brokerscope tab saved its work")));
    assert!(m.share_fragment().is_some(), "the address bar still follows this tab's run");
    m.update(Action::NewSeed);
    assert!(!m.saved_elsewhere, "a change here is this tab's work to save again");
}

#[test]
fn a_scenario_too_big_for_a_link_says_so_and_is_neither_copied_nor_saved() {
    let mut m = Model::new();
    let mut big = m.scenario.clone();
    // A story of 900,000 letters that do not compress: a valid file, far past a link's 256 KB.
    let mut x = 1u64;
    big.story = (0..900_000)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (b'a' + (x >> 59) as u8 % 26) as char
        })
        .collect();
    let text = serde_json::to_string(&big).unwrap();
    m.update(Action::Import { file_name: "big.json".into(), text });
    let notice = m.notice.clone().unwrap_or_default();
    assert!(notice.starts_with("Opened big.json") && notice.contains("too big for a link"), "{notice}");
    assert_eq!(m.share_fragment(), None, "the last work that fit stays saved");
    m.update(Action::ShowShare);
    assert_eq!(m.dialog, Some(Dialog::Share));
    assert!(m.too_big_for_a_link().contains("Export JSON"), "the Share dialog says why there is no link");
}

#[test]
fn focusing_an_anomaly_jumps_to_it_and_opens_its_message() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    m.update(Action::FastForward);
    let i = m
        .engine
        .anomalies()
        .iter()
        .position(|a| a.kind == crate::engine::observe::AnomalyKind::DuplicateEffect)
        .unwrap();
    let a = m.engine.anomalies()[i].clone();
    m.update(Action::FocusAnomaly(i));
    assert_eq!(m.engine.now(), a.at_ms);
    assert_eq!(m.selection, Some(Selection::Message(a.message_id)));
    let focus = m.focus.clone().unwrap();
    assert!(focus.chain.iter().any(|n| matches!(n, NodeId::Consumer(_))), "{:?}", focus.chain);
    // The anomaly exists again at that moment of the recomputed run.
    assert!(m.engine.anomalies().iter().any(|x| x.message_id == a.message_id && x.kind == a.kind));
    m.update(Action::FocusAnomaly(usize::MAX));
    assert_eq!(m.engine.now(), a.at_ms, "a stale index does nothing");
}

#[test]
fn the_anomaly_tour_lists_the_whole_run_and_goes_back_and_forth_without_losing_it() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(6));
    let all = m.run_anomalies.clone();
    assert!(all.len() >= 4, "{} anomalies", all.len());
    assert_eq!(m.engine.anomalies().len(), 0, "nothing has run yet, and the tour knows them all");
    // The last one, from t = 0: the run goes forward to it (a loss is found at the end).
    let last = all.len() - 1;
    m.update(Action::FocusAnomaly(last));
    assert_eq!(m.focus.as_ref().map(|f| f.index), Some(last));
    assert_eq!(m.focus.as_ref().map(|f| f.explanation.clone()), Some(all[last].explanation.clone()));
    // The first one: back in time, and the tour still has every anomaly.
    m.update(Action::FocusAnomaly(0));
    assert_eq!(m.engine.now(), all[0].at_ms);
    assert_eq!(m.tour_len(), all.len());
    assert!(m.caption.as_deref().is_some_and(|c| c.starts_with(&format!("Anomaly 1 of {}", all.len()))));
    m.update(Action::NextAnomaly);
    assert_eq!(m.focus.as_ref().map(|f| (f.index, f.message)), Some((1, all[1].message_id)));
    m.update(Action::PreviousAnomaly);
    m.update(Action::PreviousAnomaly);
    assert_eq!(m.focus.as_ref().map(|f| f.index), Some(0), "there is nothing before the first");
    // From a moment with nothing shown, the next one is the first still ahead.
    m.update(Action::ClearSelection);
    m.update(Action::NextAnomaly);
    assert_eq!(m.focus.as_ref().map(|f| f.index), Some(1));
}

#[test]
fn play_skips_empty_time_and_shows_the_final_losses_of_preset_9_within_40_seconds() {
    // At-most-once: the losses are final only when the run is over, after the healing phase; play must not
    // make the room sit through its empty minutes.
    let mut m = Model::new();
    m.update(Action::SelectPreset(8));
    m.update(Action::TogglePlay);
    let mut wall_ms = 0.0;
    let mut skipped = vec![];
    while m.playing && wall_ms < 120_000.0 {
        m.update(Action::Tick { wall_ms: 1000.0 / 60.0 });
        wall_ms += 1000.0 / 60.0;
        skipped.extend(m.caption.clone().filter(|c| c.starts_with("Skipped") && !skipped.contains(c)));
    }
    assert!(m.engine.is_finished(), "still running after {wall_ms} ms of play");
    assert!(wall_ms <= 40_000.0, "the end came after {:.1} s of play", wall_ms / 1000.0);
    // The caption says what was skipped and what comes next.
    assert!(!skipped.is_empty(), "the caption says when empty time was skipped");
    assert!(skipped.iter().all(|c| c.contains(" is next).")), "{skipped:?}");
    assert!(m.engine.counters().lost_messages >= 1);
    let caption = m.caption.clone().unwrap_or_default();
    assert!(caption.contains("lost") && caption.ends_with("final."), "{caption}");
}

#[test]
fn a_step_says_what_it_did() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    m.update(Action::Step);
    let caption = m.caption.clone().expect("a step sets the caption");
    assert!(caption.starts_with("0.000 s: "), "{caption}");
    let first = caption.clone();
    m.update(Action::Step);
    assert_ne!(m.caption.as_deref(), Some(first.as_str()), "each step says its own event");
}

#[test]
fn play_pauses_on_the_first_duplicate_of_preset_5_with_its_explanation_and_space_goes_on() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    assert!(m.pause_on_anomaly, "on by default");
    m.update(Action::TogglePlay);
    while m.playing {
        m.update(Action::Tick { wall_ms: 16.0 });
    }
    assert!(!m.engine.is_finished(), "paused mid-run");
    assert_eq!(m.engine.counters().duplicate_effects, 1, "right after the first duplicate");
    let focus = m.focus.clone().expect("the anomaly is shown");
    assert_eq!(focus.kind, "Duplicate effect");
    assert!(focus.explanation.contains("applied twice"), "{}", focus.explanation);
    assert!(focus.chain.iter().any(|n| matches!(n, NodeId::Consumer(_))), "its causal chain is lit");
    assert!(m.caption.as_deref().is_some_and(|c| c.starts_with("Paused at")));
    let paused_at = m.engine.now();
    m.update(Action::TogglePlay);
    assert!(m.playing && m.focus.is_none(), "Space goes on, leaving the anomaly");
    m.update(Action::Tick { wall_ms: 16.0 });
    assert!(m.engine.now() > paused_at);
    // Turned off, play runs past every anomaly to the end.
    m.update(Action::TogglePauseOnAnomaly);
    while m.playing {
        m.update(Action::Tick { wall_ms: 100.0 });
    }
    assert!(m.engine.is_finished() && m.engine.counters().duplicate_effects > 1);
}

#[test]
fn step_back_returns_to_exactly_the_event_before() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    for _ in 0..40 {
        m.update(Action::Step);
    }
    let (hash_39, now_39, events_39) = {
        let mut again = Model::new();
        again.update(Action::SelectPreset(4));
        for _ in 0..39 {
            again.update(Action::Step);
        }
        (again.engine.trace().hash.hex(), again.engine.now(), again.engine.events_processed())
    };
    m.update(Action::StepBack);
    assert_eq!(m.engine.events_processed(), events_39);
    assert_eq!((m.engine.trace().hash.hex(), m.engine.now()), (hash_39, now_39));
    assert!(m.caption.as_deref().is_some_and(|c| c.starts_with("Back one event")));
}

#[test]
fn the_scrubber_marks_every_fault_and_anomaly_and_a_mark_shows_its_anomaly() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    let anomalies: Vec<usize> = (0..m.marks.len()).filter(|&i| m.marks[i].anomaly.is_some()).collect();
    assert_eq!(anomalies.len(), 4, "preset 5's four duplicates: {:?}", m.marks);
    assert!(m.marks.windows(2).all(|w| w[0].at_ms <= w[1].at_ms), "in time order");
    let second = anomalies[1];
    m.update(Action::GoToMark(second));
    let focus = m.focus.clone().expect("the mark's anomaly is shown");
    assert_eq!(focus.at_ms, m.marks[second].at_ms);
    assert_eq!(m.engine.now(), focus.at_ms, "at its moment");
    assert_eq!(m.engine.counters().duplicate_effects, 2);
    // A scripted fault is marked too.
    m.update(Action::Inject(FaultAction::ReadApiDown { duration_ms: 100 }));
    assert!(m.marks.iter().any(|mark| mark.anomaly.is_none() && mark.label.contains("read API")), "{:?}", m.marks);
}

#[test]
fn escape_closes_the_help_first_then_the_anomaly_shown_and_the_selection() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(4));
    m.update(Action::GoToMark(0));
    m.update(Action::FocusAnomaly(0));
    assert!(m.focus.is_some() && m.selection.is_some());
    m.update(Action::ToggleHelp);
    assert_eq!(m.dialog, Some(Dialog::Help));
    m.update(Action::Escape);
    assert_eq!(m.dialog, None, "the help closes");
    assert!(m.focus.is_some() && m.selection.is_some(), "and only the help");
    m.update(Action::Escape);
    assert!(m.focus.is_none() && m.selection.is_none());
    // What the model simplifies opens from an element's details, and Esc closes it like the help.
    m.update(Action::ShowSimplifications);
    assert_eq!(m.dialog, Some(Dialog::Simplifications));
    m.update(Action::Escape);
    assert_eq!(m.dialog, None);
    // Turning single-key shortcuts off is the model's to remember, like every other choice on the page.
    m.update(Action::SetSingleKeys(false));
    assert!(!m.single_keys);
}

#[test]
fn narration_while_playing_says_at_most_a_line_per_gap_and_sums_up_the_rest() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(6)); // preset 7: crashes, duplicates, rebalances
    m.pause_on_anomaly = false;
    m.update(Action::TogglePlay);
    let (mut wall_ms, mut last_line_ms, mut said) = (0.0, f64::NEG_INFINITY, m.narration_said);
    let mut lines_while_playing = 0;
    while m.playing && wall_ms < 120_000.0 {
        m.update(Action::Tick { wall_ms: 16.0 });
        wall_ms += 16.0;
        if m.narration_said > said && m.playing {
            assert_eq!(m.narration_said, said + 1, "one line at a time while playing");
            assert!(wall_ms - last_line_ms >= narration::NARRATION_GAP_MS, "{wall_ms} after {last_line_ms}");
            last_line_ms = wall_ms;
            lines_while_playing += 1;
        }
        said = m.narration_said;
    }
    assert!(!m.playing, "the run ended");
    assert!(lines_while_playing >= 2, "it still speaks while playing: {lines_while_playing}");
    let notable = m.engine.trace().events.iter().filter(|e| narration::notable(&e.what).is_some()).count();
    assert!(notable > lines_while_playing * 2, "{notable} happenings were summed up in {lines_while_playing} lines");
    assert!(m.narration.iter().any(|l| l.starts_with("Up to ")), "{:?}", m.narration);
}

#[test]
fn a_step_is_said_at_once_and_a_long_scrub_in_one_summary() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(6));
    let before = m.narration_said;
    m.update(Action::Scrub(15_000));
    assert_eq!(m.narration_said, before + 1, "one summary for the whole scrub: {:?}", m.narration);
    assert!(m.narration.back().is_some_and(|l| l.starts_with("Up to 15.000 s: ")), "{:?}", m.narration);
    // Stepping until something notable: it is said by the step that made it.
    let mut steps = 0;
    let said = m.narration_said;
    while m.narration_said == said && steps < 5_000 {
        m.update(Action::Step);
        steps += 1;
    }
    assert_eq!(m.narration_said, said + 1, "said at once, after {steps} steps");
}

#[test]
fn dropping_a_send_drawn_in_flight_records_the_fault_when_it_left_and_the_producer_resends_it() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(7)); // producer retries: acks=all
    m.update(Action::Scrub(2_050));
    let (message, sent_at) = (1..m.engine.messages().len() as u32)
        .rev()
        .map(MessageId)
        .find_map(|id| crate::ui::tokens::send_on_screen(&m.engine, id).map(|at| (id, at)))
        .expect("a send drawn on its way");
    assert!(sent_at <= 2_050 && sent_at + crate::ui::tokens::HOP_MS >= 2_050, "left at {sent_at}");
    m.update(Action::InjectAt { at_ms: sent_at, action: FaultAction::DropSend { message: message.0 } });
    let fault = m.scenario.faults.scripted.last().expect("recorded").clone();
    assert_eq!((fault.at_ms, m.engine.now()), (sent_at, 2_050), "recorded when it left, shown up to now");
    m.update(Action::FastForward);
    let said = journey_texts(&m, message);
    assert!(said.iter().any(|t| t.contains("send never reached the broker")), "{said:?}");
    assert!(said.iter().any(|t| t.contains("sent it again")), "and it was resent: {said:?}");
    assert!(said.iter().any(|t| t.contains("a retry, the first copy to arrive")), "{said:?}");
    assert!(!said.iter().any(|t| t.contains("duplicate copy")), "the only copy is no duplicate: {said:?}");
}

#[test]
fn delaying_a_delivery_drawn_in_flight_past_the_visibility_timeout_lets_a_second_worker_receive_it() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(1)); // a queue with competing workers
    m.update(Action::Scrub(2_050));
    let (message, consumer, sent_at) = (1..m.engine.messages().len() as u32)
        .rev()
        .map(MessageId)
        .find_map(|id| crate::ui::tokens::delivery_on_screen(&m.engine, id).map(|(c, at)| (id, c, at)))
        .expect("a delivery drawn on its way");
    assert!(sent_at <= 2_050, "handed out at {sent_at}");
    let name = m.engine.consumers()[consumer.index()].name.clone();
    let vt = m.scenario.queues[0].visibility_timeout_ms;
    let action = FaultAction::DelayDelivery { message: message.0, consumer: name.clone(), duration_ms: vt + 1_000 };
    m.update(Action::InjectAt { at_ms: sent_at, action });
    assert_eq!((m.scenario.faults.scripted.last().map(|f| f.at_ms), m.engine.now()), (Some(sent_at), 2_050));
    m.update(Action::FastForward);
    let said = journey_texts(&m, message);
    assert!(said.iter().any(|t| t.contains(&format!("its delivery to {name} is held up in the network"))), "{said:?}");
    assert!(said.iter().any(|t| t.contains("received it again")), "a second receive meanwhile: {said:?}");
}

/// The sentences of a message's journey, as the details panel lists them.
fn journey_texts(m: &Model, message: MessageId) -> Vec<String> {
    crate::ui::journey::journey(&m.engine, message).expect("its journey").rows.into_iter().map(|r| r.text).collect()
}

#[test]
fn scrubbing_back_stepping_back_and_restart_rebuild_the_run_without_looking_ahead_again() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(6));
    let (looked, end, marks) = (m.lookaheads, m.end_ms, m.marks.clone());
    m.update(Action::Scrub(4_000));
    m.update(Action::Scrub(1_000));
    m.update(Action::StepBack);
    m.update(Action::FocusAnomaly(0));
    m.update(Action::Restart);
    assert_eq!((m.lookaheads, m.end_ms, &m.marks, m.engine.now()), (looked, end, &marks, 0), "the same scenario");
    // A change to the scenario is learnt again: an injected fault, a new seed.
    m.update(Action::Scrub(2_000));
    m.update(Action::Inject(FaultAction::ReadApiDown { duration_ms: 1_000 }));
    m.update(Action::NewSeed);
    assert_eq!(m.lookaheads, looked + 2);
}

#[test]
fn the_same_queue_on_rabbitmq_has_no_visibility_timeout_so_a_slow_worker_is_not_doubled() {
    let mut m = Model::new();
    m.update(Action::SelectPreset(1)); // SQS: a standard queue with a visibility timeout
    m.update(Action::Edit(Edit::FaultPercent(FaultRate::Slow, 30.0)));
    m.update(Action::FastForward);
    let outlasted =
        |m: &Model| m.engine.anomalies().iter().any(|a| a.explanation.contains("outlasted the visibility timeout"));
    assert!(outlasted(&m), "slow handlers outlast SQS's visibility timeout");
    m.update(Action::Edit(Edit::QueueKind(0, crate::scenario::model::QueueKind::Quorum)));
    assert_eq!(m.scenario.queues[0].kind, crate::scenario::model::QueueKind::Quorum);
    m.update(Action::FastForward);
    assert!(!outlasted(&m) && m.engine.report().duplicate_effects == 0, "{:?}", m.engine.report().duplicate_effects);
}

/// Step `step` of shipped lesson `stem` alone, its producer sending `sends` messages (`every_ms` apart,
/// or at its own rate) over a long run.
fn a_lesson_step_sending(
    stem: &str,
    step: usize,
    sends: u64,
    every_ms: Option<u64>,
) -> crate::scenario::lesson::Lesson {
    let json = LESSONS.iter().find(|(s, _)| s.starts_with(stem)).unwrap().1;
    let mut lesson: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut changed = lesson["steps"][step].clone();
    let mut set = vec![
        serde_json::json!({ "path": "/producers/0/count", "value": sends }),
        serde_json::json!({ "path": "/until_ms", "value": 6_000_000 }),
    ];
    if let Some(ms) = every_ms {
        set.push(serde_json::json!({ "path": "/producers/0/rate", "value": { "kind": "fixed", "interval_ms": ms } }));
    }
    changed["set"] = serde_json::Value::Array(set);
    lesson["steps"] = serde_json::json!([changed]);
    parse_lesson(&lesson.to_string()).unwrap()
}

/// Step `step` of shipped lesson `stem` alone, on a run of 20,000 sends: in the page, its end is learnt
/// over several frames.
fn a_big_lesson_step(stem: &str, step: usize) -> crate::scenario::lesson::Lesson {
    a_lesson_step_sending(stem, step, 20_000, None)
}

/// `lesson` opened in `m`, after its look-ahead has ended if `once_looked_ahead`, and `action` sent.
fn in_lesson(mut m: Model, lesson: &crate::scenario::lesson::Lesson, once_looked_ahead: bool, action: Action) -> Model {
    m.lessons.push(("big".into(), lesson.clone()));
    m.update(Action::StartLesson(m.lessons.len() - 1));
    assert!(m.error.is_none(), "{:?}", m.error);
    while once_looked_ahead && m.looking_ahead() {
        m.update(Action::Tick { wall_ms: 16.0 });
    }
    m.update(action);
    m
}

fn frames_until_looked_ahead(m: &mut Model) -> usize {
    let mut frames = 0;
    while m.looking_ahead() {
        m.update(Action::Tick { wall_ms: 16.0 });
        frames += 1;
    }
    frames
}

#[test]
fn a_prediction_about_the_end_made_while_it_is_looked_ahead_is_answered_when_the_end_is_known() {
    // Lesson 2's first step asks about the end of the run.
    let lesson = a_big_lesson_step("02", 0);
    assert!(lesson.steps[0].predict.is_some() && lesson.steps[0].play_to_ms.is_none());
    let at_once = in_lesson(Model::new(), &lesson, true, Action::Predict(0));
    let expected = at_once.lesson.unwrap().came_true;
    assert_eq!(expected.iter().filter(|t| **t).count(), 1, "{expected:?}");

    let mut m = in_lesson(Model::with_clock(slices::tests::one_ms_a_look), &lesson, false, Action::Predict(0));
    assert!(m.looking_ahead() && m.playing, "guessed while looking ahead; the step plays");
    assert!(m.lesson.as_ref().unwrap().came_true.is_empty(), "the click ran no copy of the run");
    assert!(frames_until_looked_ahead(&mut m) >= 2);
    assert_eq!(m.lesson.unwrap().came_true, expected, "answered as the end became known");
}

#[test]
fn a_challenge_checked_while_its_run_is_looked_ahead_is_checked_once_the_end_is_known_not_on_the_click() {
    // Lesson 3's challenge.
    let lesson = a_big_lesson_step("03", 4);
    assert!(lesson.steps[0].challenge.is_some());
    let at_once = in_lesson(Model::new(), &lesson, true, Action::CheckChallenge);
    let expected = at_once.lesson.as_ref().and_then(|l| l.check.clone()).expect("checked at once once looked ahead");
    assert!(expected.iter().any(|c| !c.met) && at_once.notice.as_deref().is_some_and(|n| n.starts_with("Not yet")));

    let looking = || in_lesson(Model::with_clock(slices::tests::one_ms_a_look), &lesson, false, Action::CheckChallenge);
    let mut m = looking();
    assert!(m.looking_ahead(), "still looking ahead when Check is pressed");
    let l = m.lesson.as_ref().unwrap();
    assert!(l.check.is_none() && l.check_pending, "the click ran no copy of the run");
    assert!(m.notice.as_deref().is_some_and(|n| n.starts_with("Checking once the run's end is known")));
    assert!(frames_until_looked_ahead(&mut m) >= 2);
    let l = m.lesson.as_ref().unwrap();
    assert_eq!(l.check.as_ref(), Some(&expected), "checked as the end became known");
    assert!(!l.check_pending && m.notice.as_deref().is_some_and(|n| n.starts_with("Not yet")));

    // A check is of the scenario it was asked for: the solution applied meanwhile is checked when asked.
    let mut m = looking();
    m.update(Action::ShowSolution);
    frames_until_looked_ahead(&mut m);
    let l = m.lesson.as_ref().unwrap();
    assert!(l.check.is_none() && !l.check_pending, "{:?}", m.notice);
}

#[test]
fn a_changed_scenario_asks_the_step_s_prediction_again_and_drops_the_last_check() {
    let shipped = |stem: &str| parse_lesson(LESSONS.iter().find(|(s, _)| s.starts_with(stem)).unwrap().1).unwrap();
    // Lesson 2's first step asks about the end of its run (a small one: answered on the click).
    let mut m = in_lesson(Model::new(), &shipped("02"), true, Action::Predict(0));
    let answered = |m: &Model| m.lesson.as_ref().is_some_and(|l| l.guess.is_some() && !l.came_true.is_empty());
    assert!(answered(&m));
    // The same scenario built again keeps the answer.
    m.update(Action::Restart);
    assert!(answered(&m), "Restart is the same run");
    m.update(Action::SetSeed(m.scenario.seed.to_string()));
    assert!(answered(&m), "the same seed is the same run");
    // Another seed is another run: asked again.
    m.update(Action::NewSeed);
    assert!(m.lesson.as_ref().unwrap().guess.is_none());
    m.update(Action::Predict(0));
    assert!(answered(&m));
    // An edited scenario is another question: asked again, and a new guess is answered for it.
    m.update(Action::Edit(Edit::FaultPercent(FaultRate::ConsumerCrash, 10.0)));
    assert!(m.error.is_none(), "{:?}", m.error);
    let l = m.lesson.as_ref().unwrap();
    assert!(l.guess.is_none() && l.came_true.is_empty(), "{l:?}");
    let said = m.notice.clone().unwrap_or_default();
    assert!(
        said.starts_with("Setting changed")
            && said.ends_with("The step asks again: your answer was about the run before.")
    );
    m.update(Action::Predict(1));
    assert!(answered(&m) && m.lesson.as_ref().unwrap().guess == Some(1));
    // So is a fault injected into it.
    let consumer = m.scenario.groups[0].consumers[0].clone();
    m.update(Action::Inject(FaultAction::CrashConsumer { consumer, at_step: None }));
    assert!(m.error.is_none() && m.lesson.as_ref().unwrap().guess.is_none(), "{:?}", m.error);

    // A check still waiting for a big run's end: the same seed keeps it waiting, and it is answered; an
    // edit takes it away, and says so.
    let big = a_big_lesson_step("03", 4);
    let mut m = in_lesson(Model::with_clock(slices::tests::one_ms_a_look), &big, false, Action::CheckChallenge);
    assert!(m.lesson.as_ref().unwrap().check_pending);
    m.update(Action::SetSeed(m.scenario.seed.to_string()));
    assert!(m.lesson.as_ref().unwrap().check_pending, "the same run");
    frames_until_looked_ahead(&mut m);
    assert!(m.lesson.as_ref().unwrap().check.is_some(), "answered by the run built again");
    let mut m = in_lesson(Model::with_clock(slices::tests::one_ms_a_look), &big, false, Action::CheckChallenge);
    m.update(Action::Edit(Edit::GroupStrategy(0, Strategy::IdempotencyKey)));
    let l = m.lesson.as_ref().unwrap();
    assert!(!l.check_pending && l.check.is_none());
    assert!(
        m.notice.as_deref().is_some_and(|n| n.ends_with("your answer was about the run before.")),
        "{:?}",
        m.notice
    );

    // Lesson 3's challenge, checked, then edited: the check said was of the scenario before.
    let mut m = in_lesson(Model::new(), &shipped("03"), true, Action::GoToStep(4));
    m.update(Action::CheckChallenge);
    assert!(m.lesson.as_ref().unwrap().check.is_some());
    m.update(Action::Edit(Edit::GroupStrategy(0, Strategy::IdempotencyKey)));
    assert!(m.error.is_none() && m.lesson.as_ref().unwrap().check.is_none(), "{:?}", m.error);
}

/// Step `step` of shipped lesson `stem` alone, on a run of 200,000 sends two milliseconds apart: its
/// copy at the end holds more than the look-ahead keeps, so the copy is let go once it has looked ahead.
fn a_huge_lesson_step(stem: &str, step: usize) -> crate::scenario::lesson::Lesson {
    a_lesson_step_sending(stem, step, 200_000, Some(2))
}

#[test]
fn a_guess_or_a_check_after_a_huge_run_s_copy_was_let_go_looks_ahead_again_not_on_the_click() {
    // Lesson 2's first step asks about the end; lesson 3's last step is a challenge.
    for (lesson, action) in
        [(a_huge_lesson_step("02", 0), Action::Predict(0)), (a_huge_lesson_step("03", 4), Action::CheckChallenge)]
    {
        let answer = |m: &Model| {
            let l = m.lesson.as_ref().unwrap();
            (l.came_true.clone(), l.check.clone())
        };
        // Asked once the run itself has ended: answered at once, off the run.
        let mut ended = in_lesson(Model::new(), &lesson, true, Action::FastForward);
        while !ended.engine.is_finished() {
            ended.update(Action::Tick { wall_ms: 16.0 });
        }
        ended.update(action.clone());
        let expected = answer(&ended);
        assert!(!expected.0.is_empty() || expected.1.is_some(), "answered off the ended run");

        let mut m =
            in_lesson(Model::with_clock(slices::tests::one_ms_a_look), &lesson, true, Action::Tick { wall_ms: 16.0 });
        assert!(m.lookahead.is_none(), "the copy at its end was too big to keep");
        m.update(action);
        assert!(m.looking_ahead(), "a copy looks ahead again");
        assert_eq!(answer(&m), (vec![], None), "the click ran no copy of the run");
        assert!(m.looking_again());
        // Its end known already, a far jump meanwhile does not wait for the copy.
        m.update(Action::Scrub(60_000));
        assert!(m.seek.is_some(), "a jump of several frames");
        while m.engine.now() < 60_000 {
            m.update(Action::Tick { wall_ms: 16.0 });
        }
        assert!(m.looking_again(), "reached the moment while the copy still looks");
        assert!(frames_until_looked_ahead(&mut m) >= 2);
        assert_eq!(answer(&m), expected, "answered as the end became known again");
        assert!(m.lookahead.is_none(), "and the copy let go again");
    }
}
