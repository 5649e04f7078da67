//! The SVG canvas: draws the layout computed by `geometry::layout`.
use super::ModelProps;
use crate::ui::geometry::{layout, NodeId};
use yew::prelude::*;

fn node_key(id: NodeId) -> String {
    match id {
        NodeId::Producer(i) => format!("producer-{i}"),
        NodeId::Topic(i) => format!("topic-{i}"),
        NodeId::Queue(i) => format!("queue-{i}"),
        NodeId::Group(i) => format!("group-{i}"),
        NodeId::Consumer(i) => format!("consumer-{i}"),
        NodeId::Sink(i) => format!("sink-{i}"),
    }
}

#[component]
pub fn Canvas(props: &ModelProps) -> Html {
    let model = props.model.borrow();
    let l = layout(&model.engine);
    let view_box = format!("0 0 {} {}", l.width, l.height);
    html! {
        <div class="canvas-wrap">
            <svg class="canvas" data-testid="canvas" viewBox={view_box} role="img"
                aria-label="Producers, topics and queues, consumers and side-effect sinks">
                { for l.columns.iter().map(|(x, title)| html! {
                    <text class="column-title" x={x.to_string()} y="24">{*title}</text>
                }) }
                { for l.edges.iter().map(|e| html! {
                    <path class="edge" stroke-dasharray={if e.dashed { "6 4" } else { "" }}
                        d={format!("M{},{} C{},{} {},{} {},{}", e.from.0, e.from.1, (e.from.0 + e.to.0) / 2.0, e.from.1, (e.from.0 + e.to.0) / 2.0, e.to.1, e.to.0, e.to.1)} />
                }) }
                { for l.nodes.iter().map(|n| {
                    let classes = classes!("node", n.classes.clone());
                    html! {
                        <g class={classes} key={node_key(n.id)} data-node={node_key(n.id)}>
                            <rect class="box" x={n.x.to_string()} y={n.y.to_string()} width={n.w.to_string()} height={n.h.to_string()} rx="6" />
                            <text x={(n.x + 10.0).to_string()} y={(n.y + 18.0).to_string()} font-weight="600">{n.title.clone()}</text>
                            { for n.lines.iter().enumerate().map(|(i, line)| html! {
                                <text class="sub" x={(n.x + 10.0).to_string()} y={(n.y + 34.0 + 14.0 * i as f64).to_string()}>{line.clone()}</text>
                            }) }
                        </g>
                    }
                }) }
                { for l.partitions.iter().map(|row| html! {
                    <g class="partition">
                        <text class="sub" x={(row.x + 10.0).to_string()} y={(row.y + 15.0).to_string()} font-size="11">{row.label.clone()}</text>
                        { for row.cells.iter().map(|c| html! {
                            <rect class={classes!("cell", c.class)} x={c.x.to_string()} y={(row.y + 3.0).to_string()} width="18" height="16" rx="2">
                                <title>{format!("offset {}: {}", c.offset, c.label)}</title>
                            </rect>
                        }) }
                        { for row.markers.iter().map(|m| html! {
                            <g>
                                <line class={classes!("marker", m.class)} x1={m.x.to_string()} x2={m.x.to_string()} y1={(row.y + 1.0).to_string()} y2={(row.y + 21.0).to_string()}>
                                    <title>{m.title.clone()}</title>
                                </line>
                                <text class="sub" x={(m.x + 2.0).to_string()} y={(row.y + 2.0).to_string()} font-size="9">{m.label.clone()}</text>
                            </g>
                        }) }
                    </g>
                }) }
            </svg>
        </div>
    }
}
