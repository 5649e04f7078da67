//! Canvas layout and labels, computed from the engine as plain data (tested natively); the SVG component
//! only draws what this returns.
use crate::engine::broker::EntryState;
use crate::engine::{Engine, Role, Step};
use crate::scenario::model::{MessageKind, SinkKind};

pub const WIDTH: f64 = 1100.0;
const TOP: f64 = 44.0;
const GAP: f64 = 16.0;
const PRODUCER_X: f64 = 16.0;
const PRODUCER_W: f64 = 190.0;
const BROKER_X: f64 = 236.0;
const BROKER_W: f64 = 390.0;
const CONSUMER_X: f64 = 660.0;
const CONSUMER_W: f64 = 210.0;
const SINK_X: f64 = 900.0;
const SINK_W: f64 = 184.0;
const ROW_H: f64 = 24.0;
const HEADER_H: f64 = 38.0;
/// Log cells shown per partition (the newest ones).
pub const CELLS: u64 = 14;
const CELL_W: f64 = 20.0;
const CELL_X0: f64 = 40.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeId {
    Producer(u16),
    Topic(u16),
    Queue(u16),
    Group(u16),
    Consumer(u16),
    Sink(u16),
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    pub id: NodeId,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub title: String,
    pub lines: Vec<String>,
    /// CSS classes carrying state (shape and label carry it too: never colour alone).
    pub classes: Vec<&'static str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: (f64, f64),
    pub to: (f64, f64),
    pub dashed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogCell {
    pub x: f64,
    pub offset: u64,
    pub class: &'static str,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub class: &'static str,
    /// Short text beside the marker (the group's initial): the marker is never told by colour alone.
    pub label: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartitionRow {
    pub x: f64,
    pub y: f64,
    pub label: String,
    pub cells: Vec<LogCell>,
    pub markers: Vec<Marker>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub columns: Vec<(f64, &'static str)>,
    pub nodes: Vec<NodeBox>,
    pub edges: Vec<Edge>,
    pub partitions: Vec<PartitionRow>,
}

impl NodeBox {
    fn right(&self) -> (f64, f64) {
        (self.x + self.w, self.y + self.h / 2.0)
    }
    fn left(&self) -> (f64, f64) {
        (self.x, self.y + self.h / 2.0)
    }
}

pub fn step_label(step: Step) -> &'static str {
    match step {
        Step::Receive => "receive",
        Step::Check => "check",
        Step::Effect => "effect",
        Step::Record => "record",
        Step::Finish => "commit/ack",
    }
}

fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

pub fn layout(engine: &Engine) -> Layout {
    let mut nodes = vec![];
    let mut edges = vec![];
    let mut partitions = vec![];

    let mut y = TOP;
    for (i, p) in engine.producers.iter().enumerate() {
        let kind = match p.spec.kind {
            MessageKind::Event => "event",
            MessageKind::Command => "command",
        };
        nodes.push(NodeBox {
            id: NodeId::Producer(i as u16),
            x: PRODUCER_X,
            y,
            w: PRODUCER_W,
            h: 60.0,
            title: p.spec.name.clone(),
            lines: vec![format!("{} ({kind})", p.spec.message), format!("sent {} of {}", p.produced, p.spec.count)],
            classes: vec![kind],
        });
        y += 60.0 + GAP;
    }
    let mut producer_bottom = y;

    let mut y = TOP;
    for (ti, t) in engine.topics.iter().enumerate() {
        let h = HEADER_H + ROW_H * t.partitions.len() as f64 + 8.0;
        let records: u64 = t.partitions.iter().map(|p| p.end_offset()).sum();
        nodes.push(NodeBox {
            id: NodeId::Topic(ti as u16),
            x: BROKER_X,
            y,
            w: BROKER_W,
            h,
            title: format!("topic {}", t.spec.name),
            lines: vec![format!("{} · {}", plural(t.partitions.len() as u64, "partition"), plural(records, "record"))],
            classes: vec!["topic"],
        });
        for (pi, part) in t.partitions.iter().enumerate() {
            let row_y = y + HEADER_H + ROW_H * pi as f64;
            let end = part.end_offset();
            let first = end.saturating_sub(CELLS);
            let cells = (first..end)
                .enumerate()
                .map(|(k, offset)| {
                    let x = BROKER_X + CELL_X0 + CELL_W * k as f64;
                    match part.get(offset) {
                        Some(r) => {
                            let command = engine.messages.get(r.message as usize).is_some_and(|m| {
                                engine.producers[m.producer as usize].spec.kind == MessageKind::Command
                            });
                            LogCell {
                                x,
                                offset,
                                class: if command { "command" } else { "filled" },
                                label: format!("#{}", r.message),
                            }
                        }
                        None => LogCell { x, offset, class: "deleted", label: "deleted".into() },
                    }
                })
                .collect();
            let offset_x = |o: u64| BROKER_X + CELL_X0 + CELL_W * (o.saturating_sub(first)) as f64;
            let mut markers = vec![];
            for &gi in &t.groups {
                let g = &engine.groups[gi as usize];
                let initial = g.spec.name.chars().next().unwrap_or('?').to_uppercase().to_string();
                if let Some(c) = g.committed[pi] {
                    markers.push(Marker {
                        x: offset_x(c.max(first)),
                        class: "committed",
                        label: initial.clone(),
                        title: format!("{}: committed offset {c}", g.spec.name),
                    });
                }
            }
            partitions.push(PartitionRow { x: BROKER_X, y: row_y, label: format!("P{pi}"), cells, markers });
        }
        y += h + GAP;
    }
    for (qi, q) in engine.queues.iter().enumerate() {
        let store = &q.store;
        let dlq = store.dead_letter.len() as u64;
        let countdown = store.entries.iter().filter(|e| matches!(e.state, EntryState::InFlight { .. })).count();
        let h = HEADER_H + 3.0 * 20.0;
        nodes.push(NodeBox {
            id: NodeId::Queue(qi as u16),
            x: BROKER_X,
            y,
            w: BROKER_W,
            h,
            title: format!(
                "queue {} ({})",
                q.spec.name,
                if q.spec.kind == crate::scenario::model::QueueKind::Fifo { "FIFO" } else { "standard" }
            ),
            lines: vec![
                format!("waiting: {}", store.visible.len()),
                format!("in flight: {countdown} (visibility {} ms)", q.spec.visibility_timeout_ms),
                format!("dead-letter queue: {dlq}"),
            ],
            classes: if dlq > 0 { vec!["queue", "alarm"] } else { vec!["queue"] },
        });
        y += h + GAP;
    }
    let broker_bottom = y;

    let mut y = TOP;
    let consumer_box = |ci: usize, y: f64| {
        let c = &engine.consumers[ci];
        let (status, class) = if !c.alive {
            ("crashed — restarting".to_string(), "crashed")
        } else if let Some(a) = c.slots.iter().flatten().next() {
            let busy = c.slots.iter().flatten().count();
            let extra = if busy > 1 { format!(" (+{})", busy - 1) } else { String::new() };
            (format!("processing #{} · {}{extra}", a.message, step_label(a.step)), "processing")
        } else if matches!(c.role, Role::Member { .. }) && !c.in_group {
            ("not in the group".to_string(), "idle")
        } else {
            ("idle".to_string(), "idle")
        };
        NodeBox {
            id: NodeId::Consumer(ci as u16),
            x: CONSUMER_X + 10.0,
            y,
            w: CONSUMER_W - 10.0,
            h: 44.0,
            title: c.name.clone(),
            lines: vec![status],
            classes: vec!["consumer", class],
        }
    };
    let mut sub_anchor = vec![];
    for (gi, g) in engine.groups.iter().enumerate() {
        let start = y;
        let lag: u64 = engine.topics[g.topic as usize]
            .partitions
            .iter()
            .enumerate()
            .map(|(p, part)| part.end_offset().saturating_sub(g.committed[p].unwrap_or(part.start_offset)))
            .sum();
        let joined = if g.joined {
            format!("lag {lag}")
        } else {
            format!("joins at {}", crate::engine::observe::seconds(g.spec.join_at_ms))
        };
        let group_h = 40.0 + 50.0 * g.members.len() as f64;
        nodes.push(NodeBox {
            id: NodeId::Group(gi as u16),
            x: CONSUMER_X,
            y: start,
            w: CONSUMER_W,
            h: group_h,
            title: format!("group {}", g.spec.name),
            lines: vec![joined],
            classes: vec!["group"],
        });
        for (k, &m) in g.members.iter().enumerate() {
            nodes.push(consumer_box(m as usize, start + 40.0 + 50.0 * k as f64));
        }
        sub_anchor.push((g.sub, (CONSUMER_X + CONSUMER_W, start + group_h / 2.0)));
        if let Some(topic) = nodes.iter().find(|n| n.id == NodeId::Topic(g.topic)) {
            edges.push(Edge { from: topic.right(), to: (CONSUMER_X, start + 20.0), dashed: false });
        }
        y += group_h + GAP;
    }
    for (qi, q) in engine.queues.iter().enumerate() {
        let start = y;
        for (k, &w) in q.workers.iter().enumerate() {
            nodes.push(consumer_box(w as usize, start + 50.0 * k as f64));
        }
        let h = 50.0 * q.workers.len() as f64 - 6.0;
        sub_anchor.push((q.sub, (CONSUMER_X + CONSUMER_W, start + h / 2.0)));
        if let Some(queue) = nodes.iter().find(|n| n.id == NodeId::Queue(qi as u16)) {
            edges.push(Edge { from: queue.right(), to: (CONSUMER_X + 10.0, start + 22.0), dashed: true });
        }
        y += h + GAP;
    }
    let consumer_bottom = y;

    let mut y = TOP;
    let mut sink_pos = vec![];
    for (si, s) in engine.sinks.iter().enumerate() {
        let kind = match s.spec.kind {
            SinkKind::Email => "email service",
            SinkKind::Payment => "payment service",
            SinkKind::DbUpsert => "database (upsert)",
            SinkKind::DbCounter => "database (counter)",
        };
        let mut lines = vec![kind.to_string(), format!("applied {}", s.applied)];
        lines.push(if s.spec.kind == SinkKind::DbUpsert {
            "repeats are harmless".to_string()
        } else {
            format!("duplicates {}", s.duplicates)
        });
        let node = NodeBox {
            id: NodeId::Sink(si as u16),
            x: SINK_X,
            y,
            w: SINK_W,
            h: 70.0,
            title: s.spec.name.clone(),
            lines,
            classes: if s.duplicates > 0 { vec!["sink", "alarm"] } else { vec!["sink"] },
        };
        sink_pos.push(node.left());
        nodes.push(node);
        y += 70.0 + GAP;
    }
    let sink_bottom = y;
    for (sub, anchor) in sub_anchor {
        let sink = engine.sink_of(sub) as usize;
        if let Some(&to) = sink_pos.get(sink) {
            edges.push(Edge { from: anchor, to, dashed: false });
        }
    }
    for (pi, p) in engine.producers.iter().enumerate() {
        let target = nodes.iter().find(|n| match n.id {
            NodeId::Topic(t) => engine.topics[t as usize].spec.name == p.spec.target,
            NodeId::Queue(q) => engine.queues[q as usize].spec.name == p.spec.target,
            _ => false,
        });
        let from = nodes.iter().find(|n| n.id == NodeId::Producer(pi as u16));
        if let (Some(from), Some(to)) = (from, target) {
            edges.push(Edge { from: from.right(), to: to.left(), dashed: p.spec.kind == MessageKind::Command });
        }
    }
    producer_bottom = producer_bottom.max(broker_bottom).max(consumer_bottom).max(sink_bottom);
    Layout {
        width: WIDTH,
        height: producer_bottom.max(200.0),
        columns: vec![
            (PRODUCER_X, "Producers"),
            (BROKER_X, "Topics & queues"),
            (CONSUMER_X, "Consumers"),
            (SINK_X, "Side effects"),
        ],
        nodes,
        edges,
        partitions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;
    use crate::scenario::presets::PRESETS;

    fn overlaps(a: &NodeBox, b: &NodeBox) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn every_preset_lays_out_without_overlap_inside_the_canvas() {
        for (stem, json) in PRESETS {
            let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
            engine.run_until(8_000);
            let l = layout(&engine);
            let expected = engine.producers.len()
                + engine.topics.len()
                + engine.queues.len()
                + engine.groups.len()
                + engine.consumers.len()
                + engine.sinks.len();
            assert_eq!(l.nodes.len(), expected, "{stem}: one box per entity");
            for n in &l.nodes {
                assert!(
                    n.x >= 0.0 && n.x + n.w <= l.width && n.y >= 0.0 && n.y + n.h <= l.height,
                    "{stem}: {n:?} outside"
                );
            }
            for (i, a) in l.nodes.iter().enumerate() {
                for b in &l.nodes[i + 1..] {
                    let nested = matches!((a.id, b.id), (NodeId::Group(_), NodeId::Consumer(_)));
                    assert!(nested || !overlaps(a, b), "{stem}: {:?} overlaps {:?}", a.id, b.id);
                }
            }
            for row in &l.partitions {
                assert!(row.cells.len() as u64 <= CELLS);
                for c in &row.cells {
                    assert!(c.x + CELL_W <= BROKER_X + BROKER_W, "{stem}: cell outside its topic");
                }
            }
        }
    }

    #[test]
    fn crashed_consumer_is_labelled_not_just_coloured() {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("05")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        let mut seen = false;
        while engine.step() {
            if engine.consumers.iter().any(|c| !c.alive) {
                let l = layout(&engine);
                let crashed: Vec<_> = l.nodes.iter().filter(|n| n.classes.contains(&"crashed")).collect();
                assert!(!crashed.is_empty());
                assert!(crashed.iter().all(|n| n.lines[0].contains("crashed")));
                seen = true;
                break;
            }
        }
        assert!(seen, "preset 05 crashes a consumer");
    }
}
