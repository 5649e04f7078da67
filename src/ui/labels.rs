//! Short labels and numbers the whole UI shares (a leaf: it uses nothing else of `ui`): handler steps,
//! crash points, plurals, decimals, file names, scripted faults, entity names.
use crate::engine::observe::seconds;
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

pub(super) fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A decimal number typed in a field or read from an attribute ("5", "0.25", ".5", "1e-3"), through
/// serde_json's number parser, which the build has anyway: `str::parse::<f64>` would add core's 10 KB
/// table of powers of five to the download.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let text = text.trim();
    let text = match (text.strip_prefix('.'), text.strip_prefix("-.")) {
        (Some(rest), _) => format!("0.{rest}"),
        (_, Some(rest)) => format!("-0.{rest}"),
        _ => text.to_string(),
    };
    serde_json::from_str::<f64>(&text).ok()
}

/// A number for the page (an SVG coordinate, a speed, a percentage): `x` to two decimals, trailing zeros
/// dropped ("12", "12.5", "0.25", "-3.07"). Written out by hand, like `parse_decimal`: the app then
/// formats no float with core's formatter, whose shortest and fixed-precision algorithms and their tables
/// weigh several KB of the download.
pub fn decimal(x: f64) -> String {
    let hundredths = if x.is_finite() { (x * 100.0).round() as i64 } else { 0 };
    let sign = if hundredths < 0 { "-" } else { "" };
    let (whole, frac) = (hundredths.unsigned_abs() / 100, hundredths.unsigned_abs() % 100);
    match frac {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
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
    match action {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_read_as_the_page_shows_them() {
        for (x, shown) in [
            (0.0, "0"),
            (12.0, "12"),
            (12.5, "12.5"),
            (0.25, "0.25"),
            (-3.07, "-3.07"),
            (-0.001, "0"),
            (1100.0, "1100"),
            (123.456, "123.46"),
            (0.1 + 0.2, "0.3"),
            (f64::NAN, "0"),
        ] {
            assert_eq!(decimal(x), shown, "{x}");
        }
        // What it writes, the page's number parser reads back.
        assert_eq!(parse_decimal(&decimal(2.5)), Some(2.5));
    }

    #[test]
    fn decimals_parse_as_a_number_field_gives_them() {
        assert_eq!(parse_decimal("5"), Some(5.0));
        assert_eq!(parse_decimal(" 0.25 "), Some(0.25));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("-.5"), Some(-0.5));
        assert_eq!(parse_decimal("1e-3"), Some(0.001));
        assert_eq!(parse_decimal("0.1"), Some("0.1".parse::<f64>().unwrap()), "the same bits as core's parser");
        for bad in ["", "abc", "NaN", "inf", "1,5", "5 5", "--1"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

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
