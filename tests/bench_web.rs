//! The wasm half of `./dev bench`: the same two benchmark scenarios as `src/bin/bench.rs`, timed with
//! `performance.now()` inside headless Chromium. Not part of `./dev test` (numbers, not assertions).
#![cfg(target_arch = "wasm32")]
use brokerscope::benchmarks::{mm1, notification_flow, run};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

fn count(var: Option<&str>, default: u32) -> u32 {
    var.and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[wasm_bindgen_test]
fn bench_wasm() {
    let mm1_messages = count(option_env!("BENCH_MM1"), 1_000_000);
    let flow_messages = count(option_env!("BENCH_FLOW"), 1_000_000);
    let start = now_ms();
    let r = run(mm1(mm1_messages));
    let secs = (now_ms() - start) / 1000.0;
    console_log!(
        "bench mm1 wasm: {} messages in {secs:.3} s = {:.0} messages/s, {:.0} events/s; mean time in system {:.3} s; trace {}",
        r.messages,
        r.messages as f64 / secs,
        r.events as f64 / secs,
        r.mean_time_in_system_ms / 1000.0,
        r.trace_hash
    );
    memory("mm1", &r);
    second_run("mm1", || run(mm1(mm1_messages)));
    let start = now_ms();
    let r = run(notification_flow(flow_messages));
    let secs = (now_ms() - start) / 1000.0;
    console_log!(
        "bench flow wasm: {} events, {} messages in {secs:.3} s = {:.0} events/s, {:.0} messages/s; trace {}",
        r.events,
        r.messages,
        r.events as f64 / secs,
        r.messages as f64 / secs,
        r.trace_hash
    );
    memory("flow", &r);
    second_run("flow", || run(notification_flow(flow_messages)));
}

/// The rows the run kept, and the wasm memory grown so far (it never shrinks, so the flow's figure is the
/// larger of the two runs').
fn memory(name: &str, r: &brokerscope::benchmarks::BenchRun) {
    let pages = core::arch::wasm32::memory_size(0);
    console_log!(
        "bench {name} wasm memory: {} of {} table rows kept at the end; wasm memory {} MB",
        r.table_rows.0,
        r.table_rows.1,
        pages * 64 / 1024
    );
}

/// The same scenario again in this instance: V8 has optimised the hot functions by now, and the memory the
/// first run grew is reused (what the app's recomputations, on every scrub and edit, see).
fn second_run(name: &str, run: impl FnOnce() -> brokerscope::benchmarks::BenchRun) {
    let start = now_ms();
    let r = run();
    console_log!("bench {name} wasm second run: {:.3} s; trace {}", (now_ms() - start) / 1000.0, r.trace_hash);
}
