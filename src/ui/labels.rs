//! Short labels and numbers the whole UI shares (a leaf: it uses nothing else of `ui`): handler steps,
//! crash points, plurals, file names, scripted faults (decimals are `crate::number`).
use crate::engine::observe::{seconds, AnomalyKind};
use crate::engine::Step;
use crate::scenario::model::CrashPoint;

pub fn step_label(step: Step) -> &'static str {
    match step {
        Step::Receive => "receive",
        Step::Check => "check",
        Step::Effect => "effect",
        Step::Record => "record",
        Step::Finish => "commit/ack",
    }
}

/// A message's entity, short enough for a token's label: the key name's initial and the key ("u14" for
/// user 14, "o7" for order 7).
pub fn entity_label(key_name: &str, key: u32) -> String {
    // ASCII folding only, as for file names: Unicode's case tables cost the download 10 KB.
    let initial = key_name.chars().next().map(|c| c.to_ascii_lowercase()).map(String::from).unwrap_or_default();
    format!("{initial}{key}")
}

pub(super) fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A file name for a scenario's export: its name in lowercase words joined by dashes.
pub fn export_file_name(scenario_name: &str) -> String {
    // ASCII case folding (a letter outside ASCII is kept as it is): Unicode's case tables would add
    // 10 KB to the download for a file name.
    let words: Vec<String> = scenario_name
        .split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if words.is_empty() {
        "scenario.json".into()
    } else {
        format!("{}.json", words.join("-"))
    }
}

pub fn crash_point_label(point: CrashPoint) -> &'static str {
    match point {
        CrashPoint::BeforeEffect => "before the side effect",
        CrashPoint::AfterEffect => "after the side effect, before the record",
        CrashPoint::AfterRecord => "after the record, before the commit / ack",
    }
}

/// "crash c1 after the side effect", "drop acks to user-service for 2.000 s", …
pub fn fault_label(action: &crate::scenario::model::FaultAction) -> String {
    use crate::scenario::model::{FaultAction, ResetTarget};
    let mut action = action.clone();
    if let Some(name) = action.name_mut() {
        *name = crate::scenario::names::isolated(name).into_owned();
    }
    match &action {
        FaultAction::CrashConsumer { consumer, at_step: None } => format!("crash {consumer} now"),
        FaultAction::CrashConsumer { consumer, at_step: Some(p) } => {
            format!("crash {consumer} {} on its next message", crash_point_label(*p))
        }
        FaultAction::DropAcks { producer, duration_ms } => {
            format!("drop acks to {producer} for {}", seconds(*duration_ms))
        }
        FaultAction::SlowConsumer { consumer, factor, duration_ms } => {
            format!("slow {consumer} {factor}× for {}", seconds(*duration_ms))
        }
        FaultAction::ReadApiDown { duration_ms } => format!("read API down for {}", seconds(*duration_ms)),
        FaultAction::DuplicateNextDelivery { queue } => format!("duplicate the next delivery from {queue}"),
        FaultAction::StopConsumer { consumer } => format!("stop {consumer} cleanly"),
        FaultAction::StartConsumer { consumer } => format!("start {consumer}"),
        FaultAction::LoseNextSend { producer } => format!("lose {producer}'s next send"),
        FaultAction::CrashProducerBeforePublish { producer } => {
            format!("crash {producer} between its database write and its publish")
        }
        FaultAction::CrashRelayAfterPublish { producer } => {
            format!("crash {producer}'s outbox relay after it publishes, before it marks the row sent")
        }
        FaultAction::DropSend { message } => format!("drop the send of message #{message} in flight"),
        FaultAction::DelaySend { message, duration_ms } => {
            format!("delay the send of message #{message} in flight by {}", seconds(*duration_ms))
        }
        FaultAction::DuplicateSend { message } => format!("deliver the send of message #{message} in flight twice"),
        FaultAction::DropDelivery { message, consumer } => {
            format!("drop the delivery of message #{message} to {consumer} in flight")
        }
        FaultAction::DelayDelivery { message, consumer, duration_ms } => {
            format!("delay the delivery of message #{message} to {consumer} by {}", seconds(*duration_ms))
        }
        FaultAction::ResetGroup { group, to } => format!(
            "reset group {group} to {}",
            match to {
                ResetTarget::Earliest => "the earliest offset".to_string(),
                ResetTarget::Latest => "the latest offset".to_string(),
                ResetTarget::Offset { offset } => format!("offset {offset}"),
                ResetTarget::Time { ms } => format!("the time {}", seconds(*ms)),
            }
        ),
    }
}

/// An anomaly's kind in a word or two, as the feed, the scrubber's marks and the callout name it.
pub fn anomaly_label(kind: AnomalyKind) -> &'static str {
    match kind {
        AnomalyKind::DuplicateEffect => "Duplicate effect",
        AnomalyKind::LostMessage => "Lost",
        AnomalyKind::OutOfOrder => "Out of order",
        AnomalyKind::StaleRead => "Stale read",
        AnomalyKind::DeadLettered => "Dead-lettered",
        AnomalyKind::DeadLetteredAfterEffect => "Processed, then dead-lettered",
        AnomalyKind::LostToRetention => "Lost to retention",
        AnomalyKind::DuplicateAppend => "Duplicate append",
        AnomalyKind::InventedEvent => "Invented event",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_file_names_are_safe_and_readable() {
        assert_eq!(
            export_file_name("Kafka transactions: an exactly-once stage"),
            "kafka-transactions-an-exactly-once-stage.json"
        );
        assert_eq!(export_file_name("../../etc/passwd"), "etc-passwd.json");
        assert_eq!(export_file_name("  ::  "), "scenario.json");
        // Letters outside ASCII stay in the word (and keep their case).
        assert_eq!(export_file_name("Bestellungen für Kunden"), "bestellungen-für-kunden.json");
    }
}
