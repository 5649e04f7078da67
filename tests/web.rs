//! Browser tests (wasm32, headless Chromium via wasm-bindgen-test-runner): the app mounts and reacts to
//! clicks, and every preset computes the same run — the same golden trace hash — as the native CLI.
#![cfg(target_arch = "wasm32")]
use brokerscope::engine::Engine;
use brokerscope::scenario::parse_scenario;
use brokerscope::scenario::presets::PRESETS;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!("golden/trace_hashes.txt");

#[wasm_bindgen_test]
fn presets_hash_to_the_native_golden_values() {
    for line in GOLDEN.lines() {
        let (stem, hash) = line.split_once(' ').unwrap();
        let json = PRESETS.iter().find(|(s, _)| *s == stem).map(|(_, j)| *j).unwrap();
        let mut engine = Engine::new(parse_scenario(json).unwrap()).unwrap();
        engine.run_to_end();
        assert_eq!(engine.report().trace_hash, hash, "{stem}: wasm and native runs differ");
    }
}

/// Errors name the field's path in the browser as on the command line (`parse_located`).
#[wasm_bindgen_test]
fn a_bad_field_is_located_in_the_browser_too() {
    let e = parse_scenario("{\n  \"version\": 1,\n  \"topics\": [{\"partitons\": 3}]\n}").unwrap_err().to_string();
    assert!(e.starts_with("topics[0].partitons: unknown field `partitons`"), "{e}");
    let e = parse_scenario("{\"topics\": [{\"name\": \"t\", \"partitions\": 0}]}").unwrap_err().to_string();
    assert!(e.starts_with("topics[0].partitions:"), "{e}");
}

fn text(root: &web_sys::Element, selector: &str) -> String {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("no {selector}")).text_content().unwrap_or_default()
}

fn click(root: &web_sys::Element, selector: &str) {
    root.query_selector(selector).unwrap().unwrap().dyn_into::<web_sys::HtmlElement>().unwrap().click();
}

#[wasm_bindgen_test]
async fn the_app_renders_and_step_and_fast_forward_change_the_scoreboard() {
    let document = gloo::utils::document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<brokerscope::ui::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;

    assert!(text(&root, "h1").contains("Brokerscope"));
    assert!(root.query_selector("[data-testid=canvas] .node").unwrap().is_some(), "the canvas draws nodes");
    assert_eq!(text(&root, "[data-testid=score-produced]"), "0");
    assert_eq!(text(&root, "[data-testid=clock]"), "0.000 s");

    click(&root, "[data-testid=step]");
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "[data-testid=score-produced]"), "1");

    click(&root, "[data-testid=fast-forward]");
    yew::scheduler::flush().await;
    assert!(text(&root, "[data-testid=run-status]").starts_with("finished"));
    assert_eq!(text(&root, "[data-testid=score-produced]"), "60");
    assert!(
        root.query_selector("[data-testid=anomalies] li").unwrap().is_some(),
        "the anomaly feed lists explanations"
    );
    root.remove();
}

#[wasm_bindgen_test]
fn a_failure_says_so_on_the_page_once_and_offers_a_reload() {
    let document = gloo::utils::document();
    brokerscope::ui::failure::show("panicked at src/engine/x.rs:1:1:\nboom");
    brokerscope::ui::failure::show("a second panic");
    let banners = document.query_selector_all("[data-testid=failure]").unwrap();
    assert_eq!(banners.length(), 1, "one banner, whatever follows");
    let banner = document.query_selector("[data-testid=failure]").unwrap().unwrap();
    assert_eq!(banner.get_attribute("role").as_deref(), Some("alert"));
    let text = banner.text_content().unwrap();
    assert!(text.contains("saved work is kept") && text.contains("boom") && !text.contains("second"), "{text}");
    let reload = document.query_selector("[data-testid=failure-reload]").unwrap().unwrap();
    let href = reload.get_attribute("href").unwrap();
    assert_eq!(href, gloo::utils::window().location().href().unwrap());
    banner.remove();
}
