//! A message's journey as a sequence diagram: the participants and rows (from the trace), their
//! coordinates, and the same diagram as Mermaid text.
use crate::engine::observe::{seconds, What};
use crate::engine::Engine;
use crate::engine::{ConsumerId, MessageId};
use crate::ui::describe::describe;
use crate::ui::journey::*;

/// A journey's sequence diagram: a time column, one lifeline per participant, and each step's sentence
/// in a column of its own on the right (sentences are long; between lifelines they would overlap).
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceLayout {
    pub width: f64,
    pub height: f64,
    /// (x of the lifeline, name).
    pub lanes: Vec<(f64, String)>,
    pub rows: Vec<SequenceArrow>,
    /// Where the sentences start.
    pub text_x: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SequenceArrow {
    pub y: f64,
    pub x1: f64,
    pub x2: f64,
    /// A note on one lifeline (`x1 == x2`), drawn as a mark rather than an arrow.
    pub note: bool,
    pub failed: bool,
    pub time: String,
    pub text: String,
}

pub const SEQUENCE_TIME_W: f64 = 70.0;

pub const SEQUENCE_LANE_W: f64 = 110.0;

pub const SEQUENCE_HEAD_H: f64 = 40.0;

pub const SEQUENCE_ROW_H: f64 = 24.0;

/// The diagram's type size in the page and in its SVG export: a room reads 13 px, so the diagram scrolls
/// sideways rather than shrinks to the panel's width.
pub const SEQUENCE_TEXT_PX: f64 = 13.0;
/// A sentence's width per character at that size (DejaVu Sans, the widest of the page's fonts, averages
/// about 0.6 em over English text).
const CHAR_W: f64 = SEQUENCE_TEXT_PX * 0.6;

pub fn sequence_layout(seq: &Sequence) -> SequenceLayout {
    let lane_x = |i: usize| SEQUENCE_TIME_W + SEQUENCE_LANE_W * (i as f64 + 0.5);
    let lanes = seq.participants.iter().enumerate().map(|(i, (_, name))| (lane_x(i), name.clone())).collect();
    let text_x = SEQUENCE_TIME_W + SEQUENCE_LANE_W * seq.participants.len() as f64 + 12.0;
    let rows = seq
        .rows
        .iter()
        .enumerate()
        .map(|(k, r)| SequenceArrow {
            y: SEQUENCE_HEAD_H + SEQUENCE_ROW_H * (k as f64 + 0.5),
            x1: lane_x(r.from),
            x2: lane_x(r.to),
            note: r.from == r.to,
            failed: r.failed,
            time: crate::engine::observe::seconds(r.at_ms),
            text: r.text.clone(),
        })
        .collect();
    let longest = seq.rows.iter().map(|r| r.text.chars().count()).max().unwrap_or(0);
    SequenceLayout {
        width: text_x + CHAR_W * longest as f64 + 12.0,
        height: SEQUENCE_HEAD_H + SEQUENCE_ROW_H * seq.rows.len() as f64 + 8.0,
        lanes,
        rows,
        text_x,
    }
}

/// One message's journey as a sequence diagram: who took part, and each traced step as an arrow from
/// one participant to another (or a note on one, when `from == to`).
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// (short id for Mermaid, name shown).
    pub participants: Vec<(String, String)>,
    pub rows: Vec<SequenceRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SequenceRow {
    pub at_ms: u64,
    /// Indices into `participants`.
    pub from: usize,
    pub to: usize,
    /// The same sentence the journey shows.
    pub text: String,
    /// A reply that never arrived or was refused (lost ack, rejected commit, failed read).
    pub failed: bool,
}

/// The participants are the producer, the broker, each consumer that handled the message, the idempotency
/// store, the read API and the sinks, in the order a reader meets them.
pub fn journey_sequence(e: &Engine, message: MessageId) -> Option<Sequence> {
    let m = e.messages().get(message).filter(|_| message != MessageId::NONE)?;
    let producer = m.producer;
    let broker = e.producers().get(producer.index()).map_or("broker", |p| p.spec.target.as_str());
    let mut rows: Vec<(u64, String, String, String, bool)> = vec![];
    for (at_ms, step) in message_steps(e, message) {
        let ev = match step {
            MessageStep::Event(ev) => ev,
            MessageStep::Crash { consumer, before } => {
                let text = format!("CRASH (at its {} step)", crate::ui::labels::step_label(before));
                rows.push((at_ms, format!("C{consumer}"), format!("C{consumer}"), text, false));
                continue;
            }
        };
        let c = |c: u16| format!("C{c}");
        let (from, to) = match ev.what {
            What::Produced { .. } | What::ProducerRetry { .. } | What::RelayRepublish { .. } => {
                ("P".into(), "B".into())
            }
            What::AckLost { .. } => ("B".into(), "P".into()),
            What::Delivered { consumer, .. }
            | What::DeliveryLost { consumer, .. }
            | What::DeliveryDelayed { consumer, .. } => ("B".into(), c(consumer.0)),
            What::ReadBack { consumer, .. } | What::ReadApiFailed { consumer } => (c(consumer.0), "API".into()),
            What::Checked { consumer, .. } | What::Claimed { consumer, .. } | What::Recorded { consumer } => {
                (c(consumer.0), "S".into())
            }
            What::Effect { consumer, sink, .. } | What::EffectDeduplicated { consumer, sink } => {
                (c(consumer.0), format!("K{sink}"))
            }
            What::Committed { consumer, .. }
            | What::Acked { consumer }
            | What::StageProduced { consumer, .. }
            | What::TxnCommitted { consumer, .. } => (c(consumer.0), "B".into()),
            What::CommitRejected { consumer, .. } | What::AckRejected { consumer } => ("B".into(), c(consumer.0)),
            What::HandlerFailed { consumer, .. } | What::SkippedPoison { consumer, .. } => {
                (c(consumer.0), c(consumer.0))
            }
            What::NeverPublished { .. }
            | What::NeverWritten { .. }
            | What::SendGaveUp { .. }
            | What::AppendDeduplicated { .. } => ("P".into(), "P".into()),
            What::SendLost { .. } | What::SendDelayed { .. } => ("P".into(), "B".into()),
            _ => ("B".into(), "B".into()),
        };
        let failed = matches!(
            ev.what,
            What::AckLost { .. }
                | What::SendLost { .. }
                | What::DeliveryLost { .. }
                | What::ReadApiFailed { .. }
                | What::CommitRejected { .. }
                | What::AckRejected { .. }
        );
        rows.push((at_ms, from, to, describe(e, ev), failed));
    }
    let mut ids: Vec<String> = vec!["P".into(), "B".into()];
    for (_, from, to, _, _) in &rows {
        for p in [from, to] {
            if !ids.contains(p) {
                ids.push(p.clone());
            }
        }
    }
    let name = |id: &str| -> String {
        match id {
            "P" => e.producer_name(producer).to_string(),
            "B" => broker.to_string(),
            "S" => "idempotency store".into(),
            "API" => "read API".into(),
            _ if id.starts_with('C') => e.consumer_name(ConsumerId(id[1..].parse().unwrap_or(u16::MAX))).to_string(),
            _ => {
                id[1..].parse::<usize>().ok().and_then(|k| e.sinks().get(k)).map_or("?".into(), |k| k.spec.name.clone())
            }
        }
    };
    let index = |id: &str| ids.iter().position(|p| p == id).unwrap_or(0);
    let rows = rows
        .iter()
        .map(|(at_ms, from, to, text, failed)| SequenceRow {
            at_ms: *at_ms,
            from: index(from),
            to: index(to),
            text: text.clone(),
            failed: *failed,
        })
        .collect();
    Some(Sequence { participants: ids.iter().map(|id| (id.clone(), name(id))).collect(), rows })
}

/// A sequence as Mermaid text (`sequenceDiagram`), for slides.
pub fn sequence_mermaid(seq: &Sequence) -> String {
    // Mermaid reads `;` and `#` in a label as syntax: write them as entity codes.
    let label = |text: &str| text.replace('#', "#35;").replace(';', "#59;").replace('\n', " ");
    let mut out = String::from("sequenceDiagram\n");
    for (id, name) in &seq.participants {
        out.push_str(&format!("    participant {id} as {}\n", label(name)));
    }
    for r in &seq.rows {
        let (from, to) = (&seq.participants[r.from].0, &seq.participants[r.to].0);
        let (t, text) = (seconds(r.at_ms), label(&r.text));
        if from == to {
            out.push_str(&format!("    Note over {from}: {t} {text}\n"));
        } else {
            // A reply that never arrives or is refused: a dotted arrow ending in a cross.
            let arrow = if r.failed { "--x" } else { "->>" };
            out.push_str(&format!("    {from}{arrow}{to}: {t} {text}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::observe::AnomalyKind;
    use crate::engine::Engine;

    #[test]
    fn a_sequence_lays_out_one_lifeline_per_participant_and_one_row_per_step() {
        use super::{Sequence, SequenceRow};
        let row = |from, to, failed| SequenceRow { at_ms: 5, from, to, text: "x".into(), failed };
        let seq = Sequence {
            participants: vec![("P".into(), "p".into()), ("B".into(), "b".into()), ("C0".into(), "c".into())],
            rows: vec![row(0, 1, false), row(1, 2, false), row(2, 2, false), row(1, 0, true)],
        };
        let l = sequence_layout(&seq);
        assert_eq!(l.lanes.len(), 3);
        assert!(l.lanes.windows(2).all(|w| w[1].0 - w[0].0 == SEQUENCE_LANE_W));
        assert_eq!(l.rows.len(), 4);
        assert!(l.rows.windows(2).all(|w| w[1].y > w[0].y), "time flows down");
        assert!(l.rows[2].note && !l.rows[0].note);
        assert!(l.rows[3].x2 < l.rows[3].x1 && l.rows[3].failed, "a reply goes back left");
        assert!(l.text_x > l.lanes[2].0 + SEQUENCE_LANE_W / 2.0 - 1.0, "sentences never cross a lifeline");
        assert!(l.rows.iter().all(|r| r.y < l.height));
    }

    #[test]
    fn a_real_journey_is_as_wide_as_its_longest_sentence_at_13_px() {
        let json = crate::scenario::presets::PRESETS[4].1;
        let mut e = Engine::new(crate::scenario::parse_scenario(json).unwrap()).unwrap();
        e.run_to_end();
        let dup = e.anomalies().iter().find(|a| a.kind == AnomalyKind::DuplicateEffect).unwrap().message_id;
        let seq = journey_sequence(&e, dup).unwrap();
        let l = sequence_layout(&seq);
        let longest = seq.rows.iter().map(|r| r.text.chars().count()).max().unwrap();
        assert!(longest > 40, "a journey's sentences are long: {longest}");
        assert!(l.width - l.text_x >= longest as f64 * SEQUENCE_TEXT_PX * 0.6, "{} for {longest} characters", l.width);
        // Rows far enough apart for 13 px type.
        assert!(l.rows.windows(2).all(|w| w[1].y - w[0].y >= SEQUENCE_TEXT_PX * 1.6));
    }

    #[test]
    fn a_duplicate_email_as_a_mermaid_sequence_diagram() {
        let json = crate::scenario::presets::PRESETS[4].1;
        let mut e = Engine::new(crate::scenario::parse_scenario(json).unwrap()).unwrap();
        e.run_to_end();
        let dup = e.anomalies().iter().find(|a| a.kind == AnomalyKind::DuplicateEffect).unwrap().message_id;
        let text = sequence_mermaid(&journey_sequence(&e, dup).unwrap());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "sequenceDiagram");
        assert!(lines.contains(&"    participant P as user-service"), "{text}");
        assert!(lines.contains(&"    participant B as user-events"), "{text}");
        assert!(lines.iter().any(|l| l.starts_with("    participant K0 as email")), "{text}");
        let effects = lines.iter().filter(|l| l.contains("->>K0:")).count();
        assert_eq!(effects, 2, "the email is sent twice: {text}");
        assert!(lines.iter().any(|l| l.contains("CRASH")), "{text}");
        for l in &lines[1..] {
            let body = l.trim_start();
            assert!(body.starts_with("participant ") || body.starts_with("Note over ") || body.contains(": "), "{l}");
            let plain = body.replace("#35;", "").replace("#59;", "");
            assert!(!plain.contains(';') && !plain.contains('#'), "Mermaid reads ';' and '#' as syntax: {l}");
        }
        assert_eq!(journey_sequence(&e, MessageId::NONE), None);
        if std::env::var("PRINT_MERMAID").is_ok() {
            println!("{text}");
        }
    }
}
