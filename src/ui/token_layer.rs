//! The canvas's moving-token layer, drawn straight into the DOM after each render instead of through Yew's
//! virtual DOM. Yew owns the `<g class="tokens">` element; this keeps one `<g>` per token in a pool and,
//! each frame, only rewrites what changed (mostly the `transform`). With hundreds of tokens the virtual
//! DOM rebuilt and diffed every token's five elements and recreated every entering one: the frame
//! benchmark (`bench/frames.mjs`) measured 33 ms frames at 730 tokens that way.
use crate::engine::MessageId;
use crate::ui::tokens::{assign_slots, LabelPlace, Token, TokenKind, LABEL_PLACES};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, SvgGraphicsElement, SvgTransform, SvgsvgElement};

/// Five-pointed burst around (0, 0): a crash is a shape, not only a colour.
const BURST: &str = "0,-16 4,-6 15,-8 7,1 12,12 0,6 -12,12 -7,1 -15,-8 -4,-6";
const SVG_NS: Option<&str> = Some("http://www.w3.org/2000/svg");

/// What a slot's children look like; they are rebuilt only when this changes (a reused slot usually
/// keeps its shape: a send, a delivery and an effect of a command are all the same square).
#[derive(Clone, Copy, PartialEq)]
struct Shape {
    crash: bool,
    command: bool,
    ring: bool,
    cross: bool,
    /// Whether it has a label at all (a crowded canvas drops the plain "#id" ones).
    labelled: bool,
    /// Where its label goes (placed by `tokens::place_labels`, clear of the picture's text).
    label_at: LabelPlace,
}

impl Shape {
    fn of(t: &Token) -> Shape {
        Shape {
            crash: t.kind == TokenKind::Crash,
            command: t.command,
            ring: t.kind == TokenKind::Retry,
            cross: t.kind == TokenKind::Dropped,
            // A message in hand is named by its consumer's status line; its token only marks the spot.
            labelled: !t.label.is_empty() && t.kind != TokenKind::Handling && t.label_place.is_some(),
            label_at: t.label_place,
        }
    }
}

/// One pooled token element and what it currently shows.
struct Slot {
    /// `class="token"` always: the classes that change (kind, selected) and the colour sit on its shape and
    /// label, because restyling a moving `<g>` costs a style recalculation every frame.
    g: Element,
    body: Option<Element>,
    label_el: Option<Element>,
    /// The `<g>`'s translation, moved with numbers (a `transform` string per token per frame cost more
    /// in string passing than the rest of the layer).
    translate: Option<SvgTransform>,
    /// A burst's scale while it pops open (see `tokens::burst_scale`), on its shape only, and the value it
    /// was set to, in hundredths (`None`: not a burst; -1: not set yet).
    scale: SvgTransform,
    scale_shown: Option<i64>,
    /// The text nodes of the label and the title, rewritten in place (replacing a text node re-lays it out).
    label: Option<web_sys::Text>,
    title: Option<web_sys::Text>,
    shape: Option<Shape>,
    id: Option<u64>,
    /// Kind, selected: what the classes of the shape and the label say now.
    look: Option<(TokenKind, bool)>,
    /// Position in tenths of a unit: a token moves only when it moved visibly.
    at: Option<(i64, i64)>,
    hue: u32,
    label_text: String,
    title_text: String,
    /// The message its `data-message` names (`None`: not written yet).
    message: Option<MessageId>,
    attached: bool,
}

/// The pool, behind a `RefCell` so a view can keep it across renders and draw through `&self`.
#[derive(Default)]
pub struct TokenLayer(std::cell::RefCell<Pool>);

#[derive(Default)]
struct Pool {
    /// The element the slots were drawn into; a different one (the canvas was remounted) starts afresh.
    root: Option<Element>,
    slots: Vec<Slot>,
}

fn set(el: &Element, name: &str, value: &str) {
    let _ = el.set_attribute(name, value);
}

fn child(doc: &Document, parent: &Element, tag: &str, attrs: &[(&str, &str)]) -> Option<Element> {
    let el = doc.create_element_ns(SVG_NS, tag).ok()?;
    for (name, value) in attrs {
        set(&el, name, value);
    }
    parent.append_child(&el).ok()?;
    Some(el)
}

/// An empty text node inside `parent`, to be rewritten with `set_data`.
fn text_node(doc: &Document, parent: &Element) -> Option<web_sys::Text> {
    let text = doc.create_text_node("");
    parent.append_child(&text).ok()?;
    Some(text)
}

impl Slot {
    fn new(doc: &Document, svg: &SvgsvgElement) -> Option<Slot> {
        let g = doc.create_element_ns(SVG_NS, "g").ok()?;
        set(&g, "class", "token");
        let translate = svg.create_svg_transform();
        let scale = svg.create_svg_transform();
        let list = g.dyn_ref::<SvgGraphicsElement>()?.transform().base_val();
        list.append_item(&translate).ok()?;
        Some(Slot {
            g,
            translate: Some(translate),
            scale,
            scale_shown: None,
            body: None,
            label_el: None,
            label: None,
            title: None,
            shape: None,
            id: None,
            look: None,
            at: None,
            hue: u32::MAX,
            label_text: String::new(),
            title_text: String::new(),
            message: None,
            attached: false,
        })
    }

    /// The token's children: a title (hover text), its shape, a ring for a producer retry, a cross for a
    /// dropped copy, and its label. Distinctions are shapes and words, not only colour.
    fn build(&mut self, doc: &Document, shape: Shape) {
        self.g.set_text_content(None);
        self.title = None;
        let body: &[(&str, &str)] = if shape.crash {
            &[("points", BURST)]
        } else if shape.command {
            &[("x", "-7"), ("y", "-7"), ("width", "14"), ("height", "14"), ("rx", "2")]
        } else {
            &[("r", "7.5")]
        };
        let tag = match (shape.crash, shape.command) {
            (true, _) => "polygon",
            (false, true) => "rect",
            (false, false) => "circle",
        };
        self.body = child(doc, &self.g, tag, body);
        self.scale_shown = None;
        if let Some(body) = self.body.as_ref().filter(|_| shape.crash).and_then(|b| b.dyn_ref::<SvgGraphicsElement>()) {
            // A list takes the item given, or a copy when it sits in another list (the previous burst's
            // shape): the item returned is the one to scale.
            if let Ok(item) = body.transform().base_val().append_item(&self.scale) {
                self.scale = item;
                self.scale_shown = Some(-1);
            }
        }
        if shape.ring {
            child(doc, &self.g, "circle", &[("class", "ring"), ("r", "11")]);
        }
        if shape.cross {
            child(doc, &self.g, "path", &[("class", "cross"), ("d", "M-7,-7 L7,7 M7,-7 L-7,7")]);
        }
        // As `tokens::label_box` measures them.
        let (dx, dy, anchor) = LABEL_PLACES[shape.label_at.unwrap_or(0) as usize % LABEL_PLACES.len()];
        let (x, y) = (crate::number::decimal(dx), crate::number::decimal(dy));
        let label: &[(&str, &str)] = &[("x", &x), ("y", &y), ("text-anchor", anchor)];
        self.label_el = if shape.labelled { child(doc, &self.g, "text", label) } else { None };
        self.label = self.label_el.as_ref().and_then(|el| text_node(doc, el));
        self.shape = Some(shape);
        self.look = None;
        self.hue = u32::MAX;
        self.label_text.clear();
        self.title_text.clear();
    }

    fn show(&mut self, doc: &Document, t: &Token, selected: bool) {
        let shape = Shape::of(t);
        if self.shape != Some(shape) {
            self.build(doc, shape);
        }
        self.id = Some(t.id);
        if self.look != Some((t.kind, selected)) {
            let kind = t.kind.class();
            // `data-kind` is for tests and tools: no style rule reads it, so changing it restyles nothing.
            set(&self.g, "data-kind", kind);
            let base = if shape.crash { "burst" } else { "shape" };
            if let Some(body) = &self.body {
                set(body, "class", &format!("{base} {kind}{}", if selected { " selected" } else { "" }));
            }
            if let Some(label) = &self.label_el {
                set(label, "class", &format!("token-label {kind}"));
            }
            self.look = Some((t.kind, selected));
        }
        let at = ((t.x * 10.0).round() as i64, (t.y * 10.0).round() as i64);
        if Some(at) != self.at {
            if let Some(translate) = &self.translate {
                let _ = translate.set_translate(at.0 as f32 / 10.0, at.1 as f32 / 10.0);
            }
            self.at = Some(at);
        }
        let hundredths = (t.scale * 100.0).round() as i64;
        if self.scale_shown.is_some_and(|shown| shown != hundredths) {
            let _ = self.scale.set_scale(hundredths as f32 / 100.0, hundredths as f32 / 100.0);
            self.scale_shown = Some(hundredths);
        }
        if t.hue != self.hue && !shape.crash {
            if let Some(body) = &self.body {
                set(body, "fill", &format!("hsl({} 70% 55%)", t.hue));
            }
            self.hue = t.hue;
        }
        if Some(t.message) != self.message {
            set(&self.g, "data-message", &t.message.to_string());
            self.message = Some(t.message);
        }
        if t.label != self.label_text {
            if let Some(label) = &self.label {
                label.set_data(&t.label);
            }
            self.label_text.clone_from(&t.label);
        }
        if t.title != self.title_text {
            // Only the tokens that stay put have a title (a hover text); the others skip the element.
            if self.title.is_none() {
                self.title = child(doc, &self.g, "title", &[]).and_then(|el| text_node(doc, &el));
            }
            if let Some(title) = &self.title {
                title.set_data(&t.title);
            }
            self.title_text.clone_from(&t.title);
        }
    }
}

impl TokenLayer {
    /// Draws `tokens` into `root` (the `<g class="tokens">` Yew rendered), marking `selected`'s tokens.
    pub fn draw(&self, root: &Element, tokens: &[Token], selected: Option<MessageId>) {
        self.0.borrow_mut().draw(root, tokens, selected);
    }
}

impl Pool {
    fn draw(&mut self, root: &Element, tokens: &[Token], selected: Option<MessageId>) {
        if self.root.as_ref() != Some(root) {
            self.slots.clear();
            root.set_text_content(None);
            self.root = Some(root.clone());
        }
        let Some(doc) = root.owner_document() else { return };
        let Some(svg) = root.dyn_ref::<web_sys::SvgElement>().and_then(|g| g.owner_svg_element()) else { return };
        let previous: Vec<Option<u64>> = self.slots.iter().map(|s| s.id).collect();
        let assigned = assign_slots(&previous, tokens);
        for slot in &mut self.slots {
            slot.id = None;
        }
        for (t, &index) in tokens.iter().zip(&assigned) {
            while self.slots.len() <= index {
                let Some(slot) = Slot::new(&doc, &svg) else { return };
                self.slots.push(slot);
            }
            let slot = &mut self.slots[index];
            slot.show(&doc, t, t.message != MessageId::NONE && Some(t.message) == selected);
            if !slot.attached {
                let _ = root.append_child(&slot.g);
                slot.attached = true;
            }
        }
        // Spare slots leave the document (they stay pooled for the next tokens).
        for slot in self.slots.iter_mut().filter(|s| s.id.is_none() && s.attached) {
            slot.g.remove();
            slot.attached = false;
        }
    }
}
