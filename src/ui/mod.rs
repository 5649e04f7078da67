//! The Yew front end. `state` (the reducer) and `geometry` (layout and labels) are pure and tested
//! natively; the components (wasm32 only) render them and send actions.
pub mod geometry;
pub mod lesson;
pub mod state;
pub mod text;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod token_layer;

#[cfg(target_arch = "wasm32")]
pub use app::App;

/// Mounts the app on the page (replacing the loading message).
#[cfg(target_arch = "wasm32")]
pub fn start() {
    let document = gloo::utils::document();
    if let Some(loading) = document.get_element_by_id("loading") {
        loading.remove();
    }
    yew::Renderer::<App>::new().render();
}
