//! `simulate <scenario.json> [--seed N] [--until-ms T] [--no-trace]`: runs a scenario through the fault
//! and healing phases and prints one JSON report. Exit 2 with a located message for an invalid scenario.
use brokerscope::engine::Engine;
use brokerscope::scenario::parse_scenario;
use std::process::ExitCode;

const USAGE: &str = "usage: simulate <scenario.json> [--seed N] [--until-ms T] [--no-trace]";

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
    let mut scenario = match parse_scenario(&text) {
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
    if !trace {
        engine.set_trace_capacity(0);
    }
    engine.run_to_end();
    match serde_json::to_string_pretty(&engine.report()) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("cannot print the report: {e}")),
    }
}
