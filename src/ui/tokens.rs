//! The moving tokens: which messages are on their way along which edge at a moment, how they look, and
//! which labels a crowded canvas keeps. Pure, tested natively.
use crate::engine::observe::What;
use crate::engine::Engine;
use crate::engine::{ConsumerId, MessageId, QueueId};
use crate::scenario::model::MessageKind;
use crate::ui::labels::*;
use crate::ui::layout::*;

/// How long (virtual ms) a token takes to travel one hop on the canvas. Real hops take a few ms of
/// network latency, far too fast to see; the picture lets each token travel for this long after the
/// event, so it is still a function of the virtual time alone (scrubbing shows it exactly).
pub const HOP_MS: u64 = 240;

/// A crash stays marked with a burst this long (virtual ms) after it happened.
pub const CRASH_BURST_MS: u64 = 1_500;

/// A crash's burst pops open over this long (virtual ms), from `BURST_FIRST_SCALE` of its size to all of it.
pub const BURST_POP_MS: u64 = 600;
pub const BURST_FIRST_SCALE: f64 = 0.3;

/// At most this many tokens are drawn (see `thin`): the frame benchmark's small systems keep 60 fps with
/// about this many on the 2-core benchmark machine (docs/measurements.md), and a room cannot tell more apart.
pub const MAX_TOKENS: usize = 500;

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
    /// Consumer → sink, applied again to a sink where that changes nothing (an upsert): harmless.
    HarmlessRepeat,
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
            TokenKind::HarmlessRepeat => "harmless",
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
    pub message: MessageId,
    pub x: f64,
    pub y: f64,
    pub kind: TokenKind,
    /// Commands are drawn as squares, events as circles.
    pub command: bool,
    /// Hue (0–359) from the message's key: the same key, the same colour.
    pub hue: u32,
    /// What its label can say, longest first (see `Says`).
    pub says: Says,
    /// The form of `says` that `place_labels` found room for (its full form until then; empty: none).
    pub label: String,
    /// Shown on hover, for the tokens that stay put (a crash, a message being handled); empty for a
    /// token on the move.
    pub title: String,
    /// Where its label is drawn around it (see `place_labels`).
    pub label_place: LabelPlace,
    /// How big its shape is drawn: 1, but for a crash's burst while it pops open (see `burst_scale`).
    pub scale: f64,
}

/// What a token's label says: the message's type and entity, then the word that tells what is special
/// about this hop ("↻2", "×2 dup", "harmless"), and how many like tokens it stands for ("+2"). A label
/// that finds no room drops the type, then the entity: "UserRegistered u14 ↻2", "u14 ↻2", "↻2".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Says {
    pub message_type: String,
    pub entity: String,
    pub word: String,
    /// Tokens of the same kind on top of this one, counted in its label instead of labelled each.
    pub more: u32,
}

impl Says {
    /// The forms of the label, longest first; a plain hop (no word) has no word-only form.
    pub fn forms(&self) -> Vec<String> {
        let more = (self.more > 0).then(|| format!("+{}", self.more));
        let join = |parts: &[&str]| {
            parts.iter().copied().filter(|s| !s.is_empty()).chain(more.as_deref()).collect::<Vec<_>>().join(" ")
        };
        let mut forms = vec![join(&[&self.message_type, &self.entity, &self.word]), join(&[&self.entity, &self.word])];
        if !self.word.is_empty() {
            forms.push(join(&[&self.word]));
        }
        forms.retain(|f| !f.is_empty());
        forms.dedup();
        forms
    }

    /// The longest form.
    pub fn full(&self) -> String {
        self.forms().into_iter().next().unwrap_or_default()
    }

    /// A hop with nothing special about it: a send, a delivery or an effect (first time).
    pub fn is_plain(&self) -> bool {
        self.word.is_empty()
    }
}

/// Where a token's label sits around it: an index into `LABEL_PLACES`, or `None` (no room: hidden).
pub type LabelPlace = Option<u8>;

/// The places a label is tried at, in order, as SVG draws them: (x, baseline y) from the token's centre,
/// and the text's anchor. Behind it first (tokens travel rightwards, into a box whose text an arriving
/// label must not cover), then ahead, above, below, at its corners, and a row further up or down.
pub const LABEL_PLACES: [(f64, f64, &str); 12] = [
    (-11.0, 5.0, "end"),
    (11.0, 5.0, "start"),
    (0.0, -14.0, "middle"),
    (0.0, 24.0, "middle"),
    (-9.0, -9.0, "end"),
    (9.0, -9.0, "start"),
    (-9.0, 20.0, "end"),
    (9.0, 20.0, "start"),
    (0.0, -32.0, "middle"),
    (0.0, 42.0, "middle"),
    (-9.0, -27.0, "end"),
    (9.0, 38.0, "start"),
];
/// Behind the token, where a label goes unless something is in the way.
pub const BEHIND: LabelPlace = Some(0);
/// Above it: a crash's word, over its consumer's box.
pub const ABOVE: LabelPlace = Some(2);

/// A text's box on the picture, in layout units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextBox {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl TextBox {
    pub fn overlaps(&self, o: &TextBox) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// Token labels: 14 px bold.
pub const TOKEN_LABEL_PX: f64 = 14.0;

/// The box of token `t`'s label at `place` (None when hidden or empty). The page draws it so (see
/// `token_layer`): its baseline 5 below the token's centre beside it, 14 above or 24 below it.
pub fn label_box(t: &Token, place: LabelPlace) -> Option<TextBox> {
    if t.label.is_empty() {
        return None;
    }
    let (dx, dy, anchor) = *LABEL_PLACES.get(place? as usize)?;
    let w = t.label.chars().count() as f64 * TOKEN_LABEL_PX * crate::ui::layout::EM_PER_BOLD_CHAR;
    let h = TOKEN_LABEL_PX * 1.15;
    let x = match anchor {
        "end" => t.x + dx - w,
        "middle" => t.x + dx - w / 2.0,
        _ => t.x + dx,
    };
    Some(TextBox { x, y: t.y + dy - TOKEN_LABEL_PX * 0.9, w, h })
}

/// The boxes of the picture's own text (node titles and lines, partition and marker letters, "+N"
/// counts) and of its sinks' duplicate effects, which no token label may cover.
pub fn text_boxes(l: &Layout) -> Vec<TextBox> {
    use crate::ui::layout::{CELL_SIZE, CELL_Y, EM_PER_BOLD_CHAR, EM_PER_CHAR, TEXT_PX, TITLE_DY, TITLE_PX};
    let text = |x: f64, baseline: f64, s: &str, px: f64, em: f64| TextBox {
        x,
        y: baseline - px * 0.9,
        w: s.chars().count() as f64 * px * em,
        h: px * 1.15,
    };
    let mut boxes = vec![];
    // Column titles: 14 px capitals, spaced 0.06 em.
    for &(x, title) in &l.columns {
        boxes.push(text(x, crate::ui::layout::COLUMN_TITLE_Y, title, 14.0, 0.8));
    }
    for n in &l.nodes {
        boxes.push(text(n.x + 10.0, n.y + TITLE_DY, &n.title, TITLE_PX, EM_PER_BOLD_CHAR));
        for (i, line) in n.lines.iter().enumerate() {
            let (x, baseline) = n.line_origin(i);
            boxes.push(text(x, baseline, line, TEXT_PX, EM_PER_CHAR));
        }
    }
    for row in &l.partitions {
        boxes.push(text(row.x + 10.0, row.y + CELL_Y + 15.0, &row.label, 14.0, EM_PER_CHAR));
        for m in &row.markers {
            // Where `place_marker_labels` put it: before or after its bar.
            let (from, _) = m.label_span();
            boxes.push(text(from, row.y + CELL_Y - 1.0, &m.label, 14.0, EM_PER_BOLD_CHAR));
        }
    }
    // A sink's duplicate effects: what the room counts, never under a label.
    for row in l.entry_rows.iter().filter(|r| matches!(r.node, NodeId::Sink(_))) {
        for cell in row.cells.iter().filter(|c| c.class == "duplicate") {
            boxes.push(TextBox { x: cell.x, y: row.y + CELL_Y, w: CELL_SIZE, h: CELL_SIZE });
        }
    }
    for row in l.entry_rows.iter().filter(|r| r.more > 0) {
        boxes.push(text(row.more_x, row.y + CELL_Y + 15.0, &format!("+{}", row.more), 14.0, EM_PER_CHAR));
    }
    boxes
}

/// Places every token's label where it covers no text of the picture and no label placed before it,
/// trying behind the token, ahead of it, above, below, then at its corners. The telling labels (a retry,
/// a duplicate, a crash…) are placed first. A label with no room for its full form tries its shorter
/// ones (see `Says`); one that still finds no room is hidden (the token's shape and outline still tell
/// its kind).
pub fn place_labels(tokens: &mut [Token], l: &Layout, note: Option<&(f64, f64, String)>) {
    stack_crowded_labels(tokens);
    let mut taken = text_boxes(l);
    // The note saying how thinned the tokens are (`thinned_note`): its text ends at `x`, on baseline `y`.
    if let Some((x, y, text)) = note {
        let w = note_width(text);
        taken.push(TextBox { x: x - w, y: y - SMALL_PX * 0.9, w, h: SMALL_PX * 1.15 });
    }
    let (telling, plain): (Vec<usize>, Vec<usize>) = (0..tokens.len())
        .filter(|&i| tokens[i].label_place.is_some() && !tokens[i].label.is_empty())
        .partition(|&i| !tokens[i].says.is_plain());
    for i in telling.into_iter().chain(plain) {
        let first = if tokens[i].kind == TokenKind::Crash { ABOVE } else { BEHIND };
        let free = |t: &Token, taken: &[TextBox]| {
            std::iter::once(first).chain((0..LABEL_PLACES.len() as u8).map(Some)).find(|&place| {
                label_box(t, place).is_some_and(|b| !taken.iter().any(|o| o.overlaps(&b)) && inside(&b, l))
            })
        };
        let forms = tokens[i].says.forms();
        let mut place = free(&tokens[i], &taken);
        for form in forms.into_iter().skip(1) {
            if place.is_some() {
                break;
            }
            let full = std::mem::replace(&mut tokens[i].label, form);
            place = free(&tokens[i], &taken);
            if place.is_none() {
                tokens[i].label = full;
            }
        }
        let place = place.flatten();
        if let Some(b) = label_box(&tokens[i], place) {
            taken.push(b);
        }
        tokens[i].label_place = place;
    }
}

/// Tokens of one kind on top of each other (a burst of redeliveries, a replay's effects) share one
/// label, counted: "u19 dedup +2". A message in hand has no label (its consumer's status names it).
fn stack_crowded_labels(tokens: &mut [Token]) {
    const NEAR: f64 = 14.0;
    for i in 0..tokens.len() {
        if tokens[i].kind == TokenKind::Handling {
            tokens[i].label_place = None;
        }
        if tokens[i].label.is_empty() || tokens[i].label_place.is_none() {
            continue;
        }
        let mut stacked = 0;
        for j in i + 1..tokens.len() {
            let (a, b) = (&tokens[i], &tokens[j]);
            if b.kind == a.kind && !b.label.is_empty() && (a.x - b.x).hypot(a.y - b.y) < NEAR {
                // Counted in the first one's label ("+N"); its own says nothing more.
                tokens[j].label.clear();
                tokens[j].label_place = None;
                stacked += 1;
            }
        }
        if stacked > 0 {
            tokens[i].says.more = stacked;
            tokens[i].label = tokens[i].says.full();
        }
    }
}

fn inside(b: &TextBox, l: &Layout) -> bool {
    b.x >= 0.0 && b.y >= 0.0 && b.x + b.w <= l.width && b.y + b.h <= l.height
}

pub(super) fn ease(t: f64) -> f64 {
    t * t * (3.0 - 2.0 * t)
}

/// One hop of a token: from, to, what it shows, and the word added to its label.
pub(super) type Hop = ((f64, f64), (f64, f64), TokenKind, String);

/// How tokens travel a hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Motion {
    /// Gliding along the edge.
    Smooth,
    /// `prefers-reduced-motion`: still, halfway along the edge, for as long as the hop lasts.
    Reduced,
}

/// Message `m` drawn on a hop now (a token travels for `HOP_MS` after its event): what `hop` makes of its
/// newest such event, and when the hop began (the event's time less the network's latency). A fault on
/// that hop is recorded at that moment.
fn hop_on_screen<T>(engine: &Engine, m: MessageId, hop: impl Fn(&What) -> Option<T>) -> Option<(T, u64)> {
    if engine.is_finished() {
        return None;
    }
    let now = engine.now();
    let latency = engine.scenario().network_latency_ms;
    let recent = engine.trace().events.iter().rev().take_while(|ev| now.saturating_sub(ev.at_ms) <= HOP_MS);
    recent
        .filter(|ev| ev.message == Some(m))
        .find_map(|ev| hop(&ev.what).map(|t| (t, ev.at_ms.saturating_sub(latency))))
}

/// Message `m`'s send drawn on its way to the broker now: when it left its producer.
pub fn send_on_screen(engine: &Engine, m: MessageId) -> Option<u64> {
    let arrived = |what: &What| {
        matches!(
            what,
            What::Appended { .. } | What::Enqueued { .. } | What::Routed { .. } | What::AppendDeduplicated { .. }
        )
        .then_some(())
    };
    hop_on_screen(engine, m, arrived).map(|((), at)| at)
}

/// Message `m`'s delivery drawn on its way to a consumer now: the consumer, and when the broker handed it
/// out.
pub fn delivery_on_screen(engine: &Engine, m: MessageId) -> Option<(ConsumerId, u64)> {
    hop_on_screen(engine, m, |what| match *what {
        What::Delivered { consumer, .. } => Some(consumer),
        _ => None,
    })
}

/// The tokens on the canvas at the engine's current time: messages travelling a hop (for `HOP_MS` after
/// the event), messages being handled inside consumers, and recent crashes. A pure function of the
/// engine's state and trace, so the same virtual time always draws the same picture.
pub fn tokens(engine: &Engine, l: &Layout, motion: Motion) -> Vec<Token> {
    // A run that is over has nothing in flight: its last hops must not stay frozen mid-edge (a
    // comparison's shorter lane ends at its own last event, where they would).
    if engine.is_finished() {
        return vec![];
    }
    let now = engine.now();
    let mut out = vec![];
    let window_start = now.saturating_sub(HOP_MS.max(CRASH_BURST_MS));
    let recent: Vec<&crate::engine::observe::TraceEvent> =
        engine.trace().events.iter().rev().take_while(|ev| ev.at_ms >= window_start).collect();
    for ev in recent.into_iter().rev() {
        let age = now.saturating_sub(ev.at_ms);
        let t = match motion {
            Motion::Smooth => ease(age as f64 / HOP_MS as f64),
            Motion::Reduced => 0.5,
        };
        if let What::Crashed { consumer, step } = ev.what {
            out.extend(crash_token(engine, l, ev, (consumer.0, step), burst_scale(age, motion)));
            continue;
        }
        if age > HOP_MS {
            continue;
        }
        let Some(m) = ev.message.and_then(|m| engine.messages().get(m).map(|msg| (m, msg))) else { continue };
        let (id, msg) = m;
        let producer = &engine.producers()[msg.producer].spec;
        let Some((a, b, kind, suffix)) = hop(engine, l, ev, msg) else { continue };
        let (x, y) = curve_point(a, b, t);
        let says = Says {
            message_type: producer.message.clone(),
            entity: entity_label(&producer.key_name, msg.key),
            word: suffix,
            more: 0,
        };
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
            label: says.full(),
            says,
            label_place: BEHIND,
            scale: 1.0,
        });
    }
    handling_tokens(engine, l, &mut out);
    out
}

/// Past `MAX_TOKENS`, keeps a crash, a message in hand and the selected message always, then the tokens
/// that say something (a retry, a redelivery, a duplicate, a stage's output…), then the plain ones, each
/// kind as a sample when not all of it fits, and returns the percentage drawn (in steps of 5 from 10 %).
/// A sample is taken by message, so a message drawn on one hop is drawn on the next: the messages whose
/// hash of the id is lowest stay, so as the count in flight drifts only those at the edge come or go.
/// Dropping the oldest instead drew tokens only on the first part of every edge.
pub fn thin(tokens: &mut Vec<Token>, selected: Option<MessageId>) -> Option<usize> {
    let of = tokens.len();
    if of <= MAX_TOKENS {
        return None;
    }
    let rank = |t: &Token| match t.kind {
        TokenKind::Crash | TokenKind::Handling => 0,
        _ if selected == Some(t.message) => 0,
        _ if !t.says.is_plain() => 1,
        _ => 2,
    };
    // Each rank keeps the tokens whose sample lies below its limit, in the room the ranks before it left:
    // the lowest of 1,024 buckets of samples that fit (counting, not sorting: no sort's code in the wasm).
    let (mut room, mut below) = (MAX_TOKENS, [u64::MAX; 3]);
    for (r, limit) in below.iter_mut().enumerate() {
        let mut buckets = [0usize; 1024];
        for t in tokens.iter().filter(|t| rank(t) == r) {
            buckets[(sample(t.message) >> 22) as usize] += 1;
        }
        let (mut kept, mut fit) = (0, 0);
        for &n in &buckets {
            if r > 0 && kept + n > room {
                *limit = (fit as u64) << 22;
                break;
            }
            (kept, fit) = (kept + n, fit + 1);
        }
        room = room.saturating_sub(kept);
    }
    tokens.retain(|t| sample(t.message) < below[rank(t)]);
    let percent = tokens.len() * 100 / of;
    Some(if percent < 10 { percent.max(1) } else { percent - percent % 5 })
}

/// Where the picture says which percentage of its tokens it draws: in the column titles' row, in the
/// rightmost gap between titles (or after the last) where "26% of tokens drawn" fits, else "26% drawn";
/// failing both, at the picture's bottom right if no box is there (a comparison's narrower lanes). The x
/// its text ends at, its baseline, and the text; none if it fits nowhere.
pub fn thinned_note(l: &Layout, percent: usize) -> Option<(f64, f64, String)> {
    let forms = [format!("{percent}% of tokens drawn"), format!("{percent}% drawn")];
    for text in &forms {
        let mut to = l.width - 16.0;
        // From the right; the titles' letter-spaced bold capitals measure up to 0.85 em a character.
        for &(x, title) in l.columns.iter().rev() {
            let from = x + title.len() as f64 * SMALL_PX * 0.85 + 20.0;
            if to - from >= note_width(text) {
                return Some((to, COLUMN_TITLE_Y, text.clone()));
            }
            to = x - 20.0;
        }
    }
    let (x, y) = (l.width - 16.0, l.height - 4.0);
    let clear = |text: &String| {
        l.nodes.iter().all(|n| n.x > x || n.x + n.w < x - note_width(text) || n.y > y || n.y + n.h < y - SMALL_PX)
    };
    forms.into_iter().find(clear).map(|text| (x, y, text))
}

/// How wide the thinned note's text is drawn (14 px, ASCII).
fn note_width(text: &str) -> f64 {
    text.len() as f64 * SMALL_PX * EM_PER_CHAR
}

/// A message's place among the others, in [0, 2^32): Fibonacci hashing spreads consecutive ids (which
/// round-robin partitions and sequential keys line up) evenly.
fn sample(m: MessageId) -> u64 {
    u64::from(m.0).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32
}

/// How big a crash's burst is drawn `age` virtual ms after the crash (`None`: no longer drawn). It pops
/// open in virtual time, as the tokens move: a scrubbed or exported moment shows it as it was, and no CSS
/// animation restyles a crowded picture at every frame.
pub fn burst_scale(age: u64, motion: Motion) -> Option<f64> {
    if age > CRASH_BURST_MS {
        return None;
    }
    let t = (age as f64 / BURST_POP_MS as f64).min(1.0);
    Some(match motion {
        Motion::Smooth => BURST_FIRST_SCALE + (1.0 - BURST_FIRST_SCALE) * (1.0 - (1.0 - t) * (1.0 - t)),
        Motion::Reduced => 1.0,
    })
}

/// A crash burst on the crashed consumer's box, for `CRASH_BURST_MS` after the crash, drawn at `scale`
/// (`None`: no longer drawn).
fn crash_token(
    engine: &Engine,
    l: &Layout,
    ev: &crate::engine::observe::TraceEvent,
    (consumer, step): (u16, Option<crate::scenario::model::CrashPoint>),
    scale: Option<f64>,
) -> Option<Token> {
    let n = l.node(NodeId::Consumer(ConsumerId(consumer)))?;
    let scale = scale?;
    let name = &engine.consumers()[consumer as usize].name;
    // On the box's top right corner, its word above the box: clear of the consumer's own text.
    Some(Token {
        id: ev.seq,
        message: MessageId::NONE,
        x: n.x + n.w - 10.0,
        y: n.y,
        kind: TokenKind::Crash,
        command: false,
        hue: 0,
        label: "CRASH".into(),
        says: Says { word: "CRASH".into(), ..Says::default() },
        label_place: ABOVE,
        scale,
        title: format!(
            "{name} crashed{}",
            step.map_or(String::new(), |s| format!(" {}", crate::ui::labels::crash_point_label(s)))
        ),
    })
}

/// Where a message event's token travels (from, to), its kind and its word, if the event moves one.
fn hop(
    engine: &Engine,
    l: &Layout,
    ev: &crate::engine::observe::TraceEvent,
    msg: &crate::engine::Message,
) -> Option<Hop> {
    let producer = &engine.producers()[msg.producer].spec;
    let producer_point = l.node(NodeId::Producer(msg.producer)).map(|n| n.right());
    match ev.what {
        What::Appended { topic, partition, offset, retry } => {
            let to = l.cell_point(topic.0, partition, offset);
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
            let to = l.cell_point(topic.0, partition, offset);
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
            let from = engine.delivery(delivery).and_then(|d| delivery_origin(l, d.source()));
            let to = l.node(NodeId::Consumer(consumer)).map(|n| n.left());
            let (kind, label) = if ev.attempt > 1 {
                (TokenKind::Redelivery, format!("↻{}", ev.attempt))
            } else {
                (TokenKind::Delivery, String::new())
            };
            from.zip(to).map(|(a, b)| (a, b, kind, label))
        }
        What::DeliveryLost { consumer, delivery } => {
            let from = engine.delivery(delivery).and_then(|d| delivery_origin(l, d.source()));
            let to = l.node(NodeId::Consumer(consumer)).map(|n| n.left());
            from.zip(to).map(|(a, b)| (a, b, TokenKind::Dropped, "lost".into()))
        }
        What::Effect { consumer, sink, duplicate } => {
            let from = l.node(NodeId::Consumer(consumer)).map(|n| n.right());
            let to = l.node(NodeId::Sink(sink)).map(|n| n.left());
            let (kind, label) = match (duplicate, engine.repeats_are_harmless(sink)) {
                (false, _) => (TokenKind::Effect, String::new()),
                (true, false) => (TokenKind::Duplicate, "×2 dup".into()),
                (true, true) => (TokenKind::HarmlessRepeat, "harmless".into()),
            };
            from.zip(to).map(|(a, b)| (a, b, kind, label))
        }
        What::EffectDeduplicated { consumer, sink } => {
            let from = l.node(NodeId::Consumer(consumer)).map(|n| n.right());
            let to = l.node(NodeId::Sink(sink)).map(|n| n.left());
            from.zip(to).map(|(a, b)| (a, b, TokenKind::Deduplicated, "dedup".into()))
        }
        What::DeadLettered { sub } => engine.queues().iter().position(|q| q.sub == sub).and_then(|q| {
            // From the queue down into its dead-letter queue's box.
            let queue = l.node(NodeId::Queue(QueueId::at(q)))?;
            let dlq = l.node(NodeId::DeadLetter(QueueId::at(q)))?;
            let (from, to) =
                ((queue.x + queue.w - 30.0, queue.y + queue.h), (dlq.x + dlq.w - 30.0, dlq.y + dlq.h / 2.0));
            Some((from, to, TokenKind::DeadLetter, "DLQ".into()))
        }),
        _ => None,
    }
}

/// Where a delivery leaves the broker: the end of its partition's row, or its queue's right edge.
fn delivery_origin(l: &Layout, source: crate::engine::DeliverySource) -> Option<(f64, f64)> {
    match source {
        crate::engine::DeliverySource::Record { topic, partition, .. } => l.row_end(topic.0, partition),
        crate::engine::DeliverySource::Entry { queue, .. } => l.node(NodeId::Queue(queue)).map(|n| n.right()),
    }
}

/// Messages being handled, inside their consumer's box (keyed by delivery so they stay put).
fn handling_tokens(engine: &Engine, l: &Layout, out: &mut Vec<Token>) {
    for (ci, c) in engine.consumers().iter().enumerate() {
        let Some(n) = l.node(NodeId::Consumer(ConsumerId::at(ci))) else { continue };
        for (k, a) in c.slots.iter().flatten().enumerate().take(2) {
            let Some(msg) = engine.messages().get(a.message) else { continue };
            let producer = &engine.producers()[msg.producer].spec;
            let attempt = engine.delivery(a.delivery).map_or(1, |d| d.attempt);
            // Docked at the right end of the consumer's title row (its status line already names the message).
            out.push(Token {
                id: (1 << 48) | a.delivery.0 as u64,
                message: a.message,
                x: n.x + n.w - 14.0 - 22.0 * k as f64,
                y: n.y + TITLE_DY - 6.0,
                kind: TokenKind::Handling,
                command: producer.kind == MessageKind::Command,
                hue: key_hue(msg.key),
                // Never shown (its consumer's status names the message), but told to the hover title.
                label: String::new(),
                says: Says::default(),
                title: format!(
                    "{} is handling {} {} #{}{} ({})",
                    crate::scenario::names::isolated(&c.name),
                    crate::scenario::names::isolated(&producer.message),
                    entity_label(&producer.key_name, msg.key),
                    a.message,
                    if attempt > 1 { format!(", attempt {attempt}") } else { String::new() },
                    step_label(a.step)
                ),
                label_place: BEHIND,
                scale: 1.0,
            });
        }
    }
}

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
pub fn declutter(tokens: &mut [Token], selected: Option<MessageId>) {
    if !crowded(tokens) {
        return;
    }
    for t in tokens.iter_mut().filter(|t| Some(t.message) != selected && t.says.is_plain()) {
        t.label.clear();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::engine::{ExchangeId, ProducerId, SubId};
    use crate::scenario::parse_scenario;
    use crate::scenario::presets::PRESETS;

    fn plain_token(id: u64) -> Token {
        let says = Says { message_type: "UserRegistered".into(), entity: format!("u{id}"), ..Says::default() };
        Token {
            id,
            message: MessageId(id as u32),
            x: 0.0,
            y: 0.0,
            kind: TokenKind::Send,
            command: false,
            hue: 0,
            label: says.full(),
            says,
            title: String::new(),
            label_place: BEHIND,
            scale: 1.0,
        }
    }

    fn telling(mut t: Token, kind: TokenKind, word: &str) -> Token {
        t.kind = kind;
        t.says.word = word.into();
        t.label = t.says.full();
        t
    }

    #[test]
    fn a_label_says_type_entity_and_word_and_drops_them_in_that_order_for_room() {
        let dup = telling(plain_token(14), TokenKind::Duplicate, "×2 dup");
        assert_eq!(dup.says.forms(), ["UserRegistered u14 ×2 dup", "u14 ×2 dup", "×2 dup"]);
        assert_eq!(plain_token(3).says.forms(), ["UserRegistered u3", "u3"], "a plain hop keeps its entity");
        let stacked = Says { more: 2, ..dup.says.clone() };
        assert_eq!(stacked.forms().last().unwrap(), "×2 dup +2");
        assert_eq!(entity_label("order", 7), "o7");
        assert_eq!(entity_label("Customer", 12), "c12");

        // In the open the whole label fits; in a narrow picture only a shorter form does.
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("05")).unwrap().1;
        let mut l = layout(&Engine::new(parse_scenario(json).unwrap()).unwrap());
        (l.width, l.height) = (400.0, 200.0);
        (l.nodes, l.partitions, l.entry_rows) = (vec![], vec![], vec![]);
        let mut t = telling(plain_token(14), TokenKind::Duplicate, "×2 dup");
        (t.x, t.y) = (200.0, 100.0);
        let mut one = [t.clone()];
        place_labels(&mut one, &l, None);
        assert_eq!(one[0].label, "UserRegistered u14 ×2 dup", "room enough: the whole label");
        (l.width, t.x) = (200.0, 100.0);
        let mut narrow = [t];
        place_labels(&mut narrow, &l, None);
        assert_eq!((narrow[0].label.as_str(), narrow[0].label_place.is_some()), ("u14 ×2 dup", true));
    }

    /// Two hops each of `messages` messages (ids from 1), every `marked_every`th message's hops redeliveries, and
    /// `crashes` crash bursts first (a crash stays on screen longest, so its token comes first).
    fn busy(messages: u64, marked_every: u32, crashes: u64) -> Vec<Token> {
        let token = |i: u64| {
            let mut t = plain_token(i);
            t.message = MessageId((i % messages) as u32 + 1);
            if t.message.0 % marked_every == 0 {
                t = telling(t, TokenKind::Redelivery, "↻2");
            }
            t
        };
        let crash = |i| Token { message: MessageId::NONE, ..telling(plain_token(i), TokenKind::Crash, "CRASH") };
        (0..crashes).map(crash).chain((0..2 * messages).map(token)).collect()
    }

    /// How many tokens each message drawn has.
    fn hops_drawn(tokens: &[Token]) -> std::collections::BTreeMap<u32, usize> {
        tokens.iter().filter(|t| t.message != MessageId::NONE).fold(Default::default(), |mut m, t| {
            *m.entry(t.message.0).or_default() += 1;
            m
        })
    }

    #[test]
    fn a_busy_picture_draws_every_marked_token_and_an_even_sample_of_the_plain_ones() {
        let few: Vec<Token> = (1..=MAX_TOKENS as u64).map(plain_token).collect();
        let mut all_drawn = few.clone();
        assert_eq!(thin(&mut all_drawn, None), None);
        assert_eq!(all_drawn, few, "up to the limit every token is drawn");

        for messages in [750, 2_000] {
            let mut tokens = busy(messages, 100, 3);
            let percent = thin(&mut tokens, Some(MessageId(7))).expect("thinned");
            let of = 2 * messages as usize + 3;
            assert!((MAX_TOKENS * 19 / 20..=MAX_TOKENS).contains(&tokens.len()), "{} drawn", tokens.len());
            assert_eq!(percent, tokens.len() * 100 / of / 5 * 5);
            let drawn = hops_drawn(&tokens);
            let marked = tokens.iter().filter(|t| !t.says.is_plain()).count();
            assert_eq!(marked, 3 + 2 * (messages / 100) as usize, "every crash and redelivery is drawn");
            assert_eq!(drawn.get(&7), Some(&2), "and the selected message");
            assert!(drawn.values().all(|&hops| hops == 2), "a message drawn on one hop is drawn on the next");
        }
        // Evenly: every quarter of the ids, and nearly every one of 64 partitions that round-robin over them.
        let mut tokens = busy(2_000, 100, 3);
        thin(&mut tokens, Some(MessageId(7)));
        let drawn = hops_drawn(&tokens);
        for quarter in 0..4 {
            let in_quarter = drawn.keys().filter(|&&m| (m - 1) / 500 == quarter).count();
            assert!((drawn.len() / 6..=drawn.len() / 3).contains(&in_quarter), "quarter {quarter}: {in_quarter}");
        }
        let partitions: std::collections::BTreeSet<u32> = drawn.keys().map(|m| m % 64).collect();
        assert!(partitions.len() >= 56, "{} of 64 partitions", partitions.len());

        // A little busier: fewer are drawn, and no message appears that was not drawn before (none blinks).
        let mut busier = busy(2_200, 100, 3);
        thin(&mut busier, Some(MessageId(7)));
        let newly: Vec<u32> =
            hops_drawn(&busier).into_keys().filter(|m| *m <= 2_000 && !drawn.contains_key(m)).collect();
        assert_eq!(newly, Vec::<u32>::new());

        // More marked tokens than fit: the crashes and the selected message stay, the rest is a sample.
        let mut storm = busy(1_000, 1, 3);
        thin(&mut storm, Some(MessageId(7)));
        assert!((MAX_TOKENS * 19 / 20..=MAX_TOKENS).contains(&storm.len()), "{} drawn", storm.len());
        assert_eq!(storm.iter().filter(|t| t.kind == TokenKind::Crash).count(), 3);
        assert!(hops_drawn(&storm).values().all(|&hops| hops == 2));
        assert_eq!(hops_drawn(&storm).get(&7), Some(&2));
    }

    #[test]
    fn a_thinned_picture_says_so_in_the_column_titles_row_when_there_is_room() {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("05")).unwrap().1;
        let mut l = layout(&Engine::new(parse_scenario(json).unwrap()).unwrap());
        let thinned = 26;
        // The largest scenario's picture at 1280×720: the widest gap is before "Side effects".
        l.width = 1_254.0;
        l.columns =
            vec![(16.0, "Producers"), (261.0, "Topics & queues"), (665.0, "Consumers"), (1_000.0, "Side effects")];
        let in_titles = |x: f64, text: &str| Some((x, COLUMN_TITLE_Y, text.to_string()));
        assert_eq!(thinned_note(&l, thinned), in_titles(980.0, "26% of tokens drawn"));
        l.columns.pop();
        assert_eq!(thinned_note(&l, thinned), in_titles(1_238.0, "26% of tokens drawn"), "after the last");
        l.columns = vec![(16.0, "Producers"), (200.0, "Sinks"), (380.0, "Queues")];
        l.width = 600.0;
        assert_eq!(thinned_note(&l, thinned), in_titles(584.0, "26% drawn"), "only the short form fits");
        l.width = 480.0;
        assert_eq!(thinned_note(&l, thinned), in_titles(360.0, "26% drawn"), "in a gap between titles");
        // No room in the titles' row: the bottom right corner, if no box reaches it.
        l.columns = vec![(16.0, "Producers"), (160.0, "Sinks"), (260.0, "Queues")];
        (l.width, l.height) = (400.0, 300.0);
        l.nodes.retain(|n| n.x + n.w < 200.0 || n.y + n.h < 250.0);
        assert_eq!(thinned_note(&l, thinned), Some((384.0, 296.0, "26% of tokens drawn".to_string())));
        l.nodes[0] = NodeBox { x: 300.0, y: 280.0, w: 90.0, h: 10.0, ..l.nodes[0].clone() };
        assert_eq!(thinned_note(&l, thinned), None, "a box is there");
    }

    #[test]
    fn a_crowded_canvas_keeps_only_the_labels_that_say_something() {
        let mut few: Vec<Token> = (1..=LABELLED_TOKENS_MAX as u64).map(plain_token).collect();
        declutter(&mut few, None);
        assert!(few.iter().all(|t| t.label == format!("UserRegistered u{}", t.id)), "up to the limit all are labelled");

        let mut many: Vec<Token> = (1..=LABELLED_TOKENS_MAX as u64 + 1).map(plain_token).collect();
        many[0] = telling(many[0].clone(), TokenKind::Redelivery, "↻2");
        many[1] = telling(many[1].clone(), TokenKind::Duplicate, "×2 dup");
        declutter(&mut many, Some(MessageId(7)));
        assert_eq!(many[0].label, "UserRegistered u1 ↻2");
        assert_eq!(many[1].label, "UserRegistered u2 ×2 dup");
        assert_eq!(many[6].label, "UserRegistered u7", "the selected message keeps its label");
        assert_eq!(many.iter().filter(|t| t.label.is_empty()).count(), LABELLED_TOKENS_MAX + 1 - 3);
    }

    #[test]
    fn a_token_keeps_its_slot_and_new_tokens_reuse_the_slots_of_those_that_left() {
        let token = |id| Token {
            id,
            message: MessageId(1),
            x: 0.0,
            y: 0.0,
            kind: TokenKind::Send,
            command: false,
            hue: 0,
            label: String::new(),
            says: Says::default(),
            title: String::new(),
            label_place: BEHIND,
            scale: 1.0,
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
    fn a_crash_burst_pops_open_in_virtual_time_and_stands_whole_with_reduced_motion() {
        // Preset 05 crashes a consumer after its effect; its burst is drawn from the crash's moment.
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("05")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        let mut crash_ms = None;
        while crash_ms.is_none() && engine.step() {
            crash_ms =
                engine.trace().events.iter().find(|ev| matches!(ev.what, What::Crashed { .. })).map(|ev| ev.at_ms);
        }
        let crash_ms = crash_ms.expect("preset 05 crashes a consumer");
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        let burst = |engine: &mut Engine, at_ms: u64, motion: Motion| {
            engine.run_until(at_ms);
            let burst = tokens(engine, &layout(engine), motion).into_iter().find(|t| t.kind == TokenKind::Crash);
            burst.map(|t| t.scale)
        };
        let mut grown = vec![];
        for after_ms in [0, 150, 300, 450, BURST_POP_MS, CRASH_BURST_MS] {
            grown.push(burst(&mut engine, crash_ms + after_ms, Motion::Smooth).expect("the burst is drawn"));
        }
        assert_eq!(grown[0], BURST_FIRST_SCALE, "it starts small");
        assert!(grown.windows(2).all(|w| w[0] < w[1] || w[1] == 1.0), "and grows: {grown:?}");
        assert_eq!(&grown[4..], &[1.0, 1.0], "whole once it has popped open: {grown:?}");
        let mut still = Engine::new(parse_scenario(json).unwrap()).unwrap();
        assert_eq!(burst(&mut still, crash_ms, Motion::Reduced), Some(1.0), "no pop with reduced motion");
        assert_eq!(burst_scale(CRASH_BURST_MS + 1, Motion::Smooth), None, "then it is gone");
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
                let p = &engine.producers()[0].spec;
                if !matches!(tok.kind, TokenKind::Crash | TokenKind::Handling) {
                    assert!(
                        tok.label.starts_with(&format!("{} {}", p.message, p.key_name.chars().next().unwrap())),
                        "{tok:?}"
                    );
                }
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
    fn an_exchange_fans_each_message_out_to_its_queues() {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("11")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        engine.run_until(13_000);
        let l = layout(&engine);
        let x = l.node(NodeId::Exchange(ExchangeId(0))).expect("the exchange has a box");
        let queues: Vec<&NodeBox> = l.nodes.iter().filter(|n| matches!(n.id, NodeId::Queue(_))).collect();
        assert_eq!(queues.len(), 4);
        for q in &queues {
            assert!(q.x > x.x + x.w, "{:?} sits right of the exchange", q.id);
            assert!(l.edges.iter().any(|e| e.from == x.right() && e.to == q.left()), "an edge to {:?}", q.id);
        }
        // The publish travels producer → exchange; each copy exchange → queue.
        let producer = l.node(NodeId::Producer(ProducerId(0))).unwrap().right();
        let (mut to_exchange, mut from_exchange) = (false, false);
        let mut t = 13_000;
        while t < 16_000 && !(to_exchange && from_exchange) {
            t += 40;
            engine.run_until(t);
            for tok in tokens(&engine, &l, Motion::Smooth) {
                let on_first_hop = tok.x > producer.0 && tok.x < x.x;
                to_exchange |= tok.kind == TokenKind::Send && on_first_hop;
                from_exchange |=
                    tok.kind == TokenKind::Send && tok.x > x.x + x.w && tok.x < l.grid.broker_x + l.grid.broker_w;
            }
        }
        assert!(to_exchange && from_exchange, "tokens on both hops");
    }

    #[test]
    fn a_finished_run_draws_no_token_even_when_its_last_event_is_a_moment_ago() {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("11")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        engine.run_until(u64::MAX);
        assert!(engine.is_finished());
        let last = engine.trace().events.back().map_or(0, |ev| ev.at_ms);
        assert!(engine.now() < last + HOP_MS, "the last hop is still recent at the end: {} vs {last}", engine.now());
        assert_eq!(tokens(&engine, &layout(&engine), Motion::Smooth), vec![]);
    }

    #[test]
    fn a_harmless_repeat_is_drawn_and_told_as_harmless_not_as_a_duplicate() {
        // Preset 10: a replay applies upserts again (harmless) and sends emails again (duplicates).
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("10")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        let (mut harmless, mut duplicates) = (0, 0);
        let mut t = 0;
        while !engine.is_finished() && t < 60_000 {
            t += 50;
            engine.run_until(t);
            let l = layout(&engine);
            for tok in tokens(&engine, &l, Motion::Smooth) {
                match tok.kind {
                    TokenKind::HarmlessRepeat => {
                        assert!(tok.label.ends_with("harmless") && !tok.label.contains("dup"), "{}", tok.label);
                        harmless += 1;
                    }
                    TokenKind::Duplicate => duplicates += 1,
                    _ => {}
                }
            }
        }
        assert!(harmless > 0 && duplicates > 0, "harmless {harmless}, duplicates {duplicates}");
        let repeated = (1..engine.messages().len() as u32)
            .map(MessageId)
            .find(|&m| {
                SubId::all(engine.subscriber_count()).any(|s| {
                    engine.repeats_are_harmless(engine.sink_of(s))
                        && engine.obligation(s, m).is_some_and(|ob| ob.effects > 1)
                })
            })
            .expect("a message upserted twice");
        let j = crate::ui::journey::journey(&engine, repeated).expect("its journey");
        assert!(j.fates.iter().any(|(text, tone)| text.contains("harmless") && tone.is_empty()), "{:?}", j.fates);
    }

    #[test]
    fn no_token_label_covers_the_pictures_text_or_another_label() {
        // Every preset, every 100 ms of virtual time to its end: the labels placed as the page draws them.
        let (mut drawn, mut hidden_telling, mut telling, mut whole) = (0, 0, 0, 0);
        for (stem, json) in PRESETS {
            let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
            let mut t = 0;
            while !engine.is_finished() && t < 40_000 {
                t += 100;
                engine.run_until(t);
                let l = layout(&engine);
                let mut toks = tokens(&engine, &l, Motion::Smooth);
                declutter(&mut toks, None);
                place_labels(&mut toks, &l, None);
                let text = text_boxes(&l);
                // Nor a sink's duplicate effect: the thing the room is counting.
                let duplicates: Vec<TextBox> = (l.entry_rows.iter())
                    .flat_map(|r| r.cells.iter().filter(|c| c.class == "duplicate").map(move |c| (r.y, c.x)))
                    .map(|(y, x)| TextBox { x, y: y + CELL_Y, w: CELL_SIZE, h: CELL_SIZE })
                    .collect();
                let mut placed: Vec<TextBox> = vec![];
                for tok in toks.iter().filter(|t| !t.label.is_empty() && t.kind != TokenKind::Handling) {
                    let is_telling = !matches!(tok.kind, TokenKind::Send | TokenKind::Delivery | TokenKind::Effect);
                    telling += usize::from(is_telling);
                    let Some(b) = label_box(tok, tok.label_place) else {
                        hidden_telling += usize::from(is_telling);
                        continue;
                    };
                    drawn += 1;
                    whole += usize::from(tok.label == tok.says.full());
                    let clash = text.iter().chain(&duplicates).chain(&placed).any(|o| o.overlaps(&b));
                    assert!(!clash, "{stem} at {t} ms: {tok:?} covers text or a label");
                    assert!(b.x >= 0.0 && b.x + b.w <= l.width, "{stem} at {t} ms: {tok:?} leaves the picture");
                    placed.push(b);
                }
            }
        }
        println!(
            "token labels drawn {drawn}, {whole} of them whole (type and entity); telling labels {telling}, of which \
             hidden for want of room {hidden_telling}"
        );
        assert!(hidden_telling * 20 < telling, "{hidden_telling} of {telling} telling labels found no room");
    }
}
