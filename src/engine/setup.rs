//! Wiring a scenario into an engine: the entities by index, the seeded RNG forks, the first events.
use super::*;

/// At most this many rows are reserved up front per per-message table (see `reserve_for_run`).
pub(super) const RESERVE_ROWS_MAX: usize = 1 << 22;
/// The deliveries table may reserve up to this many: the validator's largest scenarios (6 M messages ×
/// subscribers) fit without the table doubling mid-run, which holds the old and new rows at once and
/// copies them in one go.
const RESERVE_DELIVERY_ROWS_MAX: usize = 7 << 20;

pub(super) fn sink_index(s: &Scenario, name: &str) -> SinkId {
    s.sinks.iter().position(|k| k.name == name).map_or(SinkId::NONE, SinkId::at)
}

/// The subscribers and consumers as they are wired, group by group and queue by queue. Each consumer's
/// and queue's RNG stream is forked from the root as it is added, so the order of the `add_*` calls is
/// the order of the forks (and of every run's draws): never reorder them.
struct Wiring {
    subs: Vec<Sub>,
    consumers: Vec<ConsumerState>,
    topics: Vec<TopicState>,
    groups: Vec<GroupState>,
    queues: Vec<QueueState>,
}

impl Wiring {
    fn new(scenario: &Scenario) -> Wiring {
        let topics = scenario
            .topics
            .iter()
            .map(|t| TopicState {
                spec: t.clone(),
                partitions: vec![Partition::default(); t.partitions as usize],
                groups: vec![],
            })
            .collect();
        Wiring { subs: vec![], consumers: vec![], topics, groups: vec![], queues: vec![] }
    }

    fn add_sub(&mut self, scenario: &Scenario, name: &str, source: SubSource, handler: &Handler) -> SubId {
        let sub = SubId::at(self.subs.len());
        self.subs.push(Sub {
            name: name.to_string(),
            source,
            handler: handler.clone(),
            sink: sink_index(scenario, &handler.sink),
            store: Table::default(),
            keys_set: 0,
            obligations: Table::default(),
            loss_reasons: Table::default(),
            last_applied: vec![],
            output: None,
            transactional: false,
            waiting: LatencyHistogram::default(),
            service: LatencyHistogram::default(),
        });
        sub
    }

    /// Adds consumers `names` with `role`, each with a stream of its own; returns their indices.
    fn add_consumers(
        &mut self,
        names: &[String],
        role: Role,
        sub: SubId,
        slots: u32,
        root: &mut SimRng,
    ) -> Vec<ConsumerId> {
        let mut added = vec![];
        for name in names {
            added.push(ConsumerId::at(self.consumers.len()));
            let rng = root.fork(1000 + self.consumers.len() as u64);
            self.consumers.push(ConsumerState::new(name, role, sub, slots, rng));
        }
        added
    }

    fn add_group(&mut self, scenario: &Scenario, gi: usize, g: &Group, root: &mut SimRng) {
        let topic = scenario.topics.iter().position(|t| t.name == g.topic).unwrap_or(0);
        let sub = self.add_sub(scenario, &g.name, SubSource::Group(GroupId::at(gi)), &g.handler);
        let output = g.produce_to.as_ref().and_then(|out| scenario.topics.iter().position(|t| &t.name == out));
        self.subs[sub].output = output.map(TopicId::at);
        self.subs[sub].transactional = g.transactional;
        let members = self.add_consumers(&g.consumers, Role::Member { group: GroupId::at(gi) }, sub, 1, root);
        self.topics[topic].groups.push(GroupId::at(gi));
        let n = scenario.topics[topic].partitions as usize;
        self.groups.push(GroupState {
            rebalance_seq: None,
            spec: g.clone(),
            topic: TopicId::at(topic),
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
            pending_reset: None,
        });
    }

    fn add_queue(&mut self, scenario: &Scenario, qi: usize, q: &Queue, root: &mut SimRng) {
        let sub = self.add_sub(scenario, &q.name, SubSource::Queue(QueueId::at(qi)), &q.handler);
        let role = Role::Worker { queue: QueueId::at(qi) };
        let workers = self.add_consumers(&q.consumers, role, sub, q.concurrency, root);
        let rng = root.fork(5000 + qi as u64);
        self.queues.push(QueueState { spec: q.clone(), store: QueueStore::default(), sub, workers, rng });
    }
}

fn queue_index(scenario: &Scenario, name: &str) -> QueueId {
    QueueId::at(scenario.queues.iter().position(|q| q.name == name).unwrap_or(0))
}

fn producer_state(scenario: &Scenario, p: &Producer, (work_rng, fault_rng): (SimRng, SimRng)) -> ProducerState {
    let target = if let Some(t) = scenario.topics.iter().position(|t| t.name == p.target) {
        Target::Topic(TopicId::at(t))
    } else if let Some(x) = scenario.exchanges.iter().position(|x| x.name == p.target) {
        Target::Exchange(ExchangeId::at(x))
    } else {
        Target::Queue(queue_index(scenario, &p.target))
    };
    ProducerState {
        spec: p.clone(),
        produced: 0,
        drop_acks_until: 0,
        armed: Default::default(),
        work_rng,
        fault_rng,
        db_version: vec![0; p.keys as usize + 1],
        in_sequence: match target {
            Target::Topic(t) if p.idempotent => {
                (0..scenario.topics[t.index()].partitions).map(|_| VecDeque::new()).collect()
            }
            _ => vec![],
        },
        target,
    }
}

impl Engine {
    /// Validates once; after this every operation is total (no input can make it panic).
    /// An engine with nothing to run and next to nothing held: what a page keeps for the moment it
    /// replaces one run by another, so that the two never hold their tables at once.
    pub fn placeholder() -> Engine {
        Engine::new(Scenario::default()).expect("the empty scenario is valid")
    }

    pub fn new(scenario: Scenario) -> Result<Engine, ScenarioError> {
        let mut engine = Engine::new_unreserved(scenario)?;
        engine.reserve_for_run();
        Ok(engine)
    }

    /// An engine whose tables grow as they fill instead of being sized for the whole run up front: for a
    /// copy run only part of the way (a look-ahead), which then fits beside the run itself. It runs event
    /// for event as `new`'s does, except that its memory budget, which counts the tables' capacity, is
    /// reached later if at all.
    pub fn new_unreserved(scenario: Scenario) -> Result<Engine, ScenarioError> {
        validate(&scenario)?;
        let mut root = SimRng::new(scenario.seed);
        // Forks are drawn in a fixed order: producers first, so consumer settings never reshuffle the workload.
        let producer_rngs: Vec<(SimRng, SimRng)> =
            (0..scenario.producers.len() as u64).map(|i| (root.fork(1 + 2 * i), root.fork(2 + 2 * i))).collect();
        let mut wiring = Wiring::new(&scenario);
        for (gi, g) in scenario.groups.iter().enumerate() {
            wiring.add_group(&scenario, gi, g, &mut root);
        }
        for (qi, q) in scenario.queues.iter().enumerate() {
            wiring.add_queue(&scenario, qi, q, &mut root);
        }
        let exchanges = scenario
            .exchanges
            .iter()
            .map(|x| ExchangeState {
                spec: x.clone(),
                queues: x.queues.iter().map(|q| queue_index(&scenario, q)).collect(),
            })
            .collect();
        let producers =
            scenario.producers.iter().zip(producer_rngs).map(|(p, rngs)| producer_state(&scenario, p, rngs)).collect();
        let sinks = scenario
            .sinks
            .iter()
            .map(|s| SinkState {
                spec: s.clone(),
                applied: 0,
                duplicates: 0,
                deduplicated_by_key: 0,
                ledger: VecDeque::new(),
                duplicate_entries: vec![],
            })
            .collect();
        let Wiring { subs, consumers, topics, groups, queues } = wiring;
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
            budget: Budget::DEFAULT,
            next_budget_check: CHECK_EVERY_EVENTS,
            halted: None,
            send_hits: Vec::new(),
            delivery_hits: Vec::new(),
            scenario,
        };
        engine.schedule_first_events();
        Ok(engine)
    }

    /// Each producer's first message, each group's join, each scripted fault, and a poll per worker slot.
    fn schedule_first_events(&mut self) {
        for (i, p) in self.scenario.producers.iter().enumerate() {
            self.scheduler.schedule(p.start_ms, Ev::Produce { producer: ProducerId::at(i) });
        }
        for (i, g) in self.scenario.groups.iter().enumerate() {
            self.scheduler.schedule(g.join_at_ms, Ev::GroupJoin { group: GroupId::at(i) });
        }
        for (i, f) in self.scenario.faults.scripted.iter().enumerate() {
            self.scheduler.schedule(f.at_ms, Ev::Scripted { index: i as u32 });
        }
        for (c, consumer) in self.consumers.iter().enumerate() {
            if let Role::Worker { .. } = consumer.role {
                for slot in 0..consumer.slots.len() {
                    self.scheduler.schedule(0, Ev::Poll { consumer: ConsumerId::at(c), epoch: 1, slot: slot as u16 });
                }
            }
        }
    }

    /// Sizes the per-message tables for the messages the scenario will produce, so a run never copies them
    /// to grow (in wasm, without `mremap`, a copy touches fresh pages again). Best effort: a failed
    /// reservation just leaves growth to the pushes.
    pub(super) fn reserve_for_run(&mut self) {
        let produced: usize = self.scenario.producers.iter().map(|p| p.count as usize).sum();
        // A log of unlimited retention keeps every message it holds (`fold_history`); otherwise old rows
        // are folded and the tables stay near twice the history kept (beyond what is still in use).
        let logs_forget =
            self.scenario.topics.iter().all(|t| t.retention_records.is_some() || t.retention_ms.is_some());
        let window = self.history_messages as usize * 2;
        let kept = if logs_forget { produced.min(window + window / 4) } else { produced };
        let rows = kept.min(RESERVE_ROWS_MAX);
        let _ = self.messages.try_reserve_exact(rows);
        // Every subscriber may receive every message, some more than once (crashes, redelivery).
        let owed = kept.saturating_mul(self.subs.len());
        let deliveries = owed.saturating_add(owed / 16).min(RESERVE_DELIVERY_ROWS_MAX);
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
