//! The few places the app touches the browser beyond rendering: the address's fragment, the work saved
//! in `localStorage`, the history entry and the clipboard. Every failure here (storage disabled in a
//! private window, a clipboard the browser refuses) degrades to "not saved" / "not copied", never a panic.
use wasm_bindgen::JsValue;

/// Where the last work is kept between visits: a share-link fragment, so it is versioned like a link.
const SAVED_WORK_KEY: &str = "brokerscope.last-work";

/// The address's fragment without `#` (empty when there is none).
pub fn fragment() -> String {
    let hash = gloo::utils::window().location().hash().unwrap_or_default();
    hash.strip_prefix('#').unwrap_or(&hash).to_string()
}

/// `?embed=1` in the address: canvas and controls only, for an iframe in a slide deck.
pub fn embedded() -> bool {
    let search = gloo::utils::window().location().search().unwrap_or_default();
    search.trim_start_matches('?').split('&').any(|pair| pair == "embed=1" || pair == "embed")
}

fn storage() -> Option<web_sys::Storage> {
    gloo::utils::window().local_storage().ok().flatten()
}

/// The work saved on the last visit (never offered to an embedded page).
pub fn saved_work() -> Option<String> {
    if embedded() {
        return None;
    }
    storage().and_then(|s| s.get_item(SAVED_WORK_KEY).ok().flatten()).filter(|w| !w.is_empty())
}

/// Puts the fragment in the address bar (replacing the entry: no flood of history) and saves it as the
/// last work. Does nothing when both already hold it. An embedded page (a slide's iframe) leaves the
/// saved work alone: it is the deck's scenario, not the user's work.
pub fn remember(fragment: &str) {
    let hash = format!("#{fragment}");
    let window = gloo::utils::window();
    if window.location().hash().ok().as_deref() != Some(hash.as_str()) {
        // An absolute URL: a bare "#…" would resolve against the page's <base href="./"> and drop the
        // query (?embed=1) and the file name.
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&link_to(fragment)));
        }
    }
    if embedded() {
        return;
    }
    if let Some(storage) = storage() {
        if storage.get_item(SAVED_WORK_KEY).ok().flatten().as_deref() != Some(fragment) {
            let _ = storage.set_item(SAVED_WORK_KEY, fragment);
        }
    }
}

/// The page's address with this fragment: what "Copy link" copies.
pub fn link_to(fragment: &str) -> String {
    let href = gloo::utils::window().location().href().unwrap_or_default();
    let base = href.split('#').next().unwrap_or_default();
    format!("{base}#{fragment}")
}

/// Writes text to the clipboard; false when the browser refuses (no permission, not a secure context).
pub async fn copy_to_clipboard(text: &str) -> bool {
    let promise = gloo::utils::window().navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}
