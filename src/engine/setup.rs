//! Wiring a scenario into an engine: the entities by index, the seeded RNG forks, the first events.
use super::*;

/// At most this many rows are reserved up front per per-message table (see `reserve_for_run`).
pub(super) const RESERVE_ROWS_MAX: usize = 1 << 22;

pub(super) fn sink_index(s: &Scenario, name: &str) -> u16 {
    s.sinks.iter().position(|k| k.name == name).map_or(NO_SINK, |i| i as u16)
}

impl Engine {
    /// Validates once; after this every operation is total (no input can make it panic).
    pub fn new(scenario: Scenario) -> Result<Engine, ScenarioError> {
        validate(&scenario)?;
        let mut root = SimRng::new(scenario.seed);
        let mut subs = vec![];
        let mut consumers = vec![];
        let mut topics: Vec<TopicState> = scenario
            .topics
            .iter()
            .map(|t| TopicState {
                spec: t.clone(),
                partitions: vec![Partition::default(); t.partitions as usize],
                groups: vec![],
            })
            .collect();
        let mut queues = vec![];
        // Forks are drawn in a fixed order: producers first, so consumer settings never reshuffle the workload.
        let producer_rngs: Vec<(SimRng, SimRng)> = scenario
            .producers
            .iter()
            .enumerate()
            .map(|(i, _)| (root.fork(1 + 2 * i as u64), root.fork(2 + 2 * i as u64)))
            .collect();
        let mut groups = vec![];
        for (gi, g) in scenario.groups.iter().enumerate() {
            let topic = scenario.topics.iter().position(|t| t.name == g.topic).unwrap_or(0);
            let sub = subs.len() as u16;
            subs.push(Sub {
                name: g.name.clone(),
                source: SubSource::Group(gi as u16),
                handler: g.handler.clone(),
                sink: sink_index(&scenario, &g.handler.sink),
                store: Table::default(),
                obligations: Table::default(),
                loss_reasons: Table::default(),
                last_applied: vec![],
                output: g
                    .produce_to
                    .as_ref()
                    .and_then(|out| scenario.topics.iter().position(|t| &t.name == out))
                    .map(|t| t as u16),
                transactional: g.transactional,
            });
            let mut members = vec![];
            for name in &g.consumers {
                members.push(consumers.len() as u16);
                consumers.push(ConsumerState::new(
                    name,
                    Role::Member { group: gi as u16 },
                    sub,
                    1,
                    root.fork(1000 + consumers.len() as u64),
                ));
            }
            topics[topic].groups.push(gi as u16);
            let n = scenario.topics[topic].partitions as usize;
            groups.push(GroupState {
                rebalance_seq: None,
                spec: g.clone(),
                topic: topic as u16,
                sub,
                members,
                joined: false,
                generation: 0,
                rebalancing: false,
                assignment: vec![None; n],
                committed: vec![None; n],
                position: vec![0; n],
                head_failures: vec![0; n],
                blocked: vec![false; n],
                last_auto_commit: vec![0; n],
                last_reset_at: None,
            });
        }
        for (qi, q) in scenario.queues.iter().enumerate() {
            let sub = subs.len() as u16;
            subs.push(Sub {
                name: q.name.clone(),
                source: SubSource::Queue(qi as u16),
                handler: q.handler.clone(),
                sink: sink_index(&scenario, &q.handler.sink),
                store: Table::default(),
                obligations: Table::default(),
                loss_reasons: Table::default(),
                last_applied: vec![],
                output: None,
                transactional: false,
            });
            let mut workers = vec![];
            for name in &q.consumers {
                workers.push(consumers.len() as u16);
                consumers.push(ConsumerState::new(
                    name,
                    Role::Worker { queue: qi as u16 },
                    sub,
                    q.concurrency,
                    root.fork(1000 + consumers.len() as u64),
                ));
            }
            queues.push(QueueState {
                spec: q.clone(),
                store: QueueStore::default(),
                sub,
                workers,
                rng: root.fork(5000 + qi as u64),
            });
        }
        let queue_index = |name: &str| scenario.queues.iter().position(|q| q.name == name).unwrap_or(0) as u16;
        let exchanges: Vec<ExchangeState> = scenario
            .exchanges
            .iter()
            .map(|x| ExchangeState { spec: x.clone(), queues: x.queues.iter().map(|q| queue_index(q)).collect() })
            .collect();
        let producers = scenario
            .producers
            .iter()
            .zip(producer_rngs)
            .map(|(p, (work_rng, fault_rng))| {
                let target = if let Some(t) = scenario.topics.iter().position(|t| t.name == p.target) {
                    Target::Topic(t as u16)
                } else if let Some(x) = scenario.exchanges.iter().position(|x| x.name == p.target) {
                    Target::Exchange(x as u16)
                } else {
                    Target::Queue(queue_index(&p.target))
                };
                ProducerState {
                    spec: p.clone(),
                    produced: 0,
                    drop_acks_until: 0,
                    work_rng,
                    fault_rng,
                    db_version: vec![0; p.keys as usize + 1],
                    in_sequence: match target {
                        Target::Topic(t) if p.idempotent => {
                            (0..scenario.topics[t as usize].partitions).map(|_| VecDeque::new()).collect()
                        }
                        _ => vec![],
                    },
                    target,
                }
            })
            .collect();
        let sinks = scenario
            .sinks
            .iter()
            .map(|s| SinkState {
                spec: s.clone(),
                applied: 0,
                duplicates: 0,
                deduplicated_by_key: 0,
                ledger: VecDeque::new(),
            })
            .collect();
        let sample_every_ms = (scenario.until_ms / 120).max(10);
        let mut engine = Engine {
            now: 0,
            scheduler: Scheduler::default(),
            trace: Trace::new(DEFAULT_TRACE_CAPACITY),
            counters: Counters::default(),
            samples: vec![],
            sample_every_ms,
            next_sample_at: 0,
            latency: LatencyHistogram::default(),
            anomalies: vec![],
            anomaly_count: 0,
            messages: Table::with_first(placeholder_message()),
            deliveries: Table::with_first(placeholder_delivery()),
            subs,
            sinks,
            producers,
            topics,
            queues,
            exchanges,
            groups,
            consumers,
            read_api_down_until: 0,
            events_processed: 0,
            last_event_at: 0,
            history_messages: DEFAULT_HISTORY_MESSAGES,
            next_fold_at: DEFAULT_HISTORY_MESSAGES.saturating_mul(2),
            finished: false,
            drained: false,
            scenario,
        };
        for (i, p) in engine.scenario.producers.iter().enumerate() {
            engine.scheduler.schedule(p.start_ms, Ev::Produce { producer: i as u16 });
        }
        for (i, g) in engine.scenario.groups.iter().enumerate() {
            engine.scheduler.schedule(g.join_at_ms, Ev::GroupJoin { group: i as u16 });
        }
        for (i, f) in engine.scenario.faults.scripted.iter().enumerate() {
            engine.scheduler.schedule(f.at_ms, Ev::Scripted { index: i as u32 });
        }
        engine.reserve_for_run();
        for ci in 0..engine.consumers.len() {
            if let Role::Worker { .. } = engine.consumers[ci].role {
                for slot in 0..engine.consumers[ci].slots.len() {
                    engine.scheduler.schedule(0, Ev::Poll { consumer: ci as u16, epoch: 1, slot: slot as u16 });
                }
            }
        }
        Ok(engine)
    }

    /// Sizes the per-message tables for the messages the scenario will produce. Grown a push at a time
    /// they doubled, and in wasm (no `mremap`) every doubling copied them and touched fresh pages again:
    /// ~10 % of a long run. Best effort: a failed reservation just leaves growth to the pushes.
    pub(super) fn reserve_for_run(&mut self) {
        let produced: usize = self.scenario.producers.iter().map(|p| p.count as usize).sum();
        let mut rows = produced.min(RESERVE_ROWS_MAX);
        // A log of unlimited retention keeps every message it holds (`fold_history`); otherwise old rows
        // are folded and the tables stay near twice the history kept (beyond what is still in use).
        let logs_forget =
            self.scenario.topics.iter().all(|t| t.retention_records.is_some() || t.retention_ms.is_some());
        if logs_forget {
            let window = self.history_messages as usize * 2;
            rows = rows.min(window + window / 4);
        }
        let _ = self.messages.try_reserve_exact(rows);
        // Every subscriber may receive every message, some more than once (crashes, redelivery).
        let deliveries = rows.saturating_mul(self.subs.len()).saturating_add(rows / 8).min(RESERVE_ROWS_MAX);
        let _ = self.deliveries.try_reserve_exact(deliveries);
        for sub in &mut self.subs {
            // Indexed by message id, and ids start at 1: one row more, or the last message doubled the table.
            let _ = sub.obligations.try_reserve_exact(rows + 1);
        }
        for queue in &mut self.queues {
            let _ = queue.store.entries.try_reserve_exact(rows);
        }
        for topic in &mut self.topics {
            let per_partition = rows / topic.partitions.len().max(1);
            for partition in &mut topic.partitions {
                let _ = partition.records.try_reserve_exact(per_partition + per_partition / 8);
            }
        }
    }
}
