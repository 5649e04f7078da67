//! The few places the app touches the browser beyond rendering: the address's fragment, the work saved
//! in `localStorage`, the history entry and the clipboard. Every failure here (storage disabled in a
//! private window, a clipboard the browser refuses) degrades to "not saved" / "not copied", never a panic.
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

/// Where the last work is kept between visits: a share-link fragment, so it is versioned like a link.
const SAVED_WORK_KEY: &str = "brokerscope.last-work";

/// Saved work this release could not open, moved out of the way of the work saved next.
const SET_ASIDE_KEY: &str = "brokerscope.set-aside-work";
/// The theme chosen ("system", "light", "dark") and "more" contrast, read by index.html's first script.
const THEME_KEY: &str = "brokerscope.theme";
const CONTRAST_KEY: &str = "brokerscope.contrast";
/// "off" once the user turned single-key shortcuts off.
const SINGLE_KEYS_KEY: &str = "brokerscope.single-key-shortcuts";

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

/// How an embedded page shows itself (its address's query; see `ui::share::EmbedOptions`).
pub fn embed_options() -> crate::ui::share::EmbedOptions {
    crate::ui::share::EmbedOptions::from_query(&gloo::utils::window().location().search().unwrap_or_default())
}

/// The app's address without its query or fragment: the full app, whatever page this is.
pub fn page_address() -> String {
    let location = gloo::utils::window().location();
    format!("{}{}", location.origin().unwrap_or_default(), location.pathname().unwrap_or_default())
}

/// The reader asks for reduced motion (the system's setting).
pub fn prefers_reduced_motion() -> bool {
    gloo::utils::window().match_media("(prefers-reduced-motion: reduce)").ok().flatten().is_some_and(|m| m.matches())
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

/// Work set aside on an earlier visit (see `set_aside`).
pub fn set_aside_work() -> Option<String> {
    if embedded() {
        return None;
    }
    storage().and_then(|s| s.get_item(SET_ASIDE_KEY).ok().flatten()).filter(|w| !w.is_empty())
}

/// Keeps saved work this release cannot open under a key of its own, where later saves cannot reach it.
pub fn set_aside(fragment: &str) {
    if let Some(storage) = storage() {
        if storage.get_item(SET_ASIDE_KEY).ok().flatten().as_deref() != Some(fragment) {
            let _ = storage.set_item(SET_ASIDE_KEY, fragment);
        }
    }
}

/// The preferences kept from an earlier visit: single-key shortcuts on, the theme's name, more contrast.
pub fn preferences() -> (bool, String, bool) {
    let get = |key: &str| storage().and_then(|s| s.get_item(key).ok().flatten());
    let single_keys = get(SINGLE_KEYS_KEY).as_deref() != Some("off");
    (single_keys, get(THEME_KEY).unwrap_or_default(), get(CONTRAST_KEY).as_deref() == Some("more"))
}

/// Keeps the preferences for the next visit, and applies the display now through the page's first script
/// (`brokerscopeDisplay` in index.html), which also follows the system's theme live.
pub fn remember_preferences(single_keys: bool, theme: &str, more_contrast: bool) {
    if let Some(storage) = storage() {
        let keep = |key: &str, value: Option<&str>| {
            let _ = match value {
                Some(value) => storage.set_item(key, value),
                None => storage.remove_item(key),
            };
        };
        keep(SINGLE_KEYS_KEY, (!single_keys).then_some("off"));
        keep(THEME_KEY, Some(theme));
        keep(CONTRAST_KEY, more_contrast.then_some("more"));
    }
    let window = gloo::utils::window();
    if let Ok(apply) = js_sys::Reflect::get(&window, &"brokerscopeDisplay".into()) {
        if let Some(apply) = apply.dyn_ref::<js_sys::Function>() {
            let _ = apply.call0(&window);
        }
    }
}

/// Forgets the work set aside (the user discarded it).
pub fn discard_set_aside() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(SET_ASIDE_KEY);
    }
}

/// Calls `saved` when another tab of this page saves its work (the browser's `storage` event fires only
/// in the other tabs of the same origin).
pub fn on_saved_elsewhere(saved: impl Fn() + 'static) -> gloo::events::EventListener {
    gloo::events::EventListener::new(&gloo::utils::window(), "storage", move |event| {
        let key = event.dyn_ref::<web_sys::StorageEvent>().and_then(|e| e.key());
        if key.as_deref() == Some(SAVED_WORK_KEY) {
            saved();
        }
    })
}

/// Puts the fragment in the address bar (replacing the entry: no flood of history) and saves it as the
/// last work. Does nothing when both already hold it. An embedded page (a slide's iframe) leaves the
/// saved work alone: it is the deck's scenario, not the user's work.
pub fn remember(fragment: &str, save_work: bool) {
    let hash = format!("#{fragment}");
    let window = gloo::utils::window();
    if window.location().hash().ok().as_deref() != Some(hash.as_str()) {
        // An absolute URL: a bare "#…" would resolve against the page's <base href="./"> and drop the
        // query (?embed=1) and the file name.
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&link_to(fragment)));
        }
    }
    if embedded() || !save_work {
        return;
    }
    if let Some(storage) = storage() {
        if storage.get_item(SAVED_WORK_KEY).ok().flatten().as_deref() != Some(fragment) {
            let _ = storage.set_item(SAVED_WORK_KEY, fragment);
        }
    }
}

/// The page's address (its query kept: an embed stays one) with this fragment: what the address bar holds.
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

/// Saves a blob as a file through a temporary object URL.
pub fn download(blob: gloo::file::Blob, file_name: &str) {
    let url = gloo::file::ObjectUrl::from(blob);
    let anchor =
        gloo::utils::document().create_element("a").ok().and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = anchor {
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
    // Revoked a little later: the download reads the URL after this handler returns.
    gloo::timers::callback::Timeout::new(10_000, move || drop(url)).forget();
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// The page's own styles (Trunk inlines each stylesheet, minified, as a `<style>` in the head), for a
/// standalone copy of a drawing. Their dark and high-contrast tokens hang off the root's data-theme and
/// data-contrast, which the copy has not: an exported drawing is light, for slides.
fn page_styles(document: &web_sys::Document) -> String {
    let Ok(styles) = document.query_selector_all("head style") else { return String::new() };
    (0..styles.length()).filter_map(|i| styles.item(i)?.text_content()).collect::<Vec<_>>().join("\n")
}

/// A drawing on the page (the canvas, a sequence diagram) as a standalone SVG document for slides: a deep
/// copy with its styles inside and a size, serialized by the browser. Also its width and height.
pub fn svg_document(selector: &str, overlay: Option<&str>) -> Option<(String, f64, f64)> {
    let document = gloo::utils::document();
    let svg = document.query_selector(selector).ok()??;
    let copy: Element = svg.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
    // A layer drawn over the picture in an element of its own (the canvas's moving tokens) joins the copy.
    if let Some(layer) = overlay.and_then(|o| document.query_selector(o).ok().flatten()) {
        copy.append_child(&layer.clone_node_with_deep(true).ok()?).ok()?;
    }
    let view_box = copy.get_attribute("viewBox")?;
    let mut numbers = view_box.split_whitespace().filter_map(crate::number::parse_decimal).skip(2);
    let (width, height) = (numbers.next()?, numbers.next()?);
    copy.set_attribute("xmlns", SVG_NS).ok()?;
    copy.set_attribute("width", &crate::number::decimal(width)).ok()?;
    copy.set_attribute("height", &crate::number::decimal(height)).ok()?;
    let class = copy.get_attribute("class").unwrap_or_default();
    copy.set_attribute("class", &format!("{class} exported")).ok()?;
    let style = document.create_element_ns(Some(SVG_NS), "style").ok()?;
    style.set_text_content(Some(&page_styles(&document)));
    copy.prepend_with_node_1(&style).ok()?;
    let text = web_sys::XmlSerializer::new().ok()?.serialize_to_string(&copy).ok()?;
    Some((text, width, height))
}

/// Renders an SVG document to a PNG at twice its size (sharp on a projector) and saves it.
pub fn download_png(svg: &str, width: f64, height: f64, file_name: String) {
    let url = gloo::file::ObjectUrl::from(gloo::file::Blob::new_with_options(svg, Some("image/svg+xml")));
    let src = url.to_string();
    let Ok(image) = web_sys::HtmlImageElement::new() else { return };
    let img = image.clone();
    let onload = Closure::once(move || {
        let _keep_url_alive = url;
        let Some(canvas) = gloo::utils::document()
            .create_element("canvas")
            .ok()
            .and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok())
        else {
            return;
        };
        canvas.set_width((width * 2.0) as u32);
        canvas.set_height((height * 2.0) as u32);
        let Some(context) = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
        else {
            return;
        };
        let _ = context.scale(2.0, 2.0);
        let _ = context.draw_image_with_html_image_element(&img, 0.0, 0.0);
        let save = Closure::once_into_js(move |blob: JsValue| {
            if let Ok(blob) = blob.dyn_into::<web_sys::Blob>() {
                download(gloo::file::Blob::from(blob), &file_name);
            }
        });
        let _ = canvas.to_blob(save.unchecked_ref());
    });
    image.set_onload(Some(onload.as_ref().unchecked_ref()));
    onload.forget();
    image.set_src(&src);
}
