//! `simulate <scenario.json> [--seed N] [--until-ms T] [--no-trace] [--trace FILE] [--max-events N]
//! [--max-memory-mib M]`: runs a scenario through the fault and healing phases and prints one JSON report;
//! `--trace FILE` also writes every event of the run to FILE, a JSON object a line. Exit 2 with a located
//! message for an invalid scenario, and with a sentence (after the report of what ran) for a run that
//! stopped at a limit of its work budget (`--max-events`, `--max-memory-mib`: lower than the defaults to
//! try a budget); 1 when the report or the trace cannot be written.
use brokerscope::engine::kernel::SimTime;
use brokerscope::engine::{Budget, Engine};
use brokerscope::scenario::parse_scenario;
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: simulate <scenario.json> [--seed N] [--until-ms T] [--no-trace] [--trace FILE] \
                     [--max-events N] [--max-memory-mib M]";

/// The trace ring kept while writing a trace file: the events of one step of 1,024 engine
/// events, each tracing a few) always fit, so the file gets every event.
const TRACE_RING: usize = 1 << 20;

fn fail(message: &str) -> ExitCode {
    eprintln!("simulate: {message}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut path = None;
    let mut seed = None;
    let mut until_ms = None;
    let mut trace = true;
    let mut trace_file = None;
    let mut budget = Budget::DEFAULT;
    let mut i = 0;
    while i < args.len() {
        let value = |i: usize| args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match args[i].as_str() {
            "--seed" => match value(i) {
                Some(v) => seed = Some(v),
                None => return fail(&format!("--seed needs a whole number\n{USAGE}")),
            },
            "--until-ms" => match value(i) {
                Some(v) => until_ms = Some(v),
                None => return fail(&format!("--until-ms needs a whole number of milliseconds\n{USAGE}")),
            },
            // A budget can only be lowered: the defaults are what a browser tab can give.
            "--max-events" => match value(i) {
                Some(v) => budget.events = v.min(Budget::DEFAULT.events),
                None => return fail(&format!("--max-events needs a whole number\n{USAGE}")),
            },
            "--max-memory-mib" => match value(i) {
                Some(v) => budget.memory_bytes = v.saturating_mul(1 << 20).min(Budget::DEFAULT.memory_bytes),
                None => return fail(&format!("--max-memory-mib needs a whole number\n{USAGE}")),
            },
            "--trace" => match args.get(i + 1) {
                Some(file) => trace_file = Some(file.clone()),
                None => return fail(&format!("--trace needs a file to write the trace to\n{USAGE}")),
            },
            "--no-trace" => {
                trace = false;
                i += 1;
                continue;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other if path.is_none() && !other.starts_with("--") => {
                path = Some(other.to_string());
                i += 1;
                continue;
            }
            other => return fail(&format!("unexpected argument '{other}'\n{USAGE}")),
        }
        i += 2;
    }
    let Some(path) = path else { return fail(USAGE) };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => return fail(&format!("cannot read {path}: {e}")),
    };
    // A byte order mark (as some editors save UTF-8) is not part of the JSON; the app reads past it too.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut scenario = match parse_scenario(text) {
        Ok(s) => s,
        Err(e) => return fail(&format!("{path}: invalid scenario: {e}")),
    };
    if let Some(s) = seed {
        scenario.seed = s;
    }
    if let Some(u) = until_ms {
        scenario.until_ms = u;
    }
    let mut engine = match Engine::new(scenario) {
        Ok(e) => e,
        Err(e) => return fail(&format!("{path}: invalid scenario: {e}")),
    };
    engine.set_budget(budget);
    if !trace {
        engine.set_trace_capacity(0);
    }
    match &trace_file {
        Some(file) => {
            if let Err(e) = run_writing_trace(&mut engine, file) {
                return write_failed(&format!("cannot write the trace to {file}: {e}"));
            }
        }
        None => engine.run_to_end(),
    }
    let json = match serde_json::to_string_pretty(&engine.report()) {
        Ok(json) => json,
        Err(e) => return write_failed(&format!("cannot print the report: {e}")),
    };
    match writeln!(std::io::stdout().lock(), "{json}") {
        Ok(()) => match engine.halted() {
            Some(halt) => fail(&halt.sentence(engine.now())),
            None => ExitCode::SUCCESS,
        },
        // The reader went away (`| head`): nothing more to say to it.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(1),
        Err(e) => write_failed(&format!("cannot print the report: {e}")),
    }
}

fn write_failed(message: &str) -> ExitCode {
    eprintln!("simulate: {message}");
    ExitCode::from(1)
}

/// Runs to the end, writing every trace event to `file` as it goes: one JSON object a line, in order.
fn run_writing_trace(engine: &mut Engine, file: &str) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    engine.set_trace_capacity(TRACE_RING);
    let mut written = 0u64;
    while !engine.is_finished() {
        engine.run_until_bounded(SimTime::MAX, 1_024);
        if engine.trace().total - written > engine.trace().events.len() as u64 {
            return Err(std::io::Error::other("more events in one step than the trace keeps"));
        }
        for event in engine.drain_trace() {
            serde_json::to_writer(&mut out, &event)?;
            out.write_all(b"\n")?;
            written += 1;
        }
    }
    out.flush()
}
