//! Fuzzing the two decoders that read untrusted input in the browser: share links (`link::decode`) and
//! scenario JSON (`parse_scenario`, the same path as Open JSON… and the CLI). Not part of `./dev test`:
//! run it with `./dev fuzz` (1,000,000 inputs by default; `FUZZ_INPUTS=N`, `FUZZ_SEED=S`).
//!
//! Mutation-based and deterministic: the seed corpus is every link of `tests/links/` and every preset
//! file; each input is a corpus item put through a few random mutations (bit flips, byte edits, cuts,
//! splices, interesting numbers swapped into the JSON). Half of the link inputs are mutated *inside* the
//! checksum (the JSON is mutated, then sealed), so the validator behind a valid-looking link is reached.
//! A scenario that is accepted is also built into an engine and run for a few thousand events: absurd
//! but valid parameters must not panic either. Any panic prints the input and fails.
#![cfg(not(target_arch = "wasm32"))]
use brokerscope::engine::kernel::rng::SimRng;
use brokerscope::engine::Engine;
use brokerscope::scenario::link::{self, SharedRun};
use brokerscope::scenario::parse_scenario;
use brokerscope::scenario::presets::PRESETS;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

const INTERESTING: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.5",
    "1e308",
    "1e999",
    "-0",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "9007199254740993",
    "null",
    "true",
    "\"\"",
    "[]",
    "{}",
    "\"x\"",
];

fn below(rng: &mut SimRng, n: usize) -> usize {
    if n == 0 {
        0
    } else {
        rng.range_inclusive(0, n as u64 - 1) as usize
    }
}

/// Text a hostile but well-formed file carries: a byte-order mark, a right-to-left override, an
/// isolate, a zero-width joiner.
const HOSTILE_TEXT: [&str; 4] = ["\u{FEFF}", "\u{202E}", "\u{2066}", "\u{200D}"];

/// A well-formed document with one of its objects written as a positional array of its values (serde
/// would read a struct from it; the format promises named fields).
fn positional(rng: &mut SimRng, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut doc: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut objects = 0;
    count_objects(&doc, &mut objects);
    let mut target = below(rng, objects);
    as_array(&mut doc, &mut target);
    serde_json::to_vec(&doc).ok()
}

fn count_objects(v: &serde_json::Value, n: &mut usize) {
    match v {
        serde_json::Value::Object(m) => {
            *n += 1;
            m.values().for_each(|x| count_objects(x, n));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| count_objects(x, n)),
        _ => {}
    }
}

/// Replaces the `target`-th object (depth first) with the array of its values.
fn as_array(v: &mut serde_json::Value, target: &mut usize) -> bool {
    if let serde_json::Value::Object(m) = v {
        if *target == 0 {
            *v = serde_json::Value::Array(m.values().cloned().collect());
            return true;
        }
        *target -= 1;
        return m.values_mut().any(|x| as_array(x, target));
    }
    if let serde_json::Value::Array(a) = v {
        return a.iter_mut().any(|x| as_array(x, target));
    }
    false
}

/// One random edit of the bytes.
fn mutate(rng: &mut SimRng, bytes: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let len = bytes.len();
    match below(rng, 11) {
        0 if len > 0 => {
            let i = below(rng, len);
            bytes[i] ^= 1 << below(rng, 8);
        }
        1 if len > 0 => {
            let i = below(rng, len);
            bytes[i] = below(rng, 256) as u8;
        }
        2 => {
            let i = below(rng, len + 1);
            bytes.insert(i, below(rng, 256) as u8);
        }
        3 if len > 0 => {
            let i = below(rng, len);
            let n = 1 + below(rng, (len - i).min(64));
            bytes.drain(i..i + n);
        }
        4 => bytes.truncate(below(rng, len + 1)),
        5 if len > 0 => {
            // Repeat a chunk (long runs, deep nesting).
            let i = below(rng, len);
            let n = 1 + below(rng, (len - i).min(256));
            let chunk: Vec<u8> = bytes[i..i + n].to_vec();
            for _ in 0..1 + below(rng, 8) {
                bytes.splice(i..i, chunk.iter().copied());
            }
        }
        6 => {
            // Splice the tail of another corpus item.
            let other = &corpus[below(rng, corpus.len())];
            let cut = below(rng, len + 1);
            let from = below(rng, other.len() + 1);
            bytes.truncate(cut);
            bytes.extend_from_slice(&other[from..]);
        }
        7 => {
            // Hostile text at the start (a BOM) or just inside a string.
            let text = HOSTILE_TEXT[below(rng, HOSTILE_TEXT.len())].as_bytes();
            let quotes: Vec<usize> = (0..len).filter(|&i| bytes[i] == b'"').collect();
            let at = if quotes.is_empty() || below(rng, 4) == 0 { 0 } else { quotes[below(rng, quotes.len())] + 1 };
            bytes.splice(at..at, text.iter().copied());
        }
        8 => {
            if let Some(array) = positional(rng, bytes) {
                *bytes = array;
            }
        }
        _ => {
            // Swap a number (or the token at a random place) for an interesting value.
            let starts: Vec<usize> = (0..len)
                .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()))
                .collect();
            let i = if starts.is_empty() { below(rng, len + 1) } else { starts[below(rng, starts.len())] };
            let mut j = i;
            while j < len && (bytes[j].is_ascii_digit() || b".eE+-".contains(&bytes[j])) {
                j += 1;
            }
            let value = INTERESTING[below(rng, INTERESTING.len())];
            bytes.splice(i..j, value.bytes());
        }
    }
}

/// Builds an engine for an accepted scenario and runs a bounded number of events.
fn run_briefly(scenario: brokerscope::scenario::Scenario) {
    if let Ok(mut engine) = Engine::new(scenario) {
        engine.set_trace_capacity(64);
        engine.run_until_bounded(u64::MAX, 3_000);
        let _ = engine.report();
    }
}

#[derive(Default)]
struct Tally {
    inputs: u64,
    link_inputs: u64,
    json_inputs: u64,
    accepted: u64,
}

#[test]
#[ignore = "long: run with ./dev fuzz"]
fn fuzz_link_and_json_decoders() {
    let inputs: u64 = std::env::var("FUZZ_INPUTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let seed: u64 = std::env::var("FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let mut rng = SimRng::new(seed);

    let links: Vec<Vec<u8>> = std::fs::read_dir("tests/links")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .flat_map(|text| {
            text.lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| l.rsplit('\t').next().map(|s| s.as_bytes().to_vec()))
                .collect::<Vec<_>>()
        })
        .collect();
    let runs: Vec<SharedRun> = links.iter().filter_map(|l| link::decode(std::str::from_utf8(l).ok()?).ok()).collect();
    assert_eq!(runs.len(), links.len(), "every corpus link opens before fuzzing starts");
    let run_json: Vec<Vec<u8>> = runs.iter().map(|r| serde_json::to_vec(r).unwrap()).collect();
    // The presets, and the hostile valid shapes (a poison record retried for a month, ...).
    let hostile = std::fs::read_dir("tests/scenarios").unwrap().filter_map(|e| std::fs::read(e.ok()?.path()).ok());
    let scenarios: Vec<Vec<u8>> = PRESETS.iter().map(|(_, j)| j.as_bytes().to_vec()).chain(hostile).collect();

    let mut tally = Tally::default();
    let started = Instant::now();
    while tally.inputs < inputs {
        tally.inputs += 1;
        let kind = below(&mut rng, 3);
        let corpus = match kind {
            0 => &links,
            1 => &run_json,
            _ => &scenarios,
        };
        let mut input = corpus[below(&mut rng, corpus.len())].clone();
        for _ in 0..1 + below(&mut rng, 4) {
            mutate(&mut rng, &mut input, corpus);
        }
        let text = String::from_utf8_lossy(&input).into_owned();
        let outcome = catch_unwind(AssertUnwindSafe(|| match kind {
            0 => link::decode(&text).ok().map(|r| r.scenario),
            // Mutated inside the checksum: a link that is intact but says something else.
            1 => link::decode(&link::seal_json(&input)).ok().map(|r| r.scenario),
            _ => parse_scenario(&text).ok(),
        }));
        match outcome {
            Ok(Some(scenario)) => {
                tally.accepted += 1;
                if catch_unwind(AssertUnwindSafe(|| run_briefly(scenario))).is_err() {
                    panic!("the engine panicked on an accepted input (kind {kind}): {text}");
                }
            }
            Ok(None) => {}
            Err(_) => panic!("a decoder panicked (kind {kind}) on: {text:?}"),
        }
        if kind == 2 {
            tally.json_inputs += 1;
        } else {
            tally.link_inputs += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fuzz: {} inputs ({} links, {} scenario files), {} accepted and run, 0 panics, seed {seed}, {:.0} s ({:.0} inputs/s)",
        tally.inputs,
        tally.link_inputs,
        tally.json_inputs,
        tally.accepted,
        secs,
        tally.inputs as f64 / secs
    );
}
