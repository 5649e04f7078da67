//! Guided lessons: data (JSON under `lessons/`, embedded like the presets), never code. A lesson is a
//! series of steps; each may load a preset, change settings, play to a moment, highlight elements, ask
//! the learner to predict what will happen (the engine decides which choice came true: no answer is
//! written down), or set a challenge the page checks from the engine's figures.
use super::validate::{parse_located, ScenarioError};
use serde::{Deserialize, Serialize};

pub const LESSON_FORMAT_VERSION: u32 = 1;

/// (file stem, JSON text), in the order the page lists them.
pub const LESSONS: &[(&str, &str)] = &[
    ("01-events-vs-messages", include_str!(concat!(env!("OUT_DIR"), "/lessons/01-events-vs-messages.json"))),
    (
        "02-where-duplicates-come-from",
        include_str!(concat!(env!("OUT_DIR"), "/lessons/02-where-duplicates-come-from.json")),
    ),
    ("03-idempotency-strategies", include_str!(concat!(env!("OUT_DIR"), "/lessons/03-idempotency-strategies.json"))),
    ("04-notification-vs-state", include_str!(concat!(env!("OUT_DIR"), "/lessons/04-notification-vs-state.json"))),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    pub version: u32,
    pub title: String,
    pub summary: String,
    pub steps: Vec<LessonStep>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonStep {
    pub title: String,
    /// About how long the step takes a room (read, predict, watch, discuss), for the lesson's agenda.
    #[serde(default)]
    pub minutes: Option<u32>,
    pub text: String,
    /// Load this preset (its file stem); without it the step keeps the scenario on screen, with the
    /// learner's own changes.
    #[serde(default)]
    pub preset: Option<String>,
    /// Settings changed when the step opens: a JSON pointer into the scenario and its new value.
    #[serde(default)]
    pub set: Vec<Change>,
    /// Play to this moment when the step opens (after the learner's prediction, if there is one).
    #[serde(default)]
    pub play_to_ms: Option<u64>,
    /// Names of producers, topics, queues, groups, consumers or sinks to highlight.
    #[serde(default)]
    pub highlight: Vec<String>,
    #[serde(default)]
    pub predict: Option<Prediction>,
    #[serde(default)]
    pub challenge: Option<Challenge>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// RFC 6901 JSON pointer, e.g. `/groups/0/handler/strategy`.
    pub path: String,
    pub value: serde_json::Value,
}

/// Predict, then reveal: the question is asked before the step plays; at `play_to_ms` (or the end of the
/// run) the page shows which choice came true, by the conditions of each choice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prediction {
    pub question: String,
    pub choices: Vec<Choice>,
    /// Said once the answer is revealed: why it came out that way.
    pub explanation: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub text: String,
    /// This choice came true when all of these hold.
    pub when: Vec<Condition>,
}

/// A goal the learner reaches by changing settings; checked on the run played to its end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    pub goal: String,
    pub require: Vec<Condition>,
    pub hint: String,
    /// One way to succeed (the tests prove the challenge can be met; the page can show it).
    pub solution: Vec<Change>,
    /// Said when it is met.
    pub success: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub figure: Figure,
    /// For `effects_applied` and `duplicate_effects`: one sink's figure instead of the total.
    #[serde(default)]
    pub sink: Option<String>,
    #[serde(default)]
    pub min: Option<u64>,
    #[serde(default)]
    pub max: Option<u64>,
}

/// The scoreboard's figures a lesson can ask about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    Produced,
    Appended,
    Delivered,
    Processed,
    EffectsApplied,
    DuplicateEffects,
    LostMessages,
    DeadLettered,
    OutOfOrder,
    StaleReads,
    ReadApiCalls,
    DuplicateAppends,
    Redeliveries,
    Crashes,
    BytesOnWire,
}

impl Figure {
    pub fn label(self) -> &'static str {
        match self {
            Figure::Produced => "produced",
            Figure::Appended => "appended",
            Figure::Delivered => "delivered",
            Figure::Processed => "processed",
            Figure::EffectsApplied => "effects applied",
            Figure::DuplicateEffects => "duplicate effects",
            Figure::LostMessages => "lost",
            Figure::DeadLettered => "dead-lettered",
            Figure::OutOfOrder => "out of order",
            Figure::StaleReads => "stale reads",
            Figure::ReadApiCalls => "read-API calls",
            Figure::DuplicateAppends => "duplicate appends",
            Figure::Redeliveries => "redeliveries",
            Figure::Crashes => "crashes",
            Figure::BytesOnWire => "bytes on the wire",
        }
    }
}

/// Parses a lesson file with located errors (`steps[2].predict.choices[0].when[0].figure: …`).
pub fn parse_lesson(json: &str) -> Result<Lesson, ScenarioError> {
    let lesson: Lesson = parse_located(json)?;
    let fail = |path: String, message: &str| Err(ScenarioError { path, message: message.into() });
    if lesson.version != LESSON_FORMAT_VERSION {
        return fail("version".into(), "only lesson format 1 exists");
    }
    if lesson.steps.is_empty() {
        return fail("steps".into(), "a lesson has at least one step");
    }
    for (i, step) in lesson.steps.iter().enumerate() {
        if step.minutes.is_some_and(|m| !(1..=60).contains(&m)) {
            return fail(format!("steps[{i}].minutes"), "a step takes 1 to 60 minutes");
        }
        if i == 0 && step.preset.is_none() {
            return fail(format!("steps[{i}].preset"), "the first step names the preset it starts from");
        }
        if let Some(p) = &step.predict {
            if p.choices.len() < 2 {
                return fail(format!("steps[{i}].predict.choices"), "a prediction offers at least two choices");
            }
        }
        let conditions = step
            .predict
            .iter()
            .flat_map(|p| p.choices.iter().flat_map(|c| c.when.iter()))
            .chain(step.challenge.iter().flat_map(|c| c.require.iter()));
        for c in conditions {
            if c.min.is_none() && c.max.is_none() {
                return fail(format!("steps[{i}]"), "a condition needs a min or a max");
            }
            if c.sink.is_some() && !matches!(c.figure, Figure::EffectsApplied | Figure::DuplicateEffects) {
                return fail(format!("steps[{i}]"), "only effects_applied and duplicate_effects are per sink");
            }
        }
    }
    Ok(lesson)
}
