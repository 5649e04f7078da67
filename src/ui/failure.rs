//! Should the app ever panic: a sentence on the page instead of a dead app, the saved work untouched,
//! and a way back. The web build aborts on a panic (`panic = "abort"`), so nothing in the app answers
//! after the hook has run; the page offers a reload, which reopens the run from the address bar (or the
//! saved work) at its last saved moment. Built with DOM calls, not from strings.
use wasm_bindgen::JsCast;

/// How much of the panic's message the page shows under "What went wrong".
const MAX_DETAIL_CHARS: usize = 600;

/// Shows the failure on the page whenever a panic happens, before the instance aborts.
pub fn install() {
    std::panic::set_hook(Box::new(|info| show(&info.to_string())));
}

/// Puts the failure banner at the top of the page (once: a second failure adds nothing).
pub fn show(detail: &str) {
    let document = gloo::utils::document();
    if document.get_element_by_id("failure").is_some() {
        return;
    }
    let element = |tag: &str, text: Option<&str>| {
        let e = document.create_element(tag).ok()?;
        e.set_text_content(text);
        Some(e)
    };
    let Some(banner) = element("div", None) else { return };
    banner.set_id("failure");
    banner.set_class_name("failure-banner");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("data-testid", "failure");
    let sentence = "Brokerscope stopped because of an internal error, and the buttons no longer answer. Your \
                    saved work is kept: reload the page and it reopens at its last saved moment.";
    let parts = [
        element("p", Some(sentence)),
        reload_link(&document),
        details(&document, &detail.chars().take(MAX_DETAIL_CHARS).collect::<String>()),
    ];
    for part in parts.into_iter().flatten() {
        let _ = banner.append_child(&part);
    }
    if let Some(body) = document.body() {
        let _ = body.prepend_with_node_1(&banner);
    }
}

/// A link to this very address: following it reloads the page (no script needed, the app being dead).
fn reload_link(document: &web_sys::Document) -> Option<web_sys::Element> {
    let link: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    link.set_href(&gloo::utils::window().location().href().unwrap_or_default());
    link.set_text_content(Some("Reload"));
    let _ = link.set_attribute("data-testid", "failure-reload");
    Some(link.into())
}

fn details(document: &web_sys::Document, detail: &str) -> Option<web_sys::Element> {
    let details = document.create_element("details").ok()?;
    let summary = document.create_element("summary").ok()?;
    summary.set_text_content(Some("What went wrong (for a bug report)"));
    let pre = document.create_element("pre").ok()?;
    pre.set_text_content(Some(detail));
    details.append_child(&summary).ok()?;
    details.append_child(&pre).ok()?;
    Some(details)
}
