//! The edits a trainer makes on the page (`scenario::edit`), applied to the shipped presets: each keeps the
//! scenario valid, or says why it cannot apply and changes nothing.
#![cfg(not(target_arch = "wasm32"))]
use brokerscope::scenario::edit::{apply_edit, Edit, FaultRate};
use brokerscope::scenario::model::{FaultAction, ScriptedFault};
use brokerscope::scenario::presets::PRESETS;
use brokerscope::scenario::validate::validate;
use brokerscope::scenario::{parse_scenario, Scenario};

fn preset(prefix: &str) -> Scenario {
    parse_scenario(PRESETS.iter().find(|(s, _)| s.starts_with(prefix)).expect("a preset").1).expect("it parses")
}

#[test]
fn a_copied_group_is_a_new_team_with_its_own_members_and_its_own_copy_of_the_sink() {
    let mut s = preset("05");
    let before = s.clone();
    apply_edit(&mut s, &Edit::CopyGroup(0)).expect("a group with a side effect can be copied");
    validate(&s).expect("the copy is a valid scenario");
    let (original, copy) = (&s.groups[0], s.groups.last().expect("the copy"));
    assert_eq!(s.groups.len(), before.groups.len() + 1);
    assert_eq!(copy.topic, original.topic, "the new team reads the same topic");
    assert_eq!(copy.consumers.len(), original.consumers.len());
    assert!(copy.consumers.iter().all(|c| !original.consumers.contains(c)), "new members: {:?}", copy.consumers);
    assert_ne!(copy.handler.sink, original.handler.sink, "its emails are not the first team's duplicates");
    assert!(s.sinks.iter().any(|k| k.name == copy.handler.sink));
}

#[test]
fn removing_a_group_removes_the_faults_that_name_it_and_a_sink_nothing_else_uses() {
    let mut s = preset("05");
    apply_edit(&mut s, &Edit::CopyGroup(0)).expect("copied");
    let copy = s.groups.last().expect("the copy").clone();
    s.faults.scripted.push(ScriptedFault {
        at_ms: 100,
        action: FaultAction::CrashConsumer { consumer: copy.consumers[0].clone(), at_step: None },
    });
    let kept = s.faults.scripted.len() - 1;
    let last = s.groups.len() - 1;
    apply_edit(&mut s, &Edit::RemoveGroup(last)).expect("removed");
    validate(&s).expect("still valid");
    assert_eq!(s.faults.scripted.len(), kept, "the crash of a member that is gone went with it");
    assert!(!s.sinks.iter().any(|k| k.name == copy.handler.sink), "its own sink went too");
}

#[test]
fn an_edit_that_cannot_apply_says_why_and_changes_nothing() {
    let mut s = preset("05");
    for (edit, says) in [
        (Edit::FaultPercent(FaultRate::ConsumerCrash, 150.0), "'150' is not a percentage"),
        (Edit::FaultPercent(FaultRate::LostAck, f64::NAN), "is not a percentage"),
        (Edit::GroupStrategy(9, brokerscope::scenario::model::Strategy::None), "There is no group 10."),
    ] {
        let before = s.clone();
        let error = apply_edit(&mut s, &edit).expect_err("refused");
        assert!(error.contains(says), "{edit:?}: {error}");
        assert_eq!(s, before, "{edit:?} changed the scenario");
    }
    let mut one = preset("05");
    while one.groups[0].consumers.len() > 1 {
        apply_edit(&mut one, &Edit::GroupMembers(0, false)).expect("a member removed");
    }
    let error = apply_edit(&mut one, &Edit::GroupMembers(0, false)).expect_err("the last member stays");
    assert_eq!(error, "A group needs at least one member.");
}

#[test]
fn a_stage_is_not_copied_because_the_copy_would_write_every_record_twice() {
    let mut s = preset("12");
    let stage = s.groups.iter().position(|g| g.produce_to.is_some()).expect("preset 12 has a stage");
    let error = apply_edit(&mut s, &Edit::CopyGroup(stage)).expect_err("refused");
    assert!(error.contains("is a stage"), "{error}");
}

#[test]
fn a_queue_acked_on_receipt_loses_what_a_crash_interrupts_and_never_duplicates_it() {
    // Preset 02's queue with crashes: acked after processing it duplicates some emails; acked on receipt
    // (the checkbox in the queue's settings) it loses some instead, and never sends one twice.
    use brokerscope::scenario::model::{CrashPoint, QueueAck};
    let mut s = preset("02");
    s.faults.consumer_crash = 0.3;
    s.faults.crash_points = vec![CrashPoint::BeforeEffect, CrashPoint::AfterEffect];
    let run = |s: &Scenario| {
        let mut e = brokerscope::engine::Engine::new(s.clone()).expect("valid");
        e.run_to_end();
        e.report()
    };
    let after = run(&s);
    apply_edit(&mut s, &Edit::QueueAck(0, QueueAck::BeforeProcessing)).expect("a queue's ack mode can change");
    validate(&s).expect("still valid");
    let before = run(&s);
    assert!(after.duplicate_effects > 0 && after.lost_messages == 0, "{after:?}");
    assert!(before.duplicate_effects == 0 && before.lost_messages > 0, "{before:?}");
    assert!(apply_edit(&mut s, &Edit::QueueAck(7, QueueAck::BeforeProcessing)).is_err(), "no queue 7");
}

#[test]
fn every_fault_probability_is_editable_in_percent_and_lands_in_its_own_field() {
    let mut s = preset("05");
    for (k, rate) in FaultRate::ALL.into_iter().enumerate() {
        let percent = 1.0 + k as f64;
        apply_edit(&mut s, &Edit::FaultPercent(rate, percent)).expect("a percentage applies");
        assert_eq!(rate.of(&s.faults), percent / 100.0, "{rate:?}");
    }
    // Nine different fields: each edit left the others as they were.
    let values: Vec<f64> = FaultRate::ALL.iter().map(|r| r.of(&s.faults)).collect();
    assert_eq!(values, (1..=9).map(|k| k as f64 / 100.0).collect::<Vec<_>>());
    assert_eq!((s.faults.consumer_crash, s.faults.relay_crash, s.faults.duplicate_delivery), (0.01, 0.09, 0.05));
    validate(&s).expect("still valid");
}

#[test]
fn a_scripted_fault_is_moved_in_time_order_or_removed_and_an_unknown_one_is_refused() {
    let mut s = preset("05");
    let fault = |at_ms, producer: &str| ScriptedFault {
        at_ms,
        action: FaultAction::LoseNextSend { producer: producer.into() },
    };
    let producer = s.producers[0].name.clone();
    s.faults.scripted = vec![fault(1_000, &producer), fault(2_000, &producer), fault(3_000, &producer)];
    apply_edit(&mut s, &Edit::MoveScriptedFault(0, 2_500)).expect("moved");
    let times: Vec<u64> = s.faults.scripted.iter().map(|f| f.at_ms).collect();
    assert_eq!(times, [2_000, 2_500, 3_000], "the timeline stays in time order");
    apply_edit(&mut s, &Edit::RemoveScriptedFault(1)).expect("removed");
    let times: Vec<u64> = s.faults.scripted.iter().map(|f| f.at_ms).collect();
    assert_eq!(times, [2_000, 3_000]);
    let before = s.clone();
    for edit in [Edit::RemoveScriptedFault(2), Edit::MoveScriptedFault(5, 10)] {
        let error = apply_edit(&mut s, &edit).expect_err("no such fault");
        assert!(error.contains("There is no scripted fault"), "{error}");
        assert_eq!(s, before);
    }
    validate(&s).expect("still valid");
}

#[test]
fn each_fault_rate_names_its_field_as_the_scenario_file_does() {
    let mut s = preset("05");
    for (k, rate) in FaultRate::ALL.into_iter().enumerate() {
        *rate.field(&mut s.faults) = k as f64 / 100.0;
    }
    let file: serde_json::Value = serde_json::to_value(&s.faults).expect("faults serialise");
    for (k, rate) in FaultRate::ALL.into_iter().enumerate() {
        assert_eq!(file[rate.field_name()], serde_json::json!(k as f64 / 100.0), "{rate:?}");
    }
}
