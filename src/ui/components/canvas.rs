//! The SVG canvas: draws the layout and the tokens computed by `geometry` (pure, tested natively).
//! Nodes, log cells and tokens are clickable: a node opens its settings, a message its journey.
use super::OnAction;
use crate::engine::{MessageId, TopicId};
use crate::number::decimal;
use crate::ui::layout::{
    curve_path, layout_for, Layout, LogCell, NodeId, Stage, CELL_SIZE, CELL_Y, COLUMN_TITLE_Y, TITLE_DY,
};
use crate::ui::state::Model;
use crate::ui::state::{Action, Selection};
use crate::ui::token_layer::TokenLayer;
use crate::ui::tokens::{crowded, declutter, place_labels, thin, thinned_note, tokens, Motion};
use crate::ui::zoom::Zoom;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

fn node_key(id: NodeId) -> String {
    match id {
        NodeId::Producer(i) => format!("producer-{i}"),
        NodeId::Topic(i) => format!("topic-{i}"),
        NodeId::Queue(i) => format!("queue-{i}"),
        NodeId::Exchange(i) => format!("exchange-{i}"),
        NodeId::Group(i) => format!("group-{i}"),
        NodeId::Consumer(i) => format!("consumer-{i}"),
        NodeId::Sink(i) => format!("sink-{i}"),
        NodeId::DeadLetter(i) => format!("dlq-{i}"),
        NodeId::Store(i) => format!("store-{i}"),
    }
}

/// Enter or Space on a box selects it and then takes the keyboard into its messages (its row's first
/// cell), so a keyboard reaches a message's journey as a click on a cell does.
fn select_node(on_action: &Callback<Action>, id: NodeId) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let (click, key) = select(on_action, Selection::Node(id));
    let into_cells = Callback::from(move |e: KeyboardEvent| {
        let pressed = e.key() == "Enter" || e.key() == " ";
        key.emit(e);
        if pressed {
            let selector = format!("[data-of=\"{}\"]", node_key(id));
            gloo::timers::callback::Timeout::new(0, move || {
                let first = gloo::utils::document().query_selector(&selector).ok().flatten();
                if let Some(cell) = first.and_then(|el| el.dyn_into::<web_sys::SvgElement>().ok()) {
                    let _ = cell.focus();
                }
            })
            .forget();
        }
    });
    (click, into_cells)
}

/// The node whose row of cells takes the keyboard's focus: the selected box, or the box whose row holds
/// the selected message (so the focus stays in the row while its messages are opened one by one).
fn open_row(
    node: NodeId,
    cells: &[LogCell],
    selected_node: Option<NodeId>,
    selected_message: Option<MessageId>,
) -> Option<String> {
    let holds = selected_message.is_some() && cells.iter().any(|c| c.message == selected_message);
    (selected_node == Some(node) || holds).then(|| node_key(node))
}

/// A click, or Enter / Space on a focused element, selects.
fn select(on_action: &Callback<Action>, selection: Selection) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let click = {
        let on_action = on_action.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            on_action.emit(Action::Select(selection))
        })
    };
    let key = {
        let on_action = on_action.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                on_action.emit(Action::Select(selection));
            }
        })
    };
    (click, key)
}

#[derive(Properties, Clone)]
pub struct CanvasProps {
    pub model: Rc<RefCell<Model>>,
    pub revision: u64,
    pub on_action: OnAction,
    /// The revision the picture under the tokens (nodes, edges, log cells) shows: while playing it follows
    /// at the panels' pace (see `frames::Revisions::panels`), while the tokens move every frame.
    pub picture_revision: u64,
    /// Draw lane B of a comparison (read-only: its elements are not selectable).
    #[prop_or_default]
    pub lane_b: bool,
    /// The box the picture is laid out for, and the zoom on top of the layout's own fit.
    pub stage: Stage,
    pub zoom: Zoom,
}

impl PartialEq for CanvasProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model)
            && self.revision == other.revision
            && self.picture_revision == other.picture_revision
            && self.lane_b == other.lane_b
            && self.stage == other.stage
            && self.zoom == other.zoom
    }
}

#[derive(Properties, Clone)]
struct PictureProps {
    model: Rc<RefCell<Model>>,
    revision: u64,
    on_action: OnAction,
    lane_b: bool,
    /// The picture's layout, shared with the token layer (laid out once per picture revision).
    layout: Rc<Layout>,
}

impl PartialEq for PictureProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model)
            && self.revision == other.revision
            && self.lane_b == other.lane_b
            && Rc::ptr_eq(&self.layout, &other.layout)
    }
}

/// The lane's engine: lane A's, or lane B's of a comparison.
fn lane_engine(model: &Model, lane_b: bool) -> Option<&crate::engine::Engine> {
    match (lane_b, model.compare.as_ref()) {
        (true, Some(lane)) => Some(&lane.engine),
        (true, None) => None,
        (false, _) => Some(&model.engine),
    }
}

#[component]
pub fn Canvas(props: &CanvasProps) -> Html {
    let model = props.model.borrow();
    let Some(engine) = lane_engine(&model, props.lane_b) else { return html! {} };
    // Laid out when the picture's revision or the stage changes, not every frame: the tokens travel over
    // the picture as drawn (which follows at the panels' pace while playing).
    let l = use_memo((props.picture_revision, props.stage, props.lane_b), |&(_, stage, _)| layout_for(engine, stage));
    // Presenter mode enlarges the picture too, not only the text.
    let scale = match model.presenter {
        true => props.zoom.presenting_scale(&l, props.stage),
        false => props.zoom.scale(&l, props.stage),
    };
    let size = format!("width: {}px; height: {}px", decimal(l.width * scale), decimal(l.height * scale));
    // prefers-reduced-motion, read at every frame so a change in the system's setting applies at once:
    // tokens then sit still halfway along their edge instead of gliding.
    let motion = if crate::ui::browser::prefers_reduced_motion() { Motion::Reduced } else { Motion::Smooth };
    let mut toks = tokens(engine, &l, motion);
    let view_box = format!("0 0 {} {}", decimal(l.width), decimal(l.height));
    // Selection belongs to lane A; lane B is only drawn.
    let (selected_message, on_action) = match (props.lane_b, model.selection) {
        (true, _) => (None, Callback::noop()),
        (false, Some(Selection::Message(m))) => (Some(m), props.on_action.clone()),
        (false, _) => (None, props.on_action.clone()),
    };
    let note = thin(&mut toks, selected_message).and_then(|percent| thinned_note(&l, percent));
    declutter(&mut toks, selected_message);
    place_labels(&mut toks, &l, note.as_ref());
    let overlay_class = classes!("canvas", "token-overlay", crowded(&toks).then_some("crowded"));
    let tokens_ref = use_node_ref();
    let token_layer = use_memo((), |_| TokenLayer::default());
    {
        let tokens_ref = tokens_ref.clone();
        // The stage too: a resize or the callout's column lays the picture out anew while paused.
        use_effect_with((props.revision, props.lane_b, props.stage), move |_| {
            if let Some(root) = tokens_ref.cast::<web_sys::Element>() {
                token_layer.draw(&root, &toks, selected_message);
            }
        });
    }
    // One listener for every token: the clicked token's message, from its `data-message`.
    let on_token_click = {
        let on_action = on_action.clone();
        Callback::from(move |e: MouseEvent| {
            let message = e
                .target_dyn_into::<web_sys::Element>()
                .and_then(|el| el.closest("[data-message]").ok().flatten())
                .and_then(|el| el.get_attribute("data-message"))
                .and_then(|m| m.parse::<u32>().ok())
                .map(MessageId)
                .filter(|&m| m != MessageId::NONE);
            if let Some(m) = message {
                e.stop_propagation();
                on_action.emit(Action::Select(Selection::Message(m)));
            }
        })
    };
    let (testid, lane_title) = match (props.lane_b, model.compare.as_ref()) {
        // Until lane B has caught up, its title says so (the picture under it is from that earlier moment).
        (true, lane) => ("canvas-b", model.lane_catching_up().or_else(|| lane.map(|l| l.titles.1.clone()))),
        (false, lane) => ("canvas", lane.map(|l| l.titles.0.clone())),
    };
    html! {
        <div class="canvas-wrap">
            if let Some(title) = lane_title {
                <p class="lane-title" data-testid={format!("{testid}-title")} title={title.clone()}>{title}</p>
            }
            <div class="canvas-stack" style={size}>
                <Picture model={props.model.clone()} revision={props.picture_revision} {on_action} lane_b={props.lane_b}
                    layout={l.clone()} />
                // The moving tokens in an SVG of their own over the picture: the picture is then painted
                // only when it changes, not every frame with the tokens. Yew owns the `<g>`; the token
                // layer draws its children after each render.
                // The exports and the recorder copy the `<g>` holding the tokens and the note saying how thinned they are.
                <svg class={overlay_class} data-testid={format!("{testid}-tokens")} viewBox={view_box} aria-hidden="true">
                    <g>
                        <g class="tokens" data-testid="tokens" ref={tokens_ref} onclick={on_token_click} />
                        if let Some((x, y, note)) = note {
                            <text class="thinned" x={decimal(x)} y={decimal(y)}>{note}</text>
                        }
                    </g>
                </svg>
            </div>
        </div>
    }
}

/// A cell of a row (a log's record, a queue's entry, a sink's effect) at the row's `y`: clickable for its
/// message's journey, outlined when that message is selected, `title` on hover. `of`: the row's node
/// when its cells take the keyboard's focus (see `open_row`). Not keyed: as a log moves on, a row's
/// elements are rewritten in place rather than recreated.
fn cell(
    c: &LogCell,
    y: f64,
    title: String,
    selected: Option<MessageId>,
    on_action: &OnAction,
    of: Option<&str>,
) -> Html {
    // Only a cell that holds a message takes the focus (a deleted record's does not).
    let of = of.filter(|_| c.message.is_some());
    let (onclick, onkeydown) = match c.message {
        Some(m) => {
            let (a, b) = select(on_action, Selection::Message(m));
            (Some(a), Some(b))
        }
        None => (None, None),
    };
    let selected = c.message.is_some() && c.message == selected;
    html! {
        <rect class={classes!("cell", c.class, selected.then_some("selected"))}
            x={decimal(c.x)} y={decimal(y + CELL_Y)} width={decimal(CELL_SIZE)} height={decimal(CELL_SIZE)} rx="2"
            data-message={c.message.map(|m| m.to_string())} {onclick} {onkeydown}
            data-of={of.map(str::to_string)} tabindex={of.map(|_| "0")} role={of.map(|_| "button")}>
            <title>{title}</title>
        </rect>
    }
}

/// The picture under the tokens: columns, edges, nodes, partitions with their cells and markers.
#[component]
fn Picture(props: &PictureProps) -> Html {
    let model = props.model.borrow();
    let l = &props.layout;
    let view_box = format!("0 0 {} {}", decimal(l.width), decimal(l.height));
    // Selection, focus and highlights belong to lane A; lane B is only drawn.
    let (selection, on_action) =
        if props.lane_b { (None, Callback::noop()) } else { (model.selection, props.on_action.clone()) };
    let selected_message = match selection {
        Some(Selection::Message(m)) => Some(m),
        _ => None,
    };
    let selected_node = match selection {
        Some(Selection::Node(n)) => Some(n),
        _ => None,
    };
    let chain: Vec<NodeId> =
        model.focus.as_ref().filter(|_| !props.lane_b).map(|f| f.chain.clone()).unwrap_or_default();
    let lesson_highlight: Vec<NodeId> =
        model.lesson.as_ref().filter(|_| !props.lane_b).map(|l| l.highlight.clone()).unwrap_or_default();
    let clear = {
        let on_action = on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ClearSelection))
    };
    let testid = if props.lane_b { "canvas-b" } else { "canvas" };
    // The rows whose messages take the keyboard's focus now (a topic's partitions count as one row).
    let entry_rows_open: Vec<Option<String>> =
        l.entry_rows.iter().map(|row| open_row(row.node, &row.cells, selected_node, selected_message)).collect();
    let mut topics_open: Vec<(u16, String)> = vec![];
    for row in &l.partitions {
        let open = open_row(NodeId::Topic(TopicId(row.topic)), &row.cells, selected_node, selected_message);
        if let Some(key) = open.filter(|_| !topics_open.iter().any(|(t, _)| *t == row.topic)) {
            topics_open.push((row.topic, key));
        }
    }
    html! {
        <svg class="canvas" data-testid={testid} viewBox={view_box} role="group" data-at-ms={l.at_ms.to_string()}
            aria-label="Producers, topics and queues, consumers and side-effect sinks; select an element or a message for details"
            onclick={clear}>
            { for l.columns.iter().map(|(x, title)| html! {
                <text class="column-title" x={decimal(*x)} y={decimal(COLUMN_TITLE_Y)}>{*title}</text>
            }) }
            { for l.edges.iter().map(|e| html! {
                <path class="edge" stroke-dasharray={if e.dashed { "6 4" } else { "" }} d={curve_path(e.from, e.to)} />
            }) }
            { for l.nodes.iter().map(|n| {
                // The causal chain lights box by box, in the order the message reached them (`--step`).
                let step = chain.iter().position(|&c| c == n.id);
                let classes = classes!(
                    "node",
                    n.classes.clone(),
                    (selected_node == Some(n.id)).then_some("selected"),
                    step.map(|_| "focus"),
                    lesson_highlight.contains(&n.id).then_some("lesson-highlight"),
                );
                let (onclick, onkeydown) = select_node(&on_action, n.id);
                let label = n.label.clone();
                html! {
                    <g class={classes} key={node_key(n.id)} data-node={node_key(n.id)} {onclick}
                        style={step.map(|k| format!("--step: {k}"))} data-chain-step={step.map(|k| (k + 1).to_string())}>
                        // The button is the box; its name (the label) says the drawn text whole, which may be
                        // cut with "…", so the text is drawn beside it rather than inside it.
                        <g class="hit" tabindex="0" role="button" aria-label={label} {onkeydown}>
                            <rect class="box" x={decimal(n.x)} y={decimal(n.y)} width={decimal(n.w)} height={decimal(n.h)} rx="6" />
                        </g>
                        <text class="title" x={decimal(n.x + 10.0)} y={decimal(n.y + TITLE_DY)} aria-hidden="true">{n.title.clone()}</text>
                        { for n.lines.iter().enumerate().map(|(i, line)| {
                            let (x, y) = n.line_origin(i);
                            html! { <text class="sub" x={decimal(x)} y={decimal(y)} aria-hidden="true">{line.clone()}</text> }
                        }) }
                        if let Some(k) = step {
                            // Its place in the chain, on the box's left edge beside its title.
                            <g class="chain-badge" aria-hidden="true">
                                <circle cx={decimal(n.x - 2.0)} cy={decimal(n.y + TITLE_DY - 6.0)} r="11" />
                                <text x={decimal(n.x - 2.0)} y={decimal(n.y + TITLE_DY - 1.0)}>{(k + 1).to_string()}</text>
                            </g>
                        }
                    </g>
                }
            }) }
            { for l.entry_rows.iter().zip(&entry_rows_open).map(|(row, of)| html! {
                <g class="entries" key={format!("entries-{}", node_key(row.node))}>
                    { for row.cells.iter().map(|c| {
                        cell(c, row.y, c.label.clone(), selected_message, &on_action, of.as_deref())
                    }) }
                    { for row.cells.iter().filter_map(|c| Some((c, row.glyph.path(c.x, row.y + CELL_Y)?))).map(|(c, d)| html! {
                        <path class={classes!("glyph", c.class)} {d} />
                    }) }
                    if row.more > 0 {
                        <text class="sub more" x={decimal(row.more_x)} y={decimal(row.y + CELL_Y + 15.0)}>{format!("+{}", row.more)}</text>
                    }
                </g>
            }) }
            { for l.partitions.iter().map(|row| html! {
                <g class="partition" key={format!("p-{}-{}", row.topic, row.partition)}>
                    <text class="sub row-label" x={decimal(row.x + 10.0)} y={decimal(row.y + CELL_Y + 15.0)}>{row.label.clone()}</text>
                    { for row.cells.iter().map(|c| {
                        let of = topics_open.iter().find(|(t, _)| *t == row.topic).map(|(_, key)| key.as_str());
                        let mut cell = cell(c, row.y, format!("offset {}: {}", c.offset, c.label), selected_message, &on_action, of);
                        // A row holding the keyboard's focus keeps each record's element, so the focus
                        // stays on its record as the log moves on.
                        if let (Some(_), Html::VTag(tag)) = (of, &mut cell) {
                            if let Some(tag) = Rc::get_mut(tag) {
                                tag.key = Some(c.offset.into());
                            }
                        }
                        cell
                    }) }
                    { for row.markers.iter().map(|m| html! {
                        <g>
                            <line class={classes!("marker", m.class)} x1={decimal(m.x - 1.0)} x2={decimal(m.x - 1.0)} y1={decimal(row.y + CELL_Y - 2.0)} y2={decimal(row.y + CELL_Y + CELL_SIZE + 2.0)}>
                                <title>{m.title.clone()}</title>
                            </line>
                            <text class="sub marker-label" x={decimal(m.label_x)} y={decimal(row.y + CELL_Y - 1.0)} text-anchor={m.label_anchor}>{m.label.clone()}</text>
                        </g>
                    }) }
                </g>
            }) }
        </svg>
    }
}
