//! `./dev bench` (native part): the two fixed benchmark scenarios with wall-clock timing, plus SimPy on
//! the same M/M/1 model when it is installed. The wasm part runs the same scenarios in headless Chromium
//! (tests/bench_web.rs); `./dev bench` runs both and prints the ratio. Each scenario runs twice: the first
//! run is the figure; the second shows what repeating it costs (in wasm: optimised code, and the memory
//! the first run grew reused; natively, tables this big are returned to the OS and touched afresh).
use brokerscope::benchmarks::{mm1, notification_flow, run};
use std::time::Instant;

fn arg(name: &str, default: u32) -> u32 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let mm1_messages = arg("--mm1", 1_000_000);
    let flow_messages = arg("--flow", 1_000_000);

    let start = Instant::now();
    let r = run(mm1(mm1_messages));
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bench mm1 native: {} messages in {secs:.3} s = {:.0} messages/s, {:.0} events/s; mean time in system {:.3} s (theory 10 s); trace {}",
        r.messages,
        r.messages as f64 / secs,
        r.events as f64 / secs,
        r.mean_time_in_system_ms / 1000.0,
        r.trace_hash
    );
    let native_mm1 = r.messages as f64 / secs;
    memory("mm1", &r);
    second_run("mm1", || run(mm1(mm1_messages)));

    match std::process::Command::new("python3").args(["bench/mm1_simpy.py", &mm1_messages.to_string()]).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let fields: Vec<&str> = text.split_whitespace().collect();
            if let (Some(n), Some(wall), Some(mean)) = (fields.get(1), fields.get(2), fields.get(3)) {
                let rate = n.parse::<f64>().unwrap_or(0.0) / wall.parse::<f64>().unwrap_or(f64::INFINITY);
                println!("bench mm1 simpy: {rate:.0} customers/s, mean time in system {mean} s; Brokerscope native / SimPy = {:.1}×", native_mm1 / rate);
            }
        }
        _ => println!("bench mm1 simpy: not run (pip install simpy to compare)"),
    }

    let start = Instant::now();
    let r = run(notification_flow(flow_messages));
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bench flow native: {} events, {} messages in {secs:.3} s = {:.0} events/s, {:.0} messages/s; trace {}",
        r.events,
        r.messages,
        r.events as f64 / secs,
        r.messages as f64 / secs,
        r.trace_hash
    );
    memory("flow", &r);
    second_run("flow", || run(notification_flow(flow_messages)));
}

/// The rows the run kept, and the process's peak resident memory so far (Linux; it only grows, so the
/// flow's figure is the larger of the two runs').
fn memory(name: &str, r: &brokerscope::benchmarks::BenchRun) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak_kb =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:")).map(|v| v.trim().trim_end_matches(" kB").trim());
    let peak = peak_kb.and_then(|kb| kb.parse::<f64>().ok()).map_or("?".into(), |kb| format!("{:.0} MB", kb / 1024.0));
    println!(
        "bench {name} native memory: {} of {} table rows kept at the end; peak resident {peak}",
        r.table_rows.0, r.table_rows.1
    );
}

fn second_run(name: &str, run: impl FnOnce() -> brokerscope::benchmarks::BenchRun) {
    let start = Instant::now();
    let r = run();
    println!("bench {name} native second run: {:.3} s; trace {}", start.elapsed().as_secs_f64(), r.trace_hash);
}
