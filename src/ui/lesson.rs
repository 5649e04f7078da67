//! Lessons, as the reducer uses them: where a learner is, which prediction came true, whether a
//! challenge is met. Pure (no web types): every rule is tested natively.
use crate::engine::Engine;
use crate::engine::{ConsumerId, ExchangeId, GroupId, ProducerId, QueueId, SinkId, TopicId};
use crate::scenario::lesson::{Change, Condition, Figure};
use crate::scenario::{parse_scenario, Scenario};
use crate::ui::layout::NodeId;

/// A learner's place in a lesson.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LessonProgress {
    /// Index into `Model::lessons`.
    pub lesson: usize,
    pub step: usize,
    /// The choice the learner predicted, once they have.
    pub guess: Option<usize>,
    /// For each choice of the step's prediction: did it come true (at the step's moment)?
    pub came_true: Vec<bool>,
    /// The last challenge check: each requirement, the figure found and whether it was met.
    pub check: Option<Vec<ConditionCheck>>,
    /// Check was pressed while the run's end was still being looked ahead: the check is made then.
    pub check_pending: bool,
    pub highlight: Vec<NodeId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConditionCheck {
    pub label: String,
    pub value: u64,
    pub met: bool,
}

/// The figure a condition is about, in this run so far.
pub fn figure(engine: &Engine, condition: &Condition) -> u64 {
    if let Some(name) = &condition.sink {
        let sink = engine.sinks().iter().find(|s| s.spec.name == *name);
        return match condition.figure {
            Figure::DuplicateEffects => sink.map_or(0, |s| s.duplicates),
            _ => sink.map_or(0, |s| s.applied),
        };
    }
    let c = engine.counters();
    match condition.figure {
        Figure::Produced => c.produced,
        Figure::Appended => c.appended,
        Figure::Delivered => c.deliveries,
        Figure::Processed => c.processed,
        Figure::EffectsApplied => c.effects_applied,
        Figure::DuplicateEffects => c.duplicate_effects,
        Figure::LostMessages => c.lost_messages,
        Figure::DeadLettered => c.dead_lettered,
        Figure::OutOfOrder => c.out_of_order,
        Figure::StaleReads => c.stale_reads,
        Figure::ReadApiCalls => c.read_api_calls,
        Figure::DuplicateAppends => c.duplicate_appends,
        Figure::Redeliveries => c.redeliveries,
        Figure::Crashes => c.crashes,
        Figure::BytesOnWire => c.bytes_on_wire,
    }
}

pub fn holds(engine: &Engine, condition: &Condition) -> bool {
    let v = figure(engine, condition);
    condition.min.is_none_or(|m| v >= m) && condition.max.is_none_or(|m| v <= m)
}

/// "duplicate effects at email: at most 0".
pub fn describe(condition: &Condition) -> String {
    let what = match &condition.sink {
        Some(sink) => format!("{} at {sink}", condition.figure.label()),
        None => condition.figure.label().to_string(),
    };
    match (condition.min, condition.max) {
        (Some(a), Some(b)) if a == b => format!("{what}: exactly {a}"),
        (Some(a), Some(b)) => format!("{what}: {a} to {b}"),
        (Some(a), None) => format!("{what}: at least {a}"),
        (None, Some(b)) => format!("{what}: at most {b}"),
        (None, None) => what,
    }
}

/// Applies a step's changes (JSON pointers) to a scenario; the result is validated like a file.
pub fn apply_changes(scenario: &Scenario, changes: &[Change]) -> Result<Scenario, String> {
    if changes.is_empty() {
        return Ok(scenario.clone());
    }
    // Through the pretty serializer Export JSON already uses (one serializer in the wasm, not two).
    let text = serde_json::to_string_pretty(scenario).map_err(|e| e.to_string())?;
    let mut value: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    for change in changes {
        let slot = value.pointer_mut(&change.path).ok_or_else(|| format!("the scenario has no {}", change.path))?;
        *slot = change.value.clone();
    }
    let text = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
    parse_scenario(&text).map_err(|e| e.to_string())
}

/// The canvas node of a producer, topic, queue, exchange, group, consumer or sink, by its name.
pub fn node_named(engine: &Engine, name: &str) -> Option<NodeId> {
    let s = engine.scenario();
    fn at<'a>(mut names: impl Iterator<Item = &'a String>, name: &str) -> Option<usize> {
        names.position(|n| n == name)
    }
    at(s.producers.iter().map(|p| &p.name), name)
        .map(|i| NodeId::Producer(ProducerId::at(i)))
        .or_else(|| at(s.topics.iter().map(|t| &t.name), name).map(|i| NodeId::Topic(TopicId::at(i))))
        .or_else(|| at(s.queues.iter().map(|q| &q.name), name).map(|i| NodeId::Queue(QueueId::at(i))))
        .or_else(|| at(s.exchanges.iter().map(|x| &x.name), name).map(|i| NodeId::Exchange(ExchangeId::at(i))))
        .or_else(|| at(s.groups.iter().map(|g| &g.name), name).map(|i| NodeId::Group(GroupId::at(i))))
        .or_else(|| at(engine.consumers().iter().map(|c| &c.name), name).map(|i| NodeId::Consumer(ConsumerId::at(i))))
        .or_else(|| at(s.sinks.iter().map(|k| &k.name), name).map(|i| NodeId::Sink(SinkId::at(i))))
}
