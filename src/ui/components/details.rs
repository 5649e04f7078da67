//! The details panel: what the user selected on the canvas — a message's journey, or a node's live
//! figures, settings (edited in place) and "inject a fault now" buttons.
use super::ActionProps;
use crate::engine::observe::seconds;
use crate::engine::{ConsumerId, Engine, MessageId, Role, SubId};
use crate::number::decimal;
use crate::scenario::model::{
    Acks, CommitPolicy, FaultAction, Isolation, Payload, PublishMode, QueueAck, QueueKind, ResetTarget, Strategy,
};
use crate::ui::code::handler_code;
use crate::ui::journey::journey;
use crate::ui::layout::NodeId;
use crate::ui::state::{Action, Edit, FaultRate, Selection};
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The details' heading (the panel is labelled by it).
#[inline(never)]
fn title(text: impl Into<AttrValue>) -> Html {
    html! { <h2 id="details-title">{text.into()}</h2> }
}

/// A line of explanation under a heading.
#[inline(never)]
fn hint(text: impl Into<AttrValue>) -> Html {
    html! { <p class="hint">{text.into()}</p> }
}

/// A line of figures.
#[inline(never)]
fn figure(text: String) -> Html {
    html! { <p class="figure">{text}</p> }
}

/// How the strategy select names each strategy (its value is `Strategy::as_str`).
fn strategy_label(s: Strategy) -> &'static str {
    match s {
        Strategy::None => "none",
        Strategy::CheckThenAct => "check, act, record (the naive check)",
        Strategy::ClaimFirst => "claim first (set-if-absent)",
        Strategy::TransactionalInbox => "transactional inbox",
        Strategy::IdempotencyKey => "idempotency key at the sink",
    }
}

const PUBLISH_MODES: &[(PublishMode, &str, &str)] = &[
    (PublishMode::Outbox, "outbox", "transactional outbox + relay"),
    (PublishMode::DualWrite, "dual_write", "dual write: database, then publish"),
    (PublishMode::DualWritePublishFirst, "dual_write_publish_first", "dual write: publish, then database"),
];

fn publish_mode_select(on_action: &Callback<Action>, current: PublishMode, i: usize) -> Html {
    let options: Vec<_> = PUBLISH_MODES.iter().map(|(mode, value, label)| (*value, *label, *mode == current)).collect();
    let edit = move |k: usize| Edit::ProducerPublishMode(i, PUBLISH_MODES[k].0);
    select_field(on_action, "Database write and publish", "edit-publish-mode", options, Box::new(edit))
}

/// A labelled select of (value, label, selected) options that sends the edit for the option picked, by
/// its index. One copy for every select of the panel.
fn select_field(
    on_action: &Callback<Action>,
    label: &'static str,
    testid: &'static str,
    options: Vec<(&'static str, &'static str, bool)>,
    edit: Box<dyn Fn(usize) -> Edit>,
) -> Html {
    let on_action = on_action.clone();
    let values: Vec<&'static str> = options.iter().map(|(value, _, _)| *value).collect();
    let onchange = Callback::from(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        if let Some(k) = values.iter().position(|v| *v == select.value()) {
            on_action.emit(Action::Edit(edit(k)));
        }
    });
    html! {
        <label class="field">{label}
            <select data-testid={testid} {onchange}>
                { for options.into_iter().map(|(value, label, selected)| html! {
                    <option {value} {selected}>{label}</option>
                }) }
            </select>
        </label>
    }
}

const COMMITS: &[(&str, &str)] =
    &[("auto", "auto-commit every 5 s"), ("before", "commit before processing"), ("after", "commit after processing")];

fn commit_value(c: CommitPolicy) -> &'static str {
    match c {
        CommitPolicy::Auto { .. } => "auto",
        CommitPolicy::BeforeProcessing => "before",
        CommitPolicy::AfterProcessing => "after",
    }
}

fn button(on_action: &Callback<Action>, action: Action, label: &str, testid: &str) -> Html {
    let on_action = on_action.clone();
    let onclick = Callback::from(move |_: MouseEvent| on_action.emit(action.clone()));
    html! { <button data-testid={testid.to_string()} {onclick}>{label.to_string()}</button> }
}

fn strategy_select(
    on_action: &Callback<Action>,
    current: Strategy,
    edit: fn(usize, Strategy) -> Edit,
    i: usize,
) -> Html {
    let options: Vec<_> = Strategy::ALL.iter().map(|&s| (s.as_str(), strategy_label(s), s == current)).collect();
    select_field(
        on_action,
        "Idempotency strategy",
        "edit-strategy",
        options,
        Box::new(move |k| edit(i, Strategy::ALL[k])),
    )
}

// The field helpers take their edit as a boxed closure, not `impl Fn`: one copy of each helper in the wasm
// instead of one per call site.

/// A number field that sends an edit when changed (letters never reach it: the browser filters them).
fn number_field(
    on_action: &Callback<Action>,
    label: &str,
    value: u64,
    testid: &str,
    edit: Box<dyn Fn(u64) -> Edit>,
) -> Html {
    let on_action = on_action.clone();
    let onchange = Callback::from(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        if let Ok(v) = input.value().trim().parse::<u64>() {
            on_action.emit(Action::Edit(edit(v)));
        }
    });
    html! {
        <label class="field">{label.to_string()}
            <input type="number" min="0" step="1" data-testid={testid.to_string()} value={value.to_string()} {onchange} />
        </label>
    }
}

fn plus_minus(on_action: &Callback<Action>, label: &str, count: usize, edit: Rc<dyn Fn(bool) -> Edit>) -> Html {
    let (a, b) = (on_action.clone(), on_action.clone());
    let edit2 = edit.clone();
    html! {
        <div class="field row">
            <span>{format!("{label}: {count}")}</span>
            <button aria-label={format!("remove one of the {label}")} data-testid="remove-consumer"
                onclick={Callback::from(move |_: MouseEvent| a.emit(Action::Edit(edit(false))))}>{"−"}</button>
            <button aria-label={format!("add one to the {label}")} data-testid="add-consumer"
                onclick={Callback::from(move |_: MouseEvent| b.emit(Action::Edit(edit2(true))))}>{"+"}</button>
        </div>
    }
}

fn checkbox(
    on_action: &Callback<Action>,
    label: &str,
    checked: bool,
    testid: &str,
    edit: Box<dyn Fn(bool) -> Edit>,
) -> Html {
    let on_action = on_action.clone();
    let onchange = Callback::from(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        on_action.emit(Action::Edit(edit(input.checked())));
    });
    html! {
        <label class="field row"><input type="checkbox" data-testid={testid.to_string()} {checked} {onchange} />{label.to_string()}</label>
    }
}

fn group_settings(e: &Engine, on_action: &Callback<Action>, g: usize) -> Html {
    let spec = &e.groups()[g].spec;
    let commit = spec.commit;
    let commits: Vec<_> =
        COMMITS.iter().map(|(value, label)| (*value, *label, *value == commit_value(commit))).collect();
    let commit_edit = move |k: usize| {
        let policy = match k {
            0 => CommitPolicy::Auto { interval_ms: 5_000 },
            1 => CommitPolicy::BeforeProcessing,
            _ => CommitPolicy::AfterProcessing,
        };
        Edit::GroupCommit(g, policy)
    };
    html! {
        <>
            <h3>{format!("Group {} settings", crate::scenario::names::isolated(&spec.name))}</h3>
            { strategy_select(on_action, spec.handler.strategy, Edit::GroupStrategy, g) }
            { select_field(on_action, "Offset commits", "edit-commit", commits, Box::new(commit_edit)) }
            if spec.produce_to.is_some() {
                { checkbox(on_action, "Kafka transactions (the output record and the input offset commit together)", spec.transactional, "edit-transactional", Box::new(move |on| Edit::GroupTransactional(g, on))) }
            }
            { checkbox(on_action, "read_committed (skip records of aborted transactions)", spec.isolation == Isolation::ReadCommitted, "edit-read-committed", Box::new(move |on| Edit::GroupReadCommitted(g, on))) }
            { plus_minus(on_action, "members", spec.consumers.len(), Rc::new(move |add| Edit::GroupMembers(g, add))) }
            <div class="buttons">
                { button(on_action, Action::Edit(Edit::CopyGroup(g)), "Add a group like this (a new team)", "copy-group") }
                { button(on_action, Action::Edit(Edit::RemoveGroup(g)), "Remove this group", "remove-group") }
            </div>
            <div class="buttons">
                { button(on_action, Action::Inject(FaultAction::ResetGroup { group: spec.name.clone(), to: ResetTarget::Earliest }),
                    "Replay from the earliest offset", "inject-replay") }
            </div>
        </>
    }
}

/// The queue kinds a trainer can switch between: the same scenario on SQS or on RabbitMQ.
const QUEUE_KINDS: [(QueueKind, &str, &str); 3] = [
    (QueueKind::Standard, "standard", "SQS standard queue"),
    (QueueKind::Fifo, "fifo", "SQS FIFO queue"),
    (QueueKind::Quorum, "quorum", "RabbitMQ quorum queue"),
];

fn queue_settings(e: &Engine, on_action: &Callback<Action>, q: usize) -> Html {
    let spec = &e.queues()[q].spec;
    html! {
        <>
            <h3>{format!("Queue {} settings", crate::scenario::names::isolated(&spec.name))}</h3>
            { strategy_select(on_action, spec.handler.strategy, Edit::QueueStrategy, q) }
            { select_field(on_action, "Broker", "edit-queue-kind", QUEUE_KINDS.iter().map(|&(k, value, label)| (value, label, k == spec.kind)).collect(),
                Box::new(move |i| Edit::QueueKind(q, QUEUE_KINDS[i].0))) }
            if spec.kind == QueueKind::Quorum {
                { number_field(on_action, "Delivery limit: returns before the dead-letter queue (RabbitMQ 4.0's default is 20)", spec.delivery_limit as u64, "edit-delivery-limit",
                    Box::new(move |v| Edit::DeliveryLimit(q, v.min(u32::MAX as u64) as u32))) }
            } else {
                { number_field(on_action, "Visibility timeout (ms)", spec.visibility_timeout_ms, "edit-visibility", Box::new(move |v| Edit::VisibilityTimeout(q, v))) }
                { number_field(on_action, "Max receives before the dead-letter queue", spec.max_receives as u64, "edit-max-receives",
                    Box::new(move |v| Edit::MaxReceives(q, v.min(u32::MAX as u64) as u32))) }
            }
            { checkbox(on_action, "Ack on receipt, before processing (at-most-once: a crash loses the message)",
                spec.ack == QueueAck::BeforeProcessing, "edit-ack-first",
                Box::new(move |on| Edit::QueueAck(q, if on { QueueAck::BeforeProcessing } else { QueueAck::AfterProcessing }))) }
            { plus_minus(on_action, "workers", spec.consumers.len(), Rc::new(move |add| Edit::QueueWorkers(q, add))) }
            if spec.kind == QueueKind::Standard {
                <div class="buttons">
                    { button(on_action, Action::Inject(FaultAction::DuplicateNextDelivery { queue: spec.name.clone() }),
                        "Duplicate the next delivery", "inject-duplicate") }
                </div>
            }
        </>
    }
}

fn consumer_details(e: &Engine, on_action: &Callback<Action>, c: ConsumerId) -> Html {
    let Some(cons) = e.consumers().get(c.index()) else { return html! {} };
    let name = cons.name.clone();
    let lines = handler_code(e, c);
    let status = if cons.stopped {
        "stopped".to_string()
    } else if !cons.alive {
        "crashed — restarting".to_string()
    } else if cons.slots.iter().flatten().next().is_some() {
        "processing".to_string()
    } else {
        "idle".to_string()
    };
    let settings = match cons.role {
        Role::Member { group } => group_settings(e, on_action, group.index()),
        Role::Worker { queue } => queue_settings(e, on_action, queue.index()),
    };
    html! {
        <>
            { title(format!("Consumer {name}")) }
            { figure(format!("Status: {status}")) }
            <h3>{"Handler"}</h3>
            { hint("The highlighted line is running now. Click a line to crash this consumer right after it on its next message.") }
            <ol class="code" data-testid="handler-code">
                { for lines.iter().map(|line| {
                    let classes = classes!("code-line", line.active.then_some("active"), line.armed.then_some("armed"));
                    let marker = if line.active { "▶ " } else { "  " };
                    match line.crash_point {
                        Some(point) => {
                            let on_action = on_action.clone();
                            let consumer = name.clone();
                            let onclick = Callback::from(move |_: MouseEvent| {
                                on_action.emit(Action::Inject(FaultAction::CrashConsumer { consumer: consumer.clone(), at_step: Some(point) }))
                            });
                            html! {
                                <li class={classes}>
                                    <button class="code-button" aria-pressed={line.armed.to_string()}
                                        title={format!("Crash {} on the next message", crate::ui::labels::crash_point_label(point))} {onclick}>
                                        <code>{marker}{line.text.clone()}</code>
                                        if line.armed { <span class="armed-label">{" ⚠ crash armed here"}</span> }
                                    </button>
                                </li>
                            }
                        }
                        None => html! { <li class={classes}><code>{marker}{line.text.clone()}</code></li> },
                    }
                }) }
            </ol>
            <div class="buttons">
                { button(on_action, Action::Inject(FaultAction::CrashConsumer { consumer: name.clone(), at_step: None }), "Crash it now", "inject-crash") }
                { button(on_action, Action::Inject(FaultAction::SlowConsumer { consumer: name.clone(), factor: 20, duration_ms: 5_000 }),
                    "Slow it 20× for 5 s", "inject-slow") }
                if cons.stopped {
                    { button(on_action, Action::Inject(FaultAction::StartConsumer { consumer: name.clone() }), "Start it (scale out)", "inject-start") }
                } else {
                    { button(on_action, Action::Inject(FaultAction::StopConsumer { consumer: name.clone() }), "Stop it cleanly (scale in)", "inject-stop") }
                }
            </div>
            { settings }
        </>
    }
}

/// A journey's sequence diagram as SVG: lifelines, arrows (a crossed dotted one for a reply that never
/// came), notes as diamonds, and each step's time and sentence.
fn sequence_svg(l: &crate::ui::sequence::SequenceLayout) -> Html {
    let y_end = decimal(l.height);
    html! {
        // Drawn at its own size (13 px type) in a box that scrolls sideways: shrunk to the panel's width,
        // its text fell to 6-10 px.
        <svg class="sequence" data-testid="sequence" viewBox={format!("0 0 {} {y_end}", decimal(l.width))} role="img"
            width={decimal(l.width)} height={y_end.clone()} aria-label="The message's journey as a sequence diagram">
            { for l.lanes.iter().map(|(x, name)| html! {
                <g class="lane">
                    <text class="lane-name" x={decimal(*x)} y="16" text-anchor="middle">{name.clone()}</text>
                    <line class="lifeline" x1={decimal(*x)} x2={decimal(*x)} y1="24" y2={y_end.clone()} />
                </g>
            }) }
            { for l.rows.iter().map(|r| {
                let y = decimal(r.y);
                let shape = if r.note {
                    html! { <path class="note" d={format!("M{},{} l6,-6 l6,6 l-6,6 z", decimal(r.x1 - 6.0), y)} /> }
                } else {
                    let dir = if r.x2 > r.x1 { -1.0 } else { 1.0 };
                    let head = if r.failed {
                        format!("M{},{} l8,8 m0,-8 l-8,8", decimal(r.x2 - 4.0), decimal(r.y - 4.0))
                    } else {
                        format!("M{},{} l{},-4 l0,8 z", decimal(r.x2), y, decimal(dir * 8.0))
                    };
                    html! {
                        <>
                            <line class={classes!("arrow", r.failed.then_some("failed"))} x1={decimal(r.x1)} x2={decimal(r.x2)} y1={y.clone()} y2={y.clone()} />
                            <path class={classes!("head", r.failed.then_some("failed"))} d={head} />
                        </>
                    }
                };
                html! {
                    <g class="step">
                        <text class="time" x="4" y={decimal(r.y + 4.0)}>{r.time.clone()}</text>
                        { shape }
                        <text class="step-text" x={decimal(l.text_x)} y={decimal(r.y + 4.0)}>{r.text.clone()}</text>
                    </g>
                }
            }) }
        </svg>
    }
}

fn message_details(e: &Engine, on_action: &Callback<Action>, m: MessageId) -> Html {
    let Some(j) = journey(e, m) else {
        if e.is_folded(m) {
            return html! { <p class="empty">{format!("Message #{m}'s journey is no longer kept: its events left the trace the page keeps, and nothing in the run still refers to it. It still counts in every total.")}</p> };
        }
        return html! { <p class="empty">{format!("Message #{m} does not exist (yet) at this moment.")}</p> };
    };
    // The same journey as a sequence diagram, drawn here and downloadable as Mermaid text or SVG for slides.
    let sequence = crate::ui::sequence::journey_sequence(e, m);
    let mermaid = sequence.as_ref().map(crate::ui::sequence::sequence_mermaid).unwrap_or_default();
    let on_mermaid = Callback::from(move |_: MouseEvent| {
        let blob = gloo::file::Blob::new_with_options(mermaid.as_str(), Some("text/plain"));
        crate::ui::browser::download(blob, &format!("journey-message-{m}.mmd"));
    });
    let on_svg = Callback::from(move |_: MouseEvent| {
        if let Some((svg, _, _)) = crate::ui::browser::svg_document("[data-testid=sequence]", None) {
            let blob = gloo::file::Blob::new_with_options(svg.as_str(), Some("image/svg+xml"));
            crate::ui::browser::download(blob, &format!("journey-message-{m}.svg"));
        }
    });
    let diagram = sequence.map(|seq| sequence_svg(&crate::ui::sequence::sequence_layout(&seq)));
    html! {
        <>
            { title("Journey") }
            <p class="journey-title" data-testid="journey-title">{j.title}</p>
            { send_in_flight(e, on_action, m) }
            { delivery_in_flight(e, on_action, m) }
            <details class="sequence-box" open=true>
                <summary>{"Sequence diagram"}</summary>
                <div class="buttons">
                    <button data-testid="export-mermaid" title="Download this journey as a Mermaid sequence diagram" onclick={on_mermaid}>{"Mermaid"}</button>
                    <button data-testid="export-sequence-svg" title="Download this sequence diagram as SVG" onclick={on_svg}>{"SVG"}</button>
                </div>
                <div class="sequence-scroll" tabindex="0" role="region" aria-label="Sequence diagram, scrolls sideways">{ for diagram }</div>
            </details>
            if j.truncated { { hint("Its earliest steps are older than the kept trace.") } }
            <ol class="journey" data-testid="journey">
                { for j.rows.iter().map(|r| html! {
                    <li class={classes!(r.tone)}><span class="time">{seconds(r.at_ms)}</span>{r.text.clone()}</li>
                }) }
            </ol>
            <h3>{"Outcome so far"}</h3>
            <ul class="fates" data-testid="fates">
                { for j.fates.iter().map(|(text, tone)| html! { <li class={classes!(*tone)}>{text.clone()}</li> }) }
            </ul>
        </>
    }
}

/// A message whose send is drawn on its way to the broker can be hit there, as a network would: each
/// button records a scripted fault on that send at the moment it left its producer (replayed exactly,
/// like the other injected faults), and the run is shown again up to now.
fn send_in_flight(e: &Engine, on_action: &Callback<Action>, m: MessageId) -> Html {
    let Some(at_ms) = crate::ui::tokens::send_on_screen(e, m) else { return html! {} };
    let message = m.0;
    let target = e.messages().get(m).map_or("?", |msg| e.producers()[msg.producer].spec.target.as_str());
    let hits = vec![
        (FaultAction::DropSend { message }, "Drop it".to_string(), "drop-send"),
        (FaultAction::DelaySend { message, duration_ms: 1_000 }, "Delay it 1 s".into(), "delay-send"),
        (FaultAction::DuplicateSend { message }, "Deliver it twice".into(), "duplicate-send"),
    ];
    in_flight(
        on_action,
        at_ms,
        "send-in-flight",
        format!("Its send is on its way to '{target}'. In the network:"),
        hits,
    )
}

/// A message whose delivery is drawn on its way to a consumer can be hit there too: dropped (the
/// broker handed it out and the answer was lost) or delayed, recorded at the moment the broker sent it.
fn delivery_in_flight(e: &Engine, on_action: &Callback<Action>, m: MessageId) -> Html {
    let Some((consumer, at_ms)) = crate::ui::tokens::delivery_on_screen(e, m) else { return html! {} };
    let Some(cons) = e.consumers().get(consumer.index()) else { return html! {} };
    let (message, name) = (m.0, cons.name.clone());
    let delay = |duration_ms| FaultAction::DelayDelivery { message, consumer: name.clone(), duration_ms };
    let mut hits = vec![
        (FaultAction::DropDelivery { message, consumer: name.clone() }, "Drop it".to_string(), "drop-delivery"),
        (delay(1_000), "Delay it 1 s".into(), "delay-delivery"),
    ];
    // Past an SQS queue's visibility timeout (a quorum queue has none), a second worker receives it.
    if let Role::Worker { queue } = cons.role {
        let spec = &e.queues()[queue].spec;
        if spec.kind != QueueKind::Quorum {
            let ms = spec.visibility_timeout_ms + 1_000;
            let label = format!("Delay it {} (past the visibility timeout)", seconds(ms));
            hits.push((delay(ms), label, "delay-delivery-past-timeout"));
        }
    }
    let said = format!("Its delivery to {} is on its way. In the network:", e.consumer_name(consumer));
    in_flight(on_action, at_ms, "delivery-in-flight", said, hits)
}

/// A hop in flight and the faults the network can do to it, each recorded at `at_ms`, when the hop began.
fn in_flight(
    on_action: &Callback<Action>,
    at_ms: u64,
    testid: &'static str,
    said: String,
    hits: Vec<(FaultAction, String, &'static str)>,
) -> Html {
    html! {
        <div class="in-flight" data-testid={testid}>
            <p>{said}</p>
            <div class="buttons">
                { for hits.into_iter().map(|(action, label, id)| button(on_action, Action::InjectAt { at_ms, action }, &label, id)) }
            </div>
        </div>
    }
}

/// How long its messages waited before their first receive, and how long each receive was in service.
fn times(e: &Engine, sub: SubId) -> Html {
    let Some((waiting, service)) = e.subscriber_times(sub).filter(|(w, _)| w.count > 0) else { return html! {} };
    let line = |h: &crate::engine::observe::LatencyHistogram| {
        format!("p50 {} ms · p95 {} ms · max {} ms", h.quantile_ms(0.5), h.quantile_ms(0.95), h.max_ms)
    };
    html! {
        <p class="figure" data-testid="times">{format!("Time waiting: {}. In service: {}.", line(waiting), line(service))}</p>
    }
}

fn overview(e: &Engine, on_action: &Callback<Action>) -> Html {
    let f = &e.scenario().faults;
    let any_notification = e.producers().iter().any(|p| p.spec.payload == Payload::Notification);
    let percent_field = |rate: FaultRate| {
        let on_action = on_action.clone();
        let onchange = Callback::from(move |ev: Event| {
            let input: HtmlInputElement = ev.target_unchecked_into();
            if let Some(v) = crate::number::parse_decimal(&input.value()) {
                on_action.emit(Action::Edit(Edit::FaultPercent(rate, v)));
            }
        });
        html! {
            <label class="field">{rate.label()}
                <input type="number" min="0" max="100" step="0.5" data-testid={format!("edit-rate-{}", rate.field_name())}
                    value={decimal((rate.of(f) * 1000.0).round() / 10.0)} {onchange} />
            </label>
        }
    };
    html! {
        <>
            { title("Details") }
            { hint("Select a producer, topic, queue, consumer or sink on the canvas for its settings and figures, or a message (a cell or a token) for its journey.") }
            { fault_timeline(e, on_action) }
            <h3>{"Fault probabilities"}</h3>
            { for FaultRate::ALL.into_iter().map(percent_field) }
            if any_notification {
                <div class="buttons">
                    { button(on_action, Action::Inject(FaultAction::ReadApiDown { duration_ms: 3_000 }), "Read API down for 3 s", "inject-read-api") }
                </div>
            }
        </>
    }
}

/// The run's scripted faults in time order (the ▲ marks of the scrubber), each to move or remove.
fn fault_timeline(e: &Engine, on_action: &Callback<Action>) -> Html {
    let scripted = &e.scenario().faults.scripted;
    html! {
        <>
            <h3>{"Scripted faults"}</h3>
            if scripted.is_empty() {
                <p class="hint" data-testid="fault-timeline-empty">{"None yet: the \"inject a fault now\" buttons of a selected element add one at the current moment."}</p>
            }
            <ol class="fault-timeline" data-testid="fault-timeline">
                { for scripted.iter().enumerate().map(|(i, fault)| html! {
                    <li data-testid={format!("scripted-fault-{i}")}>
                        <span class="what">{crate::ui::labels::fault_label(&fault.action)}</span>
                        { number_field(on_action, "at (ms)", fault.at_ms, &format!("move-fault-{i}"), Box::new(move |v| Edit::MoveScriptedFault(i, v))) }
                        { button(on_action, Action::Edit(Edit::RemoveScriptedFault(i)), "Remove", &format!("remove-fault-{i}")) }
                    </li>
                }) }
            </ol>
        </>
    }
}

/// One effect in a sink's ledger: when, which message, by whom; a repeat says whether it was harmful.
fn ledger_row(e: &crate::engine::Engine, l: &crate::engine::LedgerEntry, harmless: bool) -> Html {
    let repeat = match (l.duplicate, harmless) {
        (false, _) => "",
        (true, false) => " — DUPLICATE",
        (true, true) => " — again, harmless",
    };
    html! {
        <li class={classes!((l.duplicate && !harmless).then_some("bad"))}>
            <span class="time">{seconds(l.at_ms)}</span>
            {format!("#{} (key {}, v{}) by {}{repeat}", l.message, l.key, l.version, e.consumer_name(l.consumer))}
        </li>
    }
}

/// A subscriber's idempotency store: what its strategy does with a key, and the keys it holds.
fn store_details(e: &Engine, sub: SubId) -> Html {
    let (set, keys) = e.idempotency_keys(sub, 60);
    let sink = e.sink_name(e.sink_of(sub));
    let how = match e.strategy(sub) {
        Strategy::CheckThenAct => "The handler checks for the message's key, applies the effect, then sets the key: two separate steps. Two deliveries of one message that both check before either sets both apply it, and a crash between the effect and the set leaves no key for the redelivery to find.".to_string(),
        Strategy::ClaimFirst => "The handler claims the key (set if absent, atomically) before applying the effect: a second delivery finds it and skips. A crash after the claim and before the effect leaves a claimed key and no effect: the message is lost unless the claim expires.".to_string(),
        Strategy::TransactionalInbox => format!("The handler writes the key as an inbox row in the same database transaction as the effect in {sink}: both happen or neither does."),
        Strategy::IdempotencyKey | Strategy::None => format!("The handler passes the message id to {sink} as an idempotency key; {sink} remembers it and applies a repeat only once."),
    };
    html! {
        <>
            { title(format!("Idempotency store of {}", e.subscriber_names()[sub.index()])) }
            { hint(how) }
            <p class="figure" data-testid="store-keys">{
                if keys.is_empty() { format!("{} set; none held among the newest messages.", crate::ui::labels::plural(set, "key")) }
                else { format!("{} set; newest: {}", crate::ui::labels::plural(set, "key"), keys.iter().rev().map(|m| format!("#{m}")).collect::<Vec<_>>().join(" ")) }
            }</p>
        </>
    }
}

#[component]
pub fn Details(props: &ActionProps) -> Html {
    let model = props.model.borrow();
    let e = &model.engine;
    let on_action = &props.on_action;
    // A selection from before an edit or a preset change may name an entity that no longer exists.
    let exists = |s: &Selection| match *s {
        Selection::Message(_) => true,
        Selection::Node(NodeId::Producer(i)) => e.producers().len() > i.index(),
        Selection::Node(NodeId::Topic(i)) => e.topics().len() > i.index(),
        Selection::Node(NodeId::Queue(i) | NodeId::DeadLetter(i)) => e.queues().len() > i.index(),
        Selection::Node(NodeId::Exchange(i)) => e.exchanges().len() > i.index(),
        Selection::Node(NodeId::Group(i)) => e.groups().len() > i.index(),
        Selection::Node(NodeId::Consumer(i)) => e.consumers().len() > i.index(),
        Selection::Node(NodeId::Sink(i)) => e.sinks().len() > i.index(),
        Selection::Node(NodeId::Store(i)) => e.subscriber_count() > i.index(),
    };
    let body = match model.selection.filter(exists) {
        None => overview(e, on_action),
        Some(Selection::Message(m)) => message_details(e, on_action, m),
        Some(Selection::Node(NodeId::Consumer(c))) => consumer_details(e, on_action, c),
        Some(Selection::Node(NodeId::Group(g))) => {
            let gs = &e.groups()[g];
            let topic = &e.topics()[gs.topic];
            html! {
                <>
                    { title(format!("Group {}", gs.spec.name)) }
                    <table class="figures">
                        <thead><tr><th>{"partition"}</th><th>{"committed"}</th><th>{"end"}</th><th>{"lag"}</th></tr></thead>
                        <tbody>
                        { for topic.partitions.iter().enumerate().map(|(p, part)| {
                            let committed = gs.committed.get(p).copied().flatten();
                            let lag = e.partition_lag(g, p);
                            html! { <tr><td>{format!("P{p}")}</td><td>{committed.map_or("—".to_string(), |c| c.to_string())}</td><td>{part.end_offset()}</td><td>{lag}</td></tr> }
                        }) }
                        </tbody>
                    </table>
                    { times(e, gs.sub) }
                    { group_settings(e, on_action, g.index()) }
                </>
            }
        }
        Some(Selection::Node(NodeId::Queue(q))) => {
            let qs = &e.queues()[q];
            html! {
                <>
                    { title(format!("Queue {}", qs.spec.name)) }
                    { figure(format!("waiting {} · in flight {} · dead-lettered {}", qs.store.visible.len(), qs.store.in_flight, qs.store.dead_letter.len())) }
                    { times(e, qs.sub) }
                    { queue_settings(e, on_action, q.index()) }
                </>
            }
        }
        Some(Selection::Node(NodeId::DeadLetter(q))) => {
            let qs = &e.queues()[q];
            let parked: Vec<MessageId> = qs
                .store
                .dead_letter
                .iter()
                .filter_map(|&entry| qs.store.entries.get(entry).map(|x| x.message))
                .collect();
            html! {
                <>
                    { title(format!("Dead-letter queue of {}", qs.spec.name)) }
                    <p class="hint">{
                        if qs.spec.kind == QueueKind::Quorum {
                            format!("A message lands here once it has been returned more than {} times (the quorum queue's delivery-limit): parked for a person to look at, not lost, and not processed either.", qs.spec.delivery_limit)
                        } else {
                            format!("A message lands here after {} receives without an ack (SQS's redrive policy, maxReceiveCount): parked for a person to look at, not lost, and not processed either.", qs.spec.max_receives)
                        }
                    }</p>
                    <p class="figure" data-testid="dlq-messages">{
                        if parked.is_empty() { "Nothing parked yet.".to_string() }
                        else { parked.iter().map(|m| format!("#{m}")).collect::<Vec<_>>().join(" ") }
                    }</p>
                </>
            }
        }
        Some(Selection::Node(NodeId::Store(sub))) => store_details(e, sub),
        Some(Selection::Node(NodeId::Exchange(x))) => {
            let xs = &e.exchanges()[x];
            html! {
                <>
                    { title(format!("Exchange {}", xs.spec.name)) }
                    <table class="figures">
                        <thead><tr><th>{"queue"}</th><th>{"subscribed"}</th><th>{"copies received"}</th></tr></thead>
                        <tbody>
                        { for xs.queues.iter().map(|&q| {
                            let qs = &e.queues()[q];
                            html! { <tr><td>{qs.spec.name.clone()}</td><td>{seconds(qs.spec.subscribe_at_ms)}</td><td>{qs.store.entries.len()}</td></tr> }
                        }) }
                        </tbody>
                    </table>
                    { hint("A fan-out exchange (an SNS topic with SQS subscriptions, a RabbitMQ fanout exchange) keeps nothing: each subscriber gets its own queue and its own copy. A service that subscribes later gets only new messages, never the history a topic keeps.") }
                </>
            }
        }
        Some(Selection::Node(NodeId::Topic(t))) => {
            let ts = &e.topics()[t];
            let i = t.index();
            html! {
                <>
                    { title(format!("Topic {}", ts.spec.name)) }
                    { figure(format!("records: {}", ts.partitions.iter().map(|p| p.end_offset()).sum::<u64>())) }
                    { hint("An append-only log per partition; a key always lands on the same partition, so order holds per key. Each group reads it with its own committed offsets.") }
                    { number_field(on_action, "Partitions", ts.spec.partitions as u64, "edit-partitions", Box::new(move |v| Edit::Partitions(i, v.min(u32::MAX as u64) as u32))) }
                </>
            }
        }
        Some(Selection::Node(NodeId::Producer(p))) => {
            let ps = &e.producers()[p];
            let i = p.index();
            html! {
                <>
                    { title(format!("Producer {}", ps.spec.name)) }
                    { figure(format!("sent {} of {} {}", ps.produced, ps.spec.count, ps.spec.message)) }
                    { checkbox(on_action, "Idempotent producer (broker drops retried duplicates)", ps.spec.idempotent, "edit-idempotent", Box::new(move |on| Edit::ProducerIdempotent(i, on))) }
                    { checkbox(on_action, "Fire and forget (acks=0: no ack, no retry)", ps.spec.acks == Acks::Zero, "edit-acks-zero", Box::new(move |on| Edit::ProducerFireAndForget(i, on))) }
                    { publish_mode_select(on_action, ps.spec.publish_mode, i) }
                    <div class="buttons">
                        { button(on_action, Action::Edit(Edit::CopyProducer(i)), "Add a producer like this", "copy-producer") }
                        { button(on_action, Action::Edit(Edit::RemoveProducer(i)), "Remove this producer", "remove-producer") }
                    </div>
                    <div class="buttons">
                        { button(on_action, Action::Inject(FaultAction::DropAcks { producer: ps.spec.name.clone(), duration_ms: 2_000 }), "Drop its acks for 2 s", "inject-drop-acks") }
                        { button(on_action, Action::Inject(FaultAction::LoseNextSend { producer: ps.spec.name.clone() }), "Lose its next send", "inject-lose-send") }
                        if ps.spec.publish_mode == PublishMode::Outbox {
                            { button(on_action, Action::Inject(FaultAction::CrashRelayAfterPublish { producer: ps.spec.name.clone() }),
                                "Crash its relay after the next publish", "inject-relay-crash") }
                        } else {
                            { button(on_action, Action::Inject(FaultAction::CrashProducerBeforePublish { producer: ps.spec.name.clone() }),
                                "Crash it between its database write and its publish", "inject-dual-write-crash") }
                        }
                        if ps.spec.payload == Payload::Notification {
                            { button(on_action, Action::Inject(FaultAction::ReadApiDown { duration_ms: 3_000 }), "Read API down for 3 s", "inject-read-api") }
                        }
                    </div>
                </>
            }
        }
        Some(Selection::Node(NodeId::Sink(s))) => {
            let ss = &e.sinks()[s];
            let i = s.index();
            let harmless = e.repeats_are_harmless(s);
            html! {
                <>
                    { title(format!("Sink {}", ss.spec.name)) }
                    { figure(format!("applied {} · duplicates {} · de-duplicated by key {}", ss.applied, ss.duplicates, ss.deduplicated_by_key)) }
                    { checkbox(on_action, "Accepts an idempotency key", ss.spec.accepts_idempotency_key, "edit-accepts-key", Box::new(move |on| Edit::SinkAcceptsKey(i, on))) }
                    if !ss.duplicate_entries.is_empty() {
                        <h3>{format!("Duplicates ({})", ss.duplicates)}</h3>
                        <ol class="ledger" data-testid="ledger-duplicates">
                            { for ss.duplicate_entries.iter().map(|l| ledger_row(e, l, false)) }
                        </ol>
                    }
                    <h3>{"Ledger (newest first)"}</h3>
                    <ol class="ledger" data-testid="ledger">
                        { for ss.ledger.iter().rev().take(14).map(|l| ledger_row(e, l, harmless)) }
                    </ol>
                </>
            }
        }
    };
    let close = {
        let on_action = on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(Action::ClearSelection))
    };
    html! {
        <section class="panel details" aria-labelledby="details-title" data-testid="details">
            if model.selection.is_some() {
                <button class="close" aria-label="Close the details" onclick={close}>{"×"}</button>
            }
            { body }
            if matches!(model.selection, Some(Selection::Node(_))) {
                <p><button class="quiet" data-testid="show-simplifications" onclick={on_action.reform(|_: MouseEvent| Action::ShowSimplifications)}>
                    {"What this model simplifies"}</button></p>
            }
        </section>
    }
}
