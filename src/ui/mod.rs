//! The Yew front end, the Elm way: `state` holds the one model and its reducer (the only caller of the
//! engine); the pure modules compute what to draw and what to say, tested natively; the components
//! (wasm32 only) render them and send actions.
//!
//! What to draw: `layout` (nodes, edges, log cells), `tokens` (moving messages), `chain` (an anomaly's
//! causal chain), `chart`, `sequence` (a journey as a diagram), `frames` (what an action redraws, and
//! when). What to say: `describe` (a sentence per trace event), `journey`, `code` (a handler as
//! pseudo-code), `comparison` (the compare table), `lanes` (a comparison's lanes: arranged, titled).
//! `labels` is the leaf they all share.
pub mod chain;
pub mod chart;
pub mod code;
pub mod comparison;
pub mod describe;
pub mod frames;
pub mod journey;
pub mod keys;
pub mod labels;
pub mod lanes;
pub mod layout;
pub mod lesson;
pub mod sequence;
pub mod share;
pub mod simplifications;
pub mod state;
pub mod tokens;
pub mod zoom;

/// What the UI's unit tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::engine::Engine;
    use crate::scenario::{parse_scenario, presets::PRESETS};

    /// An engine for the preset whose file name starts with `prefix` ("05"), at time 0.
    pub fn preset(prefix: &str) -> Engine {
        let json = PRESETS.iter().find(|(s, _)| s.starts_with(prefix)).expect("a preset").1;
        Engine::new(parse_scenario(json).expect("presets parse")).expect("presets are valid")
    }
}

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
pub mod failure;
#[cfg(target_arch = "wasm32")]
mod recorder;
#[cfg(target_arch = "wasm32")]
mod token_layer;

#[cfg(target_arch = "wasm32")]
pub use app::App;

/// Mounts the app on the page (replacing the loading message).
#[cfg(target_arch = "wasm32")]
pub fn start() {
    failure::install();
    let document = gloo::utils::document();
    if let Some(loading) = document.get_element_by_id("loading") {
        loading.remove();
    }
    yew::Renderer::<App>::new().render();
}
