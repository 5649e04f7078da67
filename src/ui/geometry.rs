//! Canvas layout and labels, computed from the engine as plain data (tested natively); the SVG component
//! only draws what this returns.
use crate::engine::broker::TxnMark;
use crate::engine::observe::What;
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
/// Width of a fan-out exchange's box, left of the queues it feeds.
const EXCHANGE_W: f64 = 112.0;
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
    Exchange(u16),
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
    /// The message stored there (None once retention deleted it).
    pub message: Option<u32>,
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
    pub topic: u16,
    pub partition: u32,
    /// The oldest offset drawn (the row shows the newest `CELLS`).
    pub first: u64,
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

/// The topic or queue box a producer sends to.
fn target_node<'a>(
    engine: &Engine,
    nodes: &'a [NodeBox],
    producer: &crate::scenario::model::Producer,
) -> Option<&'a NodeBox> {
    nodes.iter().find(|n| match n.id {
        NodeId::Topic(t) => engine.topics[t as usize].spec.name == producer.target,
        NodeId::Queue(q) => engine.queues[q as usize].spec.name == producer.target,
        NodeId::Exchange(x) => engine.exchanges[x as usize].spec.name == producer.target,
        _ => false,
    })
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
                            let command = engine.messages.get(r.message).is_some_and(|m| {
                                engine.producers[m.producer as usize].spec.kind == MessageKind::Command
                            });
                            // Transaction state is in the label too (never colour alone).
                            let (class, label) = match r.txn {
                                TxnMark::Open => ("open-txn", format!("#{} (in an open transaction)", r.message)),
                                TxnMark::Aborted => ("aborted", format!("#{} (aborted transaction)", r.message)),
                                _ if command => ("command", format!("#{}", r.message)),
                                _ => ("filled", format!("#{}", r.message)),
                            };
                            LogCell { x, offset, message: Some(r.message), class, label }
                        }
                        None => LogCell { x, offset, message: None, class: "deleted", label: "deleted".into() },
                    }
                })
                .collect();
            let offset_x = |o: u64| BROKER_X + CELL_X0 + CELL_W * (o.saturating_sub(first)) as f64;
            let mut markers = vec![];
            for &gi in &t.groups {
                let g = &engine.groups[gi as usize];
                let initial = g.spec.name.chars().next().unwrap_or('?').to_ascii_uppercase().to_string();
                if let Some(c) = g.committed[pi] {
                    markers.push(Marker {
                        x: offset_x(c.max(first)),
                        class: "committed",
                        label: initial.clone(),
                        title: format!("{}: committed offset {c}", g.spec.name),
                    });
                }
            }
            partitions.push(PartitionRow {
                topic: ti as u16,
                partition: pi as u32,
                first,
                x: BROKER_X,
                y: row_y,
                label: format!("P{pi}"),
                cells,
                markers,
            });
        }
        y += h + GAP;
    }
    // Queues fed by a fan-out exchange sit to the right of it, so the copies fan out visibly.
    // Each exchange's queues are stacked together (in exchange order) so its box spans only them.
    let fed = |qi: usize| engine.exchanges.iter().any(|x| x.queues.contains(&(qi as u16)));
    let mut queue_order: Vec<usize> = vec![];
    for qi in engine.exchanges.iter().flat_map(|x| x.queues.iter().map(|&q| q as usize)).chain(0..engine.queues.len()) {
        if !queue_order.contains(&qi) {
            queue_order.push(qi);
        }
    }
    for qi in queue_order {
        let q = &engine.queues[qi];
        let store = &q.store;
        let dlq = store.dead_letter.len() as u64;
        let countdown = store.in_flight as usize;
        let h = HEADER_H + 3.0 * 20.0;
        let indent = if fed(qi) { EXCHANGE_W + 24.0 } else { 0.0 };
        nodes.push(NodeBox {
            id: NodeId::Queue(qi as u16),
            x: BROKER_X + indent,
            y,
            w: BROKER_W - indent,
            h,
            title: format!(
                "queue {} ({})",
                q.spec.name,
                if q.spec.kind == crate::scenario::model::QueueKind::Fifo { "FIFO" } else { "standard" }
            ),
            lines: vec![
                if engine.now() < q.spec.subscribe_at_ms {
                    format!("subscribes at {}", crate::engine::observe::seconds(q.spec.subscribe_at_ms))
                } else {
                    format!("waiting: {}", store.visible.len())
                },
                format!("in flight: {countdown} (visibility {} ms)", q.spec.visibility_timeout_ms),
                format!("dead-letter queue: {dlq}"),
            ],
            classes: if dlq > 0 { vec!["queue", "alarm"] } else { vec!["queue"] },
        });
        y += h + GAP;
    }
    for (xi, x) in engine.exchanges.iter().enumerate() {
        let bound: Vec<&NodeBox> =
            nodes.iter().filter(|n| matches!(n.id, NodeId::Queue(q) if x.queues.contains(&q))).collect();
        let top = bound.iter().map(|n| n.y).fold(f64::INFINITY, f64::min);
        let bottom = bound.iter().map(|n| n.y + n.h).fold(f64::NEG_INFINITY, f64::max);
        if bound.is_empty() {
            continue;
        }
        let node = NodeBox {
            id: NodeId::Exchange(xi as u16),
            x: BROKER_X,
            y: top,
            w: EXCHANGE_W,
            h: bottom - top,
            title: x.spec.name.clone(),
            lines: vec!["fan-out".into(), format!("→ {}", plural(bound.len() as u64, "queue"))],
            classes: vec!["exchange"],
        };
        for q in &bound {
            edges.push(Edge { from: node.right(), to: q.left(), dashed: false });
        }
        nodes.push(node);
    }
    let broker_bottom = y;

    let mut y = TOP;
    let consumer_box = |ci: usize, y: f64| {
        let c = &engine.consumers[ci];
        let (status, class) = if c.stopped {
            ("stopped".to_string(), "idle")
        } else if !c.alive {
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
        let (status, armed) = match c.crash_armed() {
            Some(_) if c.alive => (format!("{status} · ⚠ armed"), Some("armed")),
            _ => (status, None),
        };
        NodeBox {
            id: NodeId::Consumer(ci as u16),
            x: CONSUMER_X + 10.0,
            y,
            w: CONSUMER_W - 10.0,
            h: 44.0,
            title: c.name.clone(),
            lines: vec![status],
            classes: vec!["consumer", class].into_iter().chain(armed).collect(),
        }
    };
    let mut sub_anchor = vec![];
    for (gi, g) in engine.groups.iter().enumerate() {
        let start = y;
        let lag = engine.group_lag(gi as u16);
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
        // A stage writes back into the broker column: an edge from the group to its output topic.
        let output = g.spec.produce_to.as_ref().and_then(|out| engine.topics.iter().position(|t| &t.spec.name == out));
        if let Some(topic) = output.and_then(|t| nodes.iter().find(|n| n.id == NodeId::Topic(t as u16))) {
            edges.push(Edge { from: (CONSUMER_X, start + group_h - 12.0), to: topic.right(), dashed: true });
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
        let target = target_node(engine, &nodes, &p.spec);
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

/// How long (virtual ms) a token takes to travel one hop on the canvas. Real hops take a few ms of
/// network latency, far too fast to see; the picture lets each token travel for this long after the
/// event, so it is still a function of the virtual time alone (scrubbing shows it exactly).
pub const HOP_MS: u64 = 240;
/// A crash stays marked with a burst this long (virtual ms) after it happened.
pub const CRASH_BURST_MS: u64 = 1_500;
/// More tokens than this are not drawn (the oldest are dropped first).
pub const MAX_TOKENS: usize = 2_000;

/// What a token shows; each has its own shape or label, never only a colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Producer → broker, first send.
    Send,
    /// Producer → broker, a retry that was appended again (a duplicate copy).
    Retry,
    /// Producer → broker, a retry the idempotent producer's broker dropped.
    Dropped,
    /// Broker → consumer, first delivery.
    Delivery,
    /// Broker → consumer, a redelivery (attempt > 1).
    Redelivery,
    /// Consumer → sink, the effect applied.
    Effect,
    /// Consumer → sink, the effect applied again: a duplicate.
    Duplicate,
    /// Consumer → sink, recognised by the sink's idempotency key and not applied.
    Deduplicated,
    /// Queue → its dead-letter queue.
    DeadLetter,
    /// Sitting in a consumer, being handled.
    Handling,
    /// A consumer crashed here.
    Crash,
}

impl TokenKind {
    pub fn class(self) -> &'static str {
        match self {
            TokenKind::Send => "send",
            TokenKind::Retry => "retry",
            TokenKind::Dropped => "dropped",
            TokenKind::Delivery => "delivery",
            TokenKind::Redelivery => "redelivery",
            TokenKind::Effect => "effect",
            TokenKind::Duplicate => "duplicate",
            TokenKind::Deduplicated => "deduplicated",
            TokenKind::DeadLetter => "dead-letter",
            TokenKind::Handling => "handling",
            TokenKind::Crash => "crash",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// Stable per token (trace sequence number, or delivery id for handling tokens): the DOM key.
    pub id: u64,
    /// The message it stands for (0 for a crash burst).
    pub message: u32,
    pub x: f64,
    pub y: f64,
    pub kind: TokenKind,
    /// Commands are drawn as squares, events as circles.
    pub command: bool,
    /// Hue (0–359) from the message's key: the same key, the same colour.
    pub hue: u32,
    pub label: String,
    /// Shown on hover, for the tokens that stay put (a crash, a message being handled); empty for a
    /// token on the move.
    pub title: String,
}

/// The point at `t` (0–1) along the same curve the canvas draws for an edge from `a` to `b`.
pub fn curve_point(a: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    let t = t.clamp(0.0, 1.0);
    let mx = (a.0 + b.0) / 2.0;
    let (p0, p1, p2, p3) = (a, (mx, a.1), (mx, b.1), b);
    let u = 1.0 - t;
    let w = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    (w.0 * p0.0 + w.1 * p1.0 + w.2 * p2.0 + w.3 * p3.0, w.0 * p0.1 + w.1 * p1.1 + w.2 * p2.1 + w.3 * p3.1)
}

/// The SVG path of an edge from `a` to `b` (the curve `curve_point` follows).
pub fn curve_path(a: (f64, f64), b: (f64, f64)) -> String {
    let mx = (a.0 + b.0) / 2.0;
    let d = crate::ui::text::decimal;
    format!("M{},{} C{},{} {},{} {},{}", d(a.0), d(a.1), d(mx), d(a.1), d(mx), d(b.1), d(b.0), d(b.1))
}

pub fn key_hue(key: u32) -> u32 {
    // The golden angle spreads neighbouring keys far apart on the colour wheel.
    ((key as u64 * 137_508 / 1000) % 360) as u32
}

fn ease(t: f64) -> f64 {
    t * t * (3.0 - 2.0 * t)
}

impl Layout {
    fn node(&self, id: NodeId) -> Option<&NodeBox> {
        self.nodes.iter().find(|n| n.id == id)
    }
    fn row(&self, topic: u16, partition: u32) -> Option<&PartitionRow> {
        self.partitions.iter().find(|r| r.topic == topic && r.partition == partition)
    }
    /// Where a record at this offset sits on the canvas (the row's start if it has scrolled off).
    fn cell_point(&self, topic: u16, partition: u32, offset: u64) -> Option<(f64, f64)> {
        let r = self.row(topic, partition)?;
        let k = offset.saturating_sub(r.first).min(CELLS - 1) as f64;
        Some((BROKER_X + CELL_X0 + CELL_W * k + 9.0, r.y + 11.0))
    }
    fn row_end(&self, topic: u16, partition: u32) -> Option<(f64, f64)> {
        self.row(topic, partition).map(|r| (BROKER_X + BROKER_W, r.y + 11.0))
    }
}

/// One hop of a token: from, to, what it shows, and the word added to its label.
type Hop = ((f64, f64), (f64, f64), TokenKind, String);

/// How tokens travel a hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Motion {
    /// Gliding along the edge.
    Smooth,
    /// `prefers-reduced-motion`: still, halfway along the edge, for as long as the hop lasts.
    Reduced,
}

/// The tokens on the canvas at the engine's current time: messages travelling a hop (for `HOP_MS` after
/// the event), messages being handled inside consumers, and recent crashes. A pure function of the
/// engine's state and trace, so the same virtual time always draws the same picture.
pub fn tokens(engine: &Engine, l: &Layout, motion: Motion) -> Vec<Token> {
    let now = engine.now();
    let mut out = vec![];
    let window_start = now.saturating_sub(HOP_MS.max(CRASH_BURST_MS));
    let recent: Vec<&crate::engine::observe::TraceEvent> =
        engine.trace.events.iter().rev().take_while(|ev| ev.at_ms >= window_start).collect();
    for ev in recent.into_iter().rev() {
        let age = now.saturating_sub(ev.at_ms);
        let t = match motion {
            Motion::Smooth => ease(age as f64 / HOP_MS as f64),
            Motion::Reduced => 0.5,
        };
        if let What::Crashed { consumer, step } = ev.what {
            if let Some(n) = l.node(NodeId::Consumer(consumer)) {
                if age <= CRASH_BURST_MS {
                    let name = &engine.consumers[consumer as usize].name;
                    out.push(Token {
                        id: ev.seq,
                        message: 0,
                        x: n.x + n.w - 62.0,
                        y: n.y + n.h / 2.0,
                        kind: TokenKind::Crash,
                        command: false,
                        hue: 0,
                        label: "CRASH".into(),
                        title: format!(
                            "{name} crashed{}",
                            step.map_or(String::new(), |s| format!(" {}", crate::ui::text::crash_point_label(s)))
                        ),
                    });
                }
            }
            continue;
        }
        if age > HOP_MS {
            continue;
        }
        let Some(m) = ev.message.and_then(|m| engine.messages.get(m).map(|msg| (m, msg))) else { continue };
        let (id, msg) = m;
        let producer = &engine.producers[msg.producer as usize].spec;
        let producer_point = l.node(NodeId::Producer(msg.producer)).map(|n| n.right());
        let hop: Option<Hop> = match ev.what {
            What::Appended { topic, partition, offset, retry } => {
                let to = l.cell_point(topic, partition, offset);
                let kind = if retry { TokenKind::Retry } else { TokenKind::Send };
                producer_point.zip(to).map(|(a, b)| (a, b, kind, if retry { "retry".into() } else { String::new() }))
            }
            What::Enqueued { queue, retry, .. } => {
                let to = l.node(NodeId::Queue(queue)).map(|n| n.left());
                // Through an exchange the copy travels from the exchange, which the producer reached first.
                let from = match target_node(engine, &l.nodes, producer) {
                    Some(x) if matches!(x.id, NodeId::Exchange(_)) => Some(x.right()),
                    _ => producer_point,
                };
                let kind = if retry { TokenKind::Retry } else { TokenKind::Send };
                from.zip(to).map(|(a, b)| (a, b, kind, if retry { "retry".into() } else { String::new() }))
            }
            What::StageProduced { consumer, topic, partition, offset, transactional } => {
                let from = l.node(NodeId::Consumer(consumer)).map(|n| n.left());
                let to = l.cell_point(topic, partition, offset);
                let label = if transactional { "txn".into() } else { "out".into() };
                from.zip(to).map(|(a, b)| (a, b, TokenKind::Send, label))
            }
            What::Routed { .. } => {
                let to = target_node(engine, &l.nodes, producer).map(|n| n.left());
                let (kind, label) =
                    if ev.attempt > 1 { (TokenKind::Retry, "retry".into()) } else { (TokenKind::Send, String::new()) };
                producer_point.zip(to).map(|(a, b)| (a, b, kind, label))
            }
            What::AppendDeduplicated { .. } => {
                let to = target_node(engine, &l.nodes, producer).map(|n| n.left());
                producer_point.zip(to).map(|(a, b)| (a, b, TokenKind::Dropped, "dropped".into()))
            }
            What::Delivered { consumer, delivery } => {
                let from = engine.delivery(delivery).and_then(|d| match d.source() {
                    crate::engine::DeliverySource::Record { topic, partition, .. } => l.row_end(topic, partition),
                    crate::engine::DeliverySource::Entry { queue, .. } => {
                        l.node(NodeId::Queue(queue)).map(|n| n.right())
                    }
                });
                let to = l.node(NodeId::Consumer(consumer)).map(|n| n.left());
                let (kind, label) = if ev.attempt > 1 {
                    (TokenKind::Redelivery, format!("↻{}", ev.attempt))
                } else {
                    (TokenKind::Delivery, String::new())
                };
                from.zip(to).map(|(a, b)| (a, b, kind, label))
            }
            What::Effect { consumer, sink, duplicate } => {
                let from = l.node(NodeId::Consumer(consumer)).map(|n| n.right());
                let to = l.node(NodeId::Sink(sink)).map(|n| n.left());
                let (kind, label) = if duplicate {
                    (TokenKind::Duplicate, "×2 dup".into())
                } else {
                    (TokenKind::Effect, String::new())
                };
                from.zip(to).map(|(a, b)| (a, b, kind, label))
            }
            What::EffectDeduplicated { consumer, sink } => {
                let from = l.node(NodeId::Consumer(consumer)).map(|n| n.right());
                let to = l.node(NodeId::Sink(sink)).map(|n| n.left());
                from.zip(to).map(|(a, b)| (a, b, TokenKind::Deduplicated, "dedup".into()))
            }
            What::DeadLettered { sub } => engine
                .queues
                .iter()
                .position(|q| q.sub == sub)
                .and_then(|q| l.node(NodeId::Queue(q as u16)))
                .map(|n| ((n.x + n.w / 2.0, n.y + n.h / 2.0), (n.x + n.w - 24.0, n.y + n.h - 12.0)))
                .map(|(a, b)| (a, b, TokenKind::DeadLetter, "DLQ".into())),
            _ => None,
        };
        let Some((a, b, kind, suffix)) = hop else { continue };
        let (x, y) = curve_point(a, b, t);
        let label = if suffix.is_empty() { format!("#{id}") } else { format!("#{id} {suffix}") };
        out.push(Token {
            id: ev.seq,
            message: id,
            x,
            y,
            kind,
            command: producer.kind == MessageKind::Command,
            hue: key_hue(msg.key),
            // Gone before a tooltip would show; the click opens the message's journey.
            title: String::new(),
            label,
        });
    }
    // Messages being handled, inside their consumer's box (keyed by delivery so they stay put).
    for (ci, c) in engine.consumers.iter().enumerate() {
        let Some(n) = l.node(NodeId::Consumer(ci as u16)) else { continue };
        for (k, a) in c.slots.iter().flatten().enumerate().take(2) {
            let Some(msg) = engine.messages.get(a.message) else { continue };
            let producer = &engine.producers[msg.producer as usize].spec;
            let attempt = engine.delivery(a.delivery).map_or(1, |d| d.attempt);
            out.push(Token {
                id: (1 << 48) | a.delivery as u64,
                message: a.message,
                x: n.x + n.w - 16.0 - 64.0 * k as f64,
                y: n.y + 14.0,
                kind: TokenKind::Handling,
                command: producer.kind == MessageKind::Command,
                hue: key_hue(msg.key),
                label: if attempt > 1 { format!("#{} ↻{attempt}", a.message) } else { format!("#{}", a.message) },
                title: format!("{} is handling #{} ({})", c.name, a.message, step_label(a.step)),
            });
        }
    }
    if out.len() > MAX_TOKENS {
        out.drain(..out.len() - MAX_TOKENS);
    }
    out
}

/// Points drawn per chart series at most (samples are thinned evenly beyond this).
pub const CHART_POINTS: usize = 200;

/// A small line chart of the sampled series: each group's lag and each queue's depth over time.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    /// The largest value drawn (the top of the y axis).
    pub max: u64,
    /// Time at the right edge.
    pub end_ms: u64,
    pub series: Vec<ChartSeries>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChartSeries {
    /// "lag notifications", "depth welcome-emails".
    pub label: String,
    pub path: String,
    /// Each series has its own dash pattern, so lines are told apart without colour.
    pub dash: &'static str,
    pub last: u64,
}

const DASHES: &[&str] = &["", "6 3", "2 3", "10 3 2 3", "1 2"];

/// Up to this many tokens on screen, every token shows its "#id" and its outline.
pub const LABELLED_TOKENS_MAX: usize = 150;

/// More tokens than `LABELLED_TOKENS_MAX`: the canvas draws the plain ones lighter (see `declutter`).
pub fn crowded(tokens: &[Token]) -> bool {
    tokens.len() > LABELLED_TOKENS_MAX
}

/// On a crowded canvas the plain "#id" labels overlap into an unreadable mass (and each costs the frame
/// rate a text layout): those are dropped, and the labels that say something stay — a retry, a
/// redelivery, a duplicate, a dead letter, a crash, a stage's output, the selected message. (The canvas
/// also drops the outline of plain sends, deliveries and effects then: rasterising a thousand outlines
/// cost the 2-core benchmark machine its 60 fps.)
pub fn declutter(tokens: &mut [Token], selected: Option<u32>) {
    if !crowded(tokens) {
        return;
    }
    for t in tokens.iter_mut().filter(|t| Some(t.message) != selected) {
        if t.label.strip_prefix('#').is_some_and(|id| id == t.message.to_string()) {
            t.label.clear();
        }
    }
}

/// Which slot of the token layer draws each token this frame, given the token id each slot drew last
/// frame (`None`: a spare slot). A token still on screen keeps its slot, so only its position changes;
/// a new token takes a slot freed by one that left (rewriting an element is cheaper than creating one),
/// and new slots are appended only when there are more tokens than slots. Slots left over are spares.
pub fn assign_slots(previous: &[Option<u64>], tokens: &[Token]) -> Vec<usize> {
    let kept: std::collections::HashMap<u64, usize> =
        previous.iter().enumerate().filter_map(|(slot, id)| id.map(|id| (id, slot))).collect();
    let mut taken = vec![false; previous.len()];
    let mut out: Vec<Option<usize>> = tokens
        .iter()
        .map(|t| {
            let slot = kept.get(&t.id).copied().filter(|&s| !taken[s])?;
            taken[slot] = true;
            Some(slot)
        })
        .collect();
    let mut free = (0..previous.len()).filter(|&s| !taken[s]);
    let mut next_new = previous.len();
    for slot in out.iter_mut().filter(|s| s.is_none()) {
        *slot = Some(free.next().unwrap_or_else(|| {
            next_new += 1;
            next_new - 1
        }));
    }
    out.into_iter().flatten().collect()
}

/// Lag and depth over time so far; None before the first sample.
pub fn chart(engine: &Engine, width: f64, height: f64) -> Option<Chart> {
    let samples = &engine.samples;
    let last = samples.last()?;
    let end_ms = last.at_ms.max(1);
    let mut named: Vec<(String, Vec<u64>)> = vec![];
    for (g, group) in engine.groups.iter().enumerate() {
        named.push((
            format!("lag {}", group.spec.name),
            samples.iter().map(|s| s.group_lag.get(g).copied().unwrap_or(0)).collect(),
        ));
    }
    for (q, queue) in engine.queues.iter().enumerate() {
        named.push((
            format!("depth {}", queue.spec.name),
            samples.iter().map(|s| s.queue_depth.get(q).copied().unwrap_or(0)).collect(),
        ));
    }
    let max = named.iter().flat_map(|(_, v)| v.iter().copied()).max().unwrap_or(0).max(1);
    let stride = samples.len().div_ceil(CHART_POINTS).max(1);
    let x = |at: u64| width * at as f64 / end_ms as f64;
    let y = |v: u64| height - height * v as f64 / max as f64;
    let series = named
        .into_iter()
        .enumerate()
        .map(|(i, (label, values))| {
            let mut path = String::new();
            // Keep the last sample too, so the line reaches the right edge.
            let picks = (0..samples.len()).step_by(stride).chain(std::iter::once(samples.len() - 1));
            for (k, j) in picks.enumerate() {
                let cmd = if k == 0 { 'M' } else { 'L' };
                let d = crate::ui::text::decimal;
                path.push_str(&format!("{cmd}{},{} ", d(x(samples[j].at_ms)), d(y(values[j]))));
            }
            ChartSeries {
                label,
                path: path.trim_end().to_string(),
                dash: DASHES[i % DASHES.len()],
                last: values[values.len() - 1],
            }
        })
        .collect();
    Some(Chart { width, height, max, end_ms, series })
}

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
pub const SEQUENCE_TEXT_W: f64 = 560.0;

pub fn sequence_layout(seq: &crate::ui::text::Sequence) -> SequenceLayout {
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
    SequenceLayout {
        width: text_x + SEQUENCE_TEXT_W,
        height: SEQUENCE_HEAD_H + SEQUENCE_ROW_H * seq.rows.len() as f64 + 8.0,
        lanes,
        rows,
        text_x,
    }
}

#[cfg(test)]
mod tests {
    fn plain_token(id: u64) -> Token {
        Token {
            id,
            message: id as u32,
            x: 0.0,
            y: 0.0,
            kind: TokenKind::Send,
            command: false,
            hue: 0,
            label: format!("#{id}"),
            title: String::new(),
        }
    }

    #[test]
    fn a_crowded_canvas_keeps_only_the_labels_that_say_something() {
        let mut few: Vec<Token> = (1..=LABELLED_TOKENS_MAX as u64).map(plain_token).collect();
        declutter(&mut few, None);
        assert!(few.iter().all(|t| t.label == format!("#{}", t.id)), "up to the limit every token is labelled");

        let mut many: Vec<Token> = (1..=LABELLED_TOKENS_MAX as u64 + 1).map(plain_token).collect();
        many[0].kind = TokenKind::Redelivery;
        many[0].label = "#1 ↻2".into();
        many[1].kind = TokenKind::Duplicate;
        many[1].label = "#2 ×2 dup".into();
        declutter(&mut many, Some(7));
        assert_eq!(many[0].label, "#1 ↻2");
        assert_eq!(many[1].label, "#2 ×2 dup");
        assert_eq!(many[6].label, "#7", "the selected message keeps its id");
        assert_eq!(many.iter().filter(|t| t.label.is_empty()).count(), LABELLED_TOKENS_MAX + 1 - 3);
    }

    #[test]
    fn a_token_keeps_its_slot_and_new_tokens_reuse_the_slots_of_those_that_left() {
        let token = |id| Token {
            id,
            message: 1,
            x: 0.0,
            y: 0.0,
            kind: TokenKind::Send,
            command: false,
            hue: 0,
            label: String::new(),
            title: String::new(),
        };
        // Slots drew tokens 10, 11, 12 and a spare; 11 left, 13 and 14 arrived, 10 and 12 stay.
        let previous = [Some(10), Some(11), Some(12), None];
        let slots = assign_slots(&previous, &[token(12), token(13), token(10), token(14)]);
        assert_eq!(slots, vec![2, 1, 0, 3]);
        // More tokens than slots: new slots are appended after the existing ones.
        assert_eq!(assign_slots(&[Some(1)], &[token(2), token(1), token(3)]), vec![1, 0, 2]);
        // A repeated id (never produced, but harmless) does not share a slot.
        let twice = assign_slots(&[Some(5)], &[token(5), token(5)]);
        assert_eq!(twice, vec![0, 1]);
        assert!(assign_slots(&[Some(1), Some(2)], &[]).is_empty());
    }

    #[test]
    fn a_sequence_lays_out_one_lifeline_per_participant_and_one_row_per_step() {
        use crate::ui::text::{Sequence, SequenceRow};
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
                + engine.exchanges.len()
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
    fn an_exchange_fans_each_message_out_to_its_queues() {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("11")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        engine.run_until(13_000);
        let l = layout(&engine);
        let x = l.node(NodeId::Exchange(0)).expect("the exchange has a box");
        let queues: Vec<&NodeBox> = l.nodes.iter().filter(|n| matches!(n.id, NodeId::Queue(_))).collect();
        assert_eq!(queues.len(), 4);
        for q in &queues {
            assert!(q.x > x.x + x.w, "{:?} sits right of the exchange", q.id);
            assert!(l.edges.iter().any(|e| e.from == x.right() && e.to == q.left()), "an edge to {:?}", q.id);
        }
        // The publish travels producer → exchange; each copy exchange → queue.
        let producer = l.node(NodeId::Producer(0)).unwrap().right();
        let (mut to_exchange, mut from_exchange) = (false, false);
        let mut t = 13_000;
        while t < 16_000 && !(to_exchange && from_exchange) {
            t += 40;
            engine.run_until(t);
            for tok in tokens(&engine, &l, Motion::Smooth) {
                let on_first_hop = tok.x > producer.0 && tok.x < x.x;
                to_exchange |= tok.kind == TokenKind::Send && on_first_hop;
                from_exchange |= tok.kind == TokenKind::Send && tok.x > x.x + x.w && tok.x < BROKER_X + BROKER_W;
            }
        }
        assert!(to_exchange && from_exchange, "tokens on both hops");
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

    #[test]
    fn with_reduced_motion_a_token_sits_still_for_its_hop() {
        // Preset 02 (queues: no log cells that scroll), 10 ms apart: gliding tokens move, still ones do not.
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("02")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        let (mut compared, mut glided) = (0, 0);
        for t in (100..6_000).step_by(50) {
            engine.run_until(t);
            let (smooth, still) =
                (tokens(&engine, &layout(&engine), Motion::Smooth), tokens(&engine, &layout(&engine), Motion::Reduced));
            engine.run_until(t + 10);
            let l = layout(&engine);
            let (smooth_later, still_later) =
                (tokens(&engine, &l, Motion::Smooth), tokens(&engine, &l, Motion::Reduced));
            for x in &still {
                if let Some(y) = still_later.iter().find(|y| y.id == x.id) {
                    assert_eq!((x.x, x.y), (y.x, y.y), "{x:?} moved with reduced motion");
                    compared += 1;
                }
            }
            glided +=
                smooth.iter().filter(|x| smooth_later.iter().any(|y| y.id == x.id && (y.x, y.y) != (x.x, x.y))).count();
        }
        assert!(compared > 20 && glided > 20, "{compared} compared, {glided} glided");
    }

    #[test]
    fn tokens_travel_with_virtual_time_and_are_told_apart_without_colour() {
        // Preset 08: lost acks ⇒ producer retries ⇒ duplicate appends, later duplicate effects.
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("08")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        let mut moved = false;
        let mut t = 0;
        while t < 20_000 {
            t += 40;
            engine.run_until(t);
            let l = layout(&engine);
            let a = tokens(&engine, &l, Motion::Smooth);
            for tok in &a {
                kinds.insert(tok.kind.class());
                assert!(tok.x >= 0.0 && tok.x <= l.width && tok.y >= 0.0 && tok.y <= l.height, "{tok:?}");
                assert!(tok.label.starts_with('#') || tok.kind == TokenKind::Crash);
            }
            engine.run_until(t + 20);
            let b = tokens(&engine, &layout(&engine), Motion::Smooth);
            // The same token, 20 ms later, has moved along its hop.
            moved |= a
                .iter()
                .any(|x| x.kind != TokenKind::Handling && b.iter().any(|y| y.id == x.id && (y.x, y.y) != (x.x, x.y)));
            t += 20;
        }
        assert!(moved, "tokens move as virtual time passes");
        for kind in ["send", "retry", "delivery", "effect", "duplicate", "handling"] {
            assert!(kinds.contains(kind), "preset 08 shows a {kind} token: {kinds:?}");
        }
        // A retry and a duplicate carry a word, not just a colour.
        let label = |k: TokenKind| format!("{k:?}");
        assert_ne!(label(TokenKind::Retry), label(TokenKind::Send));
    }

    #[test]
    fn the_same_moment_draws_the_same_tokens() {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("05")).unwrap().1;
        let scenario = parse_scenario(json).unwrap();
        let mut a = Engine::new(scenario.clone()).unwrap();
        a.run_until(7_345);
        let mut b = Engine::new(scenario).unwrap();
        b.run_until(3_000);
        b.run_until(7_345);
        assert_eq!(tokens(&a, &layout(&a), Motion::Smooth), tokens(&b, &layout(&b), Motion::Smooth));
    }

    #[test]
    fn curve_points_start_and_end_on_the_edge() {
        let (a, b) = ((10.0, 20.0), (210.0, 120.0));
        assert_eq!(curve_point(a, b, 0.0), a);
        assert_eq!(curve_point(a, b, 1.0), b);
        let mid = curve_point(a, b, 0.5);
        assert!((mid.0 - 110.0).abs() < 1e-9 && (mid.1 - 70.0).abs() < 1e-9);
        assert!(curve_path(a, b).starts_with("M10,20 C110,20"), "{}", curve_path(a, b));
    }

    #[test]
    fn the_chart_follows_lag_and_depth_within_its_box() {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("01")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        assert!(chart(&engine, 300.0, 100.0).is_none() || engine.samples.len() == 1);
        engine.run_until(15_000);
        let c = chart(&engine, 300.0, 100.0).unwrap();
        assert_eq!(c.series.len(), engine.groups.len() + engine.queues.len());
        assert!(c.series.iter().all(|s| s.label.starts_with("lag ")));
        let lag_now: Vec<u64> = engine.samples.last().unwrap().group_lag.clone();
        assert_eq!(c.series.iter().map(|s| s.last).collect::<Vec<_>>(), lag_now);
        for s in &c.series {
            let points: Vec<(f64, f64)> = s
                .path
                .split(' ')
                .map(|p| {
                    let (x, y) = p[1..].split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            assert!(points.len() <= CHART_POINTS + 1);
            assert!(points.iter().all(|&(x, y)| (0.0..=300.0).contains(&x) && (0.0..=100.0).contains(&y)));
            assert!(points.windows(2).all(|w| w[0].0 <= w[1].0), "time runs left to right");
            assert_eq!(points.last().unwrap().0, 300.0, "the line reaches now");
        }
        // The audit group joins late and replays history: its lag rises above zero at some point.
        assert!(c.max > 1);
        let dashes: std::collections::BTreeSet<_> = c.series.iter().map(|s| s.dash).collect();
        assert_eq!(dashes.len(), c.series.len().min(DASHES.len()), "told apart without colour");
    }
}
