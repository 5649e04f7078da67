//! The compare table: two lanes' figures side by side, the better side of each ticked.
use crate::engine::observe::AnomalyKind;
use crate::engine::Engine;

/// One line of the side-by-side figures: lane A's value, lane B's, and which side it favours (if the
/// figure is one where less or more is plainly better).
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRow {
    pub label: &'static str,
    pub a: u64,
    pub b: u64,
    /// `Some(true)` when a lower value is better (duplicates, losses), `Some(false)` when higher is (history
    /// kept), `None` when it is only different.
    pub lower_is_better: Option<bool>,
}

/// The figures a comparison lines up: what each lane delivered, what went wrong, and what it keeps.
pub fn compare_rows(a: &Engine, b: &Engine) -> Vec<CompareRow> {
    // Records a log still holds: what a late or replaying reader can get. A queue keeps nothing it delivered.
    let kept = |e: &Engine| e.topics().iter().flat_map(|t| t.partitions.iter()).map(|p| p.records.len() as u64).sum();
    let anomalies = |e: &Engine, kind: AnomalyKind| e.anomalies().iter().filter(|x| x.kind == kind).count() as u64;
    let row = |label, a, b, lower_is_better| CompareRow { label, a, b, lower_is_better };
    let (ca, cb) = (a.counters(), b.counters());
    let mut rows = vec![
        row("Produced", ca.produced, cb.produced, None),
        row("Delivered", ca.deliveries, cb.deliveries, None),
        row("Effects applied", ca.effects_applied, cb.effects_applied, None),
        row("Duplicate effects", ca.duplicate_effects, cb.duplicate_effects, Some(true)),
        row("Lost", ca.lost_messages, cb.lost_messages, Some(true)),
        row("Dead-lettered", ca.dead_lettered, cb.dead_lettered, Some(true)),
        row("Dead-lettered, effect applied", ca.dead_lettered_after_effect, cb.dead_lettered_after_effect, Some(true)),
        row("Out of order", ca.out_of_order, cb.out_of_order, Some(true)),
        row("Stale reads", ca.stale_reads, cb.stale_reads, Some(true)),
        row("Read-API calls", ca.read_api_calls, cb.read_api_calls, Some(true)),
        row("Bytes on the wire", ca.bytes_on_wire, cb.bytes_on_wire, None),
        row("Kept for replay (records in logs)", kept(a), kept(b), Some(false)),
        row("Crashes", ca.crashes, cb.crashes, None),
    ];
    // The anomalies, kind by kind, so the two feeds line up (counted over the engine's kept anomalies: the
    // first 2,000 of a run, far more than any preset has).
    for (kind, label) in [
        (AnomalyKind::DuplicateEffect, "Anomalies: duplicate effect"),
        (AnomalyKind::LostMessage, "Anomalies: lost"),
        (AnomalyKind::LostToRetention, "Anomalies: lost to retention"),
        (AnomalyKind::DeadLettered, "Anomalies: dead-lettered"),
        (AnomalyKind::OutOfOrder, "Anomalies: out of order"),
        (AnomalyKind::StaleRead, "Anomalies: stale read"),
        (AnomalyKind::DuplicateAppend, "Anomalies: duplicate append"),
        (AnomalyKind::InventedEvent, "Anomalies: invented event"),
    ] {
        rows.push(row(label, anomalies(a, kind), anomalies(b, kind), Some(true)));
    }
    rows
}
