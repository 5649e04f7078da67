//! Random but valid scenarios for the seed sweeps (`tests/invariants.rs`, `tests/sweep_record.rs`).
use brokerscope::engine::kernel::rng::SimRng;
use brokerscope::scenario::model::*;

fn pick<T: Copy>(rng: &mut SimRng, items: &[T]) -> T {
    items[rng.range_inclusive(0, items.len() as u64 - 1) as usize]
}

fn prob(rng: &mut SimRng, max: f64) -> f64 {
    if rng.chance(0.5) {
        0.0
    } else {
        (rng.unit() * max * 1000.0).round() / 1000.0
    }
}

/// A random but valid scenario: one or two producers, topics and/or queues, groups and workers with
/// random policies and strategies, random fault probabilities and a few scripted faults.
pub fn random_scenario(seed: u64) -> Scenario {
    let mut rng = SimRng::new(seed ^ 0xA5A5_5A5A);
    let strategies = [
        Strategy::None,
        Strategy::CheckThenAct,
        Strategy::ClaimFirst,
        Strategy::TransactionalInbox,
        Strategy::IdempotencyKey,
    ];
    let sinks = [SinkKind::Email, SinkKind::Payment, SinkKind::DbUpsert, SinkKind::DbCounter];
    let commits =
        [CommitPolicy::AfterProcessing, CommitPolicy::BeforeProcessing, CommitPolicy::Auto { interval_ms: 700 }];
    let mut s = Scenario {
        name: format!("random {seed}"),
        seed,
        until_ms: 3_000 + rng.range_inclusive(0, 5_000),
        network_latency_ms: rng.range_inclusive(0, 20),
        ..Scenario::default()
    };
    s.sinks = (0..4)
        .map(|i| Sink { name: format!("s{i}"), kind: sinks[i], accepts_idempotency_key: rng.chance(0.5) })
        .collect();
    let use_topic = rng.chance(0.7);
    let use_queue = !use_topic || rng.chance(0.4);
    let mut consumer = 0;
    let handler = |rng: &mut SimRng| Handler {
        sink: format!("s{}", rng.range_inclusive(0, 3)),
        processing: pick(
            rng,
            &[
                Processing::Fixed { ms: 20 },
                Processing::Uniform { min_ms: 5, max_ms: 200 },
                Processing::Exponential { mean_ms: 60.0 },
            ],
        ),
        strategy: pick(rng, &strategies),
        store_ttl_ms: if rng.chance(0.3) { Some(rng.range_inclusive(50, 2_000)) } else { None },
        store_ms: Handler::DEFAULT_STORE_MS,
    };
    let mut names = |rng: &mut SimRng| {
        let n = rng.range_inclusive(1, 3);
        (0..n)
            .map(|_| {
                consumer += 1;
                format!("c{consumer}")
            })
            .collect::<Vec<_>>()
    };
    if use_topic {
        s.topics.push(Topic {
            name: "t".into(),
            partitions: rng.range_inclusive(1, 4) as u32,
            retention_records: if rng.chance(0.2) { Some(rng.range_inclusive(3, 30)) } else { None },
            retention_ms: if rng.chance(0.15) { Some(rng.range_inclusive(200, 3_000)) } else { None },
        });
        for g in 0..rng.range_inclusive(1, 3) {
            s.groups.push(Group {
                name: format!("g{g}"),
                topic: "t".into(),
                consumers: names(&mut rng),
                commit: pick(&mut rng, &commits),
                batch_size: rng.range_inclusive(1, 6) as u32,
                session_timeout_ms: rng.range_inclusive(200, 2_000),
                max_poll_interval_ms: pick(&mut rng, &[2_000, 300_000]),
                offset_reset: pick(&mut rng, &[OffsetReset::Earliest, OffsetReset::Latest]),
                join_at_ms: if rng.chance(0.3) { rng.range_inclusive(0, s.until_ms) } else { 0 },
                poison_skip_after: if rng.chance(0.7) { Some(rng.range_inclusive(1, 4) as u32) } else { None },
                handler: handler(&mut rng),
                ..Group::default()
            });
        }
        // Sometimes g0 is a consume→transform→produce stage into t2, read by one more group.
        if rng.chance(0.4) {
            s.topics.push(Topic {
                name: "t2".into(),
                partitions: rng.range_inclusive(1, 3) as u32,
                retention_records: if rng.chance(0.3) { Some(rng.range_inclusive(3, 30)) } else { None },
                ..Topic::default()
            });
            let stage = &mut s.groups[0];
            stage.produce_to = Some("t2".into());
            stage.transactional = rng.chance(0.5);
            if stage.transactional {
                stage.commit = CommitPolicy::AfterProcessing;
            }
            if rng.chance(0.5) {
                stage.handler.sink = String::new();
                stage.handler.strategy =
                    pick(&mut rng, &[Strategy::None, Strategy::CheckThenAct, Strategy::ClaimFirst]);
            }
            let mut reader = s.groups[s.groups.len() - 1].clone();
            reader.name = "g-down".into();
            reader.topic = "t2".into();
            reader.produce_to = None;
            reader.transactional = false;
            reader.consumers = names(&mut rng);
            reader.isolation = pick(&mut rng, &[Isolation::ReadCommitted, Isolation::ReadUncommitted]);
            reader.handler = handler(&mut rng);
            s.groups.push(reader);
        }
    }
    if use_queue {
        s.queues.push(Queue {
            name: "q".into(),
            kind: pick(&mut rng, &[QueueKind::Standard, QueueKind::Fifo]),
            visibility_timeout_ms: rng.range_inclusive(100, 2_000),
            max_receives: rng.range_inclusive(1, 5) as u32,
            delivery_limit: DEFAULT_DELIVERY_LIMIT,
            dedup_window_ms: pick(&mut rng, &[300_000, 150]),
            consumers: names(&mut rng),
            concurrency: rng.range_inclusive(1, 3) as u32,
            subscribe_at_ms: 0,
            ack: QueueAck::AfterProcessing,
            handler: handler(&mut rng),
        });
    }
    // Sometimes events fan out through an exchange into q and a second queue that may subscribe late.
    let use_exchange = use_queue && rng.chance(0.5);
    if use_exchange {
        let mut second = s.queues[0].clone();
        second.name = "q2".into();
        second.consumers = second.consumers.iter().map(|c| format!("{c}-2")).collect();
        second.subscribe_at_ms = pick(&mut rng, &[0, 500, 2_000]);
        s.queues.push(second);
        s.exchanges.push(Exchange { name: "x".into(), queues: vec!["q".into(), "q2".into()] });
    }
    let targets: Vec<&str> = [use_topic.then_some("t"), use_queue.then_some("q"), use_exchange.then_some("x")]
        .into_iter()
        .flatten()
        .collect();
    for p in 0..rng.range_inclusive(1, 2) {
        s.producers.push(Producer {
            name: format!("p{p}"),
            target: pick(&mut rng, &targets).to_string(),
            keys: rng.range_inclusive(1, 50) as u32,
            key_choice: pick(&mut rng, &[KeyChoice::Random, KeyChoice::Sequential]),
            rate: pick(&mut rng, &[Rate::Fixed { interval_ms: 40 }, Rate::Poisson { mean_interval_ms: 80.0 }]),
            count: rng.range_inclusive(1, 60) as u32,
            payload: pick(&mut rng, &[Payload::Notification, Payload::StateCarried { bytes: 300 }]),
            idempotent: rng.chance(0.5),
            publish_mode: pick(
                &mut rng,
                &[PublishMode::DualWrite, PublishMode::DualWritePublishFirst, PublishMode::Outbox],
            ),
            request_timeout_ms: rng.range_inclusive(50, 400),
            retries: rng.range_inclusive(0, 4) as u32,
            acks: pick(&mut rng, &[Acks::All, Acks::All, Acks::Zero]),
            ..Producer::default()
        });
        // The idempotent producer needs acks (as in Kafka): the draw above stays, for the seeds' sake.
        if let Some(p) = s.producers.last_mut().filter(|p| p.idempotent) {
            p.acks = Acks::All;
        }
    }
    s.faults = Faults {
        lost_ack: prob(&mut rng, 0.2),
        lost_send: prob(&mut rng, 0.1),
        consumer_crash: prob(&mut rng, 0.15),
        crash_points: vec![CrashPoint::BeforeEffect, CrashPoint::AfterEffect, CrashPoint::AfterRecord],
        restart_after_ms: rng.range_inclusive(50, 1_500),
        duplicate_delivery: prob(&mut rng, 0.2),
        poison: prob(&mut rng, 0.1),
        slow: prob(&mut rng, 0.2),
        slow_factor: rng.range_inclusive(2, 30) as u32,
        read_api_failure: prob(&mut rng, 0.2),
        producer_crash: prob(&mut rng, 0.1),
        relay_crash: prob(&mut rng, 0.1),
        scripted: vec![],
    };
    let consumers = consumer_names(&s);
    for _ in 0..rng.range_inclusive(0, 3) {
        let at_ms = rng.range_inclusive(0, s.until_ms);
        let action = match rng.range_inclusive(0, 7) {
            0 => FaultAction::CrashConsumer {
                consumer: pick(&mut rng, &consumers.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string(),
                at_step: pick(&mut rng, &[None, Some(CrashPoint::AfterEffect), Some(CrashPoint::AfterRecord)]),
            },
            1 => FaultAction::DropAcks { producer: "p0".into(), duration_ms: rng.range_inclusive(1, 1_000) },
            2 => FaultAction::ReadApiDown { duration_ms: rng.range_inclusive(1, 1_000) },
            3 if !s.groups.is_empty() => {
                let to = match rng.range_inclusive(0, 3) {
                    0 => ResetTarget::Earliest,
                    1 => ResetTarget::Latest,
                    2 => ResetTarget::Offset { offset: rng.range_inclusive(0, 20) },
                    _ => ResetTarget::Time { ms: rng.range_inclusive(0, s.until_ms) },
                };
                FaultAction::ResetGroup { group: "g0".into(), to }
            }
            4 if use_queue => FaultAction::DuplicateNextDelivery { queue: "q".into() },
            5 => FaultAction::StopConsumer {
                consumer: consumers[rng.range_inclusive(0, consumers.len() as u64 - 1) as usize].clone(),
            },
            6 => FaultAction::StartConsumer {
                consumer: consumers[rng.range_inclusive(0, consumers.len() as u64 - 1) as usize].clone(),
            },
            _ => FaultAction::SlowConsumer { consumer: consumers[0].clone(), factor: 5, duration_ms: 500 },
        };
        s.faults.scripted.push(ScriptedFault { at_ms, action });
    }
    // Drawn last, so the draws before it (and the scenarios of seeds that have no queue) stay as they were.
    if let Some(q) = s.queues.first_mut() {
        if rng.chance(0.25) {
            q.ack = QueueAck::BeforeProcessing;
        }
    }
    s
}

/// `random_scenario(seed)` and what came after the recorded sweep was written (separate steps, so that
/// record stays as it was): for a quarter of the seeds its queues are RabbitMQ quorum queues, and for a
/// third a few messages are hit in flight as a token's buttons would: a send or a delivery dropped,
/// delayed or (a send) delivered twice.
pub fn random_scenario_varied(seed: u64) -> Scenario {
    let mut s = random_scenario(seed);
    if seed % 4 == 1 {
        for q in &mut s.queues {
            (q.kind, q.delivery_limit) = (QueueKind::Quorum, (seed / 4 % 6) as u32);
        }
    }
    if seed % 3 != 0 {
        return s;
    }
    let mut rng = SimRng::new(seed ^ 0x0005_EED0_F4E7);
    let consumers = consumer_names(&s);
    for _ in 0..rng.range_inclusive(1, 4) {
        // Early, so a fault is usually armed before its message sends or is delivered.
        let at_ms = rng.range_inclusive(0, s.until_ms / 4);
        let message = rng.range_inclusive(1, 40) as u32;
        let duration_ms = rng.range_inclusive(1, 3_000);
        let consumer = consumers[rng.range_inclusive(0, consumers.len() as u64 - 1) as usize].clone();
        let action = match rng.range_inclusive(0, 4) {
            0 => FaultAction::DropSend { message },
            1 => FaultAction::DelaySend { message, duration_ms },
            2 => FaultAction::DuplicateSend { message },
            3 => FaultAction::DropDelivery { message, consumer },
            _ => FaultAction::DelayDelivery { message, consumer, duration_ms },
        };
        s.faults.scripted.push(ScriptedFault { at_ms, action });
    }
    s
}

/// Every consumer of the scenario: the groups' members, then the queues' workers.
fn consumer_names(s: &Scenario) -> Vec<String> {
    s.groups.iter().flat_map(|g| g.consumers.clone()).chain(s.queues.iter().flat_map(|q| q.consumers.clone())).collect()
}
