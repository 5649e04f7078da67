//! Sharing with the room: the Share dialog (the link, its QR code for the phones in the room, and an
//! `<iframe>` snippet with its options), and the embedded page's way back to the full app.
use super::{ActionProps, ModelProps};
use crate::scenario::link;
use crate::ui::browser;
use crate::ui::share::{iframe_snippet, qr_picture, EmbedOptions, QR_MAX_BYTES};
use crate::ui::state::{Action, Dialog, Theme, SPEEDS};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The embed snippet's settings: the query's options, and where and how fast the run starts.
#[derive(Clone, Copy, PartialEq)]
struct EmbedForm {
    options: EmbedOptions,
    /// At the moment on screen now, else at t = 0.
    here: bool,
    speed: f64,
}

impl EmbedForm {
    /// A field of the form changed: `name` says which (the input's name), `value` its new value.
    fn with(mut self, name: &str, value: &str, checked: bool) -> EmbedForm {
        match name {
            "here" => self.here = checked,
            "autoplay" => self.options.autoplay = checked,
            "controls" => self.options.controls = checked,
            "theme" => self.options.theme = Theme::from_name(value),
            _ => self.speed = crate::number::parse_decimal(value).unwrap_or(self.speed),
        }
        self
    }
}

#[component]
pub fn Share(props: &ActionProps) -> Html {
    let model = props.model.borrow();
    let form = use_state(|| EmbedForm { options: EmbedOptions::default(), here: true, speed: model.speed });
    let open = model.dialog == Some(Dialog::Share);
    let close_ref = super::help::use_focus_when(open);
    {
        // Opened, the embed starts at the speed the run plays at now.
        let (form, speed) = (form.clone(), model.speed);
        use_effect_with(open, move |&open| {
            if open {
                form.set(EmbedForm { speed, ..*form });
            }
        });
    }
    if !open {
        return html! {};
    }
    let close = html! {
        <button class="quiet close" ref={close_ref} aria-label="Close" onclick={props.on_action.reform(|_: MouseEvent| Action::Escape)}>{"×"}</button>
    };
    let page = browser::page_address();
    let here = model.shared_run();
    let Ok(fragment) = link::encode_within_limits(&here) else {
        return html! {
            <div class="help share" role="dialog" aria-labelledby="share-title" data-testid="share-dialog">
                { close }
                <h2 id="share-title">{"Share this run"}</h2>
                <p data-testid="share-too-big">{model.too_big_for_a_link()}</p>
            </div>
        };
    };
    let url = format!("{page}#{fragment}");
    let mut embedded = here;
    embedded.view.speed = form.speed;
    if !form.here {
        (embedded.view.at_ms, embedded.view.events) = (0, None);
    }
    let snippet = link::encode_within_limits(&embedded)
        .map(|f| iframe_snippet(&page, &f, &form.options, &model.scenario.name))
        .unwrap_or_default();
    let on_copy_link = {
        let (url, on_action) = (url.clone(), props.on_action.clone());
        Callback::from(move |_: MouseEvent| {
            browser::remember(&fragment, true);
            copy(url.clone(), on_action.clone());
        })
    };
    let on_copy_snippet = {
        let (snippet, on_action) = (snippet.clone(), props.on_action.clone());
        Callback::from(move |_: MouseEvent| copy(snippet.clone(), on_action.clone()))
    };
    let on_change = {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let field: HtmlInputElement = e.target_unchecked_into();
            form.set(form.with(&field.name(), &field.value(), field.checked()));
        })
    };
    let check = |name: &'static str, text: &'static str, checked: bool| {
        html! {
            <label class="inline"><input type="checkbox" name={name} data-testid={format!("embed-{name}")} {checked} onchange={on_change.clone()} />{text}</label>
        }
    };
    let speeds = SPEEDS.iter().map(|&s| (crate::number::decimal(s), super::controls::speed_label(s), s == form.speed));
    let themes =
        Theme::ALL.into_iter().map(|t| (t.as_str().to_string(), t.label().to_string(), t == form.options.theme));
    html! {
        <div class="help share" role="dialog" aria-labelledby="share-title" data-testid="share-dialog">
            { close }
            <h2 id="share-title">{"Share this run"}</h2>
            <div class="share-body">
                { qr(&url) }
                <div class="share-text">
                    <label for="share-link">{"Link: this scenario at this moment, for anyone"}</label>
                    <input id="share-link" data-testid="share-link" readonly=true value={url} />
                    <button data-testid="copy-link" onclick={on_copy_link}>{"Copy link"}</button>
                    <h3>{"Embed in a slide or a page"}</h3>
                    { check("here", " Start at this moment (else at the start)", form.here) }
                    { check("autoplay", " Play on opening", form.options.autoplay) }
                    { check("controls", " Show the controls", form.options.controls) }
                    { choose("speed", "Speed ", speeds, &on_change) }
                    { choose("theme", "Theme ", themes, &on_change) }
                    if model.lesson.is_some() {
                        <p class="hint">{"The lesson open now, at its step, is in the embed too."}</p>
                    }
                    <label for="embed-snippet" class="visually-hidden">{"The embed's HTML"}</label>
                    <textarea id="embed-snippet" data-testid="embed-snippet" readonly=true rows="4" value={snippet} />
                    <button data-testid="copy-snippet" onclick={on_copy_snippet}>{"Copy the HTML"}</button>
                </div>
            </div>
        </div>
    }
}

/// Puts `text` on the clipboard and says so (or that the browser refused).
fn copy(text: String, on_action: Callback<Action>) {
    yew::platform::spawn_local(async move {
        let copied = browser::copy_to_clipboard(&text).await;
        on_action.emit(Action::LinkCopied { chars: text.chars().count(), copied });
    });
}

/// A labelled select of the embed form: (value, label, selected) per option.
fn choose(
    name: &'static str,
    text: &'static str,
    options: impl Iterator<Item = (String, String, bool)>,
    onchange: &Callback<Event>,
) -> Html {
    html! {
        <label class="inline">{text}
            <select name={name} data-testid={format!("embed-{name}")} onchange={onchange.clone()}>
                { for options.map(|(value, label, selected)| html! { <option {value} {selected}>{label}</option> }) }
            </select>
        </label>
    }
}

/// The link's QR code, large enough to scan from the back of a room, or why there is none.
fn qr(url: &str) -> Html {
    match qr_picture(url) {
        Ok(picture) => {
            // Four modules of quiet zone around the code, as the standard asks.
            let side = picture.size + 8;
            html! {
                <svg class="qr" data-testid="share-qr" role="img" viewBox={format!("-4 -4 {side} {side}")} shape-rendering="crispEdges">
                    <title>{"QR code of the link: scan it to open this run"}</title>
                    <rect x="-4" y="-4" width={side.to_string()} height={side.to_string()} fill="#fff" />
                    <path d={picture.path} fill="#000" />
                </svg>
            }
        }
        Err(bytes) => html! {
            <p class="qr-none" data-testid="share-qr-none">{format!(
                "No QR code: this link is {bytes} characters long, and a QR code holds at most {QR_MAX_BYTES}. Copy the link instead."
            )}</p>
        },
    }
}

/// The embedded page's corner link to the same run, at the moment on screen, in the full app.
#[component]
pub fn OpenInFullApp(props: &ModelProps) -> Html {
    let model = props.model.clone();
    // The link is made when it is followed: the moment changes while the embed plays.
    let onclick = Callback::from(move |e: MouseEvent| {
        let fragment = model.borrow().share_fragment().unwrap_or_else(browser::fragment);
        let anchor: web_sys::HtmlAnchorElement = e.target_unchecked_into();
        anchor.set_href(&format!("{}#{fragment}", browser::page_address()));
    });
    html! {
        <a class="open-full" data-testid="open-full-app" href={browser::page_address()} target="_blank" rel="noopener" {onclick}>
            {"Open in the full app ↗"}
        </a>
    }
}
