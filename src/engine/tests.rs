//! Unit tests of the engine that read its private state: causal chains, the run loop's ways of running,
//! timers, packed rows and folding.
use super::*;

#[test]
fn a_duplicate_effect_traces_back_through_the_retry_to_the_lost_ack() {
    // The producer-retries preset: an ack is lost, the producer resends, the topic holds the order
    // twice and the email goes out twice. Following `cause` from the second email must walk that story.
    let json = crate::scenario::presets::PRESETS.iter().find(|(n, _)| *n == "08-producer-retries").expect("preset").1;
    let mut e = Engine::new(crate::scenario::validate::parse_scenario(json).expect("valid")).expect("valid");
    e.set_trace_capacity(usize::MAX);
    e.run_to_end();
    let events = &e.trace.events;
    let second_email = events
        .iter()
        .find(|ev| matches!(ev.what, What::Effect { duplicate: true, .. }))
        .expect("the preset sends an email twice");
    let mut chain = vec![];
    let mut at = Some(second_email.seq);
    while let Some(seq) = at {
        let ev = &events[seq as usize];
        assert_eq!(ev.message, second_email.message, "{:?} is about another message", ev.what);
        chain.push(std::mem::discriminant(&ev.what));
        at = ev.cause;
    }
    let kinds: Vec<_> = [
        What::Effect { consumer: ConsumerId(0), sink: SinkId(0), duplicate: true },
        What::Delivered { consumer: ConsumerId(0), delivery: DeliveryId(0) },
        What::Appended { topic: TopicId(0), partition: 0, offset: 0, retry: true },
        What::ProducerRetry { producer: ProducerId(0) },
        What::Appended { topic: TopicId(0), partition: 0, offset: 0, retry: false },
        What::Produced { producer: ProducerId(0), key: 0, version: 0 },
    ]
    .iter()
    .map(std::mem::discriminant)
    .collect();
    assert_eq!(chain, kinds, "effect ← delivery ← retried append ← retry ← first append ← produced");
    // The lost ack hangs off the first append, beside the retry.
    let first_append = events
        .iter()
        .find(|ev| ev.message == second_email.message && matches!(ev.what, What::Appended { retry: false, .. }));
    let lost = events.iter().find(|ev| ev.message == second_email.message && matches!(ev.what, What::AckLost { .. }));
    assert_eq!(lost.and_then(|ev| ev.cause), first_append.map(|ev| ev.seq));
}

#[test]
fn every_way_of_running_runs_the_same_events() {
    // `run_events` runs a batch per call; stepping, frame-sized bounds across batch edges, run_until
    // and run_to_end must still run the same events, stop exactly at their bounds and keep time.
    let scenario = crate::benchmarks::notification_flow(600);
    let whole = {
        let mut e = Engine::new(scenario.clone()).expect("valid");
        e.run_to_end();
        serde_json::to_value(e.report()).expect("a report serialises")
    };
    let same = |e: &Engine| serde_json::to_value(e.report()).expect("a report serialises") == whole;
    let mut stepped = Engine::new(scenario.clone()).expect("valid");
    let mut steps = 0;
    while stepped.step() {
        steps += 1;
    }
    assert_eq!(steps, stepped.events_processed);
    assert!(same(&stepped));

    let mut bounded = Engine::new(scenario.clone()).expect("valid");
    let frame = EVENTS_PER_CALL + EVENTS_PER_CALL / 2 + 7;
    loop {
        let before = bounded.events_processed;
        let ran = bounded.run_until_bounded(SimTime::MAX, frame);
        assert_eq!(bounded.events_processed - before, ran);
        assert!(ran <= frame, "ran {ran} events for a bound of {frame}");
        if ran < frame {
            break;
        }
    }
    assert!(same(&bounded));

    let mut timed = Engine::new(scenario).expect("valid");
    for until in (0..=20_000).step_by(700) {
        timed.run_until(until);
        assert_eq!(timed.now(), until, "time reads the bound it was run to");
        assert!(timed.last_event_at <= until);
    }
    timed.run_to_end();
    assert!(same(&timed));
}

#[test]
fn an_acked_delivery_leaves_no_visibility_timer_behind() {
    // The M/M/1 benchmark's queue: an hour-long visibility timeout, one worker, every delivery acked
    // long before its timer. No stale timer may wait in the lane for the whole hour.
    let mut engine = Engine::new(crate::benchmarks::mm1(5_000)).expect("valid");
    engine.set_trace_capacity(0);
    let mut most = 0;
    while engine.step() {
        most = most.max(engine.scheduler.len());
    }
    assert_eq!(engine.report().processed, 5_000);
    assert!(most <= 4, "at most {most} events were scheduled at once");
}

#[test]
fn packed_rows_give_back_what_went_in() {
    // Message::first_append and Delivery::source are put together from packed fields: check them
    // against the trace and the broker, for a topic (partition, offset) and a queue (entry, receipt).
    for scenario in [crate::benchmarks::notification_flow(2_000), crate::benchmarks::mm1(2_000)] {
        let mut engine = Engine::new(scenario).expect("valid");
        engine.set_trace_capacity(1_000_000);
        engine.run_to_end();
        let mut firsts = 0;
        for ev in &engine.trace.events {
            let first = match ev.what {
                What::Appended { partition, offset, retry: false, .. } => (partition, offset),
                What::Enqueued { entry, retry: false, .. } => (entry.0, entry.0 as u64),
                _ => continue,
            };
            let m = ev.message.expect("an append names its message");
            assert_eq!(engine.first_append(m), Some(first), "message {m}");
            firsts += 1;
        }
        assert_eq!(firsts, 2_000);
        for (id, d) in engine.deliveries.iter().skip(1) {
            match d.source() {
                DeliverySource::Record { topic, partition, offset } => {
                    let part = &engine.topics[topic].partitions[partition as usize];
                    assert_eq!(part.get(offset).map(|r| r.message), Some(d.message));
                }
                DeliverySource::Entry { queue, entry, receipt } => {
                    let e = &engine.queues[queue].store.entries[entry];
                    assert_eq!((e.message, receipt), (d.message, id));
                }
            }
        }
    }
}

#[test]
fn a_long_queue_run_keeps_rows_for_what_is_live_not_for_every_message() {
    let mut engine = Engine::new(crate::benchmarks::mm1(200_000)).expect("valid");
    engine.set_trace_capacity(0);
    engine.run_to_end();
    let (kept, ever) = engine.table_rows();
    // Four tables (messages, deliveries, obligations, entries), each under about twice the history.
    let bound = 4 * 3 * DEFAULT_HISTORY_MESSAGES as u64;
    assert!(ever > 800_000 && kept < bound, "kept {kept} of {ever} rows (bound {bound})");
    assert_eq!(engine.report().produced, 200_000);
    // The UI tells a folded message from one not produced yet.
    let m = MessageId;
    assert!(engine.is_folded(m(1)) && engine.messages.get(m(1)).is_none());
    assert!(!engine.is_folded(m(200_000)) && engine.messages.get(m(200_000)).is_some());
    assert!(!engine.is_folded(MessageId::NONE) && !engine.is_folded(m(200_001)));
}

#[test]
fn a_fifo_queue_forgets_the_ids_of_messages_no_send_can_name_any_more() {
    let mut scenario = crate::benchmarks::mm1(5_000);
    scenario.queues[0].kind = QueueKind::Fifo;
    scenario.queues[0].dedup_window_ms = 60_000;
    // Lost acks make the producer resend: the window must still catch every resend.
    scenario.faults.lost_ack = 0.2;
    scenario.producers[0].retries = 3;
    let run = |history: u32| {
        let mut engine = Engine::new(scenario.clone()).expect("valid");
        engine.set_trace_capacity(0);
        engine.set_history_messages(history);
        engine.run_to_end();
        engine
    };
    let (folding, keeping) = (run(100), run(u32::MAX));
    let seen = folding.subs[0].store.rows_kept();
    assert!(seen < 300, "{seen} ids remembered");
    let report = folding.report();
    assert!(report.appended == 5_000 && folding.counters.producer_retries > 500);
    assert_eq!(serde_json::to_string(&report).ok(), serde_json::to_string(&keeping.report()).ok());
}

#[test]
fn a_log_keeps_the_rows_of_every_message_it_still_retains() {
    // Unlimited retention: a replay may read any record again, so nothing may fold.
    let mut engine = Engine::new(crate::benchmarks::notification_flow(3_000)).expect("valid");
    engine.set_trace_capacity(0);
    engine.set_history_messages(10);
    engine.run_to_end();
    let (kept, ever) = engine.table_rows();
    assert_eq!(kept, ever);
    // Limited retention, read by groups that keep up: the log forgets, and so may the engine.
    let mut scenario = crate::benchmarks::notification_flow(5_000);
    scenario.producers[0].rate = Rate::Poisson { mean_interval_ms: 10.0 };
    scenario.topics[0].retention_records = Some(100);
    let mut engine = Engine::new(scenario).expect("valid");
    engine.set_trace_capacity(0);
    engine.set_history_messages(10);
    engine.run_to_end();
    let (kept, ever) = engine.table_rows();
    assert_eq!(engine.report().lost_messages, 0);
    assert!(kept * 4 < ever, "kept {kept} of {ever} rows");
}

#[test]
fn the_per_message_tables_never_outgrow_their_reservation() {
    // A doubling at the last message copies the table; in wasm that is fresh memory touched again.
    for scenario in [crate::benchmarks::mm1(3_000), crate::benchmarks::notification_flow(3_000)] {
        let mut engine = Engine::new(scenario).expect("valid");
        let reserved =
            |e: &Engine| (e.messages.capacity(), e.subs.iter().map(|s| s.obligations.capacity()).collect::<Vec<_>>());
        let before = reserved(&engine);
        engine.run_to_end();
        assert_eq!(engine.report().produced, 3_000);
        assert_eq!(reserved(&engine), before);
    }
}

#[test]
fn anomalies_are_kept_in_the_order_of_their_moments() {
    // The scrubber's marks merge them with the scripted faults instead of sorting (`ordering`): every
    // preset, a bigger seed's, and one whose losses are found when the run ends, in time order.
    let mut scenarios: Vec<crate::scenario::Scenario> = crate::scenario::presets::PRESETS
        .iter()
        .map(|(_, json)| crate::scenario::parse_scenario(json).expect("preset"))
        .collect();
    for s in scenarios.clone() {
        scenarios.push(crate::scenario::Scenario { seed: s.seed + 7, ..s });
    }
    let mut found_at_the_end = 0;
    for s in scenarios {
        let name = s.name.clone();
        let mut e = Engine::new(s).unwrap();
        e.run_until(u64::MAX);
        let moments: Vec<u64> = e.anomalies().iter().map(|a| a.at_ms).collect();
        assert!(moments.windows(2).all(|w| w[0] <= w[1]), "{name}: {moments:?}");
        found_at_the_end +=
            e.anomalies().iter().filter(|a| a.kind == crate::engine::observe::AnomalyKind::LostMessage).count();
    }
    assert!(found_at_the_end > 0, "some run's losses are found when it ends");
}
