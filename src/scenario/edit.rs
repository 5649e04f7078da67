//! The settings a trainer changes in place on the page, as edits to a scenario. The result is validated
//! when the engine is rebuilt; an edit that cannot apply says why and changes nothing.
use crate::scenario::model::{Acks, CommitPolicy, FaultAction, Faults, Isolation, PublishMode, Strategy};
use crate::scenario::Scenario;

/// The settings that can be changed in place (entities by their index in the scenario's lists).
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    GroupStrategy(usize, Strategy),
    QueueStrategy(usize, Strategy),
    GroupCommit(usize, CommitPolicy),
    /// Kafka transactions on or off for a consume→transform→produce stage.
    GroupTransactional(usize, bool),
    /// isolation.level read_committed (true) or read_uncommitted (false).
    GroupReadCommitted(usize, bool),
    /// Add (true) or remove (false) a member of a group.
    GroupMembers(usize, bool),
    /// Add (true) or remove (false) a worker of a queue.
    QueueWorkers(usize, bool),
    /// When a queue's workers ack: after processing or on receipt.
    QueueAck(usize, crate::scenario::model::QueueAck),
    Partitions(usize, u32),
    VisibilityTimeout(usize, u64),
    MaxReceives(usize, u32),
    /// A queue's broker semantics: SQS standard or FIFO, or a RabbitMQ quorum queue.
    QueueKind(usize, crate::scenario::model::QueueKind),
    /// A quorum queue's `delivery-limit`.
    DeliveryLimit(usize, u32),
    ProducerIdempotent(usize, bool),
    /// `acks = 0` when on, `all` when off.
    ProducerFireAndForget(usize, bool),
    ProducerPublishMode(usize, PublishMode),
    SinkAcceptsKey(usize, bool),
    /// Add a producer like this one (a fresh name, the same target and settings).
    CopyProducer(usize),
    /// Remove a producer (and the scripted faults that name it) while one stays.
    RemoveProducer(usize),
    /// Add a group like this one: a new team reading the same topic, with its own copy of the sink (so its
    /// emails are not counted as the first group's duplicates).
    CopyGroup(usize),
    /// Remove a group, the scripted faults that name it or its consumers, and its sink if nothing else
    /// uses it.
    RemoveGroup(usize),
    /// A fault probability, in percent.
    FaultPercent(FaultRate, f64),
    /// Remove a scripted fault (by its index in the timeline).
    RemoveScriptedFault(usize),
    /// Move a scripted fault to another moment (ms).
    MoveScriptedFault(usize, u64),
}

/// One of the scenario's fault probabilities, as the page lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultRate {
    ConsumerCrash,
    Slow,
    Poison,
    ReadApiFailure,
    DuplicateDelivery,
    LostAck,
    LostSend,
    ProducerCrash,
    RelayCrash,
}

impl FaultRate {
    pub const ALL: [FaultRate; 9] = [
        FaultRate::ConsumerCrash,
        FaultRate::Slow,
        FaultRate::Poison,
        FaultRate::ReadApiFailure,
        FaultRate::DuplicateDelivery,
        FaultRate::LostAck,
        FaultRate::LostSend,
        FaultRate::ProducerCrash,
        FaultRate::RelayCrash,
    ];

    /// What it is a probability of, per what (the unit of `docs/scenario-format.md`'s fields).
    pub fn label(self) -> &'static str {
        match self {
            FaultRate::ConsumerCrash => "Consumer crash per handler run (%)",
            FaultRate::Slow => "Slow handler run (%)",
            FaultRate::Poison => "Poison message per produced message (%)",
            FaultRate::ReadApiFailure => "Read API failure per read-back (%)",
            FaultRate::DuplicateDelivery => "Duplicate delivery per standard-queue delivery (%)",
            FaultRate::LostAck => "Lost producer ack per send (%)",
            FaultRate::LostSend => "Lost producer send (%)",
            FaultRate::ProducerCrash => "Producer crash between database and publish, dual write (%)",
            FaultRate::RelayCrash => "Outbox relay crash after publishing (%)",
        }
    }

    /// Its field's name in the scenario's `faults` (the page's test ids use it).
    pub fn field_name(self) -> &'static str {
        match self {
            FaultRate::ConsumerCrash => "consumer_crash",
            FaultRate::Slow => "slow",
            FaultRate::Poison => "poison",
            FaultRate::ReadApiFailure => "read_api_failure",
            FaultRate::DuplicateDelivery => "duplicate_delivery",
            FaultRate::LostAck => "lost_ack",
            FaultRate::LostSend => "lost_send",
            FaultRate::ProducerCrash => "producer_crash",
            FaultRate::RelayCrash => "relay_crash",
        }
    }

    /// Its field in the scenario's `faults`.
    pub fn field(self, f: &mut Faults) -> &mut f64 {
        match self {
            FaultRate::ConsumerCrash => &mut f.consumer_crash,
            FaultRate::Slow => &mut f.slow,
            FaultRate::Poison => &mut f.poison,
            FaultRate::ReadApiFailure => &mut f.read_api_failure,
            FaultRate::DuplicateDelivery => &mut f.duplicate_delivery,
            FaultRate::LostAck => &mut f.lost_ack,
            FaultRate::LostSend => &mut f.lost_send,
            FaultRate::ProducerCrash => &mut f.producer_crash,
            FaultRate::RelayCrash => &mut f.relay_crash,
        }
    }

    pub fn of(self, f: &Faults) -> f64 {
        match self {
            FaultRate::ConsumerCrash => f.consumer_crash,
            FaultRate::Slow => f.slow,
            FaultRate::Poison => f.poison,
            FaultRate::ReadApiFailure => f.read_api_failure,
            FaultRate::DuplicateDelivery => f.duplicate_delivery,
            FaultRate::LostAck => f.lost_ack,
            FaultRate::LostSend => f.lost_send,
            FaultRate::ProducerCrash => f.producer_crash,
            FaultRate::RelayCrash => f.relay_crash,
        }
    }
}

/// Applies one in-place edit to a scenario; the result is validated when the engine is rebuilt.
pub fn apply_edit(s: &mut Scenario, edit: &Edit) -> Result<(), String> {
    match *edit {
        Edit::GroupStrategy(i, strategy) => get(&mut s.groups, i, "group")?.handler.strategy = strategy,
        Edit::QueueStrategy(i, strategy) => get(&mut s.queues, i, "queue")?.handler.strategy = strategy,
        Edit::GroupCommit(i, commit) => get(&mut s.groups, i, "group")?.commit = commit,
        Edit::GroupTransactional(i, on) => {
            let g = get(&mut s.groups, i, "group")?;
            g.transactional = on;
            if on {
                // Offsets commit inside the transaction, after the work.
                g.commit = CommitPolicy::AfterProcessing;
            }
        }
        Edit::GroupReadCommitted(i, on) => {
            get(&mut s.groups, i, "group")?.isolation =
                if on { Isolation::ReadCommitted } else { Isolation::ReadUncommitted }
        }
        Edit::GroupMembers(i, add) => {
            let name = fresh_name(s, "c");
            add_or_remove(
                &mut get(&mut s.groups, i, "group")?.consumers,
                add,
                name,
                "A group needs at least one member.",
            )?
        }
        Edit::QueueWorkers(i, add) => {
            let name = fresh_name(s, "w");
            add_or_remove(
                &mut get(&mut s.queues, i, "queue")?.consumers,
                add,
                name,
                "A queue needs at least one worker.",
            )?
        }
        Edit::Partitions(i, n) => get(&mut s.topics, i, "topic")?.partitions = n,
        Edit::VisibilityTimeout(i, ms) => get(&mut s.queues, i, "queue")?.visibility_timeout_ms = ms,
        Edit::MaxReceives(i, n) => get(&mut s.queues, i, "queue")?.max_receives = n,
        Edit::QueueKind(i, kind) => get(&mut s.queues, i, "queue")?.kind = kind,
        Edit::DeliveryLimit(i, n) => get(&mut s.queues, i, "queue")?.delivery_limit = n,
        Edit::QueueAck(i, ack) => get(&mut s.queues, i, "queue")?.ack = ack,
        Edit::ProducerIdempotent(i, on) => get(&mut s.producers, i, "producer")?.idempotent = on,
        Edit::ProducerPublishMode(i, mode) => get(&mut s.producers, i, "producer")?.publish_mode = mode,
        Edit::ProducerFireAndForget(i, on) => {
            get(&mut s.producers, i, "producer")?.acks = if on { Acks::Zero } else { Acks::All }
        }
        Edit::SinkAcceptsKey(i, on) => get(&mut s.sinks, i, "sink")?.accepts_idempotency_key = on,
        Edit::CopyProducer(i) => {
            let mut copy = get(&mut s.producers, i, "producer")?.clone();
            copy.name = copy_name(&copy.name, |n| s.producers.iter().any(|p| p.name == n));
            s.producers.push(copy);
        }
        Edit::RemoveProducer(i) => remove_producer(s, i)?,
        Edit::CopyGroup(i) => copy_group(s, i)?,
        Edit::RemoveGroup(i) => remove_group(s, i)?,
        Edit::FaultPercent(rate, p) => *rate.field(&mut s.faults) = percent(p)?,
        Edit::RemoveScriptedFault(i) => {
            get(&mut s.faults.scripted, i, "scripted fault")?;
            s.faults.scripted.remove(i);
        }
        Edit::MoveScriptedFault(i, at_ms) => {
            get(&mut s.faults.scripted, i, "scripted fault")?.at_ms = at_ms;
            // The timeline stays in time order (a stable sort keeps same-moment faults in their order).
            crate::ordering::sort_short_by_key(&mut s.faults.scripted, |f| f.at_ms);
        }
    }
    Ok(())
}

fn get<'a, T>(list: &'a mut [T], i: usize, what: &str) -> Result<&'a mut T, String> {
    list.get_mut(i).ok_or_else(|| format!("There is no {what} {}.", i + 1))
}

fn consumer_taken(s: &Scenario, name: &str) -> bool {
    s.groups
        .iter()
        .flat_map(|g| g.consumers.iter())
        .chain(s.queues.iter().flat_map(|q| q.consumers.iter()))
        .any(|c| c == name)
}

/// The first consumer name `prefix1`, `prefix2`, … no group or queue uses.
fn fresh_name(s: &Scenario, prefix: &str) -> String {
    (1..).map(|k| format!("{prefix}{k}")).find(|n| !consumer_taken(s, n)).unwrap_or_default()
}

/// Removes a producer and the scripted faults that name it (a scenario keeps at least one).
fn remove_producer(s: &mut Scenario, i: usize) -> Result<(), String> {
    if s.producers.len() <= 1 {
        return Err("A scenario needs at least one producer.".into());
    }
    let name = get(&mut s.producers, i, "producer")?.name.clone();
    s.producers.remove(i);
    s.faults.scripted.retain(|f| f.action.producer() != Some(name.as_str()));
    Ok(())
}

/// A copy of a group with a side effect: new member names, and a sink of its own.
fn copy_group(s: &mut Scenario, i: usize) -> Result<(), String> {
    let mut copy = get(&mut s.groups, i, "group")?.clone();
    if copy.produce_to.is_some() {
        return Err(format!(
            "{} is a stage (it produces to a topic): a copy would write every record twice. Copy a group with a side effect instead.",
            copy.name
        ));
    }
    copy.name = copy_name(&copy.name, |n| s.groups.iter().any(|g| g.name == n));
    let prefix = copy.name.chars().next().filter(char::is_ascii_alphabetic).unwrap_or('c');
    let mut members: Vec<String> = vec![];
    for _ in 0..copy.consumers.len() {
        let name = (1..)
            .map(|k| format!("{prefix}{k}"))
            .find(|n| !members.contains(n) && !consumer_taken(s, n))
            .unwrap_or_default();
        members.push(name);
    }
    copy.consumers = members;
    if let Some(sink) = s.sinks.iter().find(|k| k.name == copy.handler.sink).cloned() {
        let name = copy_name(&sink.name, |n| s.sinks.iter().any(|k| k.name == n));
        copy.handler.sink = name.clone();
        s.sinks.push(crate::scenario::model::Sink { name, ..sink });
    }
    s.groups.push(copy);
    Ok(())
}

/// Removes a group, the scripted faults that name it or its members, and its sink if nothing else uses it.
fn remove_group(s: &mut Scenario, i: usize) -> Result<(), String> {
    let group = get(&mut s.groups, i, "group")?.clone();
    s.groups.remove(i);
    s.faults.scripted.retain(|f| match &f.action {
        FaultAction::CrashConsumer { consumer, .. }
        | FaultAction::SlowConsumer { consumer, .. }
        | FaultAction::StopConsumer { consumer }
        | FaultAction::StartConsumer { consumer } => !group.consumers.contains(consumer),
        FaultAction::ResetGroup { group: name, .. } => *name != group.name,
        _ => true,
    });
    let used = s.groups.iter().map(|g| &g.handler).chain(s.queues.iter().map(|q| &q.handler));
    if !used.into_iter().any(|h| h.sink == group.handler.sink) {
        s.sinks.retain(|k| k.name != group.handler.sink);
    }
    Ok(())
}

/// "name-2" (or -3, …) for a copy: the first not `taken`, within the 64-character limit on names.
fn copy_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let base: String = name.chars().take(crate::scenario::validate::MAX_NAME_CHARS - 4).collect();
    (2..).map(|k| format!("{base}-{k}")).find(|n| !taken(n)).unwrap_or_default()
}

/// Adds a consumer by a fresh name, or removes the last one while one stays.
fn add_or_remove(consumers: &mut Vec<String>, add: bool, name: String, at_least_one: &str) -> Result<(), String> {
    if add {
        consumers.push(name);
    } else if consumers.len() > 1 {
        consumers.pop();
    } else {
        return Err(at_least_one.to_string());
    }
    Ok(())
}

fn percent(p: f64) -> Result<f64, String> {
    if p.is_finite() && (0.0..=100.0).contains(&p) {
        Ok(p / 100.0)
    } else {
        let shown = if p.is_finite() { crate::number::decimal(p) } else { "That".into() };
        Err(format!("'{shown}' is not a percentage: use a number from 0 to 100."))
    }
}
