//! Where things are drawn: the canvas's nodes, edges and log cells for an engine's state, column by column
//! (producers, brokers, consumers, sinks). Pure, tested natively.
use crate::engine::broker::TxnMark;
use crate::engine::kernel::SimTime;
use crate::engine::observe::What;
use crate::engine::{
    ConsumerId, Engine, EntryId, ExchangeId, GroupId, MessageId, ProducerId, QueueId, Role, SinkId, SubId, TopicId,
};
use crate::scenario::model::{MessageKind, QueueKind, SinkKind};
use crate::ui::labels::*;

/// The stage a picture is laid out for, in CSS pixels: the canvas's box on the page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stage {
    pub width: f64,
    pub height: f64,
}

impl Stage {
    /// The stage on a 1280×720 projector, under the page's bars (as `layout.test.mjs` measures it): what
    /// native tests lay out for.
    pub const PROJECTOR: Stage = Stage { width: 1254.0, height: 572.0 };
}

/// Type on the picture, in layout units. The page never draws a layout below one pixel per unit (it
/// pans instead, see `fit_scale`), so these are the smallest rendered sizes: a room reads 14 px text from
/// the back row of a projected 1280×720 screen, and a title stands out at 18.
pub const TITLE_PX: f64 = 18.0;
pub const TEXT_PX: f64 = 15.0;
pub const SMALL_PX: f64 = 14.0;
/// A node's title baseline below its top, and its text lines' baselines after that, one `LINE_H` apart.
pub const TITLE_DY: f64 = 24.0;
pub const LINE_DY: f64 = 45.0;
pub const LINE_H: f64 = 20.0;

/// Em per character, generously: the page's sans-serif (DejaVu Sans where nothing else is installed)
/// averages under 0.62 em a character, and its bold (node titles) under 0.7.
pub const EM_PER_CHAR: f64 = 0.62;
pub const EM_PER_BOLD_CHAR: f64 = 0.7;

/// `text` cut to fit `max_px` at `font_px` (`em_per_char` wide a character), ending in "…" when cut (the
/// whole text stays in the node's accessible label and its details).
pub fn fit_text(text: &str, max_px: f64, font_px: f64, em_per_char: f64) -> String {
    let chars = text.chars().count();
    if chars as f64 * font_px * em_per_char <= max_px {
        return text.to_string();
    }
    let keep = ((max_px / (font_px * em_per_char)).floor() as usize).saturating_sub(1);
    let mut cut: String = text.chars().take(keep).collect();
    cut.push('…');
    cut
}

/// A node title's width, generously.
fn title_width(title: &str) -> f64 {
    title.chars().count() as f64 * TITLE_PX * EM_PER_BOLD_CHAR
}

/// A compact consumer's status beside its name, too long for the room before the dock: the partitions
/// it owns give way to what it does ("#14 commit/ack"); its label keeps them.
fn shorten_inline_status(member: &mut NodeBox) {
    let room = member.w - 20.0 - title_width(&member.title) - DOCK_W;
    let Some(status) = member.lines.first() else { return };
    if status.chars().count() as f64 * TEXT_PX * EM_PER_CHAR > room {
        if let Some((doing, _owns)) = status.split_once(" · ") {
            member.label = format!("{}: {status}", member.title);
            member.lines = vec![doing.to_string()];
        }
    }
}

/// The height of a node box holding a title and `lines` lines of text.
pub(super) fn node_height(lines: usize) -> f64 {
    LINE_DY + LINE_H * lines.saturating_sub(1) as f64 + 12.0
}

/// Where the column titles sit, and where the first node of each column starts.
pub const COLUMN_TITLE_Y: f64 = 26.0;
pub(super) const TOP: f64 = 44.0;
pub(super) const GAP: f64 = 14.0;
const MARGIN: f64 = 16.0;
const COLUMN_GAP: f64 = 30.0;

/// Width of a fan-out exchange's box, left of the queues it feeds.
pub(super) const EXCHANGE_W: f64 = 120.0;
/// A partition's row of log cells: the row's height (its cells sit at the bottom, the committed offsets'
/// letters above them), the first cell's offset in the row, each cell's pitch and size.
pub const ROW_H: f64 = 34.0;
pub const CELL_Y: f64 = 12.0;
pub const CELL_SIZE: f64 = 20.0;
pub(super) const HEADER_H: f64 = 52.0;
pub const CELL_W: f64 = 22.0;
pub(super) const CELL_X0: f64 = 44.0;
/// How long a group says it rebalanced, in virtual time (a few token hops).
pub const REBALANCE_SHOWN_MS: SimTime = 1_500;
/// A consumer's box inside its group: its name over its status, or both on one line in a compact picture.
pub(super) const MEMBER_H: f64 = 56.0;
const MEMBER_COMPACT_H: f64 = 40.0;
/// The narrowest consumer box that keeps its status beside its name: narrower, a status such as "idle · P0
/// P1 P2" would be cut to a word, so the box keeps two lines.
const INLINE_MEMBER_MIN_W: f64 = 270.0;
/// The right end of a consumer's title row, where the messages in its hands dock (`tokens`: two, the
/// farther 43.5 from the box's right edge).
pub const DOCK_W: f64 = 44.0;
/// A compact picture's dead-letter queue: a strip holding its title and its parked messages.
const DEAD_LETTER_COMPACT_H: f64 = 40.0;
const DEAD_LETTER_COMPACT_TITLE: &str = "DLQ";
pub(super) const GROUP_HEADER_H: f64 = 50.0;
/// An idempotency store's box under its consumers: its title "keys" and a row of them.
pub(super) const STORE_H: f64 = 46.0;
const STORE_TITLE: &str = "keys";

/// The four columns' places for a layout `width` wide: producers, topics and queues, consumers, sinks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Columns {
    pub producer_x: f64,
    pub producer_w: f64,
    pub broker_x: f64,
    pub broker_w: f64,
    pub consumer_x: f64,
    pub consumer_w: f64,
    pub sink_x: f64,
    pub sink_w: f64,
    /// Log cells shown per partition (the newest ones).
    pub cells: u64,
}

impl Columns {
    pub fn for_width(width: f64) -> Columns {
        let usable = width - 2.0 * MARGIN - 3.0 * COLUMN_GAP;
        let (producer_w, broker_w, consumer_w) = (usable * 0.19, usable * 0.33, usable * 0.27);
        let sink_w = usable - producer_w - broker_w - consumer_w;
        let producer_x = MARGIN;
        let broker_x = producer_x + producer_w + COLUMN_GAP;
        let consumer_x = broker_x + broker_w + COLUMN_GAP;
        let sink_x = consumer_x + consumer_w + COLUMN_GAP;
        let cells = ((broker_w - CELL_X0 - 10.0) / CELL_W).floor().max(4.0) as u64;
        Columns { producer_x, producer_w, broker_x, broker_w, consumer_x, consumer_w, sink_x, sink_w, cells }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeId {
    Producer(ProducerId),
    Topic(TopicId),
    Queue(QueueId),
    Exchange(ExchangeId),
    Group(GroupId),
    Consumer(ConsumerId),
    Sink(SinkId),
    /// A queue's dead-letter queue.
    DeadLetter(QueueId),
    /// A subscriber's idempotency store (its keys), under its consumers.
    Store(SubId),
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
    /// What a screen reader says: the title and every line, never cut (the drawn ones may be).
    pub label: String,
    /// CSS classes carrying state (shape and label carry it too: never colour alone).
    pub classes: Vec<&'static str>,
    /// Its one line sits beside its title, on the title's baseline (a compact box, see `layout_for`).
    pub inline: bool,
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
    pub message: Option<MessageId>,
    pub class: &'static str,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub class: &'static str,
    /// Short text beside the marker (the groups' tags, see `group_tags`; "‹" first when the offset is
    /// older than the records drawn): the marker is never told by colour alone.
    pub label: String,
    /// Where the label goes: before the marker, or after it when before would reach the row's "P3".
    pub label_x: f64,
    pub label_anchor: &'static str,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartitionRow {
    pub topic: u16,
    pub partition: u32,
    /// The oldest offset drawn (the row shows the newest `Columns::cells`).
    pub first: u64,
    pub x: f64,
    pub y: f64,
    pub label: String,
    pub cells: Vec<LogCell>,
    pub markers: Vec<Marker>,
}

/// Each group's tag on its committed-offset markers: its initial, or as many of its first letters as tell
/// it from the topic's other groups (analytics and audit: "AN" and "AU"), at most three; a group alike
/// for longer is its initial and its place ("G2", or "G#2" should that be another group's tag). Letters
/// and digits only: a name's punctuation or an invisible character never reaches the picture.
pub fn group_tags(names: &[&str]) -> Vec<String> {
    // Any letter beyond ASCII is kept, the invisible formatting and combining characters aside (Unicode's
    // tables for "alphanumeric" and "uppercase" would cost the first load 3-9 KB).
    let letter = |c: &char| {
        c.is_ascii_alphanumeric()
            || !c.is_ascii()
                && !matches!(c, '\u{00A0}' | '\u{00AD}' | '\u{0300}'..='\u{036F}' | '\u{061C}' | '\u{115F}' | '\u{1160}'
                    | '\u{180E}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{2000}'..='\u{200F}'
                    | '\u{202A}'..='\u{202F}' | '\u{205F}'..='\u{206F}' | '\u{20D0}'..='\u{20FF}' | '\u{2800}'
                    | '\u{3000}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FE20}'..='\u{FE2F}' | '\u{FEFF}'
                    | '\u{FFA0}' | '\u{E0000}'..='\u{E0FFF}')
    };
    let prefix = |name: &str, n: usize| -> String {
        name.chars().filter(letter).take(n).map(|c| c.to_ascii_uppercase()).collect()
    };
    let told_apart = |i: usize, n: usize| {
        let own = prefix(names[i], n);
        !own.is_empty() && names.iter().enumerate().all(|(j, other)| j == i || prefix(other, n) != own)
    };
    // Prefixes that tell a group apart differ from each other; a place number may still equal one.
    let chosen: Vec<Option<String>> =
        (0..names.len()).map(|i| (1..=3).find(|&n| told_apart(i, n)).map(|n| prefix(names[i], n))).collect();
    let placed = |i: usize| format!("{}{}", prefix(names[i], 1), i + 1);
    (0..names.len())
        .map(|i| match &chosen[i] {
            Some(tag) => tag.clone(),
            None if (0..names.len()).all(|j| j == i || chosen[j].clone().unwrap_or_else(|| placed(j)) != placed(i)) => {
                placed(i)
            }
            None => format!("{}#{}", prefix(names[i], 1), i + 1),
        })
        .collect()
}

impl Marker {
    /// Where its label's text starts and ends, as drawn at `label_x` with `label_anchor`.
    pub fn label_span(&self) -> (f64, f64) {
        let width = label_width(&self.label);
        match self.label_anchor {
            "end" => (self.label_x - width, self.label_x),
            _ => (self.label_x, self.label_x + width),
        }
    }
}

/// How wide a marker's label is drawn (14 px bold).
fn label_width(label: &str) -> f64 {
    label.chars().count() as f64 * 14.0 * EM_PER_BOLD_CHAR
}

/// A committed-offset marker at `x` for groups tagged `tags` (`older`: one of them is behind the records
/// drawn); `place_marker_labels` puts its label.
fn marker(x: f64, tags: &[&str], older: bool, title: String) -> Marker {
    let spaced = tags.iter().any(|t| t.chars().count() > 1);
    let mut label = String::from(if older { "‹" } else { "" });
    for (i, tag) in tags.iter().enumerate() {
        if spaced && i > 0 {
            label.push('·');
        }
        label.push_str(tag);
    }
    Marker { x, class: "committed", label, label_x: x - 5.0, label_anchor: "end", title }
}

/// Puts each marker's label before its bar, or after it where before would reach the row's "P3" or the
/// label on its left, moved right until clear of that label. Left to right, so no two labels of a row
/// overlap, unless after the bar would leave the row (the row spans `row_x` to `row_end`): then before it
/// all the same, where a crowded row's labels may touch.
fn place_marker_labels(markers: &mut [Marker], (row_x, row_end): (f64, f64)) {
    crate::ordering::sort_short_by_key(markers, |m| m.x);
    let left = row_x + CELL_X0 - 4.0;
    let mut free_from = left;
    for m in markers {
        let width = label_width(&m.label);
        let after_x = (m.x + 3.0).max(free_from);
        (m.label_x, m.label_anchor) = if m.x - 5.0 - width >= free_from {
            (m.x - 5.0, "end")
        } else if after_x + width <= row_end {
            (after_x, "start")
        } else {
            ((m.x - 5.0).max(left + width), "end")
        };
        free_from = m.label_span().1 + 4.0;
    }
}

/// A row of a queue's entries (waiting, then in flight), or of its dead-letter queue's parked ones.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryRow {
    pub node: NodeId,
    pub y: f64,
    /// Each entry: its id as `offset`, its message, `waiting`, `in-flight` or `parked`.
    pub cells: Vec<LogCell>,
    /// Entries beyond the row's room, said as "+N" after it.
    pub more: u64,
    /// Where "+N" goes.
    pub more_x: f64,
    /// What each cell is drawn as, over its square: a sink's effects are things.
    pub glyph: Glyph,
}

/// A side effect as a thing in its sink's row, over the cell's square (which keeps its colour and outline
/// for applied, duplicate or harmless): an envelope per email, a slip per charge, a row per upsert, a
/// tally mark per increment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Glyph {
    None,
    Envelope,
    Slip,
    Row,
    Tally,
    /// An idempotency store's key.
    Key,
}

impl Glyph {
    pub fn of(kind: SinkKind) -> Glyph {
        match kind {
            SinkKind::Email => Glyph::Envelope,
            SinkKind::Payment => Glyph::Slip,
            SinkKind::DbUpsert => Glyph::Row,
            SinkKind::DbCounter => Glyph::Tally,
        }
    }

    /// Its strokes as an SVG path over a cell whose top left is (`x`, `y`) (`CELL_SIZE` square).
    pub fn path(self, x: f64, y: f64) -> Option<String> {
        let d = |pts: &[(char, f64, f64)]| {
            pts.iter()
                .map(|&(c, dx, dy)| format!("{c}{} {}", crate::number::decimal(x + dx), crate::number::decimal(y + dy)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        Some(match self {
            Glyph::None => return None,
            // The flap of an envelope.
            Glyph::Envelope => d(&[('M', 1.5, 3.0), ('L', 10.0, 11.0), ('L', 18.5, 3.0)]),
            // A receipt's printed lines.
            Glyph::Slip => d(&[
                ('M', 4.0, 6.0),
                ('L', 16.0, 6.0),
                ('M', 4.0, 10.5),
                ('L', 16.0, 10.5),
                ('M', 4.0, 15.0),
                ('L', 11.0, 15.0),
            ]),
            // A table row's cells.
            Glyph::Row => d(&[('M', 0.0, 10.0), ('L', 20.0, 10.0), ('M', 8.0, 0.0), ('L', 8.0, 20.0)]),
            // A key: its bow (a ring) and its bit.
            Glyph::Key => {
                let (bx, by) = (crate::number::decimal(x + 3.5), crate::number::decimal(y + 10.0));
                let stem = d(&[('M', 10.5, 10.0), ('L', 17.0, 10.0), ('M', 15.0, 10.0), ('L', 15.0, 14.0)]);
                format!("M{bx} {by} a3.5 3.5 0 1 0 7 0 a3.5 3.5 0 1 0 -7 0 {stem}")
            }
            // "+1".
            Glyph::Tally => d(&[('M', 10.0, 4.0), ('L', 10.0, 16.0), ('M', 4.0, 10.0), ('L', 16.0, 10.0)]),
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// The moment of the run it shows.
    pub at_ms: u64,
    pub width: f64,
    pub height: f64,
    /// The columns' titles and where they start.
    pub columns: Vec<(f64, &'static str)>,
    pub grid: Columns,
    pub nodes: Vec<NodeBox>,
    pub edges: Vec<Edge>,
    pub partitions: Vec<PartitionRow>,
    pub entry_rows: Vec<EntryRow>,
}

impl NodeBox {
    /// Where line `i` of its text starts: its x and its baseline.
    pub fn line_origin(&self, i: usize) -> (f64, f64) {
        if self.inline {
            (self.x + 20.0 + title_width(&self.title), self.y + TITLE_DY)
        } else {
            (self.x + 10.0, self.y + LINE_DY + LINE_H * i as f64)
        }
    }
    pub(super) fn right(&self) -> (f64, f64) {
        (self.x + self.w, self.y + self.h / 2.0)
    }
    pub(super) fn left(&self) -> (f64, f64) {
        (self.x, self.y + self.h / 2.0)
    }
}

/// The topic or queue box a producer sends to.
pub(super) fn target_node<'a>(
    engine: &Engine,
    nodes: &'a [NodeBox],
    producer: &crate::scenario::model::Producer,
) -> Option<&'a NodeBox> {
    nodes.iter().find(|n| match n.id {
        NodeId::Topic(t) => engine.topics()[t].spec.name == producer.target,
        NodeId::Queue(q) => engine.queues()[q].spec.name == producer.target,
        NodeId::Exchange(x) => engine.exchanges()[x].spec.name == producer.target,
        _ => false,
    })
}

/// The nodes, edges and partition rows drawn so far, filled column by column.
struct Drawing<'e> {
    engine: &'e Engine,
    grid: Columns,
    /// Drawn compact: see `layout_for`.
    compact: bool,
    nodes: Vec<NodeBox>,
    edges: Vec<Edge>,
    partitions: Vec<PartitionRow>,
    entry_rows: Vec<EntryRow>,
    /// Each subscriber's anchor on the right of the consumer column, where its edge to its sink starts.
    sub_anchor: Vec<(u16, (f64, f64))>,
}

/// A queue's in-flight entries, oldest first: looked for from the newest entry back (they are recent).
fn in_flight_entries(store: &crate::engine::broker::QueueStore) -> Vec<EntryId> {
    if store.in_flight == 0 {
        return vec![];
    }
    let all: Vec<(EntryId, &crate::engine::broker::Entry)> = store.entries.iter().collect();
    let mut found: Vec<EntryId> = all
        .into_iter()
        .rev()
        .filter(|(_, e)| e.state == crate::engine::broker::EntryState::InFlight)
        .take(store.in_flight as usize)
        .map(|(id, _)| id)
        .collect();
    found.reverse();
    found
}

/// How many cells fit in `width` with room after them for "+N", N up to `most` (the count of a busy sink
/// runs to seven digits: a fixed allowance let it cross the box's edge).
fn cells_beside_count(width: f64, most: u64) -> usize {
    ((width - count_width(most)) / CELL_W).floor().max(1.0) as usize
}

/// The room "+N" takes after a row's cells, N up to `most`.
fn count_width(most: u64) -> f64 {
    let digits = most.checked_ilog10().unwrap_or(0) as f64 + 1.0;
    4.0 + (digits + 1.0) * 14.0 * EM_PER_CHAR
}

/// A row of entry cells inside the box at `x`, `w` wide (`(x, w)`), from `entries` (entry id, class): as
/// many as fit, the rest counted.
fn entry_row(
    store: &crate::engine::broker::QueueStore,
    node: NodeId,
    (x, w): (f64, f64),
    y: f64,
    entries: impl Iterator<Item = (EntryId, &'static str)>,
) -> EntryRow {
    // The row's own length (its iterators know it), not every entry the queue ever held.
    let most = entries.size_hint().1.unwrap_or(store.entries.len());
    let room = cells_beside_count(w - 20.0, most as u64);
    let mut entries = entries;
    let cells: Vec<LogCell> = entries
        .by_ref()
        .take(room)
        .enumerate()
        .map(|(k, (entry, class))| {
            let message = store.entries.get(entry).map(|e| e.message);
            let what = match class {
                "in-flight" => "in flight",
                "parked" => "parked in the dead-letter queue",
                _ => "waiting",
            };
            LogCell {
                x: x + 10.0 + CELL_W * k as f64,
                offset: entry.0 as u64,
                message,
                class,
                label: message.map_or_else(|| what.to_string(), |m| format!("#{m} ({what})")),
            }
        })
        .collect();
    let more = entries.count() as u64;
    let more_x = x + 10.0 + CELL_W * cells.len() as f64 + 4.0;
    EntryRow { node, y, cells, more, more_x, glyph: Glyph::None }
}

/// Sink `si`'s effects as cells in its box at `x`, `w` wide: every duplicate it keeps, then the newest
/// effects in the room left; the effects not drawn are counted.
fn effect_row(engine: &Engine, si: usize, (x, w): (f64, f64), y: f64) -> EntryRow {
    let s = &engine.sinks()[si];
    let harmless = engine.repeats_are_harmless(SinkId::at(si));
    let room = cells_beside_count(w - 20.0, s.applied);
    let duplicates = s.duplicate_entries.iter().take(room);
    let newest_room = room.saturating_sub(s.duplicate_entries.len().min(room));
    let newest = s.ledger.iter().rev().filter(|l| !l.duplicate || harmless).take(newest_room).collect::<Vec<_>>();
    let cells: Vec<LogCell> = duplicates
        .chain(newest.into_iter().rev())
        .enumerate()
        .map(|(k, l)| {
            let (class, what) = match (l.duplicate, harmless) {
                (false, _) => ("effect", "applied"),
                (true, false) => ("duplicate", "applied AGAIN — a duplicate"),
                (true, true) => ("harmless", "applied again, harmlessly"),
            };
            LogCell {
                x: x + 10.0 + CELL_W * k as f64,
                offset: l.at_ms,
                message: Some(l.message),
                class,
                label: format!("#{} {what} at {}", l.message, crate::engine::observe::seconds(l.at_ms)),
            }
        })
        .collect();
    let more = s.applied.saturating_sub(cells.len() as u64);
    let more_x = x + 10.0 + CELL_W * cells.len() as f64 + 4.0;
    EntryRow { node: NodeId::Sink(SinkId::at(si)), y, cells, more, more_x, glyph: Glyph::of(s.spec.kind) }
}

/// The picture for the projector's stage (what native tests check).
pub fn layout(engine: &Engine) -> Layout {
    layout_for(engine, Stage::PROJECTOR)
}

/// The picture for `stage`: laid out at one unit per pixel, then narrowed while that lets a small system
/// grow to fill the stage (up to `MAX_SCALE`), so it never sits in a strip. A system too tall for the
/// stage is drawn compact (a consumer's name and status on one line, a dead-letter queue as a strip), so
/// that more of it is in view at the same size of type.
pub fn layout_for(engine: &Engine, stage: Stage) -> Layout {
    // A narrow stage (the drawer open on a projector) gets narrower columns and shorter text, not a
    // picture wider than itself.
    let width = stage.width.max(NARROWEST);
    let roomy = layout_at_width(engine, width, false);
    let compact = roomy.height > stage.height;
    let first = if compact { layout_at_width(engine, width, true) } else { roomy };
    let grow = (stage.height / first.height).min(MAX_SCALE).min(width / MIN_WIDTH);
    // A compact picture keeps the stage's width: narrower, its consumers' statuses would have less room
    // beside their names, or take two lines again and no longer fit.
    if grow <= 1.0 || compact {
        return first;
    }
    layout_at_width(engine, width / grow, compact)
}

/// The most a picture is enlarged to fill its stage.
pub const MAX_SCALE: f64 = 1.6;
/// The narrowest a small system's layout is made to enlarge it (its columns then still hold most text).
pub const MIN_WIDTH: f64 = 1040.0;
/// The narrowest layout at all: below this the stage pans.
const NARROWEST: f64 = 820.0;

/// Pixels per layout unit for `l` on `stage`: the whole picture in view, enlarged up to `MAX_SCALE`, and
/// never below 1 (a picture taller than its stage is panned, so its type stays readable).
pub fn fit_scale(l: &Layout, stage: Stage) -> f64 {
    (stage.width / l.width).min(stage.height / l.height).clamp(1.0, MAX_SCALE)
}

fn layout_at_width(engine: &Engine, width: f64, compact: bool) -> Layout {
    let grid = Columns::for_width(width);
    let mut d = Drawing {
        engine,
        grid,
        compact,
        nodes: vec![],
        edges: vec![],
        partitions: vec![],
        entry_rows: vec![],
        sub_anchor: vec![],
    };
    let producer_bottom = d.producers();
    let queues_top = d.topics();
    let broker_bottom = d.queues(queues_top);
    d.exchanges();
    let workers_top = d.groups();
    let consumer_bottom = d.queue_workers(workers_top);
    let (sink_bottom, sink_pos) = d.sinks();
    d.wire_sinks_and_producers(&sink_pos);
    let bottom = producer_bottom.max(broker_bottom).max(consumer_bottom).max(sink_bottom);
    for n in d.nodes.iter_mut().filter(|n| n.label.is_empty()) {
        n.label = format!("{}: {}", n.title, n.lines.join(", "));
    }
    for n in &mut d.nodes {
        let room = n.w - 18.0;
        n.title = fit_text(&n.title, room, TITLE_PX, EM_PER_BOLD_CHAR);
        // An inline line starts after the title and ends before the messages docked at the box's end.
        let line_room = if n.inline { n.x + n.w - n.line_origin(0).0 - DOCK_W } else { room };
        for line in &mut n.lines {
            *line = fit_text(line, line_room, TEXT_PX, EM_PER_CHAR);
        }
    }
    Layout {
        at_ms: engine.now(),
        width,
        height: bottom.max(200.0),
        columns: vec![
            (grid.producer_x, "Producers"),
            (grid.broker_x, "Topics & queues"),
            (grid.consumer_x, "Consumers"),
            (grid.sink_x, "Side effects"),
        ],
        grid,
        nodes: d.nodes,
        edges: d.edges,
        partitions: d.partitions,
        entry_rows: d.entry_rows,
    }
}

impl Drawing<'_> {
    fn node(&self, id: NodeId) -> Option<&NodeBox> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The producer column; returns its bottom.
    fn producers(&mut self) -> f64 {
        let g = self.grid;
        let mut y = TOP;
        for (i, p) in self.engine.producers().iter().enumerate() {
            let kind = match p.spec.kind {
                MessageKind::Event => "event",
                MessageKind::Command => "command",
            };
            let h = node_height(3);
            self.nodes.push(NodeBox {
                id: NodeId::Producer(ProducerId::at(i)),
                x: g.producer_x,
                y,
                w: g.producer_w,
                h,
                title: p.spec.name.clone(),
                // The message type and its kind each on a line: a narrow column cuts neither.
                lines: vec![p.spec.message.clone(), kind.into(), format!("sent {} of {}", p.produced, p.spec.count)],
                label: String::new(),
                classes: vec![kind],
                inline: false,
            });
            y += h + GAP;
        }
        y
    }

    /// The topics at the top of the broker column, each with a row of log cells per partition; returns
    /// where the queues start.
    fn topics(&mut self) -> f64 {
        let g = self.grid;
        let mut y = TOP;
        for (ti, t) in self.engine.topics().iter().enumerate() {
            let h = HEADER_H + ROW_H * t.partitions.len() as f64 + 8.0;
            let records: u64 = t.partitions.iter().map(|p| p.end_offset()).sum();
            self.nodes.push(NodeBox {
                id: NodeId::Topic(TopicId::at(ti)),
                x: g.broker_x,
                y,
                w: g.broker_w,
                h,
                title: format!("topic {}", t.spec.name),
                lines: vec![format!(
                    "{} · {}",
                    plural(t.partitions.len() as u64, "partition"),
                    plural(records, "record")
                )],
                label: String::new(),
                classes: vec!["topic"],
                inline: false,
            });
            let names: Vec<&str> = t.groups.iter().map(|&gi| self.engine.groups()[gi].spec.name.as_str()).collect();
            let tags = group_tags(&names);
            for pi in 0..t.partitions.len() {
                let row = self.partition_row(ti, pi, y + HEADER_H + ROW_H * pi as f64, &tags);
                self.partitions.push(row);
            }
            y += h + GAP;
        }
        y
    }

    /// Partition `pi` of topic `ti`: its newest records and each group's committed offset.
    fn partition_row(&self, ti: usize, pi: usize, row_y: f64, tags: &[String]) -> PartitionRow {
        let (engine, t, g) = (self.engine, &self.engine.topics()[ti], self.grid);
        let part = &t.partitions[pi];
        let end = part.end_offset();
        let first = end.saturating_sub(g.cells);
        let cells = (first..end)
            .enumerate()
            .map(|(k, offset)| {
                let x = g.broker_x + CELL_X0 + CELL_W * k as f64;
                match part.get(offset) {
                    Some(r) => {
                        let command = engine
                            .messages()
                            .get(r.message)
                            .is_some_and(|m| engine.producers()[m.producer].spec.kind == MessageKind::Command);
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
        let offset_x = |o: u64| g.broker_x + CELL_X0 + CELL_W * (o.saturating_sub(first)) as f64;
        // Each marker: where, its groups' tags, whether older than the records drawn, its title.
        let mut spots: Vec<(f64, Vec<&str>, bool, String)> = vec![];
        for (&gi, tag) in t.groups.iter().zip(tags) {
            let group = &engine.groups()[gi];
            let Some(c) = group.committed[pi] else { continue };
            let older = if c < first { " (older than the records drawn: ‹)" } else { "" };
            let (x, title) = (
                offset_x(c.max(first)),
                format!("{}: committed offset {c}{older}", crate::scenario::names::isolated(&group.spec.name)),
            );
            // Groups at the same offset, or the next one, share a marker: their tags side by side ("CN")
            // rather than one on the other.
            match spots.iter_mut().find(|m| (m.0 - x).abs() < CELL_W + 1.0) {
                Some(m) => {
                    m.1.push(tag);
                    m.2 |= c < first;
                    m.3 = format!("{}; {title}", m.3);
                    m.0 = m.0.max(x);
                }
                None => spots.push((x, vec![tag], c < first, title)),
            }
        }
        let mut markers: Vec<Marker> =
            spots.into_iter().map(|(x, tags, older, title)| marker(x, &tags, older, title)).collect();
        place_marker_labels(&mut markers, (g.broker_x, g.broker_x + g.broker_w - 6.0));
        PartitionRow {
            topic: ti as u16,
            partition: pi as u32,
            first,
            x: g.broker_x,
            y: row_y,
            label: format!("P{pi}"),
            cells,
            markers,
        }
    }

    /// The queues below the topics, from `y`; returns the broker column's bottom. Queues fed by a fan-out
    /// exchange sit to the right of it, so the copies fan out visibly, and each exchange's queues are
    /// stacked together (in exchange order) so its box spans only them.
    fn queues(&mut self, mut y: f64) -> f64 {
        let engine = self.engine;
        let fed = |qi: usize| engine.exchanges().iter().any(|x| x.queues.contains(&QueueId::at(qi)));
        let mut queue_order: Vec<usize> = vec![];
        for qi in
            engine.exchanges().iter().flat_map(|x| x.queues.iter().map(|&q| q.index())).chain(0..engine.queues().len())
        {
            if !queue_order.contains(&qi) {
                queue_order.push(qi);
            }
        }
        for qi in queue_order {
            y = self.queue(qi, fed(qi), y);
        }
        y
    }

    /// Queue `qi` at `y` (right of its exchange when `fed`): its settings, a row of its entries (waiting,
    /// then in flight) and, below it, its dead-letter queue with the messages parked there. Returns where
    /// the next queue starts.
    fn queue(&mut self, qi: usize, fed: bool, y: f64) -> f64 {
        let (engine, g) = (self.engine, self.grid);
        let q = &engine.queues()[qi];
        let store = &q.store;
        let indent = if fed { EXCHANGE_W + 24.0 } else { 0.0 };
        let (x, w) = (g.broker_x + indent, g.broker_w - indent);
        let kind = match q.spec.kind {
            QueueKind::Standard => "standard",
            QueueKind::Fifo => "FIFO",
            QueueKind::Quorum => "quorum",
        };
        let first_line = if engine.now() < q.spec.subscribe_at_ms {
            format!("subscribes at {}", crate::engine::observe::seconds(q.spec.subscribe_at_ms))
        } else {
            format!("waiting {} · in flight {}", store.visible.len(), store.in_flight)
        };
        let settings = if q.spec.kind == QueueKind::Quorum {
            format!("delivery-limit {}", q.spec.delivery_limit)
        } else {
            format!("visibility {} ms · max receives {}", q.spec.visibility_timeout_ms, q.spec.max_receives)
        };
        let h = node_height(2) + ROW_H;
        self.nodes.push(NodeBox {
            id: NodeId::Queue(QueueId::at(qi)),
            x,
            y,
            w,
            h,
            title: format!("queue {} ({kind})", crate::scenario::names::isolated(&q.spec.name)),
            lines: vec![first_line, settings],
            label: String::new(),
            classes: vec!["queue"],
            inline: false,
        });
        let waiting = store.visible.iter().map(|&e| (e, "waiting"));
        let in_flight = in_flight_entries(store).into_iter().map(|e| (e, "in-flight"));
        let cells = waiting.chain(in_flight);
        self.entry_rows.push(entry_row(store, NodeId::Queue(QueueId::at(qi)), (x, w), y + node_height(2) - 6.0, cells));
        let dlq_y = y + h + if self.compact { 4.0 } else { 6.0 };
        let dlq_h = self.dead_letter(qi, (x + 24.0, w - 24.0), dlq_y);
        dlq_y + dlq_h + GAP
    }

    /// Queue `qi`'s dead-letter queue at `y`, in `(x, w)`, with its parked messages; returns its height.
    /// Compact, it is a strip: its title, then its messages on the same line.
    fn dead_letter(&mut self, qi: usize, (x, w): (f64, f64), y: f64) -> f64 {
        let store = &self.engine.queues()[qi].store;
        let parked = plural(store.dead_letter.len() as u64, "message");
        let (title, lines, h, row_y, cells_x) = if self.compact {
            let title = DEAD_LETTER_COMPACT_TITLE.to_string();
            let cells_x = x + 10.0 + title_width(&title);
            (title, vec![], DEAD_LETTER_COMPACT_H, y - 2.0, cells_x)
        } else {
            let lines = vec![format!("{parked} parked")];
            ("dead-letter queue".to_string(), lines, node_height(1) + ROW_H, y + node_height(1) - 6.0, x)
        };
        let alarm = !store.dead_letter.is_empty();
        // A strip too narrow for a cell and its count beside its title says only "DLQ" (red when it holds
        // any; its label counts them).
        let row_w = x + w - cells_x;
        // Decided for a three-digit count whatever the count now, so the cells do not come and go.
        let cells_fit = row_w - 20.0 >= CELL_W + count_width(999);
        self.nodes.push(NodeBox {
            id: NodeId::DeadLetter(QueueId::at(qi)),
            x,
            y,
            w,
            h,
            title,
            lines,
            label: format!("dead-letter queue: {parked} parked"),
            classes: if alarm { vec!["dead-letter", "alarm"] } else { vec!["dead-letter"] },
            inline: false,
        });
        if cells_fit {
            let cells = store.dead_letter.iter().map(|&e| (e, "parked"));
            self.entry_rows.push(entry_row(store, NodeId::DeadLetter(QueueId::at(qi)), (cells_x, row_w), row_y, cells));
        }
        h
    }

    /// Each exchange spans the queues bound to it, with an edge to each.
    fn exchanges(&mut self) {
        let g = self.grid;
        for (xi, x) in self.engine.exchanges().iter().enumerate() {
            let bound: Vec<&NodeBox> =
                self.nodes.iter().filter(|n| matches!(n.id, NodeId::Queue(q) if x.queues.contains(&q))).collect();
            let top = bound.iter().map(|n| n.y).fold(f64::INFINITY, f64::min);
            let bottom = bound.iter().map(|n| n.y + n.h).fold(f64::NEG_INFINITY, f64::max);
            if bound.is_empty() {
                continue;
            }
            let node = NodeBox {
                id: NodeId::Exchange(ExchangeId::at(xi)),
                x: g.broker_x,
                y: top,
                w: EXCHANGE_W,
                h: bottom - top,
                title: x.spec.name.clone(),
                lines: vec!["fan-out".into(), format!("→ {}", plural(bound.len() as u64, "queue"))],
                label: String::new(),
                classes: vec!["exchange"],
                inline: false,
            };
            let edges: Vec<Edge> =
                bound.iter().map(|q| Edge { from: node.right(), to: q.left(), dashed: false }).collect();
            self.edges.extend(edges);
            self.nodes.push(node);
        }
    }

    /// A consumer's box at (`x`, `y`), `w` wide: its name (with ⚠ when a crash is armed) and, in a word or
    /// two, what it is doing: the message and step in hand, crashed, stopped, out of its group, idle.
    fn consumer_box(&self, id: ConsumerId, x: f64, y: f64, w: f64) -> NodeBox {
        let c = &self.engine.consumers()[id];
        let (status, class) = if c.stopped {
            ("stopped".to_string(), "idle")
        } else if !c.alive {
            ("crashed".to_string(), "crashed")
        } else if let Some(a) = c.slots.iter().flatten().next() {
            let busy = c.slots.iter().flatten().count();
            let extra = if busy > 1 { format!(" +{}", busy - 1) } else { String::new() };
            (format!("#{} {}{extra}", a.message, step_label(a.step)), "processing")
        } else if matches!(c.role, Role::Member { .. }) && !c.in_group {
            ("out of group".to_string(), "idle")
        } else {
            ("idle".to_string(), "idle")
        };
        // A member says which partitions it owns, so a rebalance is seen moving them.
        let status = match c.role {
            Role::Member { group } if c.alive && c.in_group => {
                let owned: Vec<String> = self.engine.groups()[group]
                    .assignment
                    .iter()
                    .enumerate()
                    .filter(|(_, owner)| **owner == Some(id))
                    .map(|(p, _)| format!("P{p}"))
                    .collect();
                let owns = if owned.is_empty() { "no partition".to_string() } else { owned.join(" ") };
                format!("{status} · {owns}")
            }
            _ => status,
        };
        let armed = c.crash_armed().is_some() && c.alive;
        NodeBox {
            id: NodeId::Consumer(id),
            x,
            y,
            w,
            h: MEMBER_H - 6.0,
            title: if armed {
                format!("{} ⚠ armed", crate::scenario::names::isolated(&c.name))
            } else {
                c.name.clone()
            },
            lines: vec![status],
            label: String::new(),
            classes: vec!["consumer", class].into_iter().chain(armed.then_some("armed")).collect(),
            inline: false,
        }
    }

    /// When group `g` last finished a rebalance, if that was within `REBALANCE_SHOWN_MS`: an eager
    /// rebalance of idle members completes at once, and the room must still see that it happened.
    fn rebalanced_lately(&self, g: u16) -> Option<SimTime> {
        let now = self.engine.now();
        let since = now.saturating_sub(REBALANCE_SHOWN_MS);
        self.engine
            .trace()
            .events
            .iter()
            .rev()
            .take_while(|ev| ev.at_ms >= since)
            .find(|ev| matches!(ev.what, What::RebalanceDone { group, .. } if group == GroupId(g)))
            .map(|ev| ev.at_ms)
    }

    /// Consumers `members` from `top`, one a row; returns the height they take.
    fn member_boxes(&mut self, members: &[ConsumerId], top: f64) -> f64 {
        let g = self.grid;
        let inline = self.compact && g.consumer_w - 16.0 >= INLINE_MEMBER_MIN_W;
        let pitch = if inline { MEMBER_COMPACT_H } else { MEMBER_H };
        for (k, &m) in members.iter().enumerate() {
            let mut member = self.consumer_box(m, g.consumer_x + 8.0, top + pitch * k as f64, g.consumer_w - 16.0);
            member.h = pitch - 6.0;
            member.inline = inline;
            if inline {
                shorten_inline_status(&mut member);
            }
            self.nodes.push(member);
        }
        pitch * members.len() as f64
    }

    /// The consumer groups at the top of the consumer column, each around its members, with an edge from
    /// its topic (and, for a stage, to its output topic); returns where the queue workers start.
    fn groups(&mut self) -> f64 {
        let (engine, g) = (self.engine, self.grid);
        let mut y = TOP;
        for (gi, group) in engine.groups().iter().enumerate() {
            let start = y;
            let lag = engine.group_lag(GroupId::at(gi));
            let state = if group.rebalancing {
                "⟳ rebalancing…".to_string()
            } else if let Some(at) = self.rebalanced_lately(gi as u16) {
                format!("⟳ rebalanced at {}", crate::engine::observe::seconds(at))
            } else if group.joined {
                format!("consumer group · lag {lag}")
            } else {
                format!("group joins at {}", crate::engine::observe::seconds(group.spec.join_at_ms))
            };
            let at = self.nodes.len();
            let members_h = self.member_boxes(&group.members, start + GROUP_HEADER_H);
            let store_h = self.store_box(group.sub.0, start + GROUP_HEADER_H + members_h);
            let group_h = GROUP_HEADER_H + members_h + store_h + 2.0;
            let node = NodeBox {
                id: NodeId::Group(GroupId::at(gi)),
                x: g.consumer_x,
                y: start,
                w: g.consumer_w,
                h: group_h,
                title: group.spec.name.clone(),
                lines: vec![state],
                label: String::new(),
                classes: vec!["group"],
                inline: false,
            };
            // The group's box goes before its members', so they draw on top of it.
            self.nodes.insert(at, node);
            self.sub_anchor.push((group.sub.0, (g.consumer_x + g.consumer_w, start + group_h / 2.0)));
            if let Some(topic) = self.node(NodeId::Topic(group.topic)) {
                let edge = Edge { from: topic.right(), to: (g.consumer_x, start + 20.0), dashed: false };
                self.edges.push(edge);
            }
            // A stage writes back into the broker column: an edge from the group to its output topic.
            let output =
                group.spec.produce_to.as_ref().and_then(|out| engine.topics().iter().position(|t| &t.spec.name == out));
            if let Some(topic) = output.and_then(|t| self.node(NodeId::Topic(TopicId::at(t)))) {
                let edge = Edge { from: (g.consumer_x, start + group_h - 12.0), to: topic.right(), dashed: true };
                self.edges.push(edge);
            }
            y += group_h + GAP;
        }
        y
    }

    /// Subscriber `sub`'s idempotency store at `y`, in the consumer column like a consumer's box (none
    /// when its handler keeps no keys); returns the height it takes. Its keys are cells: set (the effect
    /// was applied) or only claimed (a claim-first handler that has not applied it yet, or never will).
    fn store_box(&mut self, sub: u16, y: f64) -> f64 {
        use crate::scenario::model::Strategy;
        let (engine, g) = (self.engine, self.grid);
        let strategy = engine.strategy(SubId(sub));
        if strategy == Strategy::None {
            return 0.0;
        }
        let (x, w) = (g.consumer_x + 8.0, g.consumer_w - 16.0);
        let cells_x = x + 20.0 + STORE_TITLE.len() as f64 * TITLE_PX * EM_PER_BOLD_CHAR;
        let room = cells_beside_count(x + w - cells_x - 10.0, engine.idempotency_keys(SubId(sub), 0).0);
        let (set, keys) = engine.idempotency_keys(SubId(sub), room);
        let cells: Vec<LogCell> = keys
            .iter()
            .enumerate()
            .map(|(k, &m)| {
                let applied = engine.obligation(SubId(sub), m).is_some_and(|ob| ob.effects > 0);
                let (class, what) =
                    if applied { ("key", "key set") } else { ("claimed", "key claimed, effect not applied") };
                LogCell {
                    x: cells_x + CELL_W * k as f64,
                    offset: m.0 as u64,
                    message: Some(m),
                    class,
                    label: format!("#{m}: {what}"),
                }
            })
            .collect();
        let more = set.saturating_sub(cells.len() as u64);
        let more_x = cells_x + CELL_W * cells.len() as f64 + 4.0;
        self.entry_rows.push(EntryRow {
            node: NodeId::Store(SubId(sub)),
            y: y - 4.0,
            cells,
            more,
            more_x,
            glyph: Glyph::Key,
        });
        let how = match strategy {
            Strategy::CheckThenAct => "checked before the effect, set after it".to_string(),
            Strategy::ClaimFirst => "claimed (set if absent) before the effect".to_string(),
            Strategy::TransactionalInbox => {
                format!("inbox rows written with the effect in {}", engine.sink_name(engine.sink_of(SubId(sub))))
            }
            Strategy::IdempotencyKey | Strategy::None => {
                format!("idempotency keys kept by {}", engine.sink_name(engine.sink_of(SubId(sub))))
            }
        };
        let node = NodeBox {
            id: NodeId::Store(SubId(sub)),
            x,
            y,
            w,
            h: STORE_H - 6.0,
            title: STORE_TITLE.into(),
            lines: vec![],
            label: format!(
                "{}'s idempotency store: {} set; {how}",
                engine.subscriber_names()[sub as usize],
                plural(set, "key")
            ),
            classes: vec!["store"],
            inline: false,
        };
        self.nodes.push(node);
        STORE_H
    }

    /// Each queue's workers below the groups, from `y`, with an edge from their queue; returns the
    /// consumer column's bottom.
    fn queue_workers(&mut self, mut y: f64) -> f64 {
        let g = self.grid;
        for (qi, q) in self.engine.queues().iter().enumerate() {
            let start = y;
            let workers_h = self.member_boxes(&q.workers, start);
            let h = workers_h + self.store_box(q.sub.0, start + workers_h) - 6.0;
            self.sub_anchor.push((q.sub.0, (g.consumer_x + g.consumer_w, start + h / 2.0)));
            if let Some(queue) = self.node(NodeId::Queue(QueueId::at(qi))) {
                let edge = Edge { from: queue.right(), to: (g.consumer_x + 8.0, start + 22.0), dashed: true };
                self.edges.push(edge);
            }
            y += h + GAP;
        }
        y
    }

    /// The sink column; returns its bottom and where each sink's edges arrive. A sink draws its side
    /// effects as things, a cell each (an email, a charge, a row): its duplicates first, kept however
    /// long the run, then the newest effects.
    fn sinks(&mut self) -> (f64, Vec<(f64, f64)>) {
        let g = self.grid;
        let mut y = TOP;
        let mut sink_pos = vec![];
        for (si, s) in self.engine.sinks().iter().enumerate() {
            let (kind, thing) = match s.spec.kind {
                SinkKind::Email => ("email service", "email"),
                SinkKind::Payment => ("payment service", "charge"),
                SinkKind::DbUpsert => ("database (upsert)", "row"),
                SinkKind::DbCounter => ("database (counter)", "increment"),
            };
            let repeats = if s.spec.kind == SinkKind::DbUpsert {
                "repeats are harmless".to_string()
            } else {
                format!("duplicates {}", s.duplicates)
            };
            let lines = vec![kind.to_string(), format!("{} · {repeats}", plural(s.applied, thing))];
            let h = node_height(lines.len()) + ROW_H;
            let node = NodeBox {
                id: NodeId::Sink(SinkId::at(si)),
                x: g.sink_x,
                y,
                w: g.sink_w,
                h,
                title: s.spec.name.clone(),
                lines,
                label: String::new(),
                classes: if s.duplicates > 0 { vec!["sink", "alarm"] } else { vec!["sink"] },
                inline: false,
            };
            self.entry_rows.push(effect_row(self.engine, si, (g.sink_x, g.sink_w), y + node_height(2) - 6.0));
            sink_pos.push(node.left());
            self.nodes.push(node);
            y += h + GAP;
        }
        (y, sink_pos)
    }

    /// The edges from each subscriber to its sink, then from each producer to what it sends to.
    fn wire_sinks_and_producers(&mut self, sink_pos: &[(f64, f64)]) {
        for &(sub, anchor) in &self.sub_anchor {
            let sink = self.engine.sink_of(SubId(sub)).index();
            if let Some(&to) = sink_pos.get(sink) {
                self.edges.push(Edge { from: anchor, to, dashed: false });
            }
        }
        for (pi, p) in self.engine.producers().iter().enumerate() {
            let target = target_node(self.engine, &self.nodes, &p.spec);
            let from = self.node(NodeId::Producer(ProducerId::at(pi)));
            if let (Some(from), Some(to)) = (from, target) {
                let edge = Edge { from: from.right(), to: to.left(), dashed: p.spec.kind == MessageKind::Command };
                self.edges.push(edge);
            }
        }
    }
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
    let d = crate::number::decimal;
    format!("M{},{} C{},{} {},{} {},{}", d(a.0), d(a.1), d(mx), d(a.1), d(mx), d(b.1), d(b.0), d(b.1))
}

pub fn key_hue(key: u32) -> u32 {
    // The golden angle spreads neighbouring keys far apart on the colour wheel.
    ((key as u64 * 137_508 / 1000) % 360) as u32
}

impl Layout {
    pub(super) fn node(&self, id: NodeId) -> Option<&NodeBox> {
        self.nodes.iter().find(|n| n.id == id)
    }
    pub(super) fn row(&self, topic: u16, partition: u32) -> Option<&PartitionRow> {
        self.partitions.iter().find(|r| r.topic == topic && r.partition == partition)
    }
    /// Where a record at this offset sits on the canvas (the row's start if it has scrolled off).
    pub(super) fn cell_point(&self, topic: u16, partition: u32, offset: u64) -> Option<(f64, f64)> {
        let r = self.row(topic, partition)?;
        let k = offset.saturating_sub(r.first).min(self.grid.cells - 1) as f64;
        Some((self.grid.broker_x + CELL_X0 + CELL_W * k + CELL_W / 2.0 - 1.0, r.y + CELL_Y + CELL_SIZE / 2.0))
    }
    pub(super) fn row_end(&self, topic: u16, partition: u32) -> Option<(f64, f64)> {
        self.row(topic, partition).map(|r| (self.grid.broker_x + self.grid.broker_w, r.y + CELL_Y + CELL_SIZE / 2.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::scenario::model::Strategy;
    use crate::scenario::parse_scenario;
    use crate::scenario::presets::PRESETS;

    #[test]
    fn each_group_on_a_topic_has_a_tag_of_its_own_on_the_committed_offset_markers() {
        // Preset 01's four groups on one topic: analytics and audit were both "A".
        assert_eq!(group_tags(&["notifications", "analytics", "crm", "audit"]), ["N", "AN", "C", "AU"]);
        assert_eq!(group_tags(&["g0", "g1", "g2"]), ["G0", "G1", "G2"]);
        assert_eq!(group_tags(&["orders-a", "orders-b"]), ["O1", "O2"], "alike for longer than three letters");
        assert_eq!(group_tags(&["\u{202e}evil", "-x", "\u{61c}\u{ad}y"]), ["E", "X", "Y"], "letters only");
        // A place number that is another group's tag gives way.
        assert_eq!(group_tags(&["g2", "group-a", "group-b"]), ["G2", "G#2", "G3"]);
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("01")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        engine.run_until(20_000);
        let l = layout(&engine);
        let labels: Vec<&str> = l.partitions.iter().flat_map(|r| r.markers.iter().map(|m| m.label.as_str())).collect();
        assert!(labels.iter().any(|label| label.contains("AU")), "{labels:?}");
        for label in labels {
            assert!(label.split('·').all(|tag| ["N", "AN", "C", "AU"].contains(&tag)), "{label}");
        }
    }

    #[test]
    fn a_marker_label_keeps_clear_of_the_partition_label_and_of_its_neighbours_and_says_when_older() {
        let (row_x, cells) = (100.0, 14.0);
        let first_cell = row_x + CELL_X0;
        let (head, row_end) = (first_cell + cells * CELL_W, first_cell + cells * CELL_W + 24.0);
        let placed = |marks: &[(f64, &[&str], bool)]| {
            let mut markers: Vec<Marker> =
                marks.iter().map(|&(x, tags, older)| marker(x, tags, older, String::new())).collect();
            place_marker_labels(&mut markers, (row_x, row_end));
            markers
        };
        // Before the bar where there is room, after it at the row's first cells.
        let far = placed(&[(first_cell + 5.0 * CELL_W, &["N", "C"], false)]).remove(0);
        assert_eq!((far.label.as_str(), far.label_anchor, far.label_x), ("NC", "end", far.x - 5.0));
        let near = placed(&[(first_cell + CELL_W, &["AN", "AU"], false)]).remove(0);
        assert_eq!((near.label.as_str(), near.label_anchor, near.label_x), ("AN·AU", "start", near.x + 3.0));
        // Groups whose offsets are older than the first record drawn: at its edge, and "‹" says so.
        let behind = placed(&[(first_cell, &["G0", "G1", "G2"], true)]).remove(0);
        assert_eq!((behind.label.as_str(), behind.label_anchor), ("‹G0·G1·G2", "start"));
        // Drawn, they are text the token labels keep off (the same box as drawn, either way), and no two
        // of a row overlap: a lagging "‹AN" at the first cell and "AU" two cells on, or three crowded.
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("01")).unwrap().1;
        let mut l = layout(&Engine::new(parse_scenario(json).unwrap()).unwrap());
        l.entry_rows = vec![];
        let mut boxes = |markers: Vec<Marker>| {
            let row = PartitionRow {
                topic: 0,
                partition: 0,
                first: 0,
                x: row_x,
                y: 0.0,
                label: "P0".into(),
                cells: vec![],
                markers,
            };
            l.partitions = vec![row];
            let all = crate::ui::tokens::text_boxes(&l);
            all[all.len() - l.partitions[0].markers.len()..].to_vec()
        };
        let b = boxes(vec![far.clone(), behind.clone()]);
        assert!(b[0].x + b[0].w <= far.x - 5.0 + 0.01 && b[1].x == behind.x + 3.0);
        // Caught-up groups at the head, one lagging two cells behind: the head's label stays in the row.
        let crowded = placed(&[(head, &["AN", "AU"], false), (head - 2.0 * CELL_W, &["N"], false)]);
        for m in &crowded {
            let (from, to) = m.label_span();
            assert!(from >= first_cell - 4.0 && to <= row_end, "{m:?} leaves the row");
        }
        for marks in [
            vec![(first_cell + 2.0 * CELL_W, &["AU"][..], false), (first_cell, &["AN"][..], true)],
            vec![
                (first_cell, &["G0", "G1"][..], true),
                (first_cell + 2.0 * CELL_W, &["G2"][..], false),
                (first_cell + 4.0 * CELL_W, &["G3"][..], false),
            ],
        ] {
            let b = boxes(placed(&marks));
            for pair in b.windows(2) {
                assert!(pair[0].x + pair[0].w <= pair[1].x && pair[0].x >= first_cell - 4.0, "{marks:?}: {b:?}");
            }
        }
    }

    #[test]
    fn a_row_s_count_of_what_it_does_not_draw_stays_inside_its_box_however_many_digits() {
        // A sink 230 px wide inside its padding, after 3,558,661 emails: seven cells and "+3558654".
        let room = cells_beside_count(230.0, 3_558_661);
        let count_w = "+3558654".len() as f64 * 14.0 * EM_PER_CHAR;
        assert!(room >= 6 && CELL_W * room as f64 + 4.0 + count_w <= 230.0, "{room} cells");
        assert!(cells_beside_count(230.0, 9) > room, "a short count leaves room for more cells");
        // Every preset at its end: each "+N" ends inside its box.
        for (stem, json) in PRESETS {
            let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
            engine.run_to_end();
            let l = layout(&engine);
            for row in l.entry_rows.iter().filter(|r| r.more > 0) {
                let node = l.node(row.node).unwrap();
                let end = row.more_x + format!("+{}", row.more).len() as f64 * 14.0 * EM_PER_CHAR;
                assert!(end <= node.x + node.w, "{stem}: {:?} ends at {end}, its box at {}", row.node, node.x + node.w);
            }
        }
    }

    #[test]
    fn an_idempotency_store_draws_its_keys_under_its_consumers() {
        // Preset 06: a queue's two workers check a key, send the email, then set the key.
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("06")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        engine.run_until(6_000);
        let l = layout(&engine);
        let store = l.node(NodeId::Store(SubId(0))).expect("the workers' store has a box");
        let lowest_worker =
            l.nodes.iter().filter(|n| matches!(n.id, NodeId::Consumer(_))).map(|n| n.y + n.h).fold(0.0, f64::max);
        assert!(store.y >= lowest_worker && store.x >= l.grid.consumer_x, "under the workers: {store:?}");
        assert!(store.label.contains("checked before the effect, set after it"), "{}", store.label);
        let row = l.entry_rows.iter().find(|r| r.node == NodeId::Store(SubId(0))).expect("its row of keys");
        let (set, newest) = engine.idempotency_keys(SubId(0), usize::MAX);
        assert!(set > 5 && !row.cells.is_empty());
        assert_eq!(row.cells.len() as u64 + row.more, set, "every key is drawn or counted");
        let drawn: Vec<MessageId> = row.cells.iter().filter_map(|c| c.message).collect();
        assert!(newest.ends_with(&drawn), "the newest keys, oldest first: {drawn:?}");
        for c in &row.cells {
            assert!(c.x + CELL_SIZE <= store.x + store.w, "{c:?} inside its box");
            // Check, then act sets the key after the effect: every key drawn is for an applied effect.
            assert_eq!(c.class, "key", "{c:?}");
        }
        assert_eq!(row.glyph, Glyph::Key, "each drawn as a key");
        // A subscriber without a strategy keeps no keys and draws no store.
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("05")).unwrap().1;
        let engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        assert!(!layout(&engine).nodes.iter().any(|n| matches!(n.id, NodeId::Store(_))));
    }

    #[test]
    fn a_claimed_key_without_its_effect_is_drawn_as_claimed() {
        // Preset 06 with claim-first: a key is claimed before its email is sent (and stays so for good if
        // the worker crashes in between).
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("06")).unwrap().1;
        let json = json.replace("check_then_act", "claim_first");
        let mut engine = Engine::new(parse_scenario(&json).unwrap()).unwrap();
        let mut claimed = None;
        while claimed.is_none() && engine.step() {
            let l = layout(&engine);
            claimed = l
                .entry_rows
                .iter()
                .filter(|r| r.node == NodeId::Store(SubId(0)))
                .flat_map(|r| &r.cells)
                .find(|c| c.class == "claimed")
                .cloned();
        }
        let c = claimed.expect("a key claimed before its effect");
        assert!(engine.obligation(SubId(0), c.message.unwrap()).is_some_and(|ob| ob.effects == 0));
        assert!(c.label.contains("claimed"), "{}", c.label);
    }

    fn overlaps(a: &NodeBox, b: &NodeBox) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn every_preset_lays_out_without_overlap_inside_the_canvas() {
        for (stem, json) in PRESETS {
            let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
            engine.run_until(8_000);
            let l = layout(&engine);
            let expected = engine.producers().len()
                + engine.topics().len()
                + 2 * engine.queues().len() // each with its dead-letter queue
                + engine.exchanges().len()
                + engine.groups().len()
                + engine.consumers().len()
                + engine.sinks().len()
                + (0..engine.subscriber_count() as u16).filter(|&s| engine.strategy(SubId(s)) != Strategy::None).count();
            assert_eq!(l.nodes.len(), expected, "{stem}: one box per entity");
            for n in &l.nodes {
                assert!(
                    n.x >= 0.0 && n.x + n.w <= l.width && n.y >= 0.0 && n.y + n.h <= l.height,
                    "{stem}: {n:?} outside"
                );
            }
            for (i, a) in l.nodes.iter().enumerate() {
                for b in &l.nodes[i + 1..] {
                    let nested = matches!((a.id, b.id), (NodeId::Group(_), NodeId::Consumer(_) | NodeId::Store(_)));
                    assert!(nested || !overlaps(a, b), "{stem}: {:?} overlaps {:?}", a.id, b.id);
                }
            }
            for row in &l.partitions {
                assert!(row.cells.len() as u64 <= l.grid.cells);
                for c in &row.cells {
                    assert!(c.x + CELL_W <= l.grid.broker_x + l.grid.broker_w, "{stem}: cell outside its topic");
                }
            }
        }
    }

    #[test]
    fn a_system_too_tall_for_the_projector_is_drawn_compact_and_the_first_scenario_fits_whole() {
        let stage = Stage::PROJECTOR;
        let mut engine = crate::ui::test_support::preset("01");
        assert!(layout_at_width(&engine, stage.width, false).height > stage.height, "roomy, it would pan");
        // Compact from its first moment to its end: the picture never changes form while the run plays.
        let height = layout_for(&engine, stage).height;
        // Every 100 ms, its consumers busy or idle, crashed or armed.
        for t in (100..=25_000).step_by(100).chain([SimTime::MAX]) {
            engine.run_until(t);
            let l = layout_for(&engine, stage);
            assert!(l.height == height && l.height <= stage.height, "at {t}: {} units tall", l.height);
            // Each consumer on one line: its status after its name, clear of the messages docked at its end.
            let consumers: Vec<&NodeBox> = l.nodes.iter().filter(|n| matches!(n.id, NodeId::Consumer(_))).collect();
            assert_eq!(consumers.len(), engine.consumers().len());
            for n in consumers {
                let (x, baseline) = n.line_origin(0);
                let end = x + n.lines[0].chars().count() as f64 * TEXT_PX * EM_PER_CHAR;
                assert!(n.inline && baseline == n.y + TITLE_DY && baseline < n.y + n.h, "{n:?}");
                assert!(end <= n.x + n.w - DOCK_W && !n.lines[0].ends_with('…'), "at {t}: {n:?}");
            }
        }
        // With the drawer open the consumer column is too narrow for a status beside a name: two lines.
        let drawer_open = layout_for(&engine, Stage { width: 880.0, height: stage.height });
        assert!(drawer_open.nodes.iter().all(|n| !n.inline));
        // A small system keeps its roomy boxes, and grows.
        let small = layout_for(&crate::ui::test_support::preset("05"), stage);
        assert!(small.nodes.iter().all(|n| !n.inline) && fit_scale(&small, stage) > 1.0);
    }

    #[test]
    fn a_compact_dead_letter_queue_is_a_strip_holding_its_parked_messages_and_their_count() {
        // Preset 02 with half its messages poison parks many; on a short stage its queue is drawn compact.
        let mut scenario = crate::ui::test_support::preset("02").scenario().clone();
        scenario.faults.poison = 0.5;
        let mut engine = Engine::new(scenario).unwrap();
        engine.run_until(SimTime::MAX);
        let parked = engine.queues()[0].store.dead_letter.len();
        let id = NodeId::DeadLetter(QueueId::at(0));
        let l = layout_for(&engine, Stage { width: Stage::PROJECTOR.width, height: 200.0 });
        let strip = l.node(id).unwrap();
        assert_eq!((strip.h, strip.title.as_str(), strip.lines.len()), (DEAD_LETTER_COMPACT_H, "DLQ", 0));
        assert_eq!(strip.label, format!("dead-letter queue: {parked} messages parked"));
        let row = l.entry_rows.iter().find(|r| r.node == id).unwrap();
        assert!(row.more > 0 && row.cells.len() as u64 + row.more == parked as u64, "{parked} parked: {row:?}");
        let (top, bottom) = (row.y + CELL_Y, row.y + CELL_Y + CELL_SIZE);
        assert!(top >= strip.y && bottom <= strip.y + strip.h, "{row:?} in {strip:?}");
        let right = strip.x + strip.w;
        assert!(row.cells.iter().all(|c| c.x >= strip.x + 10.0 + title_width("DLQ") && c.x + CELL_SIZE <= right));
        let count = format!("+{}", row.more).chars().count() as f64 * 14.0 * EM_PER_CHAR;
        assert!(row.more_x + count <= right, "the count inside the strip: {row:?} in {strip:?}");
        // A queue fed by an exchange in a comparison's lane, too narrow for a cell and its count beside the
        // title: the strip alone.
        let narrow = layout_for(&crate::ui::test_support::preset("11"), Stage { width: 620.0, height: 540.0 });
        let strip = narrow.node(id).unwrap();
        assert!(strip.title == "DLQ" && strip.w < 100.0, "{strip:?}");
        assert!(narrow.entry_rows.iter().all(|r| r.node != id));
        // On the projector the same queue has room: a box titled in words.
        let roomy = layout_for(&engine, Stage::PROJECTOR);
        let dlq = roomy.node(id).unwrap();
        assert_eq!(
            (dlq.title.as_str(), dlq.lines.as_slice()),
            ("dead-letter queue", [format!("{parked} messages parked")].as_slice())
        );
    }

    #[test]
    fn crashed_consumer_is_labelled_not_just_coloured() {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("05")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        let mut seen = false;
        while engine.step() {
            if engine.consumers().iter().any(|c| !c.alive) {
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
    fn curve_points_start_and_end_on_the_edge() {
        let (a, b) = ((10.0, 20.0), (210.0, 120.0));
        assert_eq!(curve_point(a, b, 0.0), a);
        assert_eq!(curve_point(a, b, 1.0), b);
        let mid = curve_point(a, b, 0.5);
        assert!((mid.0 - 110.0).abs() < 1e-9 && (mid.1 - 70.0).abs() < 1e-9);
        assert!(curve_path(a, b).starts_with("M10,20 C110,20"), "{}", curve_path(a, b));
    }

    #[test]
    fn a_queue_draws_its_waiting_in_flight_and_parked_messages_and_a_member_its_partitions() {
        // Preset 02: competing workers, a slow run outlasting the visibility timeout, poison to the DLQ.
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("02")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        let (mut waiting, mut in_flight) = (false, false);
        while engine.step() {
            let l = layout(&engine);
            let row = l.entry_rows.iter().find(|r| r.node == NodeId::Queue(QueueId(0))).expect("the queue's row");
            let store = &engine.queues()[0].store;
            let shown = |class: &str| row.cells.iter().filter(|c| c.class == class).count();
            assert_eq!(shown("waiting") + shown("in-flight") + row.more as usize, store.depth() as usize);
            waiting |= shown("waiting") > 0;
            in_flight |= shown("in-flight") > 0;
            for c in row.cells.iter().filter(|c| c.class == "in-flight") {
                let entry = store.entries.get(EntryId(c.offset as u32)).expect("kept while in flight");
                assert_eq!(entry.state, crate::engine::broker::EntryState::InFlight);
            }
        }
        assert!(waiting && in_flight, "both drawn at some moment");
        let l = layout(&engine);
        let dlq = l
            .entry_rows
            .iter()
            .find(|r| r.node == NodeId::DeadLetter(QueueId(0)))
            .expect("the dead-letter queue's row");
        assert_eq!(dlq.cells.len(), engine.queues()[0].store.dead_letter.len());
        assert!(!dlq.cells.is_empty(), "preset 02 parks its poison message");
        assert!(l.node(NodeId::DeadLetter(QueueId(0))).is_some_and(|n| n.lines[0].contains("parked")));

        // Preset 05 after its group joined: each member names the partitions it owns, all of them once.
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("05")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        engine.run_until(2_000);
        let l = layout(&engine);
        let owned: Vec<String> = l
            .nodes
            .iter()
            .filter(|n| matches!(n.id, NodeId::Consumer(_)))
            .flat_map(|n| {
                n.lines[0].split(" · ").nth(1).unwrap_or("").split(' ').map(str::to_string).collect::<Vec<_>>()
            })
            .collect();
        let mut sorted = owned.clone();
        sorted.sort();
        assert_eq!(sorted, vec!["P0", "P1", "P2"], "{owned:?}");
    }

    #[test]
    fn a_sink_draws_its_effects_and_keeps_its_duplicates_in_view() {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("05")).unwrap().1;
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        engine.run_to_end();
        let l = layout(&engine);
        let row = l.entry_rows.iter().find(|r| r.node == NodeId::Sink(SinkId(0))).expect("the email sink's row");
        assert_eq!(row.cells.iter().filter(|c| c.class == "duplicate").count(), 4, "all four, at the end of the run");
        assert!(row.cells.iter().any(|c| c.class == "effect"));
        assert_eq!(row.cells.len() as u64 + row.more, engine.sinks()[0].applied);
        // Each email is an envelope over its cell, inside the cell.
        assert_eq!(row.glyph, Glyph::Envelope);
        let c = &row.cells[0];
        let flap = row.glyph.path(c.x, row.y + CELL_Y).expect("drawn");
        let numbers: Vec<f64> = flap.split([' ', 'M', 'L']).filter_map(|n| n.parse().ok()).collect();
        assert_eq!(numbers.len(), 6, "{flap}");
        for xy in numbers.chunks(2) {
            assert!(
                (c.x..=c.x + CELL_SIZE).contains(&xy[0])
                    && (row.y + CELL_Y..=row.y + CELL_Y + CELL_SIZE).contains(&xy[1])
            );
        }
        // Preset 07: a charge is a slip, a counter's increment a tally, an email an envelope.
        let json = PRESETS.iter().find(|(s, _)| s.starts_with("07")).unwrap().1;
        let engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        let glyphs: Vec<Glyph> =
            layout(&engine).entry_rows.iter().filter(|r| matches!(r.node, NodeId::Sink(_))).map(|r| r.glyph).collect();
        assert_eq!(glyphs, [Glyph::Slip, Glyph::Tally, Glyph::Envelope]);
        assert_eq!(Glyph::None.path(0.0, 0.0), None);
    }
}
