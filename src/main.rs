//! The web app's entry point (built by Trunk for wasm32).
fn main() {
    #[cfg(target_arch = "wasm32")]
    brokerscope::ui::start();
}
