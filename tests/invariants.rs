//! A seed sweep over random scenarios, checking the engine's invariants on each run:
//! - every obligation (message × subscriber) ends effected, dead-lettered, lost with a reason, or — only
//!   if the run was cut short — in flight; after draining nothing is in flight;
//! - no anomaly without an explanation, and no loss without a recorded reason;
//! - the same scenario and seed give the same trace hash and report (determinism);
//! - the trace links each event of a message's chain to the earlier event it follows from;
//! - and, across the sweep, the fault injector really produces duplicates, losses and dead letters.
//!
//! A failure prints `reproduce: SIM_SEED=<seed> cargo test --test invariants`; the `print_scenario` test
//! (ignored by default) prints that seed's scenario as JSON.
#![cfg(not(target_arch = "wasm32"))]
mod common;
use brokerscope::engine::observe::What;
use brokerscope::engine::{Engine, Report};
use brokerscope::scenario::model::*;
use common::random::random_scenario_varied as random_scenario;

fn run(s: &Scenario) -> (Engine, Report) {
    run_keeping(s, None)
}

/// A run that keeps only the latest `history` messages' rows beyond those still in use (`None`: the
/// default), and only the last few trace events (the trace kept also holds rows back).
fn run_keeping(s: &Scenario, history: Option<u32>) -> (Engine, Report) {
    let mut e = Engine::new(s.clone()).unwrap_or_else(|err| {
        panic!("generator made an invalid scenario: {err}\n{}", serde_json::to_string_pretty(s).unwrap())
    });
    e.set_trace_capacity(0);
    if let Some(history) = history {
        e.set_trace_capacity(3);
        e.set_history_messages(history);
    }
    e.run_to_end();
    let r = e.report();
    (e, r)
}

fn check(seed: u64) -> Result<Sweep, String> {
    let s = random_scenario(seed);
    let (engine, r) = run(&s);
    let fail = |what: &str| Err(format!("{what}\nreport: {}", serde_json::to_string(&r).unwrap()));
    if !r.drained {
        return fail("the run did not drain within the healing phase");
    }
    if r.in_flight_at_end != 0 {
        return fail("something was still in flight after draining");
    }
    if r.effected + r.dead_lettered + r.lost_messages != r.obligations {
        return fail("conservation: effected + dead-lettered + lost != obligations");
    }
    if r.effected > r.obligations || r.duplicate_effects + r.harmless_repeats + r.effected != r.effects_applied {
        return fail("effects: first applications + repeats != effects applied");
    }
    if engine.anomaly_count() as usize != r.anomalies.len() && r.anomalies.len() < 2_000 {
        return fail("anomalies counted but not kept");
    }
    if r.anomalies.len() as u64 == r.anomalies_total {
        // Every anomaly kept: each counted kind has as many anomalies as its counter says.
        use brokerscope::engine::observe::AnomalyKind as K;
        let of = |k: K| r.anomalies.iter().filter(|a| a.kind == k).count() as u64;
        let pairs = [
            ("dead_lettered", of(K::DeadLettered), r.dead_lettered),
            ("dead_lettered_after_effect", of(K::DeadLetteredAfterEffect), r.dead_lettered_after_effect),
            ("lost_messages", of(K::LostMessage) + of(K::LostToRetention), r.lost_messages),
        ];
        for (name, anomalies, counter) in pairs {
            if anomalies != counter {
                return fail(&format!("{name}: {anomalies} anomalies, counter {counter}"));
            }
        }
    }
    for a in &r.anomalies {
        if a.at_ms > r.end_time_ms {
            return fail(&format!("an anomaly dated after the run's end: {a:?}"));
        }
        if a.explanation.trim().len() < 40 {
            return fail(&format!("an anomaly without a real explanation: {a:?}"));
        }
        // Advice never recommends, unchanged, the strategy that just failed.
        if let Some(current) = a.explanation.split("Strategy '").nth(1).and_then(|t| t.split('\'').next()) {
            if a.explanation.contains(&format!("; '{current}' would:")) {
                return fail(&format!("advice recommends the strategy in use: {}", a.explanation));
            }
        }
        if a.explanation.contains("recorded no reason") {
            return fail(&format!("a loss without a recorded reason: {}", a.explanation));
        }
    }
    // The determinism run keeps the whole trace, to check its causal links.
    let mut traced = Engine::new(s.clone()).expect("valid, as above");
    traced.set_trace_capacity(usize::MAX);
    traced.run_to_end();
    let again = traced.report();
    if let Err(e) = causes_are_linked(&traced) {
        return fail(&format!("causal links: {e}"));
    }
    if let Some(unfounded) = r.anomalies.iter().find_map(|a| unfounded_cause(&s, &traced, &a.explanation)) {
        return fail(&unfounded);
    }
    if again.trace_hash != r.trace_hash || serde_json::to_string(&again).unwrap() != serde_json::to_string(&r).unwrap()
    {
        return fail("determinism: the same scenario and seed gave a different run");
    }
    // Folding old rows after every message must change nothing: not a count, not an explanation.
    let (folded, again) = run_keeping(&s, Some(0));
    if serde_json::to_string(&again).unwrap() != serde_json::to_string(&r).unwrap() {
        return fail(&format!(
            "folding: a run folding old rows reported differently:\n{}",
            serde_json::to_string(&again).unwrap()
        ));
    }
    let (kept, ever) = folded.table_rows();
    let clean_stops = traced.trace().events.iter().filter(|ev| matches!(ev.what, What::Stopped { .. })).count();
    let struck_in_flight = traced
        .trace()
        .events
        .iter()
        .filter(|ev| {
            matches!(ev.what, What::DeliveryLost { .. } | What::DeliveryDelayed { .. } | What::SendDelayed { .. })
        })
        .count();
    Ok(Sweep { report: r, folded_rows: ever - kept, clean_stops, struck_in_flight })
}

/// An explanation names only causes the run had: a crash it tells of happened, a visibility timeout
/// expired, a rebalance completed, a reset was scripted, a FIFO queue or auto-commit was there, and a
/// retry said to come past a FIFO window did. (Advice, which says
/// what a strategy would do "if a consumer crashes", is not a cause.) `None` when every cause is founded.
fn unfounded_cause(s: &Scenario, traced: &Engine, explanation: &str) -> Option<String> {
    let happened = |is: fn(&What) -> bool| traced.trace().events.iter().any(|ev| is(&ev.what));
    let scripted = |is: fn(&FaultAction) -> bool| s.faults.scripted.iter().any(|f| is(&f.action));
    // The producing service's and the relay's crashes leave no consumer crash: they are told apart first.
    let producer_crash = "the producing service wrote its database and crashed";
    let dual_write_first = "then crashed before its database write";
    let relay_crash = "relay crashed after publishing";
    let relay_had_crashed = "relay had crashed after publishing";
    let consumer_text = [producer_crash, dual_write_first, relay_crash, relay_had_crashed]
        .iter()
        .fold(explanation.to_string(), |t, p| t.replace(p, ""));
    // A FIFO retry said to come past the window came later than the window, by the numbers it gives.
    if let Some(rest) = explanation.split("but the retry came ").nth(1) {
        let secs = |t: &str| t.split(' ').next().and_then(|n| n.parse::<f64>().ok()).unwrap_or(f64::NAN);
        let (gap, window) = (secs(rest), secs(rest.split("de-duplication window of ").nth(1).unwrap_or("")));
        if gap.partial_cmp(&window) != Some(std::cmp::Ordering::Greater) {
            return Some(format!(
                "a FIFO retry 'past its window' came within it ({gap} s, window {window} s): {explanation}"
            ));
        }
    }
    let causes: [(&str, &str, bool); 9] = [
        (
            explanation,
            producer_crash,
            s.faults.producer_crash > 0.0 || scripted(|a| matches!(a, FaultAction::CrashProducerBeforePublish { .. })),
        ),
        (
            explanation,
            dual_write_first,
            s.producers.iter().any(|p| p.publish_mode == PublishMode::DualWritePublishFirst),
        ),
        (
            explanation,
            "relay",
            s.faults.relay_crash > 0.0 || scripted(|a| matches!(a, FaultAction::CrashRelayAfterPublish { .. })),
        ),
        (&consumer_text, " crashed", happened(|w| matches!(w, What::Crashed { .. }))),
        (explanation, "visibility timeout", happened(|w| matches!(w, What::VisibilityExpired { .. }))),
        (explanation, "after the rebalance", happened(|w| matches!(w, What::RebalanceDone { .. }))),
        (explanation, "the group was reset", scripted(|a| matches!(a, FaultAction::ResetGroup { .. }))),
        (explanation, "is a FIFO queue", s.queues.iter().any(|q| q.kind == QueueKind::Fifo)),
        (explanation, "enable.auto.commit", s.groups.iter().any(|g| matches!(g.commit, CommitPolicy::Auto { .. }))),
    ];
    let (_, named, _) = causes.iter().find(|(text, phrase, founded)| !founded && text.contains(phrase))?;
    Some(format!("an explanation names a cause the run did not have ({named:?}): {explanation}"))
}

/// Every event of a message's chain names the earlier event it follows from, about the same message:
/// a send its `Produced` or `ProducerRetry`, an append its send, a lost ack or a retry the publish it
/// answers, a record's delivery its append, every handler step its delivery. Roots (a message produced,
/// a fault, a crash, retention, a timer) have none.
fn causes_are_linked(e: &Engine) -> Result<(), String> {
    let events = &e.trace().events;
    let first_seq = events.front().map_or(0, |ev| ev.seq);
    if events.len() as u64 != e.trace().total {
        return Err(format!("the trace kept {} of {} events", events.len(), e.trace().total));
    }
    for ev in events {
        let needs_cause = matches!(
            ev.what,
            What::NeverPublished { .. }
                | What::NeverWritten { .. }
                | What::SendLost { .. }
                | What::OutOfSequence { .. }
                | What::DuplicateDelivery { .. }
                | What::SendGaveUp { .. }
                | What::Appended { .. }
                | What::Enqueued { .. }
                | What::StageProduced { .. }
                | What::TxnCommitted { .. }
                | What::TxnAborted { .. }
                | What::Routed { .. }
                | What::AppendDeduplicated { .. }
                | What::AckLost { .. }
                | What::ProducerRetry { .. }
                | What::RelayRepublish { .. }
                | What::ReadBack { .. }
                | What::ReadApiFailed { .. }
                | What::Checked { .. }
                | What::Claimed { .. }
                | What::Effect { .. }
                | What::EffectDeduplicated { .. }
                | What::Recorded { .. }
                | What::Acked { .. }
                | What::AckRejected { .. }
                | What::HandlerFailed { .. }
                | What::SkippedPoison { .. }
                | What::Delivered { .. }
                | What::DeadLettered { .. }
                | What::VisibilityExpired { .. }
                | What::SessionExpired { .. }
                | What::Restarted { .. }
                | What::Stopped { .. }
                | What::Started { .. }
                | What::RebalanceDone { .. }
                | What::GroupReset { .. }
        );
        let Some(cause) = ev.cause else {
            if needs_cause {
                return Err(format!("event {} ({:?}) names no cause", ev.seq, ev.what));
            }
            continue;
        };
        if cause >= ev.seq {
            return Err(format!("event {} ({:?}) names a later cause, {cause}", ev.seq, ev.what));
        }
        let Some(earlier) = events.get((cause - first_seq) as usize) else {
            return Err(format!("event {}'s cause {cause} is not in the trace", ev.seq));
        };
        if let (Some(a), Some(b)) = (ev.message, earlier.message) {
            if a != b {
                return Err(format!(
                    "event {} ({:?}, message {a}) is caused by {:?} about message {b}",
                    ev.seq, ev.what, earlier.what
                ));
            }
        }
    }
    Ok(())
}

struct Sweep {
    report: Report,
    /// Rows the folding run dropped.
    folded_rows: u64,
    /// Consumers that stopped cleanly (scripted stops).
    clean_stops: usize,
    /// Sends and deliveries hit in flight (a token's Drop or Delay).
    struck_in_flight: usize,
}

#[test]
fn invariants_hold_over_a_seed_sweep() {
    let seeds: Vec<u64> = match std::env::var("SIM_SEED") {
        Ok(v) => vec![v.parse().expect("SIM_SEED is a number")],
        Err(_) => {
            let n: u64 = std::env::var("SIM_SWEEP").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
            (1..=n).collect()
        }
    };
    let mut reports = vec![];
    let mut folded_runs = 0;
    let mut clean_stops = 0;
    let mut struck_in_flight = 0;
    for &seed in &seeds {
        match check(seed) {
            Ok(sweep) => {
                folded_runs += (sweep.folded_rows > 0) as usize;
                clean_stops += sweep.clean_stops;
                struck_in_flight += sweep.struck_in_flight;
                reports.push(sweep.report);
            }
            Err(e) => panic!("seed {seed}: {e}\nreproduce: SIM_SEED={seed} cargo test --test invariants (print_scenario -- --ignored --nocapture shows it)"),
        }
    }
    if seeds.len() > 50 {
        // The injector must really inject: some run of the sweep shows each kind of trouble.
        assert!(reports.iter().any(|r| r.duplicate_effects > 0), "no seed duplicated an effect");
        assert!(reports.iter().any(|r| r.lost_messages > 0), "no seed lost a message");
        assert!(reports.iter().any(|r| r.dead_lettered > 0), "no seed dead-lettered a message");
        assert!(reports.iter().any(|r| r.duplicate_appends > 0), "no seed duplicated an append");
        assert!(reports.iter().any(|r| r.invented_events > 0), "no seed invented an event");
        assert!(clean_stops > 0, "no seed stopped a consumer cleanly");
        println!("{struck_in_flight} sends and deliveries hit in flight");
        assert!(struck_in_flight > 0, "no send or delivery was hit in flight");
        assert!(
            reports.iter().any(|r| r.anomalies.iter().any(|a| a.explanation.contains("acks=0 (fire and forget)"))),
            "no seed lost a fire-and-forget send"
        );
        assert!(reports.iter().any(|r| r.stale_reads > 0), "no seed read back newer state");
        assert!(reports.iter().any(|r| r.out_of_order > 0), "no seed applied effects out of order");
        // The folding comparison means something only if runs really fold (queues, limited retention).
        println!("{folded_runs} of {} runs folded", seeds.len());
        assert!(folded_runs * 4 > seeds.len(), "only {folded_runs} of {} runs folded any row", seeds.len());
        println!(
            "sweep of {} seeds: {} events in all",
            seeds.len(),
            reports.iter().map(|r| r.events_processed).sum::<u64>()
        );
    }
}

/// Prints the random scenario of `SIM_SEED` as JSON, to replay it in the CLI or the app:
/// `SIM_SEED=164 cargo test --test invariants print_scenario -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_scenario() {
    let seed: u64 = std::env::var("SIM_SEED").unwrap().parse().unwrap();
    println!("{}", serde_json::to_string_pretty(&random_scenario(seed)).unwrap());
}
